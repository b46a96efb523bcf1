#!/usr/bin/env bash
# Oprf scheme measurements, in one run on this machine (not part of CI; takes a
# few minutes and ~1 GB of memory for the 10^7-item filter). Prints each
# figure with the load average at the time it was taken.
#
#   tests/measure_oprf.sh [BUILD_DIR]      (default: build)
#
# 1. openssl speed -seconds 3 ecdhp256   (the machine's P-256 ECDH rate)
# 2. oprf_bench: server BlindEvaluate (VOPRF, batched proof) per element, and
#    client Blind + Finalize, median of 3 (Google Benchmark)
# 3. ifed-filter-bench: filter build time, bytes/item and measured FPR on
#    10^7 non-members, for 10^6 and 10^7 items at 2^-12, 2^-16, 2^-32
# 4. oprf_it LatencyMeasurement: end-to-end latency of a 1-item and a
#    1000-item OPRF query over mTLS, median of 25 runs
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="$(cd "${1:-$ROOT/build}" && pwd)"
load() { echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

echo "== 1. openssl speed -seconds 3 ecdhp256"; load
openssl speed -seconds 3 ecdhp256 2>/dev/null | tail -3
load

echo "== 2. oprf_bench (server evaluations, client blind+finalize), 1 core"; load
"$B/bin/oprf_bench" \
  --benchmark_filter='BM_BlindEvaluate|BM_ClientBlindFinalize' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=2 2>&1 | grep -E 'median|Benchmark|^---'
load

echo "== 3. ifed-filter-bench (10^6 and 10^7 items; 10^7 non-member probes)"; load
"$B/bin/ifed-filter-bench" --items 1000000,10000000 --probes 10000000 --bits 12,16,32
load

echo "== 4. end-to-end latency over mTLS (oprf_it LatencyMeasurement)"; load
IFED_OPRF_LATENCY=1 IFED_SOURCE_DIR="$ROOT" IFED_BIN_DIR="$B/bin" \
  "$B/tests/oprf_it" --gtest_filter='*LatencyMeasurement*' 2>&1 | grep -E 'oprf latency|OK|FAILED'
load
