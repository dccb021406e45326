/* Thread placement for the RL environment's VectorEnv workers (src/env/vector_env.ts).
 * Each worker pins its own thread to one CPU before opening encoders; the SVT-AV1 threads an encoder
 * starts inherit that mask, so two Envs on a 2-core machine do not compete for the same core. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

int32_t ag_env_pin_thread(int32_t cpu) {
  ag_clear_error();
  if (cpu < 0 || cpu >= CPU_SETSIZE) return ag_fail(AG_E_INVALID, "cpu %d is outside 0..%d", (int)cpu, CPU_SETSIZE - 1);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    return ag_fail(AG_E_INVALID, "could not pin the thread to cpu %d: %s", (int)cpu, strerror(errno));
  return AG_OK;
}

int32_t ag_env_unpin_thread(void) {
  ag_clear_error();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int i = 0; i < CPU_SETSIZE; i++) CPU_SET(i, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    return ag_fail(AG_E_INVALID, "could not unpin the thread: %s", strerror(errno));
  return AG_OK;
}

int32_t ag_env_cpu_count(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}
