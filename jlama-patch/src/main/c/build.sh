#!/bin/sh
# Builds the optional native decode kernel into the jar's classes: sh build.sh <source dir> <output dir>.
# Without a C compiler the build goes on and ffn-skip runs Jlama's own kernels (NativeQ4Kernel says so at run time).
src="$1"; out="$2"
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[ffn-skip] no C compiler ($cc): skipping the native decode kernel; Jlama's kernels will be used"
  exit 0
fi
mkdir -p "$out"
"$cc" -O3 -std=c11 -shared -fPIC -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mfma \
  -o "$out/libffnskip_q4.so" "$src/ffnskip_q4.c" || { echo "[ffn-skip] native decode kernel did not build; Jlama's kernels will be used"; exit 0; }
echo "[ffn-skip] built $out/libffnskip_q4.so"
