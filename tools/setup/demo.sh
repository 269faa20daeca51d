#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the main job on bundled examples:
#   1. quickstart: a model built with the C++ builder API, saved as .pb, loaded back and run
#      (compiled to native code, and with the reference evaluator);
#   2. the Keras-style API: the classic Keras MNIST MLP (Dense 512-512 with Dropout, RMSprop)
#      trained on Fashion-MNIST (shortened: STRATA_DEMO_EPOCHS epochs of STRATA_DEMO_IMAGES
#      images), evaluated, and frozen to an inference GraphDef;
#   3. that frozen graph compiled ahead of time (strata_aot_library) into a small program that
#      classifies the 10000 test images with no compiler in the process.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/setup/install_deps.sh
bash tools/setup/build.sh
BUILD_DIR="$(cd "${STRATA_BUILD_DIR:-build}" && pwd)"
DATA_DIR="${STRATA_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
DEMO_DIR="$BUILD_DIR/demo"
mkdir -p "$DEMO_DIR"

echo "== 1. quickstart: builder API -> .pb -> Session"
"$BUILD_DIR/examples/quickstart" "$BUILD_DIR/examples/mlp.pb"

echo
echo "== 2. Keras-style API: train the MLP on Fashion-MNIST, evaluate, freeze"
"$BUILD_DIR/examples/keras_fashion_mnist" --model mlp --epochs "${STRATA_DEMO_EPOCHS:-1}" \
    --train-limit "${STRATA_DEMO_IMAGES:-30000}" --seed 1 --data "$DATA_DIR" \
    --export "$DEMO_DIR/fashion_mlp.pb" | tee "$DEMO_DIR/keras.log"
INPUT_NAME="$(sed -n "s/.*(input '\([^']*\)'.*/\1/p" "$DEMO_DIR/keras.log")"

echo
echo "== 3. ahead-of-time: compile the frozen graph into a program and classify the test set"
cmake -S examples/keras_aot -B "$DEMO_DIR/aot" -G Ninja -DStrataAot_DIR="$BUILD_DIR" \
    -DFASHION_GRAPH="$DEMO_DIR/fashion_mlp.pb" -DFASHION_INPUT="$INPUT_NAME" > "$DEMO_DIR/aot-configure.log"
cmake --build "$DEMO_DIR/aot" | tail -n 3
"$DEMO_DIR/aot/fashion_classify" "$DATA_DIR" | tee "$DEMO_DIR/aot.log"

# The compiled program and the Keras model's own evaluation saw the same 10000 images (a near
# tie between two classes may round differently: allow 2 images in 10000).
KERAS_ACC="$(sed -n 's/^test_accuracy=//p' "$DEMO_DIR/keras.log")"
AOT_ACC="$(sed -n 's/^aot_test_accuracy=//p' "$DEMO_DIR/aot.log")"
if ! awk -v a="$KERAS_ACC" -v b="$AOT_ACC" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d <= 0.0002 && d >= -0.0002) }'; then
  echo "error: the AOT-compiled model's accuracy $AOT_ACC differs from Keras evaluate's $KERAS_ACC" >&2
  exit 1
fi
echo "the AOT-compiled model agrees with Keras evaluate: test accuracy $AOT_ACC"
