/* VMAF's motion feature as libvmaf 3.2.0 computes it ("pipelined" motion, integer_motion_v2.c): the 5-tap
 * blur is applied to the difference prev - cur of two reference frames (linear, so equal to the SAD of
 * the blurred frames up to rounding), vertical pass >> bpc, horizontal pass >> 16, then the mean of |.|.
 * motion2[i] = min(motion[i], motion[i+1]) is formed by the caller. Follows libvmaf's structure
 * (Copyright 2016-2025 Netflix, Inc., BSD-2-Clause-Patent licensed). */
#include <stdlib.h>

#include "metric_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AGM_X86 1
#endif

static const int32_t motion_filter[5] = {3571, 16004, 26386, 16004, 3571};

void agm_motion_tap_rows(const uint16_t *prev, const uint16_t *cur, int w, int h, int i, const uint16_t *p[5], const uint16_t *c[5]) {
  for (int k = 0; k < 5; k++) {
    const int r = agm_mirror(i - 2 + k, h);
    p[k] = prev + (size_t)r * w;
    c[k] = cur + (size_t)r * w;
  }
}

int32_t agm_motion_vertical_c(const uint16_t *const p[5], const uint16_t *const c[5], int w, int bpc, int j0, int32_t *row) {
  int32_t any = 0;
  for (int j = j0; j < w; j++) {
    int64_t acc = 0;
    for (int k = 0; k < 5; k++) acc += (int64_t)motion_filter[k] * ((int32_t)p[k][j] - (int32_t)c[k][j]);
    row[j] = (int32_t)((acc + (1 << (bpc - 1))) >> bpc);
    any |= row[j];
  }
  return any;
}

/* Horizontal pass and |.| summed over columns [j0, j1). */
static uint32_t hsad_range(const int32_t *row, int w, int j0, int j1) {
  uint32_t sad = 0;
  for (int j = j0; j < j1; j++) {
    int64_t acc = 0;
    for (int k = 0; k < 5; k++) acc += (int64_t)motion_filter[k] * row[agm_mirror(j - 2 + k, w)];
    sad += (uint32_t)abs((int32_t)((acc + 32768) >> 16));
  }
  return sad;
}

/* Only the columns outside [skip0, skip1) are visited (the SIMD callers did the ones between). */
uint32_t agm_motion_hsad_c(const int32_t *row, int w, int skip0, int skip1) {
  if (skip0 > w) skip0 = w;
  if (skip1 < skip0) skip1 = skip0;
  return hsad_range(row, w, 0, skip0) + hsad_range(row, w, skip1, w);
}

#ifdef AGM_X86
/* AVX2: vertical pass of 16 columns with madd on 16-bit differences (|d| <= 2^bpc - 1 fits), then the
 * horizontal pass with the row split as y = 256*yh + yl so that 32-bit sums stay exact:
 * (sum f*y + 2^15) >> 16 == (sum f*yh + ((sum f*yl + 2^15) >> 8)) >> 8 (floor divisions compose). */
__attribute__((target("avx2"))) static uint64_t motion_avx2(const uint16_t *prev, const uint16_t *cur, int w, int h, int bpc, int32_t *row) {
  const __m256i f01 = _mm256_set1_epi32(16004 << 16 | 3571), f23 = _mm256_set1_epi32(16004 << 16 | 26386);
  const __m256i f4 = _mm256_set1_epi32(3571);
  const __m256i yr = _mm256_set1_epi32(1 << (bpc - 1));
  const __m128i bsh = _mm_cvtsi32_si128(bpc);
  const __m256i c0 = _mm256_set1_epi32(3571), c1 = _mm256_set1_epi32(16004), c2 = _mm256_set1_epi32(26386);
  const __m256i lo8 = _mm256_set1_epi32(255), r15 = _mm256_set1_epi32(32768);
  uint64_t sad = 0;
  for (int i = 0; i < h; i++) {
    const uint16_t *p[5], *c[5];
    agm_motion_tap_rows(prev, cur, w, h, i, p, c);
    int j = 0;
    __m256i any = _mm256_setzero_si256();
    for (; j + 16 <= w; j += 16) {
      __m256i d[5];
      for (int k = 0; k < 5; k++)
        d[k] = _mm256_sub_epi16(_mm256_loadu_si256((const __m256i *)(p[k] + j)), _mm256_loadu_si256((const __m256i *)(c[k] + j)));
      const __m256i z = _mm256_setzero_si256();
      __m256i lo = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(d[0], d[1]), f01),
                                    _mm256_madd_epi16(_mm256_unpacklo_epi16(d[2], d[3]), f23));
      __m256i hi = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(d[0], d[1]), f01),
                                    _mm256_madd_epi16(_mm256_unpackhi_epi16(d[2], d[3]), f23));
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(d[4], z), f4));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(d[4], z), f4));
      lo = _mm256_sra_epi32(_mm256_add_epi32(lo, yr), bsh);
      hi = _mm256_sra_epi32(_mm256_add_epi32(hi, yr), bsh);
      any = _mm256_or_si256(any, _mm256_or_si256(lo, hi));
      _mm256_storeu_si256((__m256i *)(row + j), _mm256_permute2x128_si256(lo, hi, 0x20));
      _mm256_storeu_si256((__m256i *)(row + j + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
    }
    const int32_t any_tail = agm_motion_vertical_c(p, c, w, bpc, j, row);
    if (_mm256_testz_si256(any, any) && !any_tail) continue;
    /* horizontal: interior columns 2 .. w-3 need no mirroring */
    uint32_t rs = 0;
    int jx = 2;
    __m256i acc32 = _mm256_setzero_si256();
    for (; jx + 8 <= w - 2; jx += 8) {
      __m256i sh = _mm256_setzero_si256(), sl = _mm256_setzero_si256();
      const __m256i cf[5] = {c0, c1, c2, c1, c0};
      for (int k = 0; k < 5; k++) {
        const __m256i y = _mm256_loadu_si256((const __m256i *)(row + jx - 2 + k));
        sh = _mm256_add_epi32(sh, _mm256_mullo_epi32(_mm256_srai_epi32(y, 8), cf[k]));
        sl = _mm256_add_epi32(sl, _mm256_mullo_epi32(_mm256_and_si256(y, lo8), cf[k]));
      }
      const __m256i v = _mm256_srai_epi32(_mm256_add_epi32(sh, _mm256_srai_epi32(_mm256_add_epi32(sl, r15), 8)), 8);
      acc32 = _mm256_add_epi32(acc32, _mm256_abs_epi32(v));
    }
    uint32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, acc32);
    for (int k = 0; k < 8; k++) rs += lanes[k];
    sad += rs + agm_motion_hsad_c(row, w, 2, jx); /* borders and the remainder (uint32, as the row sum) */
  }
  return sad;
}
#endif

double agm_motion_score(const uint16_t *prev, const uint16_t *cur, int w, int h, int bpc, int32_t *row) {
  uint64_t sad = 0;
#ifdef AGM_X86
  if (agm_use_avx512() && bpc <= 12) {
    sad = agm_motion_sad_avx512(prev, cur, w, h, bpc, row);
    goto done;
  }
  if (agm_use_avx2() && bpc <= 12) {
    sad = motion_avx2(prev, cur, w, h, bpc, row);
    goto done;
  }
#endif
  for (int i = 0; i < h; i++) {
    const uint16_t *p[5], *c[5];
    agm_motion_tap_rows(prev, cur, w, h, i, p, c);
    if (agm_motion_vertical_c(p, c, w, bpc, 0, row)) sad += agm_motion_hsad_c(row, w, 0, 0);
  }
#ifdef AGM_X86
done:;
#endif
  const double score = (double)sad / 256. / ((double)w * h);
  return score < 10000.0 ? score : 10000.0;
}
