/* VMAF's motion feature as libvmaf 3.2.0 computes it ("pipelined" motion, integer_motion_v2.c): the 5-tap
 * blur is applied to the difference prev - cur of two reference frames (linear, so equal to the SAD of
 * the blurred frames up to rounding), vertical pass >> bpc, horizontal pass >> 16, then the mean of |.|.
 * motion2[i] = min(motion[i], motion[i+1]) is formed by the caller. Follows libvmaf's structure
 * (Copyright 2016-2025 Netflix, Inc., BSD-2-Clause-Patent licensed). */
#include <stdlib.h>

#include "metric_internal.h"

static const int32_t motion_filter[5] = {3571, 16004, 26386, 16004, 3571};

double agm_motion_score(const uint16_t *prev, const uint16_t *cur, int w, int h, int bpc, int32_t *row) {
  const int32_t y_round = 1 << (bpc - 1);
  uint64_t sad = 0;
  for (int i = 0; i < h; i++) {
    int32_t any = 0;
    const uint16_t *p[5], *c[5];
    for (int k = 0; k < 5; k++) {
      const int r = agm_mirror(i - 2 + k, h);
      p[k] = prev + (size_t)r * w;
      c[k] = cur + (size_t)r * w;
    }
    for (int j = 0; j < w; j++) {
      int64_t acc = 0;
      for (int k = 0; k < 5; k++) acc += (int64_t)motion_filter[k] * ((int32_t)p[k][j] - (int32_t)c[k][j]);
      row[j] = (int32_t)((acc + y_round) >> bpc);
      any |= row[j];
    }
    if (!any) continue;
    uint32_t row_sad = 0;
    for (int j = 0; j < w; j++) {
      int64_t acc = 0;
      for (int k = 0; k < 5; k++) acc += (int64_t)motion_filter[k] * row[agm_mirror(j - 2 + k, w)];
      row_sad += (uint32_t)abs((int32_t)((acc + 32768) >> 16));
    }
    sad += row_sad;
  }
  const double score = (double)sad / 256. / ((double)w * h);
  return score < 10000.0 ? score : 10000.0;
}
