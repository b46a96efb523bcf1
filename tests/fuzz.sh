#!/usr/bin/env bash
# fuzz.sh [SECONDS]: build every libFuzzer target (clang, ASan+UBSan; clang's
# warnings are errors, as GCC's are in the main build) in
# build-fuzz/ and run each for SECONDS (default 10) on its committed seed
# corpus (<component>/testdata/<name>_corpus/). New inputs go to a scratch
# corpus under build-fuzz/corpus/<name>/, never into the source tree; crash
# reproducers go to build-fuzz/artifacts/<name>/. Exit status 1 if any target
# finds a crash, leak or timeout.
#
# Needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev); installs them
# with apt-get when run as root and they are missing.
set -euo pipefail

SECONDS_PER_TARGET=${1:-10}
[[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [seconds]" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build-fuzz
JOBS=${IFED_JOBS:-2}

have_libfuzzer() {
  command -v clang++ >/dev/null 2>&1 &&
    compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null
}

if ! have_libfuzzer; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "fuzz.sh: installing clang and libFuzzer" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      clang libclang-rt-14-dev >/dev/null
  else
    echo "fuzz.sh: needs clang and libFuzzer: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
  fi
fi

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DIFED_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIFED_DEBUG_INFO=1 -DIFED_WERROR=ON >/dev/null
mapfile -t TARGETS < <(ninja -C "$BUILD" -t targets all | sed -n 's|^fuzz/\([A-Za-z0-9_]*_fuzz\): .*|\1|p' | sort -u)
((${#TARGETS[@]})) || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }
ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]/#/fuzz/}"

failed=()
for name in "${TARGETS[@]}"; do
  bin=$BUILD/fuzz/$name
  seeds=$(find "$ROOT/node" -type d -name "${name}_corpus" -path '*/testdata/*' | head -1)
  work=$BUILD/corpus/$name
  artifacts=$BUILD/artifacts/$name/
  mkdir -p "$work" "$artifacts"
  echo "== $name (${SECONDS_PER_TARGET}s, seeds: ${seeds:-none})"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts" -print_final_stats=1 "$work" ${seeds:+"$seeds"} \
      >"$BUILD/$name.log" 2>&1; then
    echo "!! $name failed; see $BUILD/$name.log and $artifacts" >&2
    tail -30 "$BUILD/$name.log" >&2
    failed+=("$name")
  else
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$BUILD/$name.log" | tr '\n' ' '
    echo
  fi
done

if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#TARGETS[@]} targets, no finding"
