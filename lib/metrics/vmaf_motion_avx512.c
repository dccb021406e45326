/* AVX-512 motion kernel: the arithmetic of vmaf_motion.c's AVX2 one (see there), 32 columns a step in the
 * vertical pass (VNNI multiply-adds on the 16-bit differences) and 16 in the horizontal one. */
#include "metric_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512cd,avx512vnni")))

AVX512 uint64_t agm_motion_sad_avx512(const uint16_t *prev, const uint16_t *cur, int w, int h, int bpc, int32_t *row) {
  const __m512i f01 = _mm512_set1_epi32(16004 << 16 | 3571), f23 = _mm512_set1_epi32(16004 << 16 | 26386);
  const __m512i f4 = _mm512_set1_epi32(3571);
  const __m512i yr = _mm512_set1_epi32(1 << (bpc - 1));
  const __m128i bsh = _mm_cvtsi32_si128(bpc);
  const __m512i c0 = _mm512_set1_epi32(3571), c1 = _mm512_set1_epi32(16004), c2 = _mm512_set1_epi32(26386);
  const __m512i lo8 = _mm512_set1_epi32(255), r15 = _mm512_set1_epi32(32768);
  /* unpack order (per 128-bit lane: 4 columns in lo, the next 4 in hi) back to natural order */
  const __m512i nat0 = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), nat1 = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  uint64_t sad = 0;
  for (int i = 0; i < h; i++) {
    const uint16_t *p[5], *c[5];
    agm_motion_tap_rows(prev, cur, w, h, i, p, c);
    int j = 0;
    __m512i any = _mm512_setzero_si512();
    for (; j + 32 <= w; j += 32) {
      __m512i d[5];
      for (int k = 0; k < 5; k++) d[k] = _mm512_sub_epi16(_mm512_loadu_si512(p[k] + j), _mm512_loadu_si512(c[k] + j));
      const __m512i z = _mm512_setzero_si512();
      __m512i lo = _mm512_dpwssd_epi32(_mm512_madd_epi16(_mm512_unpacklo_epi16(d[0], d[1]), f01), _mm512_unpacklo_epi16(d[2], d[3]), f23);
      __m512i hi = _mm512_dpwssd_epi32(_mm512_madd_epi16(_mm512_unpackhi_epi16(d[0], d[1]), f01), _mm512_unpackhi_epi16(d[2], d[3]), f23);
      lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(d[4], z), f4);
      hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(d[4], z), f4);
      lo = _mm512_sra_epi32(_mm512_add_epi32(lo, yr), bsh);
      hi = _mm512_sra_epi32(_mm512_add_epi32(hi, yr), bsh);
      any = _mm512_or_si512(any, _mm512_or_si512(lo, hi));
      _mm512_storeu_si512(row + j, _mm512_permutex2var_epi64(lo, nat0, hi));
      _mm512_storeu_si512(row + j + 16, _mm512_permutex2var_epi64(lo, nat1, hi));
    }
    const int32_t any_tail = agm_motion_vertical_c(p, c, w, bpc, j, row);
    if (!_mm512_test_epi32_mask(any, any) && !any_tail) continue;
    /* horizontal: interior columns 2 .. w-3 need no mirroring; y = 256 yh + yl keeps the 32-bit sums exact */
    uint32_t rs = 0;
    int jx = 2;
    __m512i acc32 = _mm512_setzero_si512();
    const __m512i cf[5] = {c0, c1, c2, c1, c0};
    for (; jx + 16 <= w - 2; jx += 16) {
      __m512i sh = _mm512_setzero_si512(), sl = _mm512_setzero_si512();
      for (int k = 0; k < 5; k++) {
        const __m512i y = _mm512_loadu_si512(row + jx - 2 + k);
        sh = _mm512_add_epi32(sh, _mm512_mullo_epi32(_mm512_srai_epi32(y, 8), cf[k]));
        sl = _mm512_add_epi32(sl, _mm512_mullo_epi32(_mm512_and_si512(y, lo8), cf[k]));
      }
      const __m512i v = _mm512_srai_epi32(_mm512_add_epi32(sh, _mm512_srai_epi32(_mm512_add_epi32(sl, r15), 8)), 8);
      acc32 = _mm512_add_epi32(acc32, _mm512_abs_epi32(v));
    }
    rs += (uint32_t)_mm512_reduce_add_epi32(acc32); /* modulo 2^32, as the uint32 row sum */
    sad += rs + agm_motion_hsad_c(row, w, 2, jx); /* borders and the remainder (uint32, as the row sum) */
  }
  return sad;
}
#endif
