#include "node/cli/help.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ifed::cli {
namespace {

constexpr ExitCode kExitCodes[] = {
    {0, "ok", "The command did what was asked."},
    {1, "failed",
     "The command ran and something failed: the node answered with an error, a value or row "
     "was refused, a peer failed or is not serving, a check found a problem (a broken audit "
     "chain, a policy error, logs that disagree)."},
    {2, "usage",
     "Nothing was done: unknown verb or option, a missing or bad argument, or no node socket "
     "for a verb that needs the node."},
    {3, "held",
     "A signal, not a failure: a value asked about is held by a peer under an investigative "
     "hold (deconflict). Do not refer it for takedown."},
    {4, "unreachable",
     "The node's admin socket does not answer (the node is down or the path is wrong); nothing "
     "was done."},
};

// --hub and its alias --via-hub ask through the configured hub.
constexpr absl::string_view kNoValueOptions[] = {
    "--json", "--all",     "--hits-only", "--help",   "--dry-run", "--skip-invalid",
    "--no-progress", "--expired", "--hold", "--inbound", "--wait",    "--contact",
    "--hub",  "--via-hub", "--version",   "--quiet"};

constexpr absl::string_view kGlobalOptions[] = {"--socket", "--help", "--version"};

constexpr VerbHelp kVerbs[] = {
    {.verb = "ingest",
     .summary = "store indicators from CSV, STIX 2.1, MISP JSON or posts",
     .synopsis = "ingest [--format csv|stix|misp|posts] [--hold] [--dry-run]\n"
                 "       [--skip-invalid] [--report FILE] [--tlp TLP]\n"
                 "       [--case-ref REF] [--crime-area A] [--region CC]\n"
                 "       [--batch-rows N] [--no-progress] FILE|-",
     .text = R"(Store indicators, streaming (FILE - is stdin). CSV header:
type,value,case_ref,tlp[,crime_area][,region][,sharing][,hold];
--case-ref and --tlp fill empty cells; sharing is empty, national_only
or not_for:ID[;ID...] (the record is invisible to those partners).
stix: a STIX 2.1 bundle; misp: MISP event JSON (see node/ingest/*.h for
the mapping); --tlp applies to unmarked objects. posts: extracted as by
`extract` and stored with their provenance (post URL, capture time,
SHA-256 of the text, author, span); case_ref defaults to "monitoring".

The file is one transaction (or one per --batch-rows rows), all or
nothing: a bad row is reported with its line or object and nothing of
that transaction is stored; --skip-invalid stores the valid rows
instead. --dry-run checks everything and stores nothing. --report writes
every refused or skipped row or object with its reason (tab-separated).
--hold (or a hold column) marks the records as held by an investigation.
A progress bar (rate, ETA) shows on a terminal.

Exit 1 when any row was refused or skipped.)"},
    {.verb = "normalize",
     .summary = "show the canonical form of values (no node needed)",
     .synopsis = "normalize --type T [--region CC] [--platform NAME] [--json]\n"
                 "          VALUE...",
     .text = R"(Print the canonical form of each value, then one line per derived
indicator ("TYPE CANONICAL"), then "warning: REASON" when the value is
on the normalisation warning list (ingest refuses it, match skips it);
a refused value prints "error: REASON". --json prints one array with
the canonical version.

Runs in ifedctl itself, with the same rules and warning list as the node
of the same canonical version (see --version). With --socket (or
$IFED_SOCKET) the node answers instead; ifedctl warns on stderr when the
node's canonical version differs from its own.

Exit 1 when any value was refused.)",
     .offline = true},
    {.verb = "match",
     .summary = "ask peers or the hub whether they hold values",
     .synopsis = "match (--peer ID... | --all | --hub [--jurisdiction CC]...)\n"
                 "      [--purpose P] [--resolve yes|no] [--case REF]\n"
                 "      [--hits-only] [--json]\n"
                 "      (--type T [--region CC] VALUE... | --file FILE.csv)",
     .text = R"(Ask peers whether they hold the values (--all: every direct peer, not
the hub: members would be asked twice). One line per value and peer:
VALUE CANONICAL TYPE PEER HIT|NO_HIT REFERENCE CONTACT SCHEME. SCHEME is
keyed or oprf (policy or config oprf_peers). OPRF answers are hit/no-hit
from the peer's synced filter; --resolve yes asks the peer for the
reference and contact of the hits. --case REF names the local case the
values belong to: it stays on this node, a hub receives an opaque
per-case token that links the values in its cross-border report.

--hub (alias --via-hub): one query to the configured hub; PEER is
HUB/MEMBER. Members whose filter this node holds through the hub are
asked with OPRF through it, the others by the hub's keyed relay;
per-member refusals, time-outs and unreachable members go to stderr.
--jurisdiction CC (repeatable): only the hub's members of these
jurisdictions.

A hit is an answer, not a failure: exit 0. Exit 1 when a value was
refused or a peer failed.)"},
    {.verb = "filters",
     .summary = "fetch OPRF peers' filters",
     .synopsis = "filters sync [--peer ID|HUB/MEMBER]... [--hub] [--json]",
     .text = R"(Fetch OPRF peers' filters into data_dir/oprf, pinning each peer's OPRF
public key on first contact; a changed key fails with an alert. --hub:
every member the configured hub relays to for this node, through the hub
(a member that refuses OPRF says why); they stay in the periodic sync
(oprf_sync_seconds) from then on. Exit 1 when a peer failed.)",
     .subcommands = "sync"},
    {.verb = "stats",
     .summary = "record counts and query counters of the node",
     .synopsis = "stats [--json]",
     .text = "Record counts and query counters of the node."},
    {.verb = "policy",
     .summary = "check, explain, diff or reload the sharing policy",
     .synopsis = "policy check DIR\n"
                 "policy explain --partner ID --type T --purpose P [--tlp TLP]\n"
                 "       [--direction inbound|outbound] [--dir DIR]\n"
                 "policy diff DIR\n"
                 "policy reload",
     .text = R"(check: validate a policy directory offline (no node needed); errors as
FILE:LINE: reason, exit 1.

explain: the decision for such a query, the rule that made it and the
file and line of every field (running policy, or DIR offline).

diff: what each partner gains (+) and loses (-) if DIR replaced the
running policy. Changes nothing.

reload: re-read the node's policy directory (as SIGHUP); a bad set keeps
the running policy and says why (exit 1).)",
     .subcommands = "check explain diff reload",
     .offline = true},
    {.verb = "audit",
     .summary = "verify, export, query or reconcile the audit log",
     .synopsis = "audit verify [--file EXPORT.jsonl --cert NODE.pem]\n"
                 "      [--against HELD.jsonl] [--json]\n"
                 "audit export [--since T] [--until T] [--format jsonl]\n"
                 "      [--out FILE]\n"
                 "audit query [--file F] [--peer ID] [--action A] [--outcome O]\n"
                 "      [--actor X] [--request-id R] [--since T] [--until T]\n"
                 "audit reconcile MINE.jsonl THEIRS.jsonl",
     .text = R"(verify: walk the audit chain and its signed checkpoints (the node's, or
an export offline with --file); --against checks checkpoints a partner
kept (its own export). Names the first bad sequence number and exits 1
on any break.

export: the audit log with its checkpoints and the node's certificate.
T is unix milliseconds or YYYY-MM-DD[THH:MM:SSZ].

query: the events that match, as JSON lines (offline with --file).

reconcile: the consultations one side logged and the other lacks or
logged differently (offline); exit 1 when they disagree.)",
     .subcommands = "verify export query reconcile",
     .offline = true},
    {.verb = "peers",
     .summary = "health, version and certificate expiry of each peer",
     .synopsis = "peers [--json] [--quiet]",
     .text = R"(Each configured peer: gRPC health (checked by the node over mTLS),
latency, last answered check since the node started, the expiry of the
certificate the peer presented, and the release, commit, canonical
version and wire protocol the peer announced with its health answer
(no version line for a peer that announces none). A peer whose canonical
version differs from this node's is flagged: the same value would be
keyed differently there. --quiet prints only the peer ids (for
completion). Exit 1 if one is not SERVING.)"},
    {.verb = "health",
     .summary = "the node's own gRPC health, for health checks",
     .synopsis = "health [--service NAME] [--timeout SECONDS]",
     .text = R"(The node's gRPC health (grpc.health.v1.Health/Check) over the admin
socket; the federation listener serves the same health to peers over
mTLS. Prints SERVING, NOT_SERVING, SERVICE_UNKNOWN or UNKNOWN. For
container and orchestrator health checks: exit 0 when SERVING, 1 when
the node answers anything else, 4 when the socket does not answer.
--service: a service name (default: the whole server); --timeout:
seconds to wait (default 5).)"},
    {.verb = "erase",
     .summary = "remove records of values, of a case, or expired ones",
     .synopsis = "erase --type T [--region CC] (VALUE... | --file FILE)\n"
                 "erase --case CASE_REF\n"
                 "erase --expired",
     .text = R"(Remove the records of the values (one per line in FILE), or every
record of a case, with their index entries and sealed values, in one
batch with an audit event (counts only); partners' references to them
then answer nothing. --expired runs the expiry sweep now.)"},
    {.verb = "backup",
     .summary = "verified backup of the running store",
     .synopsis = "backup create DIR",
     .text = R"(Verified RocksDB backup of the running store into DIR (on the node's
host). Restore: ifed-node --config F --restore DIR (fresh data dir).)",
     .subcommands = "create"},
    {.verb = "hub",
     .summary = "relay statistics and cross-border clusters of a hub",
     .synopsis = "hub stats|report [--min-jurisdictions N] [--json] [--dot FILE]",
     .text = R"(On a node with role hub: relayed queries and hits per type, per
querier/member pair and per day, and the clusters of pseudonyms (as
digests) that hit in at least N members (default 2); cells below the
hub's k (hub_k_threshold) are withheld. --dot writes the clusters as a
Graphviz graph. Kept in the hub's store (survive a restart).)",
     .subcommands = "stats report"},
    {.verb = "followup",
     .alias = "followups",
     .summary = "step 2: request more about a hit, or decide on a request",
     .synopsis = "followup request --peer ID --ref REF --legal-basis TEXT\n"
                 "         --justification TEXT [--purpose P]\n"
                 "followup status [--id ID]\n"
                 "followup list [--id ID]\n"
                 "followup approve (--id ID | --ref REF [--peer ID])\n"
                 "         (--reply TEXT | --contact)\n"
                 "followup deny (--id ID | --ref REF [--peer ID]) --reason TEXT",
     .text = R"(request asks the owner of a hit reference for more (step 2); status
polls the owners of pending requests and shows the answers.

list shows the requests partners filed with this node (age, deadline
48 h, OVERDUE); approve and deny decide on one, and the answer goes back
through the outbox. Every step is audited on both sides.)",
     .subcommands = "request status list approve deny"},
    {.verb = "watch",
     .alias = "alerts",
     .summary = "standing queries at partners and their notifications",
     .synopsis = "watch add (--peer ID... | --all | --hub [--jurisdiction CC]...)\n"
                 "      --type T [--region CC] [--purpose P] [--until YYYY-MM-DD]\n"
                 "      (VALUE... | --file F)\n"
                 "watch list [--inbound]\n"
                 "watch remove (--peer ID | --hub) --id WATCH_ID\n"
                 "watch events [--since T] [--json]",
     .text = R"(add: a standing query; the partner keeps the pseudonyms and notifies
this node when a later ingest holds one (and withdraws it on erasure).
--hub: through the configured hub, which relays it to the members its
policy allows (--jurisdiction: only those); one line per member
(HUB/MEMBER), refusals on stderr.

list: the watches asked of partners (through a hub: each member's
outcome); --inbound: those held here for partners, relayed by this hub,
and the outbox. events (also `ifedctl alerts`): the notifications
received (HUB/MEMBER through a hub). Exit 1 when a partner refused.)",
     .subcommands = "add list remove events"},
    {.verb = "keys",
     .summary = "federation key epochs: status, rotate, drop",
     .synopsis = "keys status\n"
                 "keys rotate --epoch N --key-file F [--wait]\n"
                 "keys drop --epoch N",
     .text = R"(Federation key epochs while the node runs. rotate: the new key file
(0600, keeping the current epoch) replaces the configured one, and every
record is re-pseudonymised from its sealed value in the background, both
epochs served meanwhile (a restart resumes it). drop: after the overlap,
the old epoch's pseudonyms stop matching.)",
     .subcommands = "status rotate drop"},
    {.verb = "hits",
     .summary = "export the hits partners gave as STIX sightings or JSON",
     .synopsis = "hits export [--format stix|json] [--since T] [--until T]\n"
                 "      [--out FILE]",
     .text = R"(The hits partners gave this node's queries, as a STIX 2.1 bundle of
sightings (of indicators, at the partner as an identity) for MISP or
OpenCTI, or as plain JSON. Audited (hits.export, a count).)",
     .subcommands = "export"},
    {.verb = "extract",
     .summary = "indicators in monitored posts (no node needed)",
     .synopsis = "extract [--region CC] [--lang HINT] [--lexicon DIR] [--json]\n"
                 "        FILE|-",
     .text = R"(Indicators in monitored posts, extracted locally (no node needed).
Input: JSON lines {"text","url","author","posted_at","region","lang"} or
plain text, one post per block of lines separated by blank lines. Per
post: type, canonical form, span [begin,end) in code points of the post
text, the text there, the evasions undone (Eastern Arabic, Persian,
full-width and keycap digits, O and l for 0 and 1, spaced or glued
digits, invisible characters, platform words), derived values and the
lexicon tags (--lexicon DIR or $IFED_LEXICON_DIR, e.g. policy/lexicon).
Without --region only +CC/00CC numbers are read. --lang is a hint echoed
in --json (extraction itself is language-independent); --json also
carries the canonical version. Never asks a node, even with --socket.
Exit 1 when a post could not be read; the other posts are still
printed.)",
     .offline = true},
    {.verb = "records",
     .summary = "show a local record and its provenance",
     .synopsis = "records show (REF | --type T [--region CC] VALUE) [--json]",
     .text = R"(A local record (REF: a hit reference this node gave out) with case,
TLP, hold and the posts it was extracted from. Never leaves the node.
Exit 1 when there is no such record.)",
     .subcommands = "show"},
    {.verb = "hold",
     .summary = "set or clear the investigative hold on records",
     .synopsis = "hold set|clear --type T [--region CC] [--case REF] VALUE...",
     .text = R"(Set or clear the investigative hold on the records of the values.
Exit 1 when a value has no record.)",
     .subcommands = "set clear"},
    {.verb = "deconflict",
     .summary = "before a takedown: does a peer hold the URL or handle?",
     .synopsis = "deconflict (--peer ID... | --all | --hub) --type url|handle\n"
                 "           [--json] VALUE...",
     .text = R"(Before a takedown referral: ask peers whether any holds the URL or
handle under a hold. Answers are clear or held (+ the holder's contact
when its policy discloses contacts), never which case. Purpose
takedown_deconfliction must be allowed by both sides' policies; both
sides audit the check. Exit 3 when a value is held (do not refer it).)",
     .exit_codes = "0 1 2 3 4"},
    {.verb = "help",
     .summary = "this screen, or the help of one verb",
     .synopsis = "help [VERB]",
     .text = R"(Without VERB: the verbs, the global options and the exit codes. With
VERB: its usage, what it does and its exit codes (as VERB --help).)",
     .offline = true,
     .exit_codes = "0 2"},
};

std::string Indent(absl::string_view text, absl::string_view pad) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::StrAppend(&out, line.empty() ? "" : pad, line, "\n");
  }
  return out;
}

const NodeHelp kNode = {
    .synopsis = "ifed-node --config FILE [--check-config] [--verify-store] [--restore BACKUP_DIR]\n"
                "          [--log-format auto|json|text]\n"
                "ifed-node --version",
    .text = R"(The federation node daemon: answers its peers over mutual TLS (match,
OPRF, filter sync, watches, follow-ups, deconfliction), serves its
agency's staff on the admin unix socket (ifedctl), keeps the records in
RocksDB and every decision in a hash-chained audit log with signed
checkpoints. With role hub it relays members' queries.

It runs in the foreground. SIGTERM and SIGINT stop it cleanly; SIGHUP
reloads the sharing policy (a bad policy keeps the running one and says
why). It writes no core file and cannot be traced by other processes of
its user. Files and the admin socket are created owner and group only.)",
    .exit_status = R"(0 after a clean stop (and for --help, --version and a good
--check-config), 1 when the configuration, the store, the certificates
or a restore fail, 2 on a usage error.)",
    .options = "--config FILE\tThe node configuration (YAML, schema proto/config.proto).\n"
               "--check-config\tRead and check the configuration, print the node id, exit.\n"               "--verify-store\tWith the node stopped: read every block of the store and check "
               "its checksum (RocksDB VerifyChecksum), name the damage if any, exit (0: intact, "
               "1: damaged: restore the latest backup).\n"
               "--restore BACKUP_DIR\tRestore the latest backup of BACKUP_DIR (made by ifedctl "
               "backup create) into the configured, fresh data dir, verify the restored audit "
               "chain, then start.\n"
               "--log-format auto|json|text\tOverrides the configuration's log_format (auto: "
               "text on a terminal, JSON lines otherwise).\n"
               "--version\tThe release, the git commit, the canonical version and the wire "
               "protocol version.\n"
               "--help\tThis usage."};

}  // namespace

absl::Span<const ExitCode> ExitCodes() { return kExitCodes; }
absl::Span<const VerbHelp> Verbs() { return kVerbs; }
absl::Span<const absl::string_view> GlobalOptions() { return kGlobalOptions; }
absl::Span<const absl::string_view> NoValueOptions() { return kNoValueOptions; }

bool IsNoValueOption(absl::string_view name) {
  for (absl::string_view o : kNoValueOptions) {
    if (o == name) return true;
  }
  return false;
}

const VerbHelp* FindVerb(absl::string_view name) {
  for (const VerbHelp& v : kVerbs) {
    if (v.verb == name || (!v.alias.empty() && v.alias == name)) return &v;
  }
  return nullptr;
}

std::vector<std::string> VerbOptions(const VerbHelp& v) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const absl::string_view s = v.synopsis;
  for (size_t i = s.find("--"); i != absl::string_view::npos; i = s.find("--", i)) {
    size_t e = i + 2;
    while (e < s.size() && ((s[e] >= 'a' && s[e] <= 'z') || s[e] == '-')) ++e;
    std::string opt(s.substr(i, e - i));
    if (opt.size() > 2 && seen.insert(opt).second) out.push_back(opt);
    i = e;
  }
  return out;
}

std::string ExitCodeText() {
  std::string out;
  for (const ExitCode& c : kExitCodes) {
    absl::StrAppend(&out, "  ", c.code, "  ", c.name, ": ", c.meaning, "\n");
  }
  return out;
}

std::string UsageText() {
  std::string out =
      "usage: ifedctl [--socket PATH] VERB [ARGS]\n"
      "       ifedctl help VERB | VERB --help | --version\n\n"
      "The socket defaults to $IFED_SOCKET. normalize, extract, policy check,\n"
      "help and audit on files run without a node.\n\nverbs:\n";
  for (const VerbHelp& v : kVerbs) {
    std::string name(v.verb);
    if (!v.alias.empty()) absl::StrAppend(&name, "|", v.alias);
    absl::StrAppend(&out, "  ", name, std::string(name.size() < 20 ? 20 - name.size() : 1, ' '),
                    v.summary, "\n");
  }
  absl::StrAppend(&out, "\ntypes: phone handle url email iban crypto imei\n\nexit codes:\n");
  for (const ExitCode& c : kExitCodes) {
    absl::StrAppend(&out, "  ", c.code, "  ", c.name, "\n");
  }
  absl::StrAppend(&out, "\n`ifedctl help VERB` for a verb; man ifedctl for everything.\n");
  return out;
}

std::vector<std::string> SynopsisLines(const VerbHelp& v) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(v.synopsis, '\n')) {
    out.push_back(absl::StrCat(line.substr(0, v.verb.size()) == v.verb ? "ifedctl " : "        ",
                               line));
  }
  return out;
}

std::string VerbHelpText(const VerbHelp& v) {
  std::string out = "usage:\n";
  for (const std::string& line : SynopsisLines(v)) absl::StrAppend(&out, "  ", line, "\n");
  if (!v.alias.empty()) absl::StrAppend(&out, "  (also: ifedctl ", v.alias, ")\n");
  absl::StrAppend(&out, "\n", Indent(v.text, "  "), "\nexit codes:\n");
  for (absl::string_view code : absl::StrSplit(v.exit_codes, ' ', absl::SkipEmpty())) {
    for (const ExitCode& c : kExitCodes) {
      if (absl::StrCat(c.code) == code) absl::StrAppend(&out, "  ", c.code, "  ", c.name, "\n");
    }
  }
  return out;
}

const NodeHelp& IfedNodeHelp() { return kNode; }

std::string IfedNodeUsageText() {
  std::string out = "usage: " + std::string(kNode.synopsis) + "\n\noptions:\n";
  for (absl::string_view line : absl::StrSplit(kNode.options, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    absl::StrAppend(&out, "  ", parts[0], "\n      ", parts.size() > 1 ? parts[1] : "", "\n");
  }
  absl::StrAppend(&out, "\nexit status:\n", Indent(kNode.exit_status, "  "));
  return out;
}

}  // namespace ifed::cli
