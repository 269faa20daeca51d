#!/usr/bin/env bash
# Packs the GPU checks of an existing build for a GPU machine that lacks strata's build
# dependencies (LLVM/MLIR 19, protobuf, abseil): the test and bench binaries that
# tools/gpu_check.sh runs, strata's own libraries, and every shared library they load except
# glibc's, stripped of debug info, into one tarball (docs/gpu.md, "A GPU machine without the
# build dependencies"):
#
#   bash tools/gpu_bundle.sh [BUILD_DIR]        # default: build; writes $BUILD_DIR-gpu-bundle/strata-gpu.tar.xz
#
# With STRATA_BUNDLE_REALMODELS=name,name (models of tests/realmodels) the bundle also carries
# those models from the npm cache and their references, so realmodels_test needs no network.
# On the GPU machine, in a checkout of the same commit:
#
#   tar xJf strata-gpu.tar.xz && source BUILD_DIR/bundle/env.sh
#   STRATA_GPU_CHECK_PREBUILT=1 STRATA_BUILD_DIR=BUILD_DIR bash tools/gpu_check.sh
#
# The binaries keep the paths compiled into them (the tests find their data through the source
# folder they were built in): env.sh links that folder to this checkout when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
BUILD_DIR="${BUILD_DIR%/}"
OUT_DIR="$BUILD_DIR-gpu-bundle"
[ -f "$BUILD_DIR/build.ninja" ] || { echo "gpu_bundle: $BUILD_DIR is not a build folder" >&2; exit 1; }

binaries=(
  tests/gpu_runtime_test tests/gpu_session_test tests/gpu_ptx_test tests/gpu_models_test tests/gpu_tf32_test tests/gpu_half_matmul_test
  tests/gpu_emulator_ops_test tests/device_placement_test tests/tools/strata_compile_cuda_test tests/keras/keras_gpu_training_test
  tests/gradients/grad_training_step_test tests/gradients/grad_gpu_resident_variables_test tests/realmodels/realmodels_test
  bench/gpu_bench bin/strata
)
ninja -C "$BUILD_DIR" gpu_runtime_test gpu_session_test gpu_ptx_test gpu_models_test gpu_tf32_test gpu_half_matmul_test gpu_emulator_ops_test \
  device_placement_test strata_compile_cuda_test keras_gpu_training_test grad_training_step_test grad_gpu_resident_variables_test \
  realmodels_test gpu_bench strata_cli > /dev/null

stage="$OUT_DIR/stage"
rm -rf "$OUT_DIR" && mkdir -p "$stage/$BUILD_DIR/bundle/lib"
# glibc's own libraries come from the GPU machine (they must match its dynamic loader).
glibc='/(ld-linux[^/]*|libc|libm|libdl|libpthread|librt|libresolv|libutil)\.so[^/]*$'
declare -A libs=()
for bin in "${binaries[@]}"; do
  install -D -m 755 "$BUILD_DIR/$bin" "$stage/$BUILD_DIR/$bin"
  while read -r lib; do libs["$lib"]=1; done < <(ldd "$BUILD_DIR/$bin" | awk '$3 ~ /^\// {print $3}' | grep -vE "$glibc")
done
build_abs="$(cd "$BUILD_DIR" && pwd)"
for lib in "${!libs[@]}"; do
  case "$lib" in
    "$build_abs"/*) dest="$stage/$BUILD_DIR/${lib#"$build_abs"/}" ;;  # strata's own: same place as in the build
    *) dest="$stage/$BUILD_DIR/bundle/lib/$(basename "$lib")" ;;
  esac
  install -D -m 755 "$(readlink -f "$lib")" "$dest"
done
find "$stage" -type f -perm -u+x -exec strip --strip-debug {} +

# libLLVM links Z3 (the static analyzer's solver) and libxml2 (Windows manifests; it pulls in
# ICU's 31 MB of data): strata calls neither, so the bundle carries stubs that define what is
# imported from them (functions abort) in their place, and drops what only they needed.
stub_library() {  # the real library; writes a stub of the same soname into the bundle
  local real=$1 name
  name=$(basename "$real")
  local work="$OUT_DIR/stub-$name"
  mkdir -p "$work"
  find "$stage" -type f -name '*.so*' -o -type f -perm -u+x | xargs nm -D --undefined-only 2>/dev/null |
    awk '{print $2}' | sed 's/@.*//' | sort -u > "$work/imported"
  nm -D --defined-only -S "$real" |
    awk 'NF == 4 {n = $4; v = "-"; i = index(n, "@"); if (i) {v = substr(n, i); gsub(/^@+/, "", v); n = substr(n, 1, i - 1)}
                  print n, v, $3, $2}' |
    sort -k1,1 | join - "$work/imported" > "$work/defs"  # name version type size ("-": unversioned)
  {
    echo '#include <stdlib.h>'
    awk '$3 ~ /[TtWi]/ {printf "void %s(void) { abort(); }\n", $1}
         $3 ~ /[DdBbVR]/ {printf "char %s[0x%s];\n", $1, $4}' "$work/defs"
  } > "$work/stub.c"
  awk '$2 != "-" {print $2}' "$work/defs" | sort -u | while read -r version; do
    printf '%s { global: %s};\n' "$version" "$(awk -v v="$version" '$2 == v {printf "%s; ", $1}' "$work/defs")"
  done > "$work/versions.map"
  local map_flag=()
  [ -s "$work/versions.map" ] && map_flag=(-Wl,--version-script="$work/versions.map")
  cc -shared -fPIC -o "$stage/$BUILD_DIR/bundle/lib/$name" -Wl,-soname,"$name" "${map_flag[@]}" "$work/stub.c"
  rm -rf "$work"
}
for lib in "${!libs[@]}"; do
  case "$(basename "$lib")" in libz3.so.* | libxml2.so.*) stub_library "$lib" ;; esac
done
# Keep only what something in the bundle still needs (the stubs need nothing).
while true; do
  needed=$(find "$stage" -type f \( -name '*.so*' -o -perm -u+x \) -exec readelf -d {} + 2>/dev/null |
    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
  removed=0
  for lib in "$stage/$BUILD_DIR"/bundle/lib/*; do
    grep -qxF "$(basename "$lib")" <<< "$needed" || { rm "$lib"; removed=1; }
  done
  [ $removed = 0 ] && break
done

# Where the binaries look for their libraries on the GPU machine, and the source folder they
# were built in (tests read tests/data through it).
{
  echo "# Sourced from the checkout's root after unpacking the bundle (tools/gpu_bundle.sh)."
  echo "here=\"\$(pwd)\""
  echo "export LD_LIBRARY_PATH=\"\$here/$BUILD_DIR/bundle/lib:\$here/$BUILD_DIR:\$here/$BUILD_DIR/runtime:\$here/$BUILD_DIR/compiler\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\""
  echo "if [ ! -e '$PWD' ]; then mkdir -p '$(dirname "$PWD")' && ln -s \"\$here\" '$PWD'; fi"
  echo "[ -d \"\$here/$BUILD_DIR/bundle/cache\" ] && export STRATA_CACHE=\"\$here/$BUILD_DIR/bundle/cache\""
  echo "[ -d \"\$here/$BUILD_DIR/bundle/refs\" ] && export STRATA_REALMODELS_REFS=\"\$here/$BUILD_DIR/bundle/refs\""
  echo "true"
} > "$stage/$BUILD_DIR/bundle/env.sh"

# The real models named in STRATA_BUNDLE_REALMODELS, from the cache realmodels_test fills.
if [ -n "${STRATA_BUNDLE_REALMODELS:-}" ]; then
  cache="${STRATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}/realmodels/human-models-3.0.4/package/models"
  refs="${STRATA_REALMODELS_REFS:-$PWD/../shared/realmodels/refs}"
  [ -d "$cache" ] || { echo "gpu_bundle: no models at $cache (run realmodels_test once to fetch them)" >&2; exit 1; }
  dest_models="$stage/$BUILD_DIR/bundle/cache/realmodels/human-models-3.0.4/package/models"
  mkdir -p "$dest_models" "$stage/$BUILD_DIR/bundle/refs"
  IFS=, read -ra names <<< "$STRATA_BUNDLE_REALMODELS"
  for name in "${names[@]}"; do
    cp "$cache/$name.json" "$cache/$name.bin" "$dest_models/"
    cp -r "$refs/$name" "$stage/$BUILD_DIR/bundle/refs/"
  done
fi

tar -C "$stage" -cf - "$BUILD_DIR" | xz -T0 -6 > "$OUT_DIR/strata-gpu.tar.xz"
rm -rf "$stage"
echo "$OUT_DIR/strata-gpu.tar.xz: $(du -h "$OUT_DIR/strata-gpu.tar.xz" | cut -f1)"
