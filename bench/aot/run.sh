#!/usr/bin/env bash
# The AOT benchmark: strata's ahead-of-time artifacts vs Session::Run (aot_bench) and vs ONNX
# Runtime 1.30 CPU (ort_bench.mjs, through onnxruntime-node) on the same models and inputs.
#
#   bench/aot/run.sh [--quick]
#
# Env: STRATA_BUILD_DIR (default build), STRATA_JOBS, ORT_PREFIX (a directory where
# `npm install --ignore-scripts onnxruntime-node@1.30.0` ran; default: installs it under the
# build directory on first use; ONNX Runtime is skipped if node or npm is missing).
# Thread counts are explicit for all three: 1 and all hardware threads.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=1
cold_runs=20
if [ "${1:-}" = "--quick" ]; then seconds=0.2; cold_runs=5; fi
BUILD_DIR="${STRATA_BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${STRATA_BUILD_TYPE:-RelWithDebInfo}"
fi
ninja -C "$BUILD_DIR" -j"${STRATA_JOBS:-$(nproc)}" aot_bench aot_cold_start
all=$(nproc)
data="$BUILD_DIR/bench/aot/data"
mkdir -p "$data"

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)):' || true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
echo
echo "== \$ $BUILD_DIR/bench/aot/aot_bench --threads=1,$all --seconds=$seconds --cold_runs=$cold_runs --out=$data"
"$BUILD_DIR/bench/aot/aot_bench" --threads=1,"$all" --seconds="$seconds" --cold_runs="$cold_runs" --out="$data"

ORT_PREFIX="${ORT_PREFIX:-$BUILD_DIR/bench/aot/ort}"
if ! command -v node >/dev/null; then
  echo "ort: skipped (node not found)"
  exit 0
fi
if [ ! -d "$ORT_PREFIX/node_modules/onnxruntime-node" ]; then
  if ! command -v npm >/dev/null; then echo "ort: skipped (npm not found)"; exit 0; fi
  mkdir -p "$ORT_PREFIX"
  npm install --ignore-scripts --prefix "$ORT_PREFIX" onnxruntime-node@1.30.0 >/dev/null
fi
echo
echo "== \$ node bench/aot/ort_bench.mjs $ORT_PREFIX $BUILD_DIR/bench/aot/models $data 1 $all --seconds=$seconds"
node bench/aot/ort_bench.mjs "$ORT_PREFIX" "$BUILD_DIR/bench/aot/models" "$data" 1 "$all" --seconds="$seconds"
