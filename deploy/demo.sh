#!/usr/bin/env bash
# demo.sh: a local three-node federation (DE, AT, HU) and a hub (EU) on
# 127.0.0.1 that finds the indicators its members share, over mutually
# authenticated gRPC.
#
#   deploy/demo.sh [--dir D] [--keep] [--count N] [--seed S]
#   deploy/demo.sh --stop [--dir D]
#
# Builds (deploy/build.sh), makes the scratch folder D (default ./.demo at the
# repository root) with certificates, keys, configs, policies and data dirs,
# starts the nodes on free loopback ports, ingests synthetic indicators
# (ifed-synth) with planted overlaps, matches every node's indicators against
# all peers, prints the hits and checks them against the planted overlaps.
# Then a query through the hub, the hub's cross-border report, a
# watch that fires on a later ingest, a wa.me link that hits a partner
# holding only the phone (derived forms) and a follow-up approved end to end.
# Exits non-zero when a planted overlap is missed or anything else hits.
#
# Environment: IFED_BUILD_DIR (default build) names the build directory;
# IFED_SKIP_BUILD=1 uses the binaries already there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PROG=deploy/demo.sh
TRUST_DOMAIN=ifed-demo.eu
MEMBER_IDS=(de at hu)
HUB_ID=eu           # role hub (Europol-style relay), policy from policy/hub/
NODE_IDS=("${MEMBER_IDS[@]}" "$HUB_ID")
declare -A JURISDICTION=([de]=DE [at]=AT [hu]=HU [eu]=EU)
role_of() { if [[ $1 == "$HUB_ID" ]]; then echo hub; else echo member; fi; }
STARTUP_TIMEOUT=${IFED_DEMO_STARTUP_TIMEOUT:-30}  # seconds until a node's admin API must answer
STOP_TIMEOUT=10     # seconds between SIGTERM and SIGKILL

usage() {
  cat <<EOF
usage: $PROG [--dir D] [--keep] [--count N] [--seed S]
       $PROG --stop [--dir D]

Runs a local federation of three nodes (de, at, hu) on 127.0.0.1, ingests
synthetic indicators with planted overlaps, prints the cross-border hits and
checks them against the planted overlaps (exit 1 on any difference).

  --dir D     scratch folder (default: $ROOT/.demo); wiped at start
  --keep      leave the nodes running afterwards and print how to query them
  --stop      stop nodes left running by --keep
  --count N   indicators per node (default 3000)
  --seed S    seed of the synthetic data (default 42)

Environment: IFED_BUILD_DIR (default build), IFED_SKIP_BUILD=1 to skip the build,
IFED_DEMO_STARTUP_TIMEOUT (seconds, default 30).
EOF
}

log() { printf '%s\n' "$*"; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------
# Arguments

dir=$ROOT/.demo
keep=0
stop=0
count=3000
seed=42
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --dir) (($# >= 2)) || die "--dir needs a value"; dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --stop) stop=1; shift ;;
    --count) (($# >= 2)) || die "--count needs a value"; count=$2; shift 2 ;;
    --seed) (($# >= 2)) || die "--seed needs a value"; seed=$2; shift 2 ;;
    *) echo "$PROG: error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $count =~ ^[1-9][0-9]*$ ]] || die "--count: not a positive integer: $count"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed: not a non-negative integer: $seed"
[[ -n $dir ]] || die "--dir: empty"
[[ $dir == /* ]] || dir=$PWD/$dir
dir=${dir%/}

build_dir=${IFED_BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir=$ROOT/$build_dir
BIN=$build_dir/bin
RUN=$dir/run

# ---------------------------------------------------------------------------
# Process control

# is_our_node PID: PID is alive and runs ifed-node.
is_our_node() {
  local pid=$1 cmdline
  kill -0 "$pid" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *ifed-node* || $cmdline == *ifed-console* ]]
}

# stop_pids PID...: SIGTERM, wait up to STOP_TIMEOUT s, then SIGKILL. The
# caller vouches that the PIDs are nodes (our children, or checked with
# is_our_node).
stop_pids() {
  local pid alive deadline
  local -a pids=()
  for pid in "$@"; do
    kill -0 "$pid" 2>/dev/null && pids+=("$pid")
  done
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive+=("$pid")
    done
    ((${#alive[@]})) || break
    if ((SECONDS >= deadline)); then
      log "nodes ${alive[*]} did not exit within ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  # Reap our own children so that no zombie outlives the script.
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}

# pids_from_files: the PIDs recorded in $RUN/*.pid.
pids_from_files() {
  local f
  for f in "$RUN"/*.pid; do
    [[ -e $f ]] || continue
    tr -dc '0-9' <"$f"
    echo
  done
}

stop_from_pid_files() {
  local -a pids=()
  local pid n=0
  while read -r pid; do
    [[ -n $pid ]] || continue
    if is_our_node "$pid"; then
      pids+=("$pid")
      n=$((n + 1))
    fi
  done < <(pids_from_files)
  stop_pids "${pids[@]}"
  rm -f "$RUN"/*.pid
  remove_sock_dir
  log "stopped $n node(s) in $dir"
}

# remove_sock_dir: the short socket folder made for a long --dir, if any.
remove_sock_dir() {
  local d
  [[ -f $RUN/sock_dir ]] || return 0
  d=$(<"$RUN/sock_dir")
  [[ $d == /tmp/ifed-demo.* && -d $d ]] && rm -rf -- "$d"
  rm -f "$RUN/sock_dir"
}

if ((stop)); then
  [[ -d $RUN ]] || { log "no nodes to stop in $dir"; exit 0; }
  stop_from_pid_files
  exit 0
fi

# Nodes started by this run, and whether to leave them running at exit.
STARTED=()
LEAVE_RUNNING=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((${#STARTED[@]})) && ((!LEAVE_RUNNING)); then
    log "stopping nodes"
    stop_pids "${STARTED[@]}"
    rm -f "$RUN"/*.pid
    remove_sock_dir
  elif ((${#STARTED[@]})) && ((rc != 0)); then
    echo "nodes left running for inspection (--keep); stop them with: $PROG --stop --dir $dir" >&2
  fi
  exit "$rc"
}
on_signal() {
  echo >&2
  echo "$PROG: interrupted ($1)" >&2
  LEAVE_RUNNING=0
  exit 130
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# ---------------------------------------------------------------------------
# Build

if [[ ${IFED_SKIP_BUILD:-0} != 1 ]]; then
  log "== build ($build_dir)"
  "$ROOT/deploy/build.sh"
fi
for b in ifed-node ifedctl ifed-synth ifed-console; do
  [[ -x $BIN/$b ]] || die "$BIN/$b not found: build first (deploy/build.sh) or set IFED_BUILD_DIR"
done

# ---------------------------------------------------------------------------
# Scratch folder

# A folder is only wiped when it is empty or was made by this script.
MARKER=.ifed-demo
if [[ -e $dir ]]; then
  [[ -d $dir ]] || die "$dir exists and is not a directory"
  if [[ -n $(ls -A "$dir") && ! -e $dir/$MARKER ]]; then
    die "$dir is not empty and was not made by $PROG; choose another --dir"
  fi
  while read -r pid; do
    [[ -n $pid ]] && is_our_node "$pid" \
      && die "nodes from an earlier --keep run in $dir are still running: $PROG --stop --dir $dir"
  done < <([[ -d $RUN ]] && pids_from_files)
  rm -rf "${dir:?}"
fi
mkdir -p "$dir" "$RUN"
touch "$dir/$MARKER"
log "== scratch folder $dir"

# Unix socket paths are limited to 107 bytes; fall back to a short folder.
SOCK_DIR=$RUN
if ((${#RUN} + 16 > 100)); then
  SOCK_DIR=$(mktemp -d /tmp/ifed-demo.XXXXXX)
  echo "$SOCK_DIR" >"$RUN/sock_dir"
  log "socket folder $SOCK_DIR (the scratch path is too long for unix sockets)"
fi

# ---------------------------------------------------------------------------
# Certificates and keys

log "== certificates (trust domain $TRUST_DOMAIN)"
PKI=$dir/pki
# One federation root; each node's agency has its own issuing CA under it,
# pinned to that node id (tls.issuers: one agency's CA cannot issue another
# agency's node). CRLs of the root and of every agency CA in one directory.
"$ROOT/certs/make-certs.sh" ca "$PKI" "$TRUST_DOMAIN" --name "ifed demo federation CA" >/dev/null
agency_of() { printf 'agency-%s' "$1"; }
cert_of() { printf '%s/%s/%s.pem' "$PKI" "$(agency_of "$1")" "$1"; }
key_of() { printf '%s/%s/%s.key' "$PKI" "$(agency_of "$1")" "$1"; }
mkdir -p "$PKI/crl-all"
"$ROOT/certs/make-certs.sh" crl "$PKI" >/dev/null
cp "$PKI/crl/ca.crl.pem" "$PKI/crl-all/root.crl.pem"
for id in "${NODE_IDS[@]}"; do
  "$ROOT/certs/make-certs.sh" agency "$PKI" "$TRUST_DOMAIN" "$(agency_of "$id")" \
    --ca-dir "$PKI" "$id" >/dev/null
  "$ROOT/certs/make-certs.sh" crl "$PKI/$(agency_of "$id")" >/dev/null
  cp "$PKI/$(agency_of "$id")/crl/ca.crl.pem" "$PKI/crl-all/$(agency_of "$id").crl.pem"
done

hex32() {
  local h
  h=$(openssl rand -hex 32)
  [[ $h =~ ^[0-9a-f]{64}$ ]] || die "openssl rand failed"
  printf '%s' "$h"
}

# The keyed-scheme federation key, one line per epoch: "<epoch> <64 hex>".
FED_KEY=$dir/federation.key
(umask 077 && printf '1 %s\n' "$(hex32)" >"$FED_KEY")
chmod 600 "$FED_KEY"

# ---------------------------------------------------------------------------
# Ports

declare -A USED_PORTS=()
listening_ports() {
  if command -v ss >/dev/null 2>&1; then
    ss -Htln | awk '{n = split($4, a, ":"); print a[n]}'
  fi
}
port_in_use() {
  local p=$1
  if command -v ss >/dev/null 2>&1; then
    listening_ports | grep -qx "$p"
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
  fi
}
pick_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$(((RANDOM << 15 | RANDOM) % 12000 + 20000))  # below the ephemeral range
    [[ -z ${USED_PORTS[$p]:-} ]] || continue
    port_in_use "$p" && continue
    USED_PORTS[$p]=1
    echo "$p"
    return 0
  done
  die "no free port found in 20000-31999"
}

declare -A PORT=() METRICS_PORT=() CONSOLE_PORT=()
for id in "${NODE_IDS[@]}"; do
  PORT[$id]=$(pick_port)
  USED_PORTS[${PORT[$id]}]=1
  METRICS_PORT[$id]=$(pick_port)  # Prometheus /metrics (plain HTTP, loopback).
  USED_PORTS[${METRICS_PORT[$id]}]=1
  CONSOLE_PORT[$id]=$(pick_port)  # the web console (HTTPS, loopback).
  USED_PORTS[${CONSOLE_PORT[$id]}]=1
done

# ---------------------------------------------------------------------------
# Per-node configuration

node_dir() { echo "$dir/nodes/$1"; }
config_of() { echo "$(node_dir "$1")/node.yaml"; }
socket_of() { echo "$SOCK_DIR/$1.sock"; }
log_of() { echo "$(node_dir "$1")/node.log"; }

# The AT-HU relationship uses the OPRF scheme (neither side can enumerate
# the other's holdings); the others use keyed pseudonyms.
scheme_of() {
  if [[ "$1-$2" == at-hu || "$1-$2" == hu-at ]]; then echo oprf
  elif [[ $2 == "$HUB_ID" ]]; then echo keyed_or_oprf  # the hub relays either scheme
  else echo keyed; fi
}

log "== configuration"
for id in "${NODE_IDS[@]}"; do
  nd=$(node_dir "$id")
  mkdir -p "$nd/data" "$nd/policy"
  (umask 077 && printf '%s\n' "$(hex32)" >"$nd/local.key")
  chmod 600 "$nd/local.key"
  (umask 077 && printf '%s\n' "$(hex32)" >"$nd/oprf.seed")
  chmod 600 "$nd/oprf.seed"
  {
    echo "# ifed demo node $id (written by $PROG)"
    echo "node_id: $id"
    echo "federation: $TRUST_DOMAIN"
    echo "jurisdiction: ${JURISDICTION[$id]}"
    echo "role: $(role_of "$id")"
    echo "listen: \"127.0.0.1:${PORT[$id]}\""
    echo "admin_socket: \"$(socket_of "$id")\""
    echo "tls:"
    echo "  ca_cert: \"$PKI/ca.pem\""
    echo "  cert: \"$(cert_of "$id")\""
    echo "  key: \"$(key_of "$id")\""
    echo "  crl_dir: \"$PKI/crl-all\""
    echo "  issuers:"
    for peer in "${NODE_IDS[@]}"; do
      echo "    - name: $(agency_of "$peer")"
      echo "      ca_file: \"$PKI/$(agency_of "$peer")/ca.pem\""
      echo "      nodes: [$peer]"
    done
    echo "data_dir: \"$nd/data\""
    # A hub holds no federation key: it relays pseudonyms it must not reverse.
    [[ $id != "$HUB_ID" ]] && echo "federation_key_file: \"$FED_KEY\""
    echo "local_key_file: \"$nd/local.key\""
    echo "oprf_seed_file: \"$nd/oprf.seed\""
    echo "peers:"
    for peer in "${NODE_IDS[@]}"; do
      [[ $peer == "$id" ]] && continue
      echo "  - id: $peer"
      echo "    address: \"127.0.0.1:${PORT[$peer]}\""
      echo "    jurisdiction: ${JURISDICTION[$peer]}"
      # Members know the hub: `match --hub`, `watch add --hub`, relayed calls.
      [[ $peer == "$HUB_ID" ]] && echo "    role: hub"
    done
    echo "policy_dir: \"$nd/policy\""
    echo "contact: \"ifed demo desk ${JURISDICTION[$id]}\""
    echo "unit: \"${JURISDICTION[$id]} demo unit\""
    echo "log_file: \"$(log_of "$id")\""
    echo "log_level: info"
    echo "metrics_listen: \"127.0.0.1:${METRICS_PORT[$id]}\""
    # The web console runs as this user: it may name the person it acts for.
    echo "console_uids: [$(id -u)]"
    # The hub withholds statistics cells below k = 2 (k-anonymity).
    [[ $id == "$HUB_ID" ]] && echo "hub_k_threshold: 2"
  } >"$(config_of "$id")"
  if [[ $id == "$HUB_ID" ]]; then  # the shipped hub policy (members, ceilings).
    cp "$ROOT"/policy/hub/*.yaml "$nd/policy/"
    continue
  fi
  for peer in "${NODE_IDS[@]}"; do
    [[ $peer == "$id" ]] && continue
    # Members may hold watches and file follow-ups with each other.
    extra=""
    [[ $peer != "$HUB_ID" ]] && extra=$'\n    watches: {allowed: true, max_active: 1000}\n    follow_ups: {allowed: true, max_per_day: 50}'
    # ... and the hub may relay watches (standing queries through the hub).
    [[ $peer == "$HUB_ID" ]] && extra=$'\n    watches: {allowed: true, max_active: 1000}'
    cat >"$nd/policy/$peer.yaml" <<EOF
# What node $peer may ask node $id (written by $PROG).
partners:
  - partner: $peer
    types: [phone, handle, url, email]
    disclosure: hit_with_reference
    max_tlp: amber
    purposes: [migrant_smuggling, takedown_deconfliction]
    scheme: $(scheme_of "$id" "$peer")
    quota: {items_per_second: 5000, burst: 20000, items_per_day: 1000000}
    legal_basis: "ifed demo: synthetic data only"$extra
EOF
  done
done

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# The federation's layout for scripts.
{
  printf '{\n'
  printf '  "trust_domain": %s,\n' "$(json_str "$TRUST_DOMAIN")"
  printf '  "ca_cert": %s,\n' "$(json_str "$PKI/ca.pem")"
  printf '  "ca_key": %s,\n' "$(json_str "$PKI/ca.key")"
  printf '  "nodes": [\n'
  n=0
  for id in "${NODE_IDS[@]}"; do
    n=$((n + 1))
    nd=$(node_dir "$id")
    printf '    {"id": %s, "jurisdiction": %s, "role": "%s",\n' \
      "$(json_str "$id")" "$(json_str "${JURISDICTION[$id]}")" "$(role_of "$id")"
    printf '     "peer_address": %s, "admin_socket": %s,\n' \
      "$(json_str "127.0.0.1:${PORT[$id]}")" "$(json_str "$(socket_of "$id")")"
    printf '     "metrics_address": %s,\n' "$(json_str "127.0.0.1:${METRICS_PORT[$id]}")"
    printf '     "config": %s,\n' "$(json_str "$(config_of "$id")")"
    printf '     "cert": %s, "key": %s,\n' "$(json_str "$(cert_of "$id")")" "$(json_str "$(key_of "$id")")"
    printf '     "data_dir": %s, "log": %s}' "$(json_str "$nd/data")" "$(json_str "$(log_of "$id")")"
    ((n < ${#NODE_IDS[@]})) && printf ','
    printf '\n'
  done
  printf '  ]\n}\n'
} >"$dir/federation.json"

# ---------------------------------------------------------------------------
# Start

show_log_tail() {
  local id=$1 f
  for f in "$(node_dir "$id")/stderr.log" "$(log_of "$id")"; do
    [[ -s $f ]] || continue
    echo "---- last lines of $f" >&2
    tail -n 20 "$f" >&2
  done
}

log "== starting nodes"
for id in "${NODE_IDS[@]}"; do
  # setsid: a node of --keep survives the terminal; Ctrl-C reaches the
  # script, whose trap stops the nodes.
  setsid "$BIN/ifed-node" --config "$(config_of "$id")" \
    </dev/null >"$(node_dir "$id")/stderr.log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  echo "$pid" >"$RUN/$id.pid"
  log "  $id  pid $pid  peer 127.0.0.1:${PORT[$id]}  admin $(socket_of "$id")"
done

for k in "${!NODE_IDS[@]}"; do
  id=${NODE_IDS[$k]}
  pid=${STARTED[$k]}
  deadline=$((SECONDS + STARTUP_TIMEOUT))
  until timeout 10 "$BIN/ifedctl" --socket "$(socket_of "$id")" stats >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail "$id"
      die "node $id exited during startup"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$id"
      die "node $id did not answer on $(socket_of "$id") within ${STARTUP_TIMEOUT}s"
    fi
    sleep 0.2
  done
done
log "  all nodes answer"

# Web consoles (ifed-console), one per node: an agency web CA each (not the
# federation CA), the console's certificate, demo staff with one password.
DEMO_PASSWORD=ifed-demo
DEMO_STAFF=("ana:Ana Analyst:analyst" "appr:Paul Approver:approver" "adm:Ada Admin:admin"
            "dpo:Dora DPO:dpo" "hubop:Hugo Hub:hub_operator")
console_dir() { echo "$dir/consoles/$1"; }
log "== starting web consoles"
demo_hash=$(printf '%s\n' "$DEMO_PASSWORD" | "$BIN/ifed-console" hash-password --log2-n 14)
for id in "${NODE_IDS[@]}"; do
  cd_=$(console_dir "$id")
  mkdir -p "$cd_"
  "$ROOT/certs/make-certs.sh" ca "$cd_/ca" "$id.local" --name "${JURISDICTION[$id]} staff CA" >/dev/null
  "$ROOT/certs/make-certs.sh" web "$cd_" console --ca-dir "$cd_/ca" >/dev/null
  {
    echo "# demo staff of the $id console (written by $PROG); password: $DEMO_PASSWORD"
    echo "staff:"
    for entry in "${DEMO_STAFF[@]}"; do
      IFS=: read -r sid sname srole <<<"$entry"
      [[ $srole == hub_operator && $id != "$HUB_ID" ]] && continue
      [[ $srole != hub_operator && $srole != admin && $srole != dpo && $id == "$HUB_ID" ]] && continue
      echo "  - {id: $sid, name: \"$sname\", roles: [$srole], password_hash: '$demo_hash'}"
    done
  } >"$cd_/staff.yaml"
  cat >"$cd_/console.yaml" <<EOF
# ifed demo console of node $id (written by $PROG)
listen: "127.0.0.1:${CONSOLE_PORT[$id]}"
admin_socket: "$(socket_of "$id")"
staff_file: staff.yaml
title: "${JURISDICTION[$id]} demo unit"
log_file: console.log
tls:
  cert: console.pem
  key: console.key
EOF
  setsid "$BIN/ifed-console" --config "$cd_/console.yaml" </dev/null >"$cd_/stderr.log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  echo "$pid" >"$RUN/console-$id.pid"
done
for id in "${NODE_IDS[@]}"; do
  deadline=$((SECONDS + STARTUP_TIMEOUT))
  until grep -q "serving https" "$(console_dir "$id")/stderr.log" 2>/dev/null; do
    ((SECONDS < deadline)) || { cat "$(console_dir "$id")/stderr.log" >&2; die "console $id did not start"; }
    sleep 0.2
  done
  log "  $id  https://127.0.0.1:${CONSOLE_PORT[$id]}/  (CA $(console_dir "$id")/ca/ca.pem)"
done
# From here on, --keep leaves the nodes running even when a later step fails
# (an interrupt still stops them).
((keep)) && LEAVE_RUNNING=1

# ---------------------------------------------------------------------------
# Data

DATA=$dir/data
log "== synthetic indicators ($count per node, seed $seed)"
nodes_arg=""
for id in "${MEMBER_IDS[@]}"; do
  nodes_arg+="${nodes_arg:+,}$id:${JURISDICTION[$id]}"
done
"$BIN/ifed-synth" --out "$DATA" --nodes "$nodes_arg" --count "$count" --seed "$seed" \
  | sed 's/^/  /'

log "== ingest"
for id in "${MEMBER_IDS[@]}"; do
  out=$("$BIN/ifedctl" --socket "$(socket_of "$id")" ingest "$DATA/$id.csv" 2>&1) || {
    printf '%s\n' "$out" | head -n 20 >&2
    die "ingest into $id failed"
  }
  printf '%s\n' "$out" | grep -E '^(stored|refused|elapsed)' | sed "s/^/  $id: /"
done

# ---------------------------------------------------------------------------
# Match

RESULTS=$dir/results
mkdir -p "$RESULTS"
log "== OPRF filters (at and hu fetch each other's filter and pin the key)"
for id in at hu; do
  out=$("$BIN/ifedctl" --socket "$(socket_of "$id")" filters sync 2>&1) || {
    printf '%s\n' "$out" >&2
    die "filters sync on $id failed"
  }
  printf '%s\n' "$out" | sed "s/^/  $id: /"
done

log "== match (every member asks every other member about all its indicators)"
for id in "${MEMBER_IDS[@]}"; do
  start=$(date +%s%N)
  peer_args=()
  for peer in "${MEMBER_IDS[@]}"; do [[ $peer != "$id" ]] && peer_args+=(--peer "$peer"); done
  "$BIN/ifedctl" --socket "$(socket_of "$id")" match "${peer_args[@]}" --purpose migrant_smuggling \
    --resolve yes --hits-only --file "$DATA/$id.csv" >"$RESULTS/$id.tsv" 2>"$RESULTS/$id.err" || {
    head -n 20 "$RESULTS/$id.err" >&2
    die "match from $id failed"
  }
  ms=$((($(date +%s%N) - start) / 1000000))
  hits=$(awk -F'\t' '$5 == "HIT"' "$RESULTS/$id.tsv" | wc -l)
  log "  $id: $(($(wc -l <"$DATA/$id.csv") - 1)) indicators x $((${#MEMBER_IDS[@]} - 1)) peers, $hits hits, ${ms} ms"
done

# Hits as "querier<TAB>type<TAB>canonical<TAB>holder<TAB>reference".
for id in "${MEMBER_IDS[@]}"; do
  awk -F'\t' -v q="$id" 'BEGIN {OFS = "\t"} $5 == "HIT" {print q, tolower($3), $2, $4, $6, $8}' \
    "$RESULTS/$id.tsv"
done | sort -t $'\t' -k1,1 -k2,2 -k3,3 -k4,4 >"$RESULTS/hits.tsv"

log ""
log "Cross-border hits (the querying node learns that a peer holds the same indicator):"
log ""
awk -F'\t' '
  BEGIN { h[1] = "QUERYING"; h[2] = "TYPE"; h[3] = "CANONICAL VALUE"; h[4] = "HELD BY"; h[5] = "SCHEME"; h[6] = "REFERENCE" }
  { t = $5; $5 = $6; $6 = t
    for (i = 1; i <= 6; i++) { row[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
  END {
    for (i = 1; i <= 6; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
    fmt = "  %-" w[1] "s  %-" w[2] "s  %-" w[3] "s  %-" w[4] "s  %-" w[5] "s  %s\n"
    printf fmt, h[1], h[2], h[3], h[4], h[5], h[6]
    for (r = 1; r <= NR; r++) printf fmt, row[r, 1], row[r, 2], row[r, 3], row[r, 4], row[r, 5], row[r, 6]
    if (NR == 0) print "  (no hits)"
  }' "$RESULTS/hits.tsv"
log ""

# ---------------------------------------------------------------------------
# Check against the planted overlaps

# Every holder of a planted identifier finds it at every other holder.
awk -F, 'NR > 1 {
    n = split($3, h, ";")
    for (i = 1; i <= n; i++) for (j = 1; j <= n; j++) if (i != j)
      print h[i] "\t" tolower($1) "\t" $2 "\t" h[j]
  }' "$DATA/planted.csv" | sort -u >"$RESULTS/expected.tsv"
cut -f1-4 "$RESULTS/hits.tsv" | sort -u >"$RESULTS/actual.tsv"

planted=$(($(wc -l <"$DATA/planted.csv") - 1))
expected=$(wc -l <"$RESULTS/expected.tsv")
if ! cmp -s "$RESULTS/expected.tsv" "$RESULTS/actual.tsv"; then
  echo "$PROG: FAIL: the hits differ from the planted overlaps" >&2
  echo "  ('-' planted but not found, '+' found but not planted; querier, type, canonical, holder)" >&2
  diff "$RESULTS/expected.tsv" "$RESULTS/actual.tsv" | grep '^[<>]' \
    | sed 's/^</  -/; s/^>/  +/' | head -n 50 >&2 || true
  exit 1
fi
dups=$(($(wc -l <"$RESULTS/hits.tsv") - expected))
((dups == 0)) || log "note: $dups duplicate hit line(s) (same querier, value and holder)"
log "OK: all $planted planted identifiers found by each holder at every other holder ($expected hits), and nothing else."
oprf_hits=$(awk -F'\t' '$6 == "oprf"' "$RESULTS/hits.tsv" | wc -l)
log "    ($oprf_hits of them answered under the OPRF scheme between at and hu)"

log ""
log "== policy decisions (the shipped policies in policy/de, explained offline)"
explain() {
  local what=$1
  shift
  log "  $what"
  "$BIN/ifedctl" policy explain --dir "$ROOT/policy/de" "$@" 2>&1 |
    grep -E '^(allow|deny)|answer to the partner|record at TLP' | sed 's/^ */      /'
}
explain "asymmetric: hu may ask de about URLs ..." --partner hu --type url --purpose migrant_smuggling
explain "... but not about phone numbers" --partner hu --type phone --purpose migrant_smuggling
explain "a purpose hu may not use" --partner hu --type url --purpose terrorism
explain "a TLP:RED record is never disclosed, even to a trusted partner" \
  --partner at --type phone --purpose migrant_smuggling --tlp red

# ---------------------------------------------------------------------------
# Hub, watches, follow-ups

ctl() { local id=$1; shift; "$BIN/ifedctl" --socket "$(socket_of "$id")" "$@"; }
ingest_one() {  # ingest_one NODE CASE REGION VALUE: one green phone record.
  local f=$DATA/extra-$1-$2.csv
  printf 'type,value,case_ref,tlp,crime_area,region\nphone,%s,%s,green,migrant_smuggling,%s\n' \
    "$4" "$2" "$3" >"$f"
  ctl "$1" ingest --no-progress "$f" >/dev/null || die "ingest into $1 failed"
}
# wait_for SECONDS CMD...: until CMD succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

log ""
log "== hub ($HUB_ID): one query, relayed to the members the hub's policy allows"
# A smuggler's phone, each agency's own spelling, in three cases.
ingest_one at CASE-AT-HUB AT "0664 1234567"
ingest_one hu CASE-HU-HUB HU "+43 664 123 4567"
ingest_one de CASE-DE-HUB DE "0043 664 1234567"
# The smuggler's second phone, known to at only.
ingest_one at CASE-AT-HUB AT "0660 7654321"
# Relays widen nothing: hu shares with at by OPRF only (also through the
# hub), so at first fetches, through the hub, the filters of the members that
# answer it by OPRF; the others answer its keyed queries through the hub.
log "  OPRF through the hub: at fetches the filters of the members $HUB_ID relays to for it"
out=$(ctl at filters sync --hub 2>&1) || true  # de's rule for at is keyed: de refuses OPRF
printf '%s\n' "$out" | sed 's/^/    /'
# --case: the local case the values belong to; the hub gets an opaque token
# that links what one case asked, never the case reference.
for q in de at; do
  out=$(ctl "$q" match --hub --case "CASE-${q^^}-HUB" --type phone --region AT \
    "0664 1234567" "0660 7654321" 2>&1) || die "match via the hub from $q failed: $out"
  printf '%s\n' "$out" | awk -F'\t' -v q="$q" '{printf "  %s asks: %s at %s: %s\n", q, $2, $4, $5}'
done
log "  hub report (clusters and networks in >= 3 jurisdictions; cells below k = 2 withheld):"
report=$(ctl "$HUB_ID" hub report --min-jurisdictions 3 --dot "$RESULTS/hub.dot") \
  || die "hub report failed"
printf '%s\n' "$report" | grep -E '^(queries|cluster|network)' | sed 's/^/    /'
printf '%s\n' "$report" | grep -qE $'^cluster .*\tat,de,hu\t' \
  || die "the hub report shows no cluster across at, de and hu"
printf '%s\n' "$report" | grep -qE $'^network [0-9a-f]+,[0-9a-f]+\t3\tat,de,hu\t' \
  || die "the hub report shows no network of the two phones linked through de's case"
log "    (Graphviz: $RESULTS/hub.dot; no raw value or case reference is kept by the hub)"
out=$(ctl at match --hub --type phone --region AT "0664 1234567" 2>&1) \
  || die "match --hub from at failed: $out"
printf '%s\n' "$out" | awk -F'\t' '{printf "    at asks via the hub: %s at %s: %s (%s)\n", $2, $4, $5, $8}'
printf '%s\n' "$out" | grep -qE $'\t'"$HUB_ID/hu"$'\tHIT\t.*\toprf$' \
  || die "hu did not answer at by OPRF through the hub: $out"

log ""
log "== watch: de asks at to tell it when a number turns up later"
WATCHED="0170 5550123"
out=$(ctl de watch add --peer at --type phone --region DE "$WATCHED") || die "watch add failed: $out"
log "  $out"
ingest_one at CASE-AT-LATER DE "+49 170 5550123"
has_hit() { [[ $(ctl de watch events) == *$'\tat\t'*$'\tHIT\t'* ]]; }
wait_for 20 has_hit || die "the watch did not fire within 20 s"
events=$(ctl de watch events)
event=$(printf '%s\n' "$events" | awk -F'\t' '$4 == "HIT" {print; exit}')
log "  de received: $event"
ref=$(printf '%s\n' "$event" | cut -f7)

log ""
log "== watch through the hub: de asks every member the hub relays to, in one call"
out=$(ctl de watch add --hub --type phone --region DE "0171 5550199") \
  || die "watch add --hub failed: $out"
printf '%s\n' "$out" | sed 's/^/  /'
ingest_one hu CASE-HU-LATER DE "+49 171 5550199"
has_hub_hit() { [[ $(ctl de watch events) == *$'\t'"$HUB_ID"/hu$'\t'*$'\tHIT\t'* ]]; }
wait_for 20 has_hub_hit || die "the watch through the hub did not fire within 20 s"
log "  de received: $(ctl de watch events | grep -F "$HUB_ID/hu" | grep -m1 HIT)"

log ""
log "== every form of an identifier: de asks a wa.me link; at holds only the phone"
ingest_one at CASE-AT-FORMS AT "0676 9870321"
out=$(ctl de match --peer at --purpose migrant_smuggling --type url "https://wa.me/436769870321") \
  || die "match of a wa.me link from de failed: $out"
printf '%s\n' "$out" | sed 's/^/  /'
[[ $(printf '%s\n' "$out" | awk -F'\t' '$4 == "at" {print $5}') == "HIT (derived phone)" ]] \
  || die "the wa.me link did not hit at's phone through its derived form"

log ""
log "== follow-up: de asks at for more about the reference; at approves"
out=$(ctl de followups request --peer at --ref "$ref" --legal-basis "Prüm Decision, Art. 5" \
  --justification "same number as our smuggling case; need the holding unit") \
  || die "follow-up request failed: $out"
fid=$(printf '%s\n' "$out" | cut -f1)
log "  de filed $fid"
ctl at followups list --id "$fid" | sed 's/^/  at sees: /'
ctl at followups approve --id "$fid" --reply "AT demo unit, desk 3, file 2026/17" >/dev/null \
  || die "follow-up approve failed"
approved() { [[ $(ctl de followups status --id "$fid") == *APPROVED* ]]; }
wait_for 20 approved || die "the follow-up answer did not reach de"
ctl de followups status --id "$fid" | sed 's/^/  de sees: /'

log ""
log "== monitored posts: de ingests posts, at hits, de traces the hit to its post"
POSTS=$dir/posts.jsonl
cat >"$POSTS" <<'EOF'
{"text":"رحلة إلى إيطاليا من زوارة، اتصل ٠٩١ ٣٣٤ ٥٦٢١ والقناة t.me/s/Zuwara_Demo_Rihla","url":"https://social.demo-platform.net/p/1001","author":"demo_author_1","posted_at":"2026-01-01T10:00:00Z"}
{"text":"ya 7abibi 3arab 2ool le5wanak","url":"https://social.demo-platform.net/p/1002"}
{"text":"Yunanistan'a geçiş, fiyat 2500 euro. Bilgi: 0️⃣5️⃣3️⃣2️⃣6️⃣1️⃣4️⃣2️⃣7️⃣8️⃣3️⃣ insta: @demo.yol","url":"https://social.demo-platform.net/p/1003","region":"TR"}
EOF
ctl() { local id=$1; shift; "$BIN/ifedctl" --socket "$(socket_of "$id")" "$@"; }
"$BIN/ifedctl" extract --region LY --lexicon "$ROOT/policy/lexicon" "$POSTS" | sed 's/^/  /'
out=$(ctl de ingest --no-progress --format posts --tlp amber --case-ref DEMO-POSTS --region LY "$POSTS" 2>&1) || {
  printf '%s\n' "$out" >&2
  die "posts ingest into de failed"
}
printf '%s\n' "$out" | grep -E '^(stored|refused)' | sed 's/^/  de: /'
hit=$(ctl at match --peer de --purpose migrant_smuggling --type phone "+218 91 334 5621") ||
  die "match from at failed"
log "  at asks de about +218 91 334 5621:"
printf '%s\n' "$hit" | sed 's/^/    /'
ref=$(printf '%s\n' "$hit" | awk -F'\t' '$5 == "HIT" {print $6; exit}')
[[ -n $ref ]] || die "expected a hit on de for the phone of the demo post"
log "  de traces reference $ref back to its post:"
trace=$(ctl de records show "$ref") || die "records show failed"
printf '%s\n' "$trace" | sed 's/^/    /'
grep -q 'social.demo-platform.net/p/1001' <<<"$trace" || die "the hit did not lead back to post 1001"

log ""
log "== takedown deconfliction: de holds the channel of post 1001; at checks two URLs first"
ctl de hold set --type url "https://t.me/s/Zuwara_Demo_Rihla" | sed 's/^/  de: /'
rc=0
dec=$(ctl at deconflict --peer de --type url "https://t.me/s/Zuwara_Demo_Rihla" \
  "https://social.demo-platform.net/p/1002") || rc=$?
printf '%s\n' "$dec" | sed 's/^/  at: /'
((rc == 3)) || die "deconflict: expected exit 3 (a URL is held), got $rc"
held=$(grep -c $'\tde\theld\t' <<<"$dec" || true)
clear=$(grep -c $'\tde\tclear\t' <<<"$dec" || true)
((held == 1 && clear == 1)) || die "deconflict: expected one held and one clear URL"
log "OK: one URL held (do not refer), one clear; de audited the check (deconflict.in)"

log ""
log "== audit (every node walks its hash chain and signed checkpoints)"
for id in "${NODE_IDS[@]}"; do
  out=$("$BIN/ifedctl" --socket "$(socket_of "$id")" audit verify 2>&1) || {
    printf '%s\n' "$out" >&2
    die "audit verify on $id failed"
  }
  log "  $id: $(printf '%s\n' "$out" | head -n 1)"
done

# ---------------------------------------------------------------------------
# Keep or stop

if ((keep)); then
  log ""
  log "The nodes keep running (--keep). Layout: $dir/federation.json"
  for id in "${NODE_IDS[@]}"; do
    log "  $id: $BIN/ifedctl --socket $(socket_of "$id") stats"
  done
  first=${NODE_IDS[0]}
  log "Examples:"
  log "  $BIN/ifedctl --socket $(socket_of "$first") normalize --type phone --region DE \"0151 23456789\""
  log "  $BIN/ifedctl --socket $(socket_of "$first") match --all --type phone --region DE \"0151 23456789\""
  log "Web consoles (accept the console's certificate, or import its agency CA"
  log "$dir/consoles/<id>/ca/ca.pem into the browser), password $DEMO_PASSWORD:"
  for id in "${NODE_IDS[@]}"; do
    if [[ $id == "$HUB_ID" ]]; then
      log "  $id: https://127.0.0.1:${CONSOLE_PORT[$id]}/  sign in as hubop, adm or dpo"
    else
      log "  $id: https://127.0.0.1:${CONSOLE_PORT[$id]}/  sign in as ana (analyst), appr (approver), adm or dpo"
    fi
  done
  log "Logs: $dir/nodes/<id>/node.log, $dir/consoles/<id>/console.log. Stop them with: $PROG --stop --dir $dir"
fi
