#!/usr/bin/env bash
# build.sh: install the Debian 12 packages ifed needs (when root), then
# configure and build with CMake + Ninja.
#
#   deploy/build.sh [--target T]... [--jobs N] [--no-install] [CMAKE_ARG...]
#   deploy/build.sh --deps-only     (install the packages, build nothing:
#                                    the container image's builder stage)
#
# The build directory is $IFED_BUILD_DIR (default: build, relative to the
# repository root). Arguments that are not options of this script go to the
# cmake configure step, e.g. the sanitizer build:
#   IFED_BUILD_DIR=build-asan deploy/build.sh -DIFED_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PROG=deploy/build.sh

# Build and runtime dependencies (Debian 12 "bookworm" package names).
# iproute2 (ss) and openssl are used by deploy/demo.sh and certs/make-certs.sh.
# libpq-dev: ifed-bench's PostgreSQL comparison (the server itself, package
# postgresql, is only needed for `ifed-bench --only postgres`, never by the tests).
# man-db and groff-base: the cli_it test renders the manual pages (man -l).
# The web console (ifed-console): libcpp-httplib-dev (HTTPS), libjs-chart.js
# and node-d3 (its plots, copied into the build at configure time); its
# browser tests: chromium, chromium-driver, python3-selenium; the TAXII client
# test and the console API tests: python3-requests.
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libspdlog-dev libyaml-cpp-dev
  libphonenumber-dev libicu-dev libssl-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpq-dev
  prometheus-cpp-dev
  openssl iproute2 man-db groff-base
  libcpp-httplib-dev libjs-chart.js node-d3 chromium chromium-driver python3-selenium
  python3-requests
)

usage() {
  cat <<EOF
usage: $PROG [--target T]... [--jobs N] [--no-install] [CMAKE_ARG...]

Installs missing Debian packages (apt-get, when run as root), then runs
  cmake -S . -B \${IFED_BUILD_DIR:-build} -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo [CMAKE_ARG...]
  cmake --build \${IFED_BUILD_DIR:-build} [--target T...] -j N

  --target T    build only target T (repeatable; default: all)
  --jobs N      parallel jobs (default: \$IFED_JOBS or the number of CPUs)
  --no-install  only check the packages, never call apt-get
  --deps-only   install the missing packages, then stop (no build)
EOF
}

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

targets=()
jobs=${IFED_JOBS:-$(nproc 2>/dev/null || echo 2)}
install=1
deps_only=0
cmake_args=()
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --target) (($# >= 2)) || die "--target needs a value"; targets+=("$2"); shift 2 ;;
    --jobs) (($# >= 2)) || die "--jobs needs a value"; jobs=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    --deps-only) deps_only=1; shift ;;
    --) shift; cmake_args+=("$@"); break ;;
    *) cmake_args+=("$1"); shift ;;
  esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs: not a positive integer: $jobs"

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
  done
else
  echo "$PROG: warning: dpkg-query not found (not Debian?); not checking packages" >&2
fi

if ((${#missing[@]})); then
  if ((install)) && [[ $(id -u) == 0 ]]; then
    echo "$PROG: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "$PROG: missing Debian packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

((deps_only)) && exit 0

build_dir=${IFED_BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir=$ROOT/$build_dir

cd "$ROOT"
cmake -S "$ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}"
build_cmd=(cmake --build "$build_dir" -j "$jobs")
if ((${#targets[@]})); then
  build_cmd+=(--target "${targets[@]}")
fi
"${build_cmd[@]}"
