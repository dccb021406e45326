/* Per-thread last-error string: Bun Workers are threads, so one global would mix their messages. */
#include <stdarg.h>
#include <stdio.h>

#include "av1gym.h"

/* Bumped whenever an exported signature changes; src/native/ffi.ts refuses a library with another value so a stale
 * build gives a clear "rebuild" message instead of undefined behaviour. */
#define AG_ABI_VERSION 1

static _Thread_local char last_error[512];
static _Thread_local int last_code;

const char *ag_last_error(void) { return last_error; }

int ag_last_error_code(void) { return last_code; }

int ag_abi_version(void) { return AG_ABI_VERSION; }

int ag_fail(int code, const char *fmt, ...) {
  va_list ap;
  last_code = code;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return code;
}

void ag_clear_error(void) {
  last_error[0] = 0;
  last_code = 0;
}
