#!/usr/bin/env bash
# cli_it: the command line without any node. Offline normalize and extract,
# --version of every binary against the build (release, git commit,
# canonical and wire version), help per verb, the bash completion run in
# bash, the manual pages rendered without a warning, and one check per exit
# code that needs no node (0, 1, 2, 4; 3 is deconflict's, in extract_it).
#
#   tests/cli/cli_it.sh SOURCE_DIR BIN_DIR DOC_DIR
set -uo pipefail

SRC=$1 BIN=$2 DOC=$3
CTL=$BIN/ifedctl
unset IFED_SOCKET IFED_LEXICON_DIR
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, output in $out/$err.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  out=$(<"$TMP/out") err=$(<"$TMP/err")
  [[ $rc == "$want" ]] || fail "$what: exit $rc, want $want (stdout: $out; stderr: $err)"
}

contains() {  # contains HAYSTACK NEEDLE WHAT
  [[ $1 == *"$2"* ]] || fail "$3: '$2' not in: $1"
}

# --- normalize and extract without a node (exit 0 and 1) ---
expect 0 "normalize offline" -- "$CTL" normalize --type phone --region DE "030 1234567"
[[ $out == "+49301234567" ]] || fail "normalize offline printed '$out'"
[[ -z $err ]] || fail "normalize offline wrote to stderr: $err"
expect 0 "normalize offline --json" -- "$CTL" normalize --type url --json "HTTPS://Example.COM:443/a/../b?utm_source=x#frag"
contains "$out" '"canonical":"https://example.com/b"' "normalize --json"
contains "$out" '"canon_version":' "normalize --json"
expect 0 "normalize derived" -- "$CTL" normalize --type url "https://www.facebook.com/Some.Page/"
contains "$out" "handle facebook:" "derived handle"
expect 1 "normalize refused value" -- "$CTL" normalize --type phone --region DE "12"
contains "$out" "error: " "refused value"
expect 1 "normalize one good, one bad" -- "$CTL" normalize --type email "a@example.org" "not an address"
contains "$out" "a@example.org" "good value still printed"
printf '{"text":"call +49 151 23456789 now","url":"https://example.org/p/1"}\n' >"$TMP/posts.jsonl"
expect 0 "extract offline" -- "$CTL" extract "$TMP/posts.jsonl"
contains "$out" "+4915123456789" "extract offline"
IFED_SOCKET=$TMP/none.sock expect 0 "extract --json never asks a node" -- "$CTL" extract --json "$TMP/posts.jsonl"
contains "$out" '"canonical":"+4915123456789"' "extract --json"
contains "$out" '"canon_version":' "extract --json"
printf '{"text": broken\n' >"$TMP/bad.jsonl"
expect 1 "extract of a bad post" -- "$CTL" extract "$TMP/bad.jsonl"

# --- exit 2: usage ---
expect 2 "unknown verb" -- "$CTL" frobnicate
contains "$err" "unknown verb 'frobnicate'" "unknown verb"
expect 2 "no verb" -- "$CTL"
expect 2 "option without value" -- "$CTL" normalize --type
expect 2 "normalize without --type" -- "$CTL" normalize "030 1234567"
expect 2 "normalize without values" -- "$CTL" normalize --type phone
expect 2 "bad --type" -- "$CTL" normalize --type nosuch x
expect 2 "stats without a socket" -- "$CTL" stats
contains "$err" "no node socket" "stats without a socket"
expect 2 "help of an unknown verb" -- "$CTL" help nosuch
expect 2 "deconflict of a phone" -- "$CTL" --socket "$TMP/none.sock" deconflict --peer x --type phone 1

# --- exit 4: the socket does not answer ---
expect 4 "stats, no node at the socket" -- "$CTL" --socket "$TMP/none.sock" stats
contains "$err" "cannot reach the node at $TMP/none.sock" "unreachable"
expect 4 "health, no node at the socket" -- "$CTL" --socket "$TMP/none.sock" health
expect 2 "health with a bad --timeout" -- "$CTL" --socket "$TMP/none.sock" health --timeout x
: >"$TMP/plain-file"
expect 4 "normalize --socket, not a socket" -- "$CTL" --socket "$TMP/plain-file" normalize --type phone +4930123456
IFED_SOCKET=$TMP/none.sock expect 4 "normalize with IFED_SOCKET asks the node" -- \
  "$CTL" normalize --type phone +4930123456

# --- help: per verb, one source ---
expect 0 "help" -- "$CTL" help
for v in ingest normalize match deconflict extract peers; do
  contains "$out" "  $v" "verb list"
done
contains "$out" "4  unreachable" "exit codes in usage"
# The exit-code table of docs/cli.md is the one ifedctl prints.
codes=$(sed -n '/^exit codes:/,/^$/p' <<<"$out" | sed -n 's/^  \([0-9]\)  \(.*\)$/\1 \2/p')
[[ -n $codes ]] || fail "no exit codes in ifedctl help"
while read -r code name; do
  grep -q "^| $code | $name |" "$SRC/docs/cli.md" || fail "docs/cli.md lacks exit code $code $name"
done <<<"$codes"
expect 0 "help match" -- "$CTL" help match
help_match=$out
contains "$out" "ifedctl match (--peer ID..." "help match synopsis"
contains "$out" "--jurisdiction" "help match"
expect 0 "match --help" -- "$CTL" match --help
[[ $out == "$help_match" ]] || fail "match --help differs from help match"
expect 0 "help alerts (alias)" -- "$CTL" help alerts
contains "$out" "ifedctl watch add" "alias help"
expect 0 "help deconflict" -- "$CTL" help deconflict
contains "$out" "3  held" "deconflict's exit codes"
expect 0 "--help" -- "$CTL" --help
expect 0 "ifed-node --help" -- "$BIN/ifed-node" --help
contains "$out" "--restore BACKUP_DIR" "ifed-node --help"
expect 2 "ifed-node bad option" -- "$BIN/ifed-node" --bogus

# --- --version against the build ---
release=$(sed -n 's/^project(ifed VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
canon=$(sed -n 's/.*kCanonicalVersion = \([0-9]*\);.*/\1/p' "$SRC/node/normalize/normalizer.h")
wire=$(sed -n 's/.*kWireProtocolVersion = \([0-9]*\);.*/\1/p' "$SRC/node/common/version.h")
if head=$(git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null); then :; else head=unknown; fi
[[ -n $release && -n $canon && -n $wire ]] || fail "cannot read the versions from the source"
for b in ifedctl ifed-node ifed-bench; do
  [[ -x $BIN/$b ]] || { fail "$b not built"; continue; }
  expect 0 "$b --version" -- "$BIN/$b" --version
  mapfile -t lines <<<"$out"
  [[ ${lines[0]} == "$b $release" ]] || fail "$b --version release line: ${lines[0]}"
  [[ ${lines[1]} == "commit $head" || ${lines[1]} == "commit $head-dirty" ]] ||
    fail "$b --version commit line: ${lines[1]} (HEAD $head)"
  [[ ${lines[2]} == "canonical version $canon" ]] || fail "$b --version: ${lines[2]}"
  [[ ${lines[3]} == "wire protocol $wire" ]] || fail "$b --version: ${lines[3]}"
done
# A release tarball (no .git) builds with commit "unknown".
mkdir -p "$TMP/tarball/node/common"
cp "$SRC/node/common/build_info.h.in" "$TMP/tarball/node/common/"
cmake -DSOURCE_DIR="$TMP/tarball" -DIFED_RELEASE="$release" -DOUTPUT="$TMP/tarball/build_info.h" \
  -P "$SRC/node/common/build_info.cmake" >/dev/null 2>&1 || fail "build_info.cmake on a tarball"
grep -q 'kCommit\[\] = "unknown"' "$TMP/tarball/build_info.h" 2>/dev/null ||
  fail "a tarball without .git should say commit unknown"
expect 0 "--version after a verb" -- "$CTL" normalize --version
contains "$out" "canonical version $canon" "--version after a verb"

# --- bash completion ---
complete_words() {  # complete_words WORD...: COMPREPLY for the last word, one per line
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _ifedctl
    printf "%s\n" "${COMPREPLY[@]}"' _ "$DOC/ifedctl.bash" "$@" 2>"$TMP/cerr"
  [[ ! -s $TMP/cerr ]] || fail "completion of '$*' wrote to stderr: $(<"$TMP/cerr")"
}
[[ $(complete_words ifedctl nor) == normalize ]] || fail "complete verb: $(complete_words ifedctl nor)"
c=$(complete_words ifedctl "")
contains "$c" deconflict "all verbs"
contains "$c" alerts "all verbs"
[[ $(complete_words ifedctl match --pe) == --peer ]] || fail "complete option: $(complete_words ifedctl match --pe)"
[[ $(complete_words ifedctl --socket /x match --hu) == --hub ]] || fail "option after --socket VALUE"
[[ $(complete_words ifedctl normalize --type ph) == phone ]] || fail "complete --type value"
[[ $(complete_words ifedctl --vers) == --version ]] || fail "complete global option"
c=$(complete_words ifedctl policy "")
[[ $c == $'check\nexplain\ndiff\nreload' ]] || fail "complete sub-commands: $c"
[[ $(complete_words ifedctl help dec) == deconflict ]] || fail "complete help VERB"
mkdir -p "$TMP/files" && : >"$TMP/files/cases.csv" && : >"$TMP/files/other.txt"
[[ $(complete_words ifedctl ingest "$TMP/files/ca") == "$TMP/files/cases.csv" ]] ||
  fail "complete a file argument: $(complete_words ifedctl ingest "$TMP/files/ca")"
[[ $(complete_words ifedctl ingest --report "$TMP/files/ot") == "$TMP/files/other.txt" ]] ||
  fail "complete a file option"
# Peer ids come from the node: without one, nothing, silently (and fast).
PATH=$BIN:$PATH
[[ -z $(complete_words ifedctl match --peer "") ]] || fail "peer ids without a node"
[[ -z $(complete_words ifedctl --socket "$TMP/none.sock" match --peer "") ]] || fail "peer ids, dead socket"

# --- manual pages: rendered without a warning ---
for page in "$DOC/ifedctl.1" "$DOC/ifed-node.8"; do
  [[ -s $page ]] || { fail "$page missing"; continue; }
  warnings=$(groff -ww -man -Tutf8 -z "$page" 2>&1)
  [[ -z $warnings ]] || fail "groff warnings in $page: $warnings"
  rendered=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -P cat -l "$page" 2>"$TMP/manerr")
  [[ ! -s $TMP/manerr ]] || fail "man -l warnings in $page: $(<"$TMP/manerr")"
  contains "$rendered" "EXIT STATUS" "$page" 
done
rendered=$(MANWIDTH=80 man -P cat -l "$DOC/ifedctl.1" 2>/dev/null)
contains "$rendered" "unreachable" "ifedctl(1) exit codes"
contains "$rendered" "deconflict" "ifedctl(1) verbs"
rendered=$(MANWIDTH=80 man -P cat -l "$DOC/ifed-node.8" 2>/dev/null)
contains "$rendered" "--check-config" "ifed-node(8) options"

if ((failures)); then
  echo "cli_it: $failures failure(s)" >&2
  exit 1
fi
echo "cli_it: ok"
