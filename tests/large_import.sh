#!/usr/bin/env bash
# large_import.sh: imports a large synthetic CSV into one fresh node and
# reports the import rate and the peak memory of the node and of ifedctl
#. A load run, not part of tests/run.sh.
#
#   tests/large_import.sh [--rows N] [--dir D]
#
# Uses build/bin (run ./tests/run.sh or deploy/build.sh first). Everything
# lives in D (default: a temporary directory, removed at the end); the node
# listens on 127.0.0.1 only and is stopped at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PROG=tests/large_import.sh
BIN=${IFED_BIN_DIR:-$ROOT/build/bin}
rows=5000000
dir=""
keep_dir=0

die() { echo "$PROG: error: $*" >&2; exit 1; }
while (($#)); do
  case $1 in
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --rows) (($# >= 2)) || die "--rows needs a value"; rows=$2; shift 2 ;;
    --dir) (($# >= 2)) || die "--dir needs a value"; dir=$2; keep_dir=1; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ $rows =~ ^[1-9][0-9]*$ ]] || die "--rows: not a positive integer: $rows"
for b in ifed-node ifedctl ifed-synth; do
  [[ -x $BIN/$b ]] || die "$BIN/$b not found: build first (deploy/build.sh)"
done
[[ -n $dir ]] || dir=$(mktemp -d /tmp/ifed-large-import.XXXXXX)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)

node_pid=""
cleanup() {
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  ((keep_dir)) || rm -rf "$dir"
}
trap cleanup EXIT

pki=$dir/pki
"$ROOT/certs/make-certs.sh" ca "$pki" load.ifed.test --name "ifed load CA" >/dev/null
"$ROOT/certs/make-certs.sh" node "$pki" load.ifed.test de >/dev/null
(umask 077 && printf '1 %s\n' "$(openssl rand -hex 32)" >"$dir/federation.key" &&
  openssl rand -hex 32 >"$dir/local.key")
mkdir -p "$dir/data" "$dir/policy"
port=$((20000 + RANDOM % 12000))
cat >"$dir/node.yaml" <<EOF
node_id: de
federation: load.ifed.test
jurisdiction: DE
listen: "127.0.0.1:$port"
admin_socket: "$dir/de.sock"
tls: {ca_cert: "$pki/ca.pem", cert: "$pki/de.pem", key: "$pki/de.key"}
data_dir: "$dir/data"
federation_key_file: "$dir/federation.key"
local_key_file: "$dir/local.key"
policy_dir: "$dir/policy"
log_file: "$dir/node.log"
EOF

echo "== generating $rows rows"
"$BIN/ifed-synth" --out "$dir/csv" --nodes de:DE --count "$rows" --pair-overlap 0 \
  --all-overlap 0 >/dev/null
ls -l "$dir/csv/de.csv" | awk '{printf "  %s bytes\n", $5}'

"$BIN/ifed-node" --config "$dir/node.yaml" </dev/null >"$dir/stderr.log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do
  "$BIN/ifedctl" --socket "$dir/de.sock" stats >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$dir/stderr.log" >&2; die "node exited"; }
  sleep 0.2
done

# The node's peak RSS (VmHWM) while the import runs.
peak_file=$dir/peak
(
  peak=0
  while kill -0 "$node_pid" 2>/dev/null; do
    kb=$(awk '/^VmHWM/ {print $2}' "/proc/$node_pid/status" 2>/dev/null || echo 0)
    ((kb > peak)) && peak=$kb && echo "$peak" >"$peak_file"
    sleep 1
  done
) &
sampler=$!

echo "== ingest"
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$dir/ctl.rss" \
  "$BIN/ifedctl" --socket "$dir/de.sock" ingest --skip-invalid "$dir/csv/de.csv" \
  >"$dir/ingest.out" 2>"$dir/ingest.err" || true
end=$(date +%s.%N)
grep -E '^(rows|stored|refused|elapsed)' "$dir/ingest.out" | sed 's/^/  /'
node_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$node_pid/status")
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
[[ -s $peak_file ]] && (($(cat "$peak_file") > node_kb)) && node_kb=$(cat "$peak_file")
"$BIN/ifedctl" --socket "$dir/de.sock" stats | grep -E '^records' | sed 's/^/  /'
awk -v r="$rows" -v s="$start" -v e="$end" -v n="$node_kb" -v c="$(cat "$dir/ctl.rss")" \
  'BEGIN { printf "rows %d  seconds %.1f  rows/s %.0f  node peak RSS %.0f MiB  ifedctl peak RSS %.1f MiB  load %s\n",
           r, e - s, r / (e - s), n / 1024, c / 1024, "'"$(cut -d' ' -f1-3 /proc/loadavg)"'" }'
# Sizing (docs/operations.md): the node's CPU time so far, its RSS now, and
# the data directory on disk (RocksDB files, audit log included).
cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$node_pid/stat")
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$node_pid/status")
disk_kb=$(du -sk "$dir/data" | cut -f1)
awk -v r="$rows" -v c="$cpu_s" -v m="$rss_kb" -v d="$disk_kb" \
  'BEGIN { printf "sizing: node CPU %.1f s (%.1f us/row)  node RSS now %.0f MiB  data dir %.0f MiB (%.0f bytes/row)\n",
           c, c * 1e6 / r, m / 1024, d / 1024, d * 1024 / r }'

# A restart: the node rebuilds its in-memory keyed index from the store at
# open, so the time to ready and the RSS right after it are the start-up
# cost and the resting memory of a node holding these records.
echo "== restart"
kill "$node_pid"
wait "$node_pid" 2>/dev/null || true
start=$(date +%s.%N)
"$BIN/ifed-node" --config "$dir/node.yaml" </dev/null >>"$dir/stderr.log" 2>&1 &
node_pid=$!
ready=0
for _ in $(seq 6000); do
  if "$BIN/ifedctl" --socket "$dir/de.sock" stats >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$node_pid" 2>/dev/null || { cat "$dir/stderr.log" >&2; die "node exited on restart"; }
  sleep 0.2
done
((ready)) || die "node not ready 20 min after restart"
end=$(date +%s.%N)
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$node_pid/status")
cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$node_pid/stat")
awk -v s="$start" -v e="$end" -v m="$rss_kb" -v c="$cpu_s" -v r="$rows" \
  'BEGIN { printf "restart: ready after %.1f s (node CPU %.1f s)  node RSS %.0f MiB (%.0f bytes/row)  load %s\n",
           e - s, c, m / 1024, m * 1024 / r, "'"$(cut -d' ' -f1-3 /proc/loadavg)"'" }'
