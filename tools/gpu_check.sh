#!/usr/bin/env bash
# The GPU evidence in one command, for a machine with an NVIDIA GPU (docs/gpu.md):
#
#   bash tools/gpu_check.sh
#
# 1. builds the GPU targets (cmake + ninja into $STRATA_BUILD_DIR, default build-gpu), or, with
#    STRATA_GPU_CHECK_PREBUILT=1, uses the binaries already there (a bundle made by
#    tools/gpu_bundle.sh, for a GPU machine without the build dependencies);
# 2. prints nvidia-smi and the driver version;
# 3. runs gpu_runtime_test, gpu_session_test, gpu_ptx_test, gpu_models_test (MLP 784-512-512-10
#    and a CNN, Session "gpu" vs "cpu" at rtol 1e-4), gpu_tf32_test and gpu_half_matmul_test
#    (tensor-core contractions), grad_gpu_resident_variables_test (variables kept on the device),
#    every op case of gpu_emulator_ops_test on
#    the device (STRATA_GPU_OPS_BACKEND=gpu), node placement over GPU and CPU
#    (device_placement_test, STRATA_PLACEMENT_GPU_BACKEND=gpu), the Keras training test, the training step and
#    `strata compile --target cuda`, and counts passed / skipped / failed;
#    FAILS LOUDLY when nvidia-smi sees a GPU but the GPU cases were skipped;
# 4. runs `strata run --backend gpu` and `--backend cpu` on two small graphs and compares them;
# 5. with STRATA_REALMODELS set (1 or quick: the quick models; all; or a list of names, as
#    tests/realmodels reads it), runs the real models on the GPU backend
#    (STRATA_REALMODELS_BACKEND=gpu); the models come through npm (see tests/realmodels);
# 6. runs bench/gpu/gpu_bench (fp32, tf32, f16, bf16) when it was built (skip with STRATA_GPU_CHECK_BENCH=0),
#    and on a compute 9.0 GPU its GEMMs again compiled for sm_90a (the wgmma kernels).
# The sm_90a (wgmma) instances of gpu_half_matmul_test and gpu_tf32_test ("GpuSm90a*") run in
# step 3 on a compute 9.0 GPU and skip on others.
#
# Everything goes to the terminal and to the results file named at the end
# ($STRATA_GPU_CHECK_OUT, default $BUILD_DIR/gpu_check_results.txt). Exit status 0 only when
# every step passed; without a GPU it always fails (nothing is verified there).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${STRATA_BUILD_DIR:-build-gpu}"
JOBS="${STRATA_JOBS:-$(nproc)}"
OUT="${STRATA_GPU_CHECK_OUT:-$BUILD_DIR/gpu_check_results.txt}"
mkdir -p "$BUILD_DIR" "$(dirname "$OUT")"
: > "$OUT"
failures=()

log() { printf '%s\n' "$*" | tee -a "$OUT"; }
fail() {
  failures+=("$1")
  log "!!! FAILED: $1"
}

log "== strata GPU check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

# 1. Build.
test_binaries=(gpu_runtime_test gpu_session_test gpu_ptx_test gpu_models_test gpu_tf32_test gpu_half_matmul_test gpu_emulator_ops_test
              device_placement_test keras/keras_gpu_training_test gradients/grad_training_step_test
              gradients/grad_gpu_resident_variables_test tools/strata_compile_cuda_test)
targets=(gpu_runtime_test gpu_session_test gpu_ptx_test gpu_models_test gpu_tf32_test gpu_half_matmul_test gpu_emulator_ops_test
         device_placement_test keras_gpu_training_test grad_training_step_test grad_gpu_resident_variables_test
         strata_compile_cuda_test strata_cli)
if [ "${STRATA_GPU_CHECK_PREBUILT:-0}" = 1 ]; then
  log "== prebuilt binaries in $BUILD_DIR (STRATA_GPU_CHECK_PREBUILT=1): not building"
else
  log "== build ($BUILD_DIR, -j$JOBS)"
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release 2>&1 | tail -3 | tee -a "$OUT"
  fi
  ninja -C "$BUILD_DIR" -t targets all 2>/dev/null | grep -q '^gpu_bench:' && targets+=(gpu_bench)
  [ -n "${STRATA_REALMODELS:-}" ] && targets+=(realmodels_test)
  if ! ninja -C "$BUILD_DIR" -j"$JOBS" "${targets[@]}" > "$BUILD_DIR/gpu_check_build.log" 2>&1; then
    tail -40 "$BUILD_DIR/gpu_check_build.log" | tee -a "$OUT"
    fail "build (log: $BUILD_DIR/gpu_check_build.log)"
    log "== results in $OUT"
    exit 1
  fi
  log "built: ${targets[*]}"
fi

# 2. The GPU as the driver sees it.
log "== nvidia-smi"
gpu_seen=0
if command -v nvidia-smi > /dev/null 2>&1; then
  nvidia-smi 2>&1 | tee -a "$OUT"
  nvidia-smi --query-gpu=index,name,driver_version,compute_cap,memory.total --format=csv 2>&1 | tee -a "$OUT"
  nvidia-smi -L 2>/dev/null | grep -q '^GPU ' && gpu_seen=1
else
  log "nvidia-smi: not found"
fi
ls -l /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null | tee -a "$OUT"
log "GPU seen by nvidia-smi: $([ $gpu_seen = 1 ] && echo yes || echo no)"
# Without a GPU the steps below still run (and show what skips), but nothing is verified.
[ $gpu_seen = 1 ] || fail "nvidia-smi sees no GPU: this check proves nothing on this machine"

# 3. The test binaries. A skipped test whose name matches this is a GPU case: with a GPU it must run.
gpu_case='/cuda$|/gpu$|/Gpu([A-Z][A-Za-z0-9]*)?$|^CudaDeviceTest\.|DenseLayerMatchesTheReferenceEvaluator|^GpuModelsTest\.|^(Ops|MoreOps)/GpuEmulatorOpsTest|^GpuEmulator(Shapes|Checks|Results)Test|^DevicePlacementTest\.'
# gpu_emulator_ops_test's cases and device_placement_test's GPU side on the device instead of the emulator.
export STRATA_GPU_OPS_BACKEND=gpu STRATA_PLACEMENT_GPU_BACKEND=gpu
total_passed=0 total_skipped=0 total_failed=0
for test in "${test_binaries[@]}"; do
  log "== $test"
  text="$BUILD_DIR/$(basename "$test").out"
  "$BUILD_DIR/tests/$test" > "$text" 2>&1
  rc=$?
  grep -E '^\[ (DEVICE|mlp|cnn)|^device:|^\[  (PASSED|SKIPPED|FAILED)  \]|^\[==========\]|^\[ +(mlp|cnn)' "$text" | tee -a "$OUT"
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$text" | head -1)
  skipped=$(grep -cE '^\[  SKIPPED \] [A-Za-z].*\.' "$text")
  failed=$(grep -cE '^\[  FAILED  \] [A-Za-z].*\.' "$text")
  passed=${passed:-0}
  # gtest lists each skipped/failed test twice (when it ends, and in the summary).
  skipped=$((skipped / 2)) failed=$((failed / 2))
  total_passed=$((total_passed + passed)) total_skipped=$((total_skipped + skipped)) total_failed=$((total_failed + failed))
  log "$test: exit $rc, $passed passed, $skipped skipped, $failed failed (full output: $text)"
  [ $rc -ne 0 ] && fail "$test exited $rc"
  skipped_gpu=$(sed -n 's/^\[  SKIPPED \] \([A-Za-z][^ ]*\)$/\1/p' "$text" | sort -u | grep -E "$gpu_case")
  if [ -n "$skipped_gpu" ]; then
    log "$test skipped its GPU cases:"
    printf '  %s\n' $skipped_gpu | tee -a "$OUT"
    grep -m1 -E 'no CUDA' "$text" | tee -a "$OUT"
    if [ $gpu_seen = 1 ]; then
      fail "$test SKIPPED GPU TESTS ALTHOUGH nvidia-smi SEES A GPU (is libcuda.so.1 on the loader path? STRATA_LIBCUDA=...)"
    fi
  fi
done
log "== tests: $total_passed passed, $total_skipped skipped, $total_failed failed"

# 4. The CLI on both backends. Outputs are written as .npy and compared byte for byte where the
# result is exact (int32 add), and printed side by side otherwise (float; gpu_models_test above
# is the numeric comparison).
log "== strata run --backend gpu vs --backend cpu"
cli="$BUILD_DIR/bin/strata"
work="$BUILD_DIR/gpu_check_cli"
rm -rf "$work" && mkdir -p "$work"
# x: float32[2,4] = [[1, 0.5, -1, 2], [0, 1, 2, -1]] as a NumPy .npy (v1.0 header padded to 64 bytes).
npy_header="{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }"
while [ $(( (10 + ${#npy_header} + 1) % 64 )) -ne 0 ]; do npy_header+=" "; done
{
  printf '\x93NUMPY\x01\x00'
  printf "\\x$(printf '%02x' $(( (${#npy_header} + 1) % 256 )))\\x$(printf '%02x' $(( (${#npy_header} + 1) / 256 )))"
  printf '%s\n' "$npy_header"
  printf '\x00\x00\x80\x3f\x00\x00\x00\x3f\x00\x00\x80\xbf\x00\x00\x00\x40'
  printf '\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x80\xbf'
} > "$work/x.npy"
run_both() {  # name model fetch [feed]
  local name=$1 model=$2 fetch=$3 feed=${4:-}
  local ok=1
  for backend in gpu cpu; do
    local args=("$model" --fetch "$fetch" --backend "$backend" --out "$work/$name.$backend")
    [ -n "$feed" ] && args+=(--feed "$feed")
    if ! "$cli" run "${args[@]}" > "$work/$name.$backend.txt" 2>&1; then
      ok=0
      fail "strata run $name --backend $backend: $(tail -1 "$work/$name.$backend.txt")"
    fi
    log "-- $name on $backend:"
    tee -a "$OUT" < "$work/$name.$backend.txt"
  done
  [ $ok = 1 ] || return
  if cmp -s "$work/$name.gpu/output_0.npy" "$work/$name.cpu/output_0.npy"; then
    log "$name: gpu and cpu outputs are byte-identical"
  elif [ "$name" = tfadd ]; then
    fail "$name: gpu and cpu outputs differ (an exact int32 add)"
  else
    log "$name: outputs differ in their bits (float; compare the printed values above)"
  fi
}
run_both tfadd tests/data/tfadd.pbtxt x_y_sum
run_both classifier examples/aot/classifier.pbtxt probs "x=$work/x.npy"

# 5. The real models on the GPU backend.
if [ -n "${STRATA_REALMODELS:-}" ]; then
  log "== real models on the GPU (STRATA_REALMODELS=$STRATA_REALMODELS)"
  # realmodels_test reads STRATA_REALMODELS as "all" or a list of names; empty = the quick ones.
  selection="$STRATA_REALMODELS"
  case "$selection" in 1 | quick | yes) selection="" ;; esac
  STRATA_REALMODELS="$selection" STRATA_REALMODELS_BACKEND=gpu "$BUILD_DIR/tests/realmodels/realmodels_test" \
    > "$BUILD_DIR/realmodels_gpu.out" 2>&1
  rc=$?
  grep -E '^realmodel:|^  (model.json|\.pb)|^\[  (PASSED|SKIPPED|FAILED)  \]' "$BUILD_DIR/realmodels_gpu.out" | tee -a "$OUT"
  [ $rc -ne 0 ] && fail "realmodels_test on gpu exited $rc (output: $BUILD_DIR/realmodels_gpu.out)"
else
  log "== real models: skipped (set STRATA_REALMODELS=1 for the quick ones, =all for every model)"
fi

# 6. The benchmark, when built.
if [ "${STRATA_GPU_CHECK_BENCH:-1}" != 0 ] && [ -x "$BUILD_DIR/bench/gpu_bench" ]; then
  log "== bench/gpu/gpu_bench"
  "$BUILD_DIR/bench/gpu_bench" --precisions=fp32,tf32,f16,bf16 2>&1 | tee -a "$OUT"
  [ "${PIPESTATUS[0]}" -ne 0 ] && fail "gpu_bench"
  if nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | grep -q '^9\.0'; then
    log "== bench/gpu/gpu_bench --cuda_arch=sm_90a (wgmma)"
    "$BUILD_DIR/bench/gpu_bench" --precisions=tf32,f16,bf16 --models= --cuda_arch=sm_90a 2>&1 | tee -a "$OUT"
    [ "${PIPESTATUS[0]}" -ne 0 ] && fail "gpu_bench --cuda_arch=sm_90a"
  fi
fi

log "== summary"
if [ ${#failures[@]} -eq 0 ]; then
  log "GPU CHECK PASSED ($total_passed tests passed, $total_skipped skipped)"
  log "== results in $OUT"
  exit 0
fi
log "GPU CHECK FAILED: ${#failures[@]} problem(s):"
for f in "${failures[@]}"; do log "  - $f"; done
log "== results in $OUT"
exit 1
