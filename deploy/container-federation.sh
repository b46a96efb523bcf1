#!/usr/bin/env bash
# container-federation.sh: three member nodes (de, at, hu) and a hub (eu) in
# containers of the ifed-node image, started from deploy/compose.yaml
# (podman-compose) or deploy/k8s/federation.yaml (podman kube play); then a
# cross-border match and a hub query, the hits checked, everything stopped
# and removed (containers, pods, network, volumes).
#
#   deploy/container-federation.sh compose|kube [--image NAME] [--dir D] [--keep]
#
# Writes into D (default: a fresh folder under /var/tmp) the PKI made by
# certs/make-certs.sh (a federation root, one issuing CA per agency, CRLs of
# all of them: revocation on), the keys, one node.yaml and policy folder per
# node. Key files: mode 0600, owned by uid 10001 (the image's ifed user).
# Needs root, podman (runc, cgroupfs), podman-compose for compose and the
# CNI dnsname plugin (golang-github-containernetworking-plugin-dnsname) so
# that peers find each other by name. Exit 0 only when every expected hit
# is found and nothing else.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PROG=deploy/container-federation.sh
TRUST_DOMAIN=ifed-containers.eu
MEMBERS=(de at hu)
HUB=eu
NODES=("${MEMBERS[@]}" "$HUB")
declare -A JURISDICTION=([de]=DE [at]=AT [hu]=HU [eu]=EU)
UID_IFED=10001
PROJECT=ifedfed
KUBE_NET=ifedfed-kube
# Global podman options for this host class (Debian 12, root, no systemd).
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
STARTUP_TIMEOUT=${IFED_STARTUP_TIMEOUT:-120}

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}
log() { printf '%s\n' "$*"; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

mode=${1:-}
case $mode in
  compose | kube) shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
image=localhost/ifed-node:latest
dir=""
keep=0
while (($#)); do
  case $1 in
    --image) (($# >= 2)) || die "--image needs a value"; image=$2; shift 2 ;;
    --dir) (($# >= 2)) || die "--dir needs a value"; dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ $(id -u) == 0 ]] || die "run as root (rootful podman)"
"${PODMAN[@]}" image exists "$image" || die "image $image not found (tests/deploy.sh builds it)"
if [[ $mode == compose ]]; then
  command -v podman-compose >/dev/null || die "podman-compose not found (apt-get install podman-compose)"
fi
[[ -x /usr/lib/cni/dnsname ]] \
  || die "the CNI dnsname plugin is missing (apt-get install golang-github-containernetworking-plugin-dnsname)"

if [[ -z $dir ]]; then
  dir=$(mktemp -d /var/tmp/ifed-federation.XXXXXX)
else
  [[ ! -e $dir || -z $(ls -A "$dir") ]] || die "$dir is not empty"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
fi
chmod 0755 "$dir"
# The ulimits of every container podman starts here (pod infra containers
# included; kube play has no --ulimit): the defaults are refused on hosts
# with a lower hard limit. IFED_NOFILE / IFED_NPROC raise them.
printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
  "${IFED_NOFILE:-1024}" "${IFED_NOFILE:-1024}" "${IFED_NPROC:-4096}" "${IFED_NPROC:-4096}" \
  >"$dir/containers.conf"
export CONTAINERS_CONF=$dir/containers.conf

# ---------------------------------------------------------------------------
# Configuration: PKI, keys, node.yaml and policies per node

agency_of() { printf 'agency-%s' "$1"; }
# Where a container finds its files: compose mounts the node's folder at
# /etc/ifed; kube play mounts ConfigMaps and the keys (copied from the Secret
# by the init container) in folders of their own (deploy/k8s/render.sh).
if [[ $mode == compose ]]; then CFG=/etc/ifed KEYS=/etc/ifed; else CFG=/etc/ifed/config KEYS=/etc/ifed/keys; fi
address_of() {  # the peer address a container dials
  if [[ $mode == compose ]]; then printf '%s:7443' "$1"; else printf 'ifed-%s:7443' "$1"; fi
}

make_config() {
  local pki=$dir/pki id peer nd
  "$ROOT/certs/make-certs.sh" ca "$pki" "$TRUST_DOMAIN" --name "ifed container federation CA" >/dev/null
  "$ROOT/certs/make-certs.sh" crl "$pki" >/dev/null
  mkdir -p "$pki/crl-all"
  cp "$pki/crl/ca.crl.pem" "$pki/crl-all/root.crl.pem"
  for id in "${NODES[@]}"; do
    "$ROOT/certs/make-certs.sh" agency "$pki" "$TRUST_DOMAIN" "$(agency_of "$id")" \
      --ca-dir "$pki" "$id" >/dev/null
    "$ROOT/certs/make-certs.sh" crl "$pki/$(agency_of "$id")" >/dev/null
    cp "$pki/$(agency_of "$id")/crl/ca.crl.pem" "$pki/crl-all/$(agency_of "$id").crl.pem"
  done
  local fed_key
  fed_key="1 $(openssl rand -hex 32)"
  for id in "${NODES[@]}"; do
    nd=$dir/nodes/$id
    mkdir -p "$nd/crl" "$nd/issuers" "$nd/policy"
    cp "$pki/ca.pem" "$nd/ca.pem"
    cp "$pki/$(agency_of "$id")/$id.pem" "$nd/node.pem"
    cp "$pki/$(agency_of "$id")/$id.key" "$nd/node.key"
    cp "$pki"/crl-all/*.pem "$nd/crl/"
    for peer in "${NODES[@]}"; do
      cp "$pki/$(agency_of "$peer")/ca.pem" "$nd/issuers/$(agency_of "$peer").pem"
    done
    (umask 077
     [[ $id == "$HUB" ]] || printf '%s\n' "$fed_key" >"$nd/federation.key"
     openssl rand -hex 32 >"$nd/local.key"
     openssl rand -hex 32 >"$nd/oprf.seed")
    write_node_yaml "$id" >"$nd/node.yaml"
    write_policies "$id"
    # Readable by the node's user only where it must be: keys 0600 owned by it.
    chown -R "$UID_IFED:$UID_IFED" "$nd"
    chmod 0600 "$nd"/*.key "$nd/oprf.seed"
    chmod -R go-w "$nd"
  done
}

write_node_yaml() {
  local id=$1 peer
  echo "# ifed node $id in a container (written by $PROG)"
  echo "node_id: $id"
  echo "federation: $TRUST_DOMAIN"
  echo "jurisdiction: ${JURISDICTION[$id]}"
  echo "role: $([[ $id == "$HUB" ]] && echo hub || echo member)"
  echo "listen: \"0.0.0.0:7443\""
  echo "metrics_listen: \"0.0.0.0:9464\""
  echo "admin_socket: /run/ifed/admin.sock"
  echo "data_dir: /var/lib/ifed"
  echo "tls:"
  echo "  ca_cert: $CFG/ca.pem"
  echo "  cert: $CFG/node.pem"
  echo "  key: $KEYS/node.key"
  echo "  crl_dir: /etc/ifed/crl"
  echo "  issuers:"
  for peer in "${NODES[@]}"; do
    echo "    - {name: $(agency_of "$peer"), ca_file: /etc/ifed/issuers/$(agency_of "$peer").pem, nodes: [$peer]}"
  done
  [[ $id == "$HUB" ]] || echo "federation_key_file: $KEYS/federation.key"
  echo "local_key_file: $KEYS/local.key"
  echo "oprf_seed_file: $KEYS/oprf.seed"
  echo "policy_dir: /etc/ifed/policy"
  echo "contact: \"ifed container desk ${JURISDICTION[$id]}\""
  echo "unit: \"${JURISDICTION[$id]} container unit\""
  echo "log_level: info"
  [[ $id == "$HUB" ]] && echo "hub_k_threshold: 2"
  echo "peers:"
  for peer in "${NODES[@]}"; do
    [[ $peer == "$id" ]] && continue
    echo "  - {id: $peer, address: \"$(address_of "$peer")\", jurisdiction: ${JURISDICTION[$peer]}$([[ $peer == "$HUB" ]] && echo ", role: hub")}"
  done
}

write_policies() {
  local id=$1 peer nd=$dir/nodes/$1
  if [[ $id == "$HUB" ]]; then
    cp "$ROOT"/policy/hub/*.yaml "$nd/policy/"
    return
  fi
  for peer in "${NODES[@]}"; do
    [[ $peer == "$id" ]] && continue
    cat >"$nd/policy/$peer.yaml" <<EOF
partners:
  - partner: $peer
    types: [phone, handle, url, email]
    disclosure: hit_with_reference
    max_tlp: amber
    purposes: [migrant_smuggling]
    scheme: $([[ $peer == "$HUB" ]] && echo keyed_or_oprf || echo keyed)
    quota: {items_per_second: 5000, burst: 20000, items_per_day: 1000000}
    legal_basis: "ifed container test: synthetic data only"
EOF
  done
}

# ---------------------------------------------------------------------------
# Start and stop

container_of() {  # the container running node $1
  if [[ $mode == compose ]]; then printf 'ifed-%s' "$1"; else printf 'ifed-%s-node' "$1"; fi
}
compose() {
  IFED_IMAGE=$image IFED_COMPOSE_DIR=$dir/nodes podman-compose --podman-args "--runtime runc --cgroup-manager=cgroupfs" \
    -p "$PROJECT" -f "$ROOT/deploy/compose.yaml" "$@"
}

started=0
stop_all() {
  local id
  if [[ $mode == compose ]]; then
    compose down >"$dir/compose-down.log" 2>&1 || true
    for id in "${NODES[@]}"; do
      "${PODMAN[@]}" volume rm -f "${PROJECT}_${id}-data" >/dev/null 2>&1 || true
    done
    "${PODMAN[@]}" network rm -f "${PROJECT}_federation" >/dev/null 2>&1 || true
  else
    # Containers with their anonymous volumes (the image's VOLUME in the
    # init container), then the pods; kube down would leave the volumes of
    # the ConfigMaps, Secrets and emptyDirs behind (and a next play would
    # reuse their old content).
    for id in "${NODES[@]}"; do
      for c in $("${PODMAN[@]}" ps -a -q --filter "pod=ifed-$id" 2>/dev/null); do
        "${PODMAN[@]}" rm -f -v "$c" >/dev/null 2>&1 || true
      done
      "${PODMAN[@]}" pod rm -f "ifed-$id" >/dev/null 2>&1 || true
      for v in data run keyfiles secret keys config crl issuers policy; do
        "${PODMAN[@]}" volume rm -f "ifed-$id-$v" >/dev/null 2>&1 || true
      done
      "${PODMAN[@]}" secret rm "ifed-$id-keys" >/dev/null 2>&1 || true
    done
    "${PODMAN[@]}" network rm -f "$KUBE_NET" >/dev/null 2>&1 || true
  fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)) && ((started)); then
    for id in "${NODES[@]}"; do
      echo "---- last log lines of $(container_of "$id")" >&2
      "${PODMAN[@]}" logs --tail 15 "$(container_of "$id")" >&2 2>&1 || true
    done
  fi
  if ((started)) && ((!keep || rc != 0)); then
    log "== stopping and removing the federation ($mode)"
    stop_all
  fi
  if ((!keep)); then rm -rf -- "$dir"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_compose() {
  compose up -d >"$dir/compose-up.log" 2>&1 || { tail -n 30 "$dir/compose-up.log" >&2; die "podman-compose up failed"; }
}

start_kube() {
  "${PODMAN[@]}" network exists "$KUBE_NET" || "${PODMAN[@]}" network create "$KUBE_NET" >/dev/null
  "$ROOT/deploy/k8s/render.sh" --image "$image" --nodes-dir "$dir/nodes" "${NODES[@]}" >"$dir/federation.yaml"
  if command -v node >/dev/null; then  # the same manifests against the Kubernetes API schemas
    "$ROOT/deploy/k8s/validate.sh" "$dir/federation.yaml" >"$dir/validate.log" 2>&1 \
      || { cat "$dir/validate.log" >&2; die "the rendered manifests do not validate"; }
    log "  rendered manifests: $(tail -n 1 "$dir/validate.log") (Kubernetes API schemas)"
  fi
  # podman 4.3 mounts a kube Secret's data still base64-encoded: the same
  # manifests without the Secrets, and the secrets made with podman.
  "$ROOT/deploy/k8s/render.sh" --without-secrets --image "$image" --nodes-dir "$dir/nodes" \
    "${NODES[@]}" >"$dir/play.yaml"
  local id k nd
  for id in "${NODES[@]}"; do
    nd=$dir/nodes/$id
    args=()
    for k in node.key federation.key local.key oprf.seed; do
      [[ -e $nd/$k ]] && args+=(--rawfile "$k" "$nd/$k")
    done
    (umask 077
     jq -n "${args[@]}" --arg name "ifed-$id-keys" \
       '{apiVersion: "v1", kind: "Secret", metadata: {name: $name}, type: "Opaque",
         data: ($ARGS.named | del(.name))}' >"$dir/secret-$id.json")
    "${PODMAN[@]}" secret create "ifed-$id-keys" "$dir/secret-$id.json" >/dev/null
    rm -f "$dir/secret-$id.json"
  done
  "${PODMAN[@]}" kube play --network "$KUBE_NET" "$dir/play.yaml" >"$dir/kube-play.log" 2>&1 \
    || { tail -n 30 "$dir/kube-play.log" >&2; die "podman kube play failed"; }
}

ctl() {  # ctl NODE ARGS...: ifedctl inside the node's container
  local id=$1
  shift
  "${PODMAN[@]}" exec -i "$(container_of "$id")" /usr/local/bin/ifedctl "$@"
}

wait_healthy() {
  local id deadline
  for id in "${NODES[@]}"; do
    deadline=$((SECONDS + STARTUP_TIMEOUT))
    until ctl "$id" health --timeout 3 >/dev/null 2>&1; do
      ((SECONDS < deadline)) || die "node $id is not SERVING after ${STARTUP_TIMEOUT}s"
      sleep 1
    done
  done
}

# ---------------------------------------------------------------------------
# Run

log "== configuration in $dir ($mode, image $image)"
make_config
log "== starting de, at, hu and the hub eu ($mode)"
started=1
if [[ $mode == compose ]]; then start_compose; else start_kube; fi
wait_healthy
for id in "${NODES[@]}"; do  # the engine's own health check (HEALTHCHECK / probes)
  "${PODMAN[@]}" healthcheck run "$(container_of "$id")" >/dev/null \
    || die "podman healthcheck run $(container_of "$id") is not healthy"
done
log "  all four answer SERVING (gRPC health over the admin socket; podman healthcheck run: healthy)"

# Checks of the running containers: non-root, read-only root, no compiler.
for id in "${NODES[@]}"; do
  c=$(container_of "$id")
  [[ $("${PODMAN[@]}" exec "$c" id -u) == "$UID_IFED" ]] || die "$c does not run as uid $UID_IFED"
  "${PODMAN[@]}" exec "$c" sh -c ': >/usr/local/bin/probe' 2>/dev/null && die "$c: the root file system is writable"
  "${PODMAN[@]}" exec "$c" sh -c 'command -v cc || command -v gcc || command -v c++' >/dev/null 2>&1 \
    && die "$c: a compiler is in the runtime image"
done
log "  every node runs as uid $UID_IFED on a read-only root file system, no compiler in the image"

# Indicators: each member its own spelling of shared phones; one per member alone.
log "== ingest"
csv_header='type,value,case_ref,tlp,crime_area,region'
ingest() {  # ingest NODE CSV_ROWS
  local out
  out=$(printf '%s\n%s\n' "$csv_header" "$2" | ctl "$1" ingest --no-progress - 2>&1) \
    || die "ingest into $1 failed: $out"
  printf '%s\n' "$out" | grep -E '^stored' | sed "s/^/  $1: /"
}
ingest de "phone,0043 664 1234567,CASE-DE-1,green,migrant_smuggling,DE
phone,+36 30 111 2222,CASE-DE-2,green,migrant_smuggling,DE
phone,0151 99999001,CASE-DE-3,green,migrant_smuggling,DE"
ingest at "phone,0664 1234567,CASE-AT-1,green,migrant_smuggling,AT
phone,0660 99999002,CASE-AT-2,green,migrant_smuggling,AT"
ingest hu "phone,+43 664 123 4567,CASE-HU-1,green,migrant_smuggling,HU
phone,06 30 111 2222,CASE-HU-2,green,migrant_smuggling,HU
phone,06 30 999 9003,CASE-HU-3,green,migrant_smuggling,HU"

# expect_hits WHAT WANT: prints the match answer in $out and compares its
# hits ("canonical@holder ", sorted) with WANT.
expect_hits() {
  local hits
  printf '%s\n' "$out" | sed 's/^/  /'
  hits=$(printf '%s\n' "$out" | awk -F'\t' '$5 == "HIT" {print $2 "@" $4}' | sort | tr '\n' ' ')
  [[ $hits == "$2" ]] || die "$1: '$hits', want '$2'"
}

log "== cross-border match: de asks at and hu"
out=$(ctl de match --peer at --peer hu --purpose migrant_smuggling --type phone --region DE \
  "0043 664 1234567" "+36 30 111 2222" "0151 99999001" 2>&1) || die "match from de failed: $out"
expect_hits "de's hits" "+36301112222@hu +436641234567@at +436641234567@hu "
log "  OK: +43 664 1234567 held by at and hu, +36 30 111 2222 by hu, nothing else"

log "== hub query: at asks through the hub eu"
out=$(ctl at match --hub --case CASE-AT-1 --type phone --region AT "0664 1234567" "0660 99999002" 2>&1) \
  || die "match --hub from at failed: $out"
expect_hits "at's hits through the hub" "+436641234567@$HUB/de +436641234567@$HUB/hu "
log "  OK: the hub relayed to de and hu; both hold +43 664 1234567, nobody else holds 0660 99999002"

log "== audit chains"
for id in "${NODES[@]}"; do
  out=$(ctl "$id" audit verify 2>&1) || die "audit verify on $id failed: $out"
  log "  $id: $(printf '%s\n' "$out" | head -n 1)"
done
# The credentials must have stayed put (a re-run init container, or a
# shared volume, shows up as republished or refused TLS generations).
for id in "${NODES[@]}"; do
  gens=$("${PODMAN[@]}" logs "$(container_of "$id")" 2>&1 | grep -c 'TLS credentials generation' || true)
  [[ $gens == 1 ]] || die "$id published $gens TLS credential generations, want 1"
done
log "OK: the $mode federation found every planted hit and nothing else"
if ((keep)); then
  log "Left running (--keep). Configuration: $dir. Stop with:"
  if [[ $mode == compose ]]; then
    log "  IFED_COMPOSE_DIR=$dir/nodes podman-compose -p $PROJECT -f $ROOT/deploy/compose.yaml down"
  else
    log "  podman kube down $dir/play.yaml; podman secret rm ifed-{de,at,hu,eu}-keys; podman network rm $KUBE_NET"
    log "  and the volumes ifed-{de,at,hu,eu}-{data,run,keyfiles,keys,config,crl,issuers,policy}"
  fi
fi
