#!/usr/bin/env bash
# rotation_load.sh: a federation key rotation at run time under match load
#. Two nodes on 127.0.0.1: de holds N records (default 1000000);
# at asks de about 1000 of them per call, in a loop. The script measures at's
# match throughput before and during de's rotation to a new epoch (every
# record re-pseudonymised from its sealed value), the rotation's duration,
# and checks that no query lost a hit meanwhile. A load run, not part of
# tests/run.sh.
#
#   tests/rotation_load.sh [--records N] [--dir D]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PROG=tests/rotation_load.sh
BIN=${IFED_BIN_DIR:-$ROOT/build/bin}
records=1000000
dir=""
keep_dir=0
die() { echo "$PROG: error: $*" >&2; exit 1; }
while (($#)); do
  case $1 in
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --records) (($# >= 2)) || die "--records needs a value"; records=$2; shift 2 ;;
    --dir) (($# >= 2)) || die "--dir needs a value"; dir=$2; keep_dir=1; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ $records =~ ^[1-9][0-9]*$ ]] && ((records >= 1000 && records <= 9000000)) ||
  die "--records: between 1000 and 9000000"
for b in ifed-node ifedctl; do
  [[ -x $BIN/$b ]] || die "$BIN/$b not found: build first (deploy/build.sh)"
done
[[ -n $dir ]] || dir=$(mktemp -d /tmp/ifed-rotation.XXXXXX)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ((keep_dir)) || rm -rf "$dir"
}
trap cleanup EXIT

pki=$dir/pki
"$ROOT/certs/make-certs.sh" ca "$pki" rot.ifed.test --name "ifed rotation CA" >/dev/null
(umask 077 && printf '1 %s\n' "$(openssl rand -hex 32)" >"$dir/federation.key")
declare -A port=([de]=$((20000 + RANDOM % 6000)) [at]=$((26000 + RANDOM % 6000)))
for id in de at; do
  peer=$([[ $id == de ]] && echo at || echo de)
  "$ROOT/certs/make-certs.sh" node "$pki" rot.ifed.test "$id" >/dev/null
  mkdir -p "$dir/$id/data" "$dir/$id/policy"
  (umask 077 && openssl rand -hex 32 >"$dir/$id/local.key")
  cat >"$dir/$id/node.yaml" <<EOF
node_id: $id
federation: rot.ifed.test
jurisdiction: ${id^^}
listen: "127.0.0.1:${port[$id]}"
admin_socket: "$dir/$id.sock"
tls: {ca_cert: "$pki/ca.pem", cert: "$pki/$id.pem", key: "$pki/$id.key"}
data_dir: "$dir/$id/data"
federation_key_file: "$dir/federation.key"
local_key_file: "$dir/$id/local.key"
policy_dir: "$dir/$id/policy"
log_file: "$dir/$id/node.log"
peers: [{id: $peer, address: "127.0.0.1:${port[$peer]}"}]
EOF
  cat >"$dir/$id/policy/$peer.yaml" <<EOF
partners:
  - partner: $peer
    types: [phone]
    disclosure: hit_only
    max_tlp: amber
    purposes: [migrant_smuggling]
    legal_basis: "load test, synthetic data"
EOF
  "$BIN/ifed-node" --config "$dir/$id/node.yaml" </dev/null >"$dir/$id/stderr.log" 2>&1 &
  pids+=($!)
done
ctl() { local id=$1; shift; "$BIN/ifedctl" --socket "$dir/$id.sock" "$@"; }
for id in de at; do
  for _ in $(seq 100); do ctl "$id" stats >/dev/null 2>&1 && break; sleep 0.2; done
  ctl "$id" stats >/dev/null || die "node $id did not start (see $dir/$id/stderr.log)"
done

echo "== $records records into de"
awk -v n="$records" 'BEGIN { print "type,value,case_ref,tlp";
  for (i = 0; i < n; i++) printf "phone,+43 664 %07d,ROT-%d,green\n", 1000000 + i, i % 100 }' \
  >"$dir/records.csv"
ctl de ingest --no-progress "$dir/records.csv" | grep -E '^(stored|elapsed)' | sed 's/^/  /'
# Ten query files of 1000 held numbers each, spread over the store.
for k in $(seq 0 9); do
  awk -v n="$records" -v k="$k" 'BEGIN { print "type,value";
    for (i = 0; i < 1000; i++) printf "phone,+43 664 %07d\n", 1000000 + (i * 7919 + k * 131) % n }' \
    >"$dir/q$k.csv"
done

# load LABEL SECONDS|FILE: at asks de in a loop; one line per call:
# "<ms since epoch> <hits> <ms taken>".
load() {
  local out=$1 until_file=$2 k=0
  : >"$out"
  while [[ ! -e $until_file ]]; do
    local t0 t1 hits
    t0=$(date +%s%3N)
    hits=$(ctl at match --peer de --file "$dir/q$((k % 10)).csv" 2>/dev/null | grep -c $'\tHIT\t' || true)
    t1=$(date +%s%3N)
    echo "$t1 $hits $((t1 - t0))" >>"$out"
    k=$((k + 1))
  done
}
rate() {  # items/s and calls with fewer than 1000 hits, over a load file.
  awk 'NR == 1 { first = $1 - $3 } { items += 1000; if ($2 != 1000) bad++; last = $1 }
       END { printf "%d calls, %.0f items/s, %d calls with a lost hit", NR, items / ((last - first) / 1000), bad }' "$1"
}

echo "== baseline: at asks de, 1000 items per call, 15 s"
load "$dir/base.load" "$dir/base.stop" &
lp=$!
sleep 15
touch "$dir/base.stop"
wait "$lp"
echo "  $(rate "$dir/base.load")"

echo "== rotation of de to epoch 2 while at keeps asking (under epoch 1)"
printf '2 %s\n' "$(openssl rand -hex 32)" | cat "$dir/federation.key" - >"$dir/federation-2.key"
chmod 600 "$dir/federation-2.key"
load "$dir/rot.load" "$dir/rot.stop" &
lp=$!
sleep 2
start=$(date +%s%3N)
ctl de keys rotate --epoch 2 --key-file "$dir/federation-2.key" --wait 2>/dev/null | sed 's/^/  /'
end=$(date +%s%3N)
touch "$dir/rot.stop"
wait "$lp"
echo "  rotation wall time $(((end - start) / 1000)).$(((end - start) % 1000 / 100)) s for $records records"
echo "  during the rotation: $(rate "$dir/rot.load")"
echo "  load average $(cut -d' ' -f1-3 /proc/loadavg)"
