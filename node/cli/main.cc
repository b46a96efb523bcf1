// ifedctl: the command line of the agency's staff, talking to their own node
// over its admin unix socket.
#include <iostream>
#include <map>

#include "node/cli/cli.h"

namespace {

constexpr char kUsage[] = R"(usage: ifedctl [--socket PATH] COMMAND [ARGS]

The socket defaults to $IFED_SOCKET.

commands:
  ingest [--format csv|stix|misp|posts] [--hold] [--dry-run] [--skip-invalid] [--report FILE]
         [--tlp TLP] [--case-ref REF] [--crime-area A] [--region CC]
         [--batch-rows N] [--no-progress] FILE|-
      Store indicators, streaming (FILE - is stdin). CSV header:
      type,value,case_ref,tlp[,crime_area][,region][,sharing][,hold]; --case-ref
      and --tlp fill empty cells; sharing is empty, national_only or
      not_for:ID[;ID...] (the record is invisible to those partners). stix: a STIX 2.1 bundle; misp: MISP event JSON
      (see node/ingest/*.h for the mapping); --tlp applies to unmarked
      objects. The file is one transaction (or one per --batch-rows rows),
      all or nothing: a bad row is reported with its line or object and
      nothing of that transaction is stored; --skip-invalid stores the valid
      rows instead. --dry-run checks everything and stores nothing.
      --report writes every refused or skipped row/object with its reason
      (tab-separated). A progress bar (rate, ETA) shows on a terminal.
  normalize --type T [--region CC] [--json] VALUE...
      Print the canonical form of each value (or "error: <reason>").
  match (--peer ID... | --all | --hub [--jurisdiction CC]...) [--purpose P]
        [--resolve yes|no] [--case REF] [--hits-only] [--json]
        (--type T [--region CC] VALUE... | --file FILE.csv)
      Ask peers whether they hold the values (--all: every direct peer, not
      the hub: members would be asked twice). One line per value and peer:
      VALUE  CANONICAL  TYPE  PEER  HIT|NO_HIT  REFERENCE  CONTACT  SCHEME
      SCHEME is keyed or oprf (policy or config oprf_peers). OPRF answers
      are hit/no-hit from the peer's synced filter; --resolve yes asks the
      peer for reference/contact of the hits (Resolve). --case REF names
      the local case the values belong to: it stays on this node, a hub
      receives an opaque per-case token that links the values in its
      cross-border report.
      --hub (alias --via-hub): one query to the configured hub (the peer
      with role: hub); PEER is HUB/MEMBER. Members whose filter this node
      holds through the hub (filters sync --hub) are asked with OPRF through
      it, the others by the hub's keyed relay; per-member refusals, time-outs
      and unreachable members go to stderr. --jurisdiction CC (repeatable):
      only the hub's members of these jurisdictions.
  filters sync [--peer ID|HUB/MEMBER]... [--hub] [--json]
      Fetch OPRF peers' filters into data_dir/oprf, pinning each peer's OPRF
      public key on first contact; a changed key fails with an alert.
      --hub: every member the configured hub relays to for this node,
      through the hub (a member that refuses OPRF says why); they stay in
      the periodic sync (oprf_sync_seconds) from then on.
  stats [--json]
      Record counts and query counters of the node.
  policy check DIR
      Validate a policy directory offline (no node needed); errors as
      FILE:LINE: reason, exit 1.
  policy explain --partner ID --type T --purpose P [--tlp TLP]
                 [--direction inbound|outbound] [--dir DIR]
      The decision for such a query, the rule that made it and the file and
      line of every field (running policy, or DIR offline).
  policy diff DIR
      What each partner gains (+) and loses (-) if DIR replaced the running
      policy. Changes nothing.
  policy reload
      Re-read the node's policy directory (as SIGHUP); a bad set keeps the
      running policy and says why.
  audit verify [--file EXPORT.jsonl --cert NODE.pem] [--against HELD.jsonl] [--json]
      Walk the audit chain and its signed checkpoints (the node's, or an
      export offline); --against checks checkpoints a partner kept (its own
      export). Names the first bad sequence number and exits 1 on any break.
  audit export [--since T] [--until T] [--format jsonl] [--out FILE]
      The audit log with its checkpoints and the node's certificate.
      T: unix ms or YYYY-MM-DD[THH:MM:SSZ].
  audit query [--file F] [--peer ID] [--action A] [--outcome O] [--actor X]
              [--request-id R] [--since T] [--until T]
      Events that match, as JSON lines.
  audit reconcile MINE.jsonl THEIRS.jsonl
      Consultations one side logged and the other lacks or logged
      differently; exit 1 when they disagree.
  peers [--json]
      Each configured peer: gRPC health (checked by the node over mTLS),
      latency, last answered check since the node started, and the expiry
      of the certificate the peer presented. Exit 1 if one is not SERVING.

  erase --type T [--region CC] (VALUE... | --file FILE)
  erase --case CASE_REF
  erase --expired
      Remove the records of the values (one per line in FILE), or every
      record of a case, with their index entries and sealed values, in one
      batch with an audit event (counts only); partners' references to them
      then answer nothing. --expired runs the expiry sweep now.
  backup create DIR
      Verified RocksDB backup of the running store into DIR (on the node's
      host). Restore: ifed-node --config F --restore DIR (fresh data dir).
  hub stats|report [--min-jurisdictions N] [--json] [--dot FILE]
      On a node with role hub: relayed queries and hits per type, per
      querier/member pair and per day, and the clusters of pseudonyms (as
      digests) that hit in at least N members (default 2); cells below the
      hub's k (hub_k_threshold) are withheld. --dot writes the clusters as a
      Graphviz graph. Kept in the hub's store (survive a restart). A member
      asks through the hub with `match --peer HUB`; rows name HUB/MEMBER.
  followup request --peer ID --ref REF --legal-basis TEXT --justification TEXT [--purpose P]
  followup status [--id ID]
      Ask the owner of a hit reference for more (step 2); status polls the
      owners of pending requests and shows the answers. (Also: followups.)
  followup list [--id ID]
  followup approve (--id ID | --ref REF [--peer ID]) (--reply TEXT | --contact)
  followup deny (--id ID | --ref REF [--peer ID]) --reason TEXT
      Requests partners filed with this node (age, deadline 48 h, OVERDUE),
      and the decision on one; the answer goes back through the outbox.
      Every step is audited on both sides.
  watch add (--peer ID... | --all | --hub [--jurisdiction CC]...) --type T
            [--region CC] [--purpose P] [--until YYYY-MM-DD] VALUE... | --file F
      Standing query: the partner keeps the pseudonyms and notifies this
      node when a later ingest holds one (and withdraws it on erasure).
      --hub: through the configured hub (the peer with `role: hub`), which
      relays it to the members its policy allows (--jurisdiction: only
      those); one line per member (HUB/MEMBER), refusals on stderr.
  watch list [--inbound] | watch remove (--peer ID | --hub) --id WATCH_ID
  watch events [--since T] [--json]      (also: ifedctl alerts)
      Watches asked of partners (through a hub: each member's outcome;
      --inbound: held here for partners, relayed by this hub, and the
      outbox), and the notifications received (HUB/MEMBER through a hub).
  keys status | keys rotate --epoch N --key-file F [--wait] | keys drop --epoch N
      Federation key epochs while the node runs. rotate: the new key file
      (0600, keeping the current epoch) replaces the configured one, and
      every record is re-pseudonymised from its sealed value in the
      background, both epochs served meanwhile (a restart resumes it).
      drop: after the overlap, the old epoch's pseudonyms stop matching.
  hits export [--format stix|json] [--since T] [--until T] [--out FILE]
      The hits partners gave this node's queries, as a STIX 2.1 bundle of
      sightings (of indicators, at the partner as an identity) for MISP or
      OpenCTI, or as plain JSON. Audited (hits.export, a count).

  extract [--region CC] [--lang HINT] [--lexicon DIR] [--json] FILE|-
      Indicators in monitored posts, extracted locally (no node needed).
      Input: JSON lines {"text","url","author","posted_at","region","lang"}
      or plain text, one post per block of lines separated by blank lines.
      Per post: type, canonical form, span [begin,end) in CODE POINTS of
      the post text, the text there, the evasions undone (Eastern Arabic /
      Persian / full-width / keycap digits, O and l for 0 and 1, spaced or
      glued digits, invisible characters, platform words), derived values
      and the lexicon tags (--lexicon DIR or $IFED_LEXICON_DIR, e.g.
      policy/lexicon). Without --region only +CC/00CC numbers are read.
      --lang is a hint echoed in --json (extraction itself is language-
      independent: every script's digits and platform words are read).
  ingest --format posts [--region CC] --tlp TLP [--case-ref REF] [--hold] FILE|-
      Extract as above and store every indicator with its provenance (post
      URL, capture time, SHA-256 of the text, author, span); case_ref
      defaults to "monitoring". --hold (also for CSV, or a `hold` column)
      marks the records as held by an investigation.
  records show (REF | --type T [--region CC] VALUE) [--json]
      A local record (REF: a hit reference this node gave out) with case,
      TLP, hold and the posts it was extracted from. Never leaves the node.
  hold set|clear --type T [--region CC] [--case REF] VALUE...
      Set or clear the investigative hold on the records of the values.
  deconflict (--peer ID... | --all | --hub) --type url|handle [--json] VALUE...
      Before a takedown referral: ask peers whether any holds the URL or
      handle under a hold. Answers are clear or held (+ the holder's
      contact when its policy discloses contacts), never which case. Exit 3
      when a value is held. Purpose takedown_deconfliction must be allowed
      by both sides' policies; both sides audit the check.

types: phone handle url email iban crypto imei
)";

}  // namespace

using namespace ifed::cli;

int main(int argc, char** argv) {
  Args a;
  std::string err;
  if (!Parse(argc, argv, &a, &err)) {
    std::cerr << "ifedctl: " << err << "\n" << kUsage;
    return 2;
  }
  if (a.Flag("--help") || a.command.empty() || a.command == "help") {
    std::cout << kUsage;
    return a.command.empty() && !a.Flag("--help") ? 2 : 0;
  }
  static const std::map<std::string, Command> kCommands = {
      {"ingest", IngestCommand},
      {"normalize", NormalizeCommand},
      {"match", MatchCommand},
      {"stats", StatsCommand},
      {"policy", PolicyCommand},
      {"audit", AuditCommand},
      {"peers", PeersCommand},
      {"filters", FiltersCommand},
      {"erase", EraseCommand},
      {"backup", BackupCommand},
      {"hub", HubCommand},
      {"followups", FollowUpsCommand},
      {"followup", FollowUpsCommand},
      {"extract", ExtractCommand},
      {"records", RecordsCommand},
      {"hold", HoldCommand},
      {"deconflict", DeconflictCommand},
      {"watch", WatchCommand},
      {"hits", HitsCommand},
      {"keys", KeysCommand},
      {"alerts", WatchCommand},
  };
  auto it = kCommands.find(a.command);
  if (it == kCommands.end()) {
    std::cerr << "ifedctl: unknown command '" << a.command << "'\n" << kUsage;
    return 2;
  }
  if (a.socket.empty() && a.command != "policy" && a.command != "extract" &&
      !(a.command == "audit" && AuditOffline(a))) {  // policy check/explain --dir: offline.
    std::cerr << "ifedctl: no node socket: give --socket PATH or set IFED_SOCKET\n";
    return 2;
  }
  auto stub = Connect(a.socket);
  return it->second(a, *stub);
}
