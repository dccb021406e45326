#!/usr/bin/env bash
# Runs tests against the shim built with AddressSanitizer and UndefinedBehaviorSanitizer:
#   bash scripts/test-sanitized.sh                 # the whole suite
#   bash scripts/test-sanitized.sh test/io test/fuzz
#   bash scripts/test-sanitized.sh --leaks --run test/native/leaks-child.ts   # a script, LeakSanitizer on
# The sanitized library lives in lib/build/san/ (AV1GYM_SANITIZE=address,undefined scripts/build-svt.sh) and is
# loaded through AV1GYM_LIB. Bun itself is not instrumented, so the ASan runtime is preloaded; the options suit a
# JIT runtime: Bun's own signal handlers stay in place (handle_segv=0...), no leak report at exit (the JS heap
# and SVT-AV1's process-wide tables outlive main), and any report ends the process with a non-zero status,
# which fails the test that spawned it (or the run).
# --leaks turns LeakSanitizer on (suppressions: test/native/lsan.supp). Bun leaves through _exit, so LSan's own
# at-exit check never runs in Bun: a script checks explicitly (__lsan_do_recoverable_leak_check, through the
# runtime named by $AV1GYM_ASAN_RUNTIME). Only for --run: under `bun test`
# every child process (ffmpeg, redis-server, chromium) would run the at-exit check and fail on its own leaks.
# --run FILE [ARGS]: runs a script rather than tests.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
AV1GYM_SANITIZE=address,undefined bash scripts/build-svt.sh >/dev/null
export AV1GYM_LIB="$ROOT/lib/build/san/libav1gym.so"
export LD_PRELOAD="$(cc -print-file-name=libasan.so):$(cc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:allow_user_segv_handler=1:detect_stack_use_after_return=0:alloc_dealloc_mismatch=0:detect_odr_violation=0:abort_on_error=1:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
export AV1GYM_SANITIZED=1
# Chromium (the corpus report's tests) never loads the shim and hangs with ASan preloaded: it runs without it
for exe in "${AV1GYM_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  [ -n "$exe" ] && [ -x "$exe" ] && [ "$exe" != "$ROOT/scripts/lib/unsanitized.sh" ] || continue
  export AV1GYM_UNSANITIZED_EXE="$exe" AV1GYM_CHROMIUM="$ROOT/scripts/lib/unsanitized.sh"
  break
done
export AV1GYM_ASAN_RUNTIME="$(cc -print-file-name=libasan.so)"
leaks=0
[ "${1:-}" = --leaks ] && { leaks=1; shift; }
if [ "$leaks" = 1 ]; then
  [ "${1:-}" = --run ] || { echo "test-sanitized.sh: --leaks goes with --run (see above)" >&2; exit 2; }
  ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=0/detect_leaks=1}"
  export LSAN_OPTIONS="suppressions=$ROOT/test/native/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
fi
if [ "${1:-}" = --run ]; then
  shift
  exec bun run "$@"
fi
exec bun test --timeout 600000 "$@"
