#!/usr/bin/env bash
# run.sh: build and run the test suite, then again with AddressSanitizer and
# UndefinedBehaviorSanitizer.
#
#   tests/run.sh [--no-sanitize] [-- CTEST_ARG...]
#
# Installs missing Debian packages and builds through deploy/build.sh into
# $IFED_BUILD_DIR (default build; warnings are errors there), runs ctest there, then builds build-asan
# (-DIFED_SANITIZE=ON, Debug) and runs ctest on it. Both builds carry line
# tables only (-DIFED_DEBUG_INFO=1: stack traces keep file and line, the
# compiles take about a quarter less time); configure with -DIFED_DEBUG_INFO=
# for full debug information. Exits non-zero on any
# failure, and when a build has no tests at all.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PROG=tests/run.sh

usage() {
  cat <<EOF2
usage: $PROG [--no-sanitize] [-- CTEST_ARG...]

  --no-sanitize   skip the ASan/UBSan build and its test run
  CTEST_ARG       passed to both ctest runs (e.g. -R normalizer)

Environment: IFED_BUILD_DIR (default build), IFED_ASAN_BUILD_DIR (default
build-asan), IFED_JOBS (parallel build and test jobs, default: CPUs).
EOF2
}

sanitize=1
ctest_args=()
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --no-sanitize) sanitize=0; shift ;;
    --) shift; ctest_args+=("$@"); break ;;
    *) echo "$PROG: error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

jobs=${IFED_JOBS:-$(nproc 2>/dev/null || echo 2)}
build_dir=${IFED_BUILD_DIR:-build}
asan_dir=${IFED_ASAN_BUILD_DIR:-build-asan}
cd "$ROOT"

run_ctest() {
  local dir=$1
  shift
  echo "== ctest ($dir)"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" "$@" "${ctest_args[@]}"
}

start=$SECONDS
echo "== build ($build_dir)"
IFED_BUILD_DIR=$build_dir "$ROOT/deploy/build.sh" -DIFED_WERROR=ON -DIFED_DEBUG_INFO=1
run_ctest "$build_dir"

if ((sanitize)); then
  echo "== sanitizer build ($asan_dir)"
  IFED_BUILD_DIR=$asan_dir "$ROOT/deploy/build.sh" -DIFED_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DIFED_DEBUG_INFO=1
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  # The browser tests (label `browser`) run in the main build only: they test
  # the pages in Chromium, and the handlers under them run under the
  # sanitizers in their own API tests (console_*_test, console_ops_it,
  # taxii_it).
  run_ctest "$asan_dir" -LE browser
fi

echo "$PROG: all tests passed ($((SECONDS - start)) s$( ((sanitize)) || echo ', sanitizer run skipped'))"
