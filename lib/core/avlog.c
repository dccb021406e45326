/* libav's logging, set once per process: quiet by default (corrupt input must not spray stderr), or the
 * level in $AV1GYM_AV_LOG (e.g. 32 for info) when debugging. Every file that opens libav calls this. */
#include <pthread.h>
#include <stdlib.h>

#include <libavutil/log.h>

#include "internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void set_level(void) {
  const char *env = getenv("AV1GYM_AV_LOG");
  av_log_set_level(env ? atoi(env) : AV_LOG_QUIET);
}

void ag_av_log_init(void) { pthread_once(&once, set_level); }
