/* Per-thread last-error string: Bun Workers are threads, so one global would mix their messages. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static _Thread_local char last_error[512];
static _Thread_local int32_t last_code;

const char *ag_last_error(void) { return last_error; }

int32_t ag_last_error_code(void) { return last_code; }

int32_t ag_abi_version(void) { return AG_ABI_VERSION; }

int32_t ag_fail(int32_t code, const char *fmt, ...) {
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
