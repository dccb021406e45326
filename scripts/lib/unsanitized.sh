#!/bin/sh
# Runs a program without the sanitizer runtimes that scripts/test-sanitized.sh preloads into every process:
# for programs that never load our shim and do not run under a preloaded ASan (Chromium's launcher script and
# its sandboxed processes hang there, so the report test timed out). test-sanitized.sh points AV1GYM_CHROMIUM
# at this script with AV1GYM_UNSANITIZED_EXE set to the real browser.
unset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
exec "$AV1GYM_UNSANITIZED_EXE" "$@"
