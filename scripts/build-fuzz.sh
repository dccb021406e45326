#!/usr/bin/env bash
# Builds the libFuzzer harnesses (test/fuzz/fuzz_*.c) with clang, ASan and UBSan, against every lib/**/*.c
# compiled the same way. Not part of the default build: `bash scripts/build-fuzz.sh` (needs Debian's clang,
# and the SVT-AV1 that scripts/build-svt.sh provides). Prints the directory holding the binaries.
#   Run one:  lib/build/fuzz/fuzz_reader test/fuzz/corpus/reader -max_total_time=60
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/lib/build/fuzz"
command -v clang >/dev/null || { echo "[build-fuzz] error: clang is missing: apt-get install -y clang" >&2; exit 1; }
bash "$ROOT/scripts/build-svt.sh" >/dev/null   # SVT-AV1 and the libav dev files
svt_pc="$ROOT/lib/build/svt/lib/pkgconfig"
pc() { PKG_CONFIG_PATH="$svt_pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config "$@"; }
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
# shellcheck disable=SC2207
CFLAGS=(-std=c11 -D_GNU_SOURCE -O1 -g -fPIC -pthread -Wall -Wextra -Wno-unused-parameter "${SAN[@]}"
  -I"$ROOT/lib/include" -I"$ROOT/lib" $(pc --cflags SvtAv1Enc libavformat libavcodec libavutil libswscale))
# shellcheck disable=SC2207
LDLIBS=($(pc --libs SvtAv1Enc libavformat libavcodec libavutil libswscale) -lm -Wl,-rpath,"$ROOT/lib/build/svt/lib")
mkdir -p "$OUT/obj"
mapfile -t sources < <(cd "$ROOT" && find lib -name '*.c' -not -path 'lib/build/*' | sort)
objects=()
for src in "${sources[@]}"; do
  o="$OUT/obj/$(echo "${src#lib/}" | tr / _)"; o="${o%.c}.o"
  objects+=("$o")
  [ "$o" -nt "$ROOT/$src" ] && [ "$o" -nt "$0" ] && ! find "$ROOT/lib" -name '*.h' -newer "$o" | grep -q . && continue
  clang "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -c "$ROOT/$src" -o "$o" &
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
done
wait
for o in "${objects[@]}"; do [ -f "$o" ] || { echo "[build-fuzz] error: $o did not compile" >&2; exit 1; }; done
harnesses=()
for h in "$ROOT"/test/fuzz/fuzz_*.c; do
  name=$(basename "$h" .c)
  harnesses+=("$name")
  # linked aside, then moved: a campaign running the old binary keeps it (no "text file busy"); in parallel
  [ "$OUT/$name" -nt "$h" ] && [ "$OUT/$name" -nt "$ROOT/test/fuzz/fuzz_util.h" ] && ! find "$OUT/obj" -name '*.o' -newer "$OUT/$name" | grep -q . && continue
  rm -f "$OUT/$name.tmp"
  { clang "${CFLAGS[@]}" -fsanitize=fuzzer -I"$ROOT/test/fuzz" "$h" "${objects[@]}" "${LDLIBS[@]}" -o "$OUT/$name.tmp" && mv "$OUT/$name.tmp" "$OUT/$name"; } &
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
done
wait
for name in "${harnesses[@]}"; do [ -f "$OUT/$name" ] && [ ! -f "$OUT/$name.tmp" ] || { echo "[build-fuzz] error: $name did not link" >&2; exit 1; }; done
echo "$OUT"
