/* libav's logging, set once per process: quiet by default (corrupt input must not spray stderr), or the
 * level in $AV1GYM_AV_LOG (e.g. 32 for info) when debugging. Every file that opens libav calls this.
 *
 * A callback also captures, per thread and on request, the warnings and errors libav logs during one call
 * (ag_avlog_capture_begin/end), so an error message can carry libav's own words. It forwards to libav's
 * default callback, which honours the level, so capturing never makes libav print more. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Thread_local int capturing;
static _Thread_local char captured[768];
static _Thread_local size_t captured_len;

static void callback(void *avcl, int level, const char *fmt, va_list vl) {
  if (capturing && level <= AV_LOG_WARNING && captured_len + 2 < sizeof captured) {
    va_list copy;
    va_copy(copy, vl);
    char line[256];
    int prefix = 1;
    av_log_format_line2(avcl, level, fmt, copy, line, sizeof line, &prefix);
    va_end(copy);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == ' ')) line[--n] = 0;
    if (n) {
      int w = snprintf(captured + captured_len, sizeof captured - captured_len, "%s%s", captured_len ? "; " : "", line);
      if (w > 0) captured_len = captured_len + (size_t)w < sizeof captured ? captured_len + (size_t)w : sizeof captured - 1;
    }
  }
  av_log_default_callback(avcl, level, fmt, vl);
}

static void set_level(void) {
  const char *env = getenv("AV1GYM_AV_LOG");
  av_log_set_level(env ? atoi(env) : AV_LOG_QUIET);
  av_log_set_callback(callback);
}

void ag_av_log_init(void) { pthread_once(&once, set_level); }

void ag_avlog_capture_begin(void) {
  ag_av_log_init();
  captured[0] = 0;
  captured_len = 0;
  capturing = 1;
}

const char *ag_avlog_capture_end(void) {
  capturing = 0;
  return captured;
}
