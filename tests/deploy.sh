#!/usr/bin/env bash
# deploy.sh: the deployment files run for real. Builds the container image
# (deploy/Dockerfile) with podman, on a debootstrapped base when no image
# registry is reachable; checks the image (non-root, no compiler, health
# check); validates the Kubernetes manifests against the API schemas; runs
# the compose federation and the kube play federation end to end
# (deploy/container-federation.sh); checks the systemd unit's hardening
# score. Exit non-zero on any failure. Not in the default suite (a cold
# image build takes long); times of each step are printed.
#
#   tests/deploy.sh [--base IMAGE] [--skip-build IMAGE] [--only compose|kube]
#
#   --base IMAGE        base of both stages (default: localhost/ifed-base:bookworm,
#                       made by deploy/make-base-image.sh when missing; give
#                       docker.io/library/debian:bookworm-slim where a registry is reachable)
#   --skip-build IMAGE  use an image built before instead of building one
#   --only MODE         run only the compose or only the kube federation
#
# Needs root. Installs what is missing: podman runc podman-compose
# debootstrap catatonit golang-github-containernetworking-plugin-dnsname
# (and npm packages for the schema check, deploy/k8s/validate.sh). Removes
# every container, pod, network, volume and image it made, except the base
# image and podman's layer cache (the next build reuses them). The builder
# uses the host's ccache (ccache -k cache_dir) through a volume when there
# is one.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PROG=tests/deploy.sh
PACKAGES=(podman runc podman-compose debootstrap catatonit
  golang-github-containernetworking-plugin-dnsname systemd nodejs)
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

base=localhost/ifed-base:bookworm
image=""
only=""
while (($#)); do
  case $1 in
    --base) base=$2; shift 2 ;;
    --skip-build) image=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$PROG: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -z $only || $only == compose || $only == kube ]] || { echo "$PROG: --only compose|kube" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "$PROG: run as root (rootful podman)" >&2; exit 1; }

fail() {
  echo "$PROG: FAIL: $*" >&2
  exit 1
}
T0=$SECONDS
step_start=$SECONDS
step() {
  printf '== [%4ds] %s\n' $((SECONDS - T0)) "$*"
  step_start=$SECONDS
}
took() { printf '   (%ds)\n' $((SECONDS - step_start)); }

# --- packages --------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  step "installing ${missing[*]}"
  for i in 1 2 3 4 5; do
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
      >/dev/null && break
    ((i < 5)) || fail "apt-get install ${missing[*]} failed"
    sleep 10
  done
fi

built=""
cleanup() {
  local rc=$?
  trap - EXIT
  if [[ -n $built ]]; then
    "${PODMAN[@]}" rmi -f "$built" >/dev/null 2>&1 || true
  fi
  printf '== [%4ds] %s\n' $((SECONDS - T0)) "$([[ $rc == 0 ]] && echo "deploy: all passed" || echo "deploy: FAILED (exit $rc)")"
  exit "$rc"
}
trap cleanup EXIT

# --- image -----------------------------------------------------------------
if [[ -z $image ]]; then
  if [[ $base == localhost/ifed-base:* ]] && ! "${PODMAN[@]}" image exists "$base"; then
    step "base image $base: debootstrap bookworm + podman import"
    "$ROOT/deploy/make-base-image.sh" --name "$base"
    took
  fi
  image=localhost/ifed-node:deploy-test-$$
  commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || commit+=-dirty
  cache_args=()
  host_cache=$(ccache -k cache_dir 2>/dev/null || true)
  if [[ -n $host_cache && -d $host_cache ]]; then
    cache_args=(--volume "$host_cache:/ccache" --build-arg CCACHE_DIR=/ccache)
  fi
  step "podman build deploy/Dockerfile on $base -> $image (commit $commit)"
  built=$image
  "${PODMAN[@]}" build --format docker "${ULIMITS[@]}" --build-arg "BASE=$base" \
    --build-arg "IFED_COMMIT=$commit" "${cache_args[@]}" \
    -f "$ROOT/deploy/Dockerfile" -t "$image" "$ROOT" >"/var/tmp/ifed-deploy-build.log" 2>&1 \
    || { tail -n 40 /var/tmp/ifed-deploy-build.log >&2; fail "podman build failed (log /var/tmp/ifed-deploy-build.log)"; }
  took
fi

step "image checks"
run_in() { "${PODMAN[@]}" run --rm "${ULIMITS[@]}" --read-only --entrypoint /bin/sh "$image" -c "$1"; }
[[ $(run_in 'id -u') == 10001 ]] || fail "the image does not run as uid 10001"
run_in 'command -v cc || command -v gcc || command -v g++ || command -v c++ || ls /usr/lib/gcc/*/*/cc1plus' \
  >/dev/null 2>&1 && fail "a compiler is in the runtime image"
run_in 'dpkg -l | grep -- "-dev "' >/dev/null 2>&1 && fail "a -dev package is in the runtime image"
run_in ': >/usr/local/bin/x' 2>/dev/null && fail "the root file system is writable under --read-only"
version=$("${PODMAN[@]}" run --rm "${ULIMITS[@]}" --read-only --entrypoint /usr/local/bin/ifed-node "$image" --version)
echo "   $(printf '%s' "$version" | head -n 1)"
hc=$("${PODMAN[@]}" image inspect --format '{{json .Config.Healthcheck}}' "$image")
[[ $hc == *ifedctl*health* ]] || fail "the image has no gRPC health check: $hc"
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$image")
echo "   uid 10001, read-only root, no compiler, no -dev package, HEALTHCHECK ifedctl health; $((size / 1000000)) MB"
took

step "Kubernetes manifests against the API schemas (npm kubernetes-models)"
"$ROOT/deploy/k8s/validate.sh" "$ROOT/deploy/k8s/cluster.yaml" | sed 's/^/   /'
took

step "systemd unit: systemd-analyze security --offline"
exposure=$(systemd-analyze security --offline=yes "$ROOT/deploy/ifed-node.service" 2>/dev/null \
  | awk '/Overall exposure level/ {print $(NF-2)}')
echo "   exposure $exposure"
awk -v e="$exposure" 'BEGIN {exit !(e != "" && e + 0 <= 1.5)}' || fail "systemd exposure $exposure above 1.5"
took

for mode in compose kube; do
  [[ -z $only || $only == "$mode" ]] || continue
  step "$mode federation (deploy/container-federation.sh $mode)"
  "$ROOT/deploy/container-federation.sh" "$mode" --image "$image" | sed 's/^/   /'
  ((PIPESTATUS[0] == 0)) || fail "the $mode federation failed"
  took
done
