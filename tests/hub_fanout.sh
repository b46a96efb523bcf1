#!/usr/bin/env bash
# hub_fanout.sh: measures (not part of CI) the hub's fan-out and the watch
# delivery latency with real ifed-node processes on 127.0.0.1.
#
#   tests/hub_fanout.sh [N...]        (default: 3 27)
#
# For each N: a hub, a querier "q" and N members m1..mN, each member holding
# 100 phone numbers of which 10 are in the query. "q" sends a 100-item
# query through the hub (`ifedctl match --peer hub --file`) QUERIES times
# (env IFED_FANOUT_QUERIES, default 50) after 5 warm-up queries, and the
# script prints p50/p99 of the end-to-end time of the ifedctl call, and of
# a bare `ifedctl stats` call (the CLI's own start-up cost, to subtract).
# Then (first N only) q watches WATCHES values (env IFED_FANOUT_WATCHES,
# default 20) at m1, m1 ingests them one by one, and the script prints the
# watch delivery latency: from the ingest's commit (outbox entry written)
# to the querier's acknowledgement, as m1 audits it (watch.notify
# queued_ms), and from the ingest call's start to the event being visible
# at q (polled every 20 ms). The same again through the hub (`watch add
# --peer hub`, relayed to all N members; m1's notification passes the hub's
# outbox): m1 -> hub and hub -> q commit-to-acknowledged (each side's
# watch.notify queued_ms) and ingest call -> visible at q.
#
# Environment: IFED_BUILD_DIR (default build). Uses ports 20000-31999.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build_dir=${IFED_BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir=$ROOT/$build_dir
BIN=$build_dir/bin
QUERIES=${IFED_FANOUT_QUERIES:-50}
WATCHES=${IFED_FANOUT_WATCHES:-20}
COUNTS=("$@")
((${#COUNTS[@]})) || COUNTS=(3 27)
TD=ifed-fanout.eu
for b in ifed-node ifedctl; do [[ -x $BIN/$b ]] || { echo "build first: $BIN/$b" >&2; exit 1; }; done

WORK=$(mktemp -d /tmp/ifed-fanout.XXXXXX)
PIDS=()
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

declare -A USED=()
pick_port() {
  local p
  while :; do
    p=$(((RANDOM << 15 | RANDOM) % 12000 + 20000))
    [[ -z ${USED[$p]:-} ]] || continue
    ss -Htln "sport = :$p" | grep -q . && continue
    USED[$p]=1
    echo "$p"
    return
  done
}

now_ns() { date +%s%N; }
# percentile P < sorted numbers on stdin
pct() { awk -v p="$1" '{a[NR] = $1} END {i = int((NR - 1) * p / 100 + 0.5) + 1; if (i > NR) i = NR; print a[i]}'; }

"$ROOT/certs/make-certs.sh" ca "$WORK/pki" "$TD" >/dev/null
(umask 077 && echo "1 $(openssl rand -hex 32)" >"$WORK/federation.key")

rule() {  # rule PARTNER [DISCLOSURE [EXTRA]]
  printf '  - partner: %s\n    types: [phone]\n    purposes: [migrant_smuggling]\n    max_tlp: amber\n    disclosure: %s\n    quota: {items_per_second: 1000000, burst: 1000000, items_per_day: 100000000}\n    legal_basis: "measurement"\n%s' "$1" "${2:-hit_only}" "${3:-}"
}

# node ID ROLE PEERS...  (writes config, certificate, keys; PEERS as id=port)
node() {
  local id=$1 role=$2
  shift 2
  local d=$WORK/n/$id
  mkdir -p "$d/policy"
  [[ -f $WORK/pki/$id.pem ]] || "$ROOT/certs/make-certs.sh" node "$WORK/pki" "$TD" "$id" >/dev/null
  (umask 077 && openssl rand -hex 32 >"$d/local.key")
  {
    echo "node_id: $id"
    echo "federation: $TD"
    echo "jurisdiction: EU"
    echo "role: $role"
    echo "listen: 127.0.0.1:${PORT[$id]}"
    echo "admin_socket: $d/admin.sock"
    echo "tls: {ca_cert: $WORK/pki/ca.pem, cert: $WORK/pki/$id.pem, key: $WORK/pki/$id.key}"
    echo "data_dir: $d/data"
    [[ $role == hub ]] || echo "federation_key_file: $WORK/federation.key"  # a hub holds none
    echo "local_key_file: $d/local.key"
    echo "policy_dir: $d/policy"
    echo "log_file: $d/node.log"
    echo "log_level: warn"
    echo "peer_timeout_ms: 5000"
    echo "peers:"
    local p
    for p in "$@"; do echo "  - {id: $p, address: 127.0.0.1:${PORT[$p]}}"; done
  } >"$d/node.yaml"
}

start() {
  local id=$1 d=$WORK/n/$1
  "$BIN/ifed-node" --config "$d/node.yaml" >"$d/stderr.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$id]=$!
}
# A process's CPU time (user + system) in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ready() {
  local id=$1 i
  for ((i = 0; i < 300; i++)); do
    "$BIN/ifedctl" --socket "$WORK/n/$id/admin.sock" stats >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $id did not start: $(tail -n 5 "$WORK/n/$id/stderr.log")" >&2
  exit 1
}
ctl() { local id=$1; shift; "$BIN/ifedctl" --socket "$WORK/n/$id/admin.sock" "$@"; }

first=1
# watch_loop PEER PREFIX CASE: WATCHES times, q watches a fresh number at
# PEER, m1 ingests it, and the ingest call -> event visible at q time (us)
# goes to $WORK/e2e.txt.
watch_loop() {
  local peer=$1 prefix=$2 case=$3 i v before t0 t1
  : >"$WORK/e2e.txt"
  for ((i = 0; i < WATCHES; i++)); do
    v=$(printf '+49%s000%04d' "$prefix" "$i")
    ctl q watch add --peer "$peer" --type phone "$v" >/dev/null
    before=$(ctl q watch events | wc -l)
    printf 'type,value,case_ref,tlp,crime_area,region\nphone,%s,%s-%d,green,migrant_smuggling,DE\n' \
      "$v" "$case" "$i" >"$WORK/w.csv"
    t0=$(now_ns)
    ctl m1 ingest --no-progress "$WORK/w.csv" >/dev/null
    until (($(ctl q watch events | wc -l) > before)); do sleep 0.02; done
    t1=$(now_ns)
    echo $(((t1 - t0) / 1000)) >>"$WORK/e2e.txt"
  done
}

for N in "${COUNTS[@]}"; do
  rm -rf "$WORK/n"
  declare -A PORT=()
  declare -A PID_OF=()
  members=()
  for ((k = 1; k <= N; k++)); do members+=("m$k"); done
  for id in hub q "${members[@]}"; do PORT[$id]=$(pick_port); done
  node hub hub q "${members[@]}"
  { echo "partners:"; rule q hit_only "    watches: {allowed: true, max_active: 100000}
"; for id in "${members[@]}"; do rule "$id"; done; } >"$WORK/n/hub/policy/p.yaml"
  node q member hub m1
  { echo "partners:"; rule hub; rule m1; } >"$WORK/n/q/policy/p.yaml"
  for id in "${members[@]}"; do
    if [[ $id == m1 ]]; then
      node "$id" member hub q
      { echo "partners:"; rule hub hit_only "    watches: {allowed: true, max_active: 100000}
"; rule q hit_with_reference "    watches: {allowed: true, max_active: 100000}
"; } >"$WORK/n/$id/policy/p.yaml"
    else
      node "$id" member hub
      { echo "partners:"; rule hub hit_only "    watches: {allowed: true, max_active: 100000}
"; } >"$WORK/n/$id/policy/p.yaml"
    fi
  done
  # Data: the query is +4917100000000..99; member k holds 10 of them and 90 others.
  { echo "type,value,region"; for ((i = 0; i < 100; i++)); do printf 'phone,+491710000%04d,DE\n' "$i"; done; } >"$WORK/query.csv"
  for id in hub q "${members[@]}"; do start "$id"; done
  for id in hub q "${members[@]}"; do ready "$id"; done
  k=0
  for id in "${members[@]}"; do
    f=$WORK/n/$id/data.csv
    {
      echo "type,value,case_ref,tlp,crime_area,region"
      for ((i = 0; i < 10; i++)); do printf 'phone,+491710000%04d,C-%s,green,migrant_smuggling,DE\n' $(((k * 10 + i) % 100)) "$id"; done
      for ((i = 0; i < 90; i++)); do printf 'phone,+49172%03d%04d,C-%s,green,migrant_smuggling,DE\n' "$k" "$i" "$id"; done
    } >"$f"
    ctl "$id" ingest --no-progress "$f" >/dev/null
    k=$((k + 1))
  done
  for ((i = 0; i < 5; i++)); do ctl q match --peer hub --file "$WORK/query.csv" >/dev/null 2>&1 || true; done
  : >"$WORK/lat.txt"
  : >"$WORK/base.txt"
  hub_cpu0=$(cpu_ticks "${PID_OF[hub]}")
  m1_cpu0=$(cpu_ticks "${PID_OF[m1]}")
  for ((i = 0; i < QUERIES; i++)); do
    t0=$(now_ns)
    ctl q match --peer hub --file "$WORK/query.csv" >"$WORK/out.tsv" 2>"$WORK/err.txt" || true
    t1=$(now_ns)
    echo $(((t1 - t0) / 1000)) >>"$WORK/lat.txt"
    t0=$(now_ns)
    ctl q stats >/dev/null
    t1=$(now_ns)
    echo $(((t1 - t0) / 1000)) >>"$WORK/base.txt"
  done
  answered=$(cut -f4 "$WORK/out.tsv" | sort -u | grep -c '^hub/' || true)
  hits=$(awk -F'\t' '$5 == "HIT"' "$WORK/out.tsv" | wc -l)
  sort -n "$WORK/lat.txt" >"$WORK/lat.s"
  sort -n "$WORK/base.txt" >"$WORK/base.s"
  printf 'fan-out to %d members (%d answered, %d hit rows), 100 items, %d queries: p50 %.1f ms  p99 %.1f ms  (bare ifedctl call: p50 %.1f ms, p99 %.1f ms)\n' \
    "$N" "$answered" "$hits" "$QUERIES" \
    "$(pct 50 <"$WORK/lat.s" | awk '{print $1 / 1000}')" "$(pct 99 <"$WORK/lat.s" | awk '{print $1 / 1000}')" \
    "$(pct 50 <"$WORK/base.s" | awk '{print $1 / 1000}')" "$(pct 99 <"$WORK/base.s" | awk '{print $1 / 1000}')"
  [[ -s $WORK/err.txt ]] && sed 's/^/  stderr: /' "$WORK/err.txt" | head -n 5
  # Sizing: the hub's and one member's CPU per relayed query, and their memory.
  hz=$(getconf CLK_TCK)
  awk -v h0="$hub_cpu0" -v h1="$(cpu_ticks "${PID_OF[hub]}")" -v m0="$m1_cpu0" \
    -v m1="$(cpu_ticks "${PID_OF[m1]}")" -v q="$QUERIES" -v hz="$hz" \
    -v hr="$(awk '/^VmHWM/ {print $2}' "/proc/${PID_OF[hub]}/status")" \
    -v mr="$(awk '/^VmHWM/ {print $2}' "/proc/${PID_OF[m1]}/status")" \
    'BEGIN { printf "sizing: hub CPU %.1f ms per relayed query, peak RSS %.0f MiB; one member CPU %.1f ms per query, peak RSS %.0f MiB; load %s\n",
             (h1 - h0) * 1000 / hz / q, hr / 1024, (m1 - m0) * 1000 / hz / q, mr / 1024, "'"$(cut -d' ' -f1-3 /proc/loadavg)"'" }'

  if ((first)); then
    first=0
    watch_loop m1 173 W
    ctl m1 audit query --action watch.notify 2>/dev/null | grep -o '"queued_ms":[0-9]*' | cut -d: -f2 | sort -n >"$WORK/q.s"
    sort -n "$WORK/e2e.txt" >"$WORK/e2e.s"
    printf 'watch delivery, %d notifications: commit -> acknowledged p50 %s ms  p99 %s ms; ingest call -> visible at querier (polled 20 ms, incl. CLI) p50 %.1f ms  p99 %.1f ms\n' \
      "$(wc -l <"$WORK/q.s")" "$(pct 50 <"$WORK/q.s")" "$(pct 99 <"$WORK/q.s")" \
      "$(pct 50 <"$WORK/e2e.s" | awk '{print $1 / 1000}')" "$(pct 99 <"$WORK/e2e.s" | awk '{print $1 / 1000}')"

    # Through the hub: q's watch is relayed to every member; m1 notifies the hub.
    watch_loop hub 174 H
    ctl m1 audit query --action watch.notify 2>/dev/null | grep '"peer":"hub"' | grep -o '"queued_ms":[0-9]*' | cut -d: -f2 | sort -n >"$WORK/m.s"
    ctl hub audit query --action watch.notify 2>/dev/null | grep -o '"queued_ms":[0-9]*' | cut -d: -f2 | sort -n >"$WORK/h.s"
    sort -n "$WORK/e2e.txt" >"$WORK/e2e.s"
    printf 'watch delivery through the hub (%d members), %d notifications: m1 -> hub p50 %s ms  p99 %s ms; hub -> q p50 %s ms  p99 %s ms; ingest call -> visible at querier p50 %.1f ms  p99 %.1f ms\n' \
      "$N" "$(wc -l <"$WORK/h.s")" "$(pct 50 <"$WORK/m.s")" "$(pct 99 <"$WORK/m.s")" \
      "$(pct 50 <"$WORK/h.s")" "$(pct 99 <"$WORK/h.s")" \
      "$(pct 50 <"$WORK/e2e.s" | awk '{print $1 / 1000}')" "$(pct 99 <"$WORK/e2e.s" | awk '{print $1 / 1000}')"
  fi
  stop_all
done
