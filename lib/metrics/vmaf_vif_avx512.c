/* AVX-512 kernels of VIF (see vmaf_vif.c for the arithmetic they reproduce, bit for bit):
 *  - the scale-0 vertical pass for 8-bit samples, 32 columns a step;
 *  - the horizontal pass fused with the statistic, for scales 0..2: the row sums are never stored.
 *
 * The horizontal pass needs no unpacking: a vector loaded at column j - half + 2p holds, in its 16-bit lane
 * pairs, taps 2p and 2p+1 of the outputs j, j+2, ... j+30, so one multiply-add (VNNI vpdpwssd) per tap pair
 * gives the even outputs and a load one column further the odd ones. The statistic is a sum over pixels, so
 * it runs on the even and the odd outputs as they are, in any order. Needs AVX512 F/BW/DQ/VL/CD and VNNI
 * (agm_use_avx512()). */
#include "metric_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512cd,avx512vnni")))

/* Row-buffer streams, in vmaf_vif.c's order. */
enum { S_MU1, S_MU2, S_XXH, S_XXL, S_YYH, S_YYL, S_XYH, S_XYL, NSTREAM };

AVX512 int agm_vif_vertical_s0_8bit_avx512(int16_t *const *s, const uint16_t *const *r, const uint16_t *const *d,
                                            const uint16_t *filt, int w) {
  __m512i fp[9];
  for (int p = 0; p < 9; p++) fp[p] = _mm512_set1_epi32((int)((uint32_t)filt[2 * p + 1] << 16 | filt[2 * p]));
  const __m512i flip = _mm512_set1_epi16((short)0x8000), rnd = _mm512_set1_epi32(128);
  const __m512i off = _mm512_set1_epi32((int)0x80000000u), lo16 = _mm512_set1_epi32(0xFFFF);
  int j = 0;
  for (; j + 32 <= w; j += 32) {
    __m512i m1l = _mm512_setzero_si512(), m1h = m1l, m2l = m1l, m2h = m1l, xxl = m1l, xxh = m1l, yyl = m1l,
            yyh = m1l, xyl = m1l, xyh = m1l;
#pragma GCC unroll 9
    for (int p = 0; p < 9; p++) {
      const int k = 2 * p;
      const __m512i a0 = _mm512_loadu_si512(r[k] + j), a1 = _mm512_loadu_si512(r[k + 1] + j);
      const __m512i b0 = _mm512_loadu_si512(d[k] + j), b1 = _mm512_loadu_si512(d[k + 1] + j);
      const __m512i f = fp[p];
      m1l = _mm512_dpwssd_epi32(m1l, _mm512_unpacklo_epi16(a0, a1), f);
      m1h = _mm512_dpwssd_epi32(m1h, _mm512_unpackhi_epi16(a0, a1), f);
      m2l = _mm512_dpwssd_epi32(m2l, _mm512_unpacklo_epi16(b0, b1), f);
      m2h = _mm512_dpwssd_epi32(m2h, _mm512_unpackhi_epi16(b0, b1), f);
      /* squares (<= 65025) as offset-16 values; the offset comes back below (32768 * 65536 = 2^31) */
      const __m512i aa0 = _mm512_xor_si512(_mm512_mullo_epi16(a0, a0), flip);
      const __m512i aa1 = _mm512_xor_si512(_mm512_mullo_epi16(a1, a1), flip);
      const __m512i bb0 = _mm512_xor_si512(_mm512_mullo_epi16(b0, b0), flip);
      const __m512i bb1 = _mm512_xor_si512(_mm512_mullo_epi16(b1, b1), flip);
      const __m512i ab0 = _mm512_xor_si512(_mm512_mullo_epi16(a0, b0), flip);
      const __m512i ab1 = _mm512_xor_si512(_mm512_mullo_epi16(a1, b1), flip);
      xxl = _mm512_dpwssd_epi32(xxl, _mm512_unpacklo_epi16(aa0, aa1), f);
      xxh = _mm512_dpwssd_epi32(xxh, _mm512_unpackhi_epi16(aa0, aa1), f);
      yyl = _mm512_dpwssd_epi32(yyl, _mm512_unpacklo_epi16(bb0, bb1), f);
      yyh = _mm512_dpwssd_epi32(yyh, _mm512_unpackhi_epi16(bb0, bb1), f);
      xyl = _mm512_dpwssd_epi32(xyl, _mm512_unpacklo_epi16(ab0, ab1), f);
      xyh = _mm512_dpwssd_epi32(xyh, _mm512_unpackhi_epi16(ab0, ab1), f);
    }
    /* packus undoes the unpack order (both work within 128-bit lanes) */
    m1l = _mm512_srli_epi32(_mm512_add_epi32(m1l, rnd), 8);
    m1h = _mm512_srli_epi32(_mm512_add_epi32(m1h, rnd), 8);
    m2l = _mm512_srli_epi32(_mm512_add_epi32(m2l, rnd), 8);
    m2h = _mm512_srli_epi32(_mm512_add_epi32(m2h, rnd), 8);
    _mm512_storeu_si512(s[S_MU1] + j, _mm512_xor_si512(_mm512_packus_epi32(m1l, m1h), flip));
    _mm512_storeu_si512(s[S_MU2] + j, _mm512_xor_si512(_mm512_packus_epi32(m2l, m2h), flip));
    const __m512i sl[3] = {xxl, yyl, xyl}, sh[3] = {xxh, yyh, xyh};
    for (int q = 0; q < 3; q++) {
      const __m512i vl = _mm512_add_epi32(sl[q], off), vh = _mm512_add_epi32(sh[q], off);
      const __m512i hi = _mm512_packus_epi32(_mm512_srli_epi32(vl, 16), _mm512_srli_epi32(vh, 16));
      const __m512i lo = _mm512_packus_epi32(_mm512_and_si512(vl, lo16), _mm512_and_si512(vh, lo16));
      _mm512_storeu_si512(s[S_XXH + 2 * q] + j, _mm512_xor_si512(hi, flip));
      _mm512_storeu_si512(s[S_XXL + 2 * q] + j, _mm512_xor_si512(lo, flip));
    }
  }
  return j;
}

/* Scales 1-2 vertical pass straight from the (up to 16-bit) samples, 16 columns a step: f*x in 32 bits, the
 * squares' sums in 64-bit lanes (even and odd columns apart), then vertical_c's shifts (>> 16, rounded) and
 * the offset-16 stream layout. fw taps (9 or 5) of rows r, d. */
AVX512 static inline __attribute__((always_inline)) int vertical_s12(int16_t *const *s, const uint16_t *const *r, const uint16_t *const *d,
                                                                    const uint16_t *filt, const int fw, int w) {
  const __m512i rnd = _mm512_set1_epi32(32768), rnd64 = _mm512_set1_epi64(32768);
  const __m256i flip = _mm256_set1_epi16((short)0x8000);
  int j = 0;
  for (; j + 16 <= w; j += 16) {
    __m512i m1 = _mm512_setzero_si512(), m2 = m1, xe = m1, xo = m1, ye = m1, yo = m1, ce = m1, co = m1;
#pragma GCC unroll 9
    for (int k = 0; k < fw; k++) {
      const __m512i f = _mm512_set1_epi32(filt[k]);
      const __m512i x = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(r[k] + j)));
      const __m512i y = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(d[k] + j)));
      const __m512i fx = _mm512_mullo_epi32(x, f), fy = _mm512_mullo_epi32(y, f);
      m1 = _mm512_add_epi32(m1, fx);
      m2 = _mm512_add_epi32(m2, fy);
      const __m512i fxo = _mm512_srli_epi64(fx, 32), fyo = _mm512_srli_epi64(fy, 32);
      const __m512i xo_ = _mm512_srli_epi64(x, 32), yo_ = _mm512_srli_epi64(y, 32);
      xe = _mm512_add_epi64(xe, _mm512_mul_epu32(fx, x));
      xo = _mm512_add_epi64(xo, _mm512_mul_epu32(fxo, xo_));
      ye = _mm512_add_epi64(ye, _mm512_mul_epu32(fy, y));
      yo = _mm512_add_epi64(yo, _mm512_mul_epu32(fyo, yo_));
      ce = _mm512_add_epi64(ce, _mm512_mul_epu32(fx, y));
      co = _mm512_add_epi64(co, _mm512_mul_epu32(fxo, yo_));
    }
    _mm256_storeu_si256((__m256i *)(s[S_MU1] + j), _mm256_xor_si256(_mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_add_epi32(m1, rnd), 16)), flip));
    _mm256_storeu_si256((__m256i *)(s[S_MU2] + j), _mm256_xor_si256(_mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_add_epi32(m2, rnd), 16)), flip));
    const __m512i ev[3] = {xe, ye, ce}, od[3] = {xo, yo, co};
    for (int q = 0; q < 3; q++) {
      const __m512i e = _mm512_srli_epi64(_mm512_add_epi64(ev[q], rnd64), 16), o = _mm512_srli_epi64(_mm512_add_epi64(od[q], rnd64), 16);
      const __m512i v = _mm512_mask_blend_epi32(0xAAAA, e, _mm512_slli_epi64(o, 32)); /* (uint32) of each, in column order */
      _mm256_storeu_si256((__m256i *)(s[S_XXH + 2 * q] + j), _mm256_xor_si256(_mm512_cvtepi32_epi16(_mm512_srli_epi32(v, 16)), flip));
      _mm256_storeu_si256((__m256i *)(s[S_XXL + 2 * q] + j), _mm256_xor_si256(_mm512_cvtepi32_epi16(v), flip));
    }
  }
  return j;
}

AVX512 int agm_vif_vertical_s12_avx512(int16_t *const *s, const uint16_t *const *r, const uint16_t *const *d, const uint16_t *filt,
                                       int fw, int w) {
  switch (fw) {
  case 9: return vertical_s12(s, r, d, filt, 9, w);
  case 5: return vertical_s12(s, r, d, filt, 5, w);
  default: return 0;
  }
}

/* One output row of the low-pass-and-decimate step for scales 1-2 (vmaf_vif.c's subsample(), same values): the
 * vertical pass of fw rows into offset-16 row buffers m1, m2 (with margins), then only the even columns of the
 * horizontal pass (a vector loaded at j - half + 2p holds taps 2p, 2p+1 of outputs j, j+2, ...). Returns the
 * first output column not done; m1/m2 are complete (margins mirrored) whatever it returns. */
AVX512 static inline __attribute__((always_inline)) int decimate_row(const uint16_t *const *r, const uint16_t *const *d, const uint16_t *filt,
                                                                    const int fw, int w, int sh, int16_t *m1, int16_t *m2,
                                                                    uint16_t *oref, uint16_t *odis) {
  const int np = (fw + 1) / 2, half = fw / 2;
  __m512i fp[5];
  uint32_t fsum = 0;
  for (int k = 0; k < fw; k++) fsum += filt[k];
  for (int p = 0; p < np; p++) fp[p] = _mm512_set1_epi32((int)((uint32_t)(2 * p + 1 < fw ? filt[2 * p + 1] : 0) << 16 | filt[2 * p]));
  const __m512i off = _mm512_set1_epi32((int)(32768u * fsum)), flip = _mm512_set1_epi16((short)0x8000);
  const __m512i rd = _mm512_set1_epi32((int)(1u << (sh - 1))), r16 = _mm512_set1_epi32(32768);
  const __m128i shc = _mm_cvtsi32_si128(sh);
  int j = 0;
  for (; j + 32 <= w; j += 32) {
    for (int img = 0; img < 2; img++) {
      const uint16_t *const *rows = img ? d : r;
      __m512i lo = off, hi = off;
#pragma GCC unroll 5
      for (int p = 0; p < np; p++) {
        const __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(rows[2 * p] + j), flip);
        const __m512i x1 = 2 * p + 1 < fw ? _mm512_xor_si512(_mm512_loadu_si512(rows[2 * p + 1] + j), flip) : _mm512_setzero_si512();
        lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(x0, x1), fp[p]);
        hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(x0, x1), fp[p]);
      }
      lo = _mm512_srl_epi32(_mm512_add_epi32(lo, rd), shc);
      hi = _mm512_srl_epi32(_mm512_add_epi32(hi, rd), shc);
      _mm512_storeu_si512((img ? m2 : m1) + j, _mm512_xor_si512(_mm512_packus_epi32(lo, hi), flip));
    }
  }
  for (; j < w; j++) {
    uint32_t x = 0, y = 0;
    for (int k = 0; k < fw; k++) x += (uint32_t)filt[k] * r[k][j], y += (uint32_t)filt[k] * d[k][j]; /* as vmaf_vif.c */
    m1[j] = (int16_t)(uint16_t)(((x + (1u << (sh - 1))) >> sh) ^ 0x8000);
    m2[j] = (int16_t)(uint16_t)(((y + (1u << (sh - 1))) >> sh) ^ 0x8000);
  }
  for (int f = 1; f <= half; f++) {
    m1[-f] = m1[agm_mirror(-f, w)], m1[w - 1 + f] = m1[agm_mirror(w - 1 + f, w)];
    m2[-f] = m2[agm_mirror(-f, w)], m2[w - 1 + f] = m2[agm_mirror(w - 1 + f, w)];
  }
  const int ow = w / 2;
  int oj = 0;
  for (; oj + 16 <= ow; oj += 16) {
    for (int img = 0; img < 2; img++) {
      const int16_t *b = (img ? m2 : m1) + 2 * oj - half;
      __m512i e = off;
#pragma GCC unroll 5
      for (int p = 0; p < np; p++) e = _mm512_dpwssd_epi32(e, _mm512_loadu_si512(b + 2 * p), fp[p]);
      _mm256_storeu_si256((__m256i *)((img ? odis : oref) + oj), _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_add_epi32(e, r16), 16)));
    }
  }
  return oj;
}

AVX512 int agm_vif_decimate_row_avx512(const uint16_t *const *r, const uint16_t *const *d, const uint16_t *filt, int fw, int w, int sh,
                                       int16_t *m1, int16_t *m2, uint16_t *oref, uint16_t *odis) {
  switch (fw) {
  case 9: return decimate_row(r, d, filt, 9, w, sh, m1, m2, oref, odis);
  case 5: return decimate_row(r, d, filt, 5, w, sh, m1, m2, oref, odis);
  default: return -1;
  }
}

/* High 32 bits of (a * b + 2^31) per uint32 lane (libvmaf's mu products). */
AVX512 static inline __m512i mulhi_rnd(__m512i a, __m512i b) {
  const __m512i r = _mm512_set1_epi64(2147483648LL);
  const __m512i e = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epu32(a, b), r), 32);
  const __m512i o = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32)), r);
  return _mm512_mask_blend_epi32(0xAAAA, e, o); /* odd lanes: the high dword of o sits there already */
}

/* libvmaf's log2_64 of the int64 lanes in m (2^17 <= x < 2^63): table[x >> k] + 2048 k, k = 48 - clz(x). */
AVX512 static inline __m256i log2_64x8(const uint16_t *lt, __m512i x, __mmask8 m) {
  const __m512i k = _mm512_sub_epi64(_mm512_set1_epi64(48), _mm512_lzcnt_epi64(x));
  /* only the lanes in m are loaded (the others are not used) */
  const __m256i t = _mm256_and_si256(_mm512_mask_i64gather_epi32(_mm256_setzero_si256(), m, _mm512_srlv_epi64(x, k), (const int *)lt, 2),
                                     _mm256_set1_epi32(0xFFFF));
  return _mm256_add_epi32(t, _mm256_slli_epi32(_mm512_cvtepi64_epi32(k), 11));
}

/* Sum of the int32 lanes, in 64 bits. */
AVX512 static inline int64_t sum32(__m512i v) {
  return _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)),
                                                   _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1))));
}

typedef struct {
  __m512i den_log, num_log, num_log1, non_log; /* int32 x3, int64 */
  int64_t den_non;
} StatAcc;

/* The statistic of 16 pixels (stat_row_c's arithmetic): mu1, mu2 and the xx/yy/xy sums as uint32. */
AVX512 static inline __attribute__((always_inline)) void stat16(const uint16_t *lt, __m512i m1, __m512i m2, __m512i xx, __m512i yy, __m512i xy, StatAcc *a,
                                 int want_egl1) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i s1 = _mm512_sub_epi32(xx, mulhi_rnd(m1, m1));
  const __m512i s2 = _mm512_max_epi32(_mm512_sub_epi32(yy, mulhi_rnd(m2, m2)), zero);
  const __m512i s12 = _mm512_sub_epi32(xy, mulhi_rnd(m1, m2));
  const __mmask16 mlog = _mm512_cmpgt_epi32_mask(s1, _mm512_set1_epi32(131071));
  /* sigma1 < 2: num += 1 - sigma2 * const (summed as integers), den += 1 */
  const __m512i nl = _mm512_maskz_mov_epi32((__mmask16)~mlog, s2);
  a->non_log = _mm512_add_epi64(a->non_log, _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(nl)),
                                                             _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(nl, 1))));
  a->den_non += 16 - __builtin_popcount(mlog);
  if (!mlog) return;
  /* den += log2_32(2 + sigma1) - 17 (Q11), k = 16 - clz(x) */
  const __m512i x = _mm512_add_epi32(_mm512_set1_epi32(131072), s1);
  const __m512i k = _mm512_sub_epi32(_mm512_set1_epi32(16), _mm512_lzcnt_epi32(x));
  const __m512i t = _mm512_and_si512(_mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mlog, _mm512_srlv_epi32(x, k), (const int *)lt, 2),
                                     _mm512_set1_epi32(0xFFFF));
  const __m512i dl = _mm512_sub_epi32(_mm512_add_epi32(t, _mm512_slli_epi32(k, 11)), _mm512_set1_epi32(2048 * 17));
  a->den_log = _mm512_mask_add_epi32(a->den_log, mlog, a->den_log, dl);
  const __mmask16 mnum = mlog & _mm512_cmpgt_epi32_mask(s12, zero) & _mm512_cmpgt_epi32_mask(s2, zero);
  if (!mnum) return;
  const __m512d eps = _mm512_set1_pd(65536 * 1.0e-10);
  for (int half = 0; half < 2; half++) {
    const __mmask8 mh = (__mmask8)(mnum >> (8 * half));
    if (!mh) continue;
    const __m256i s1h = half ? _mm512_extracti64x4_epi64(s1, 1) : _mm512_castsi512_si256(s1);
    const __m256i s2h = half ? _mm512_extracti64x4_epi64(s2, 1) : _mm512_castsi512_si256(s2);
    const __m256i s12h = half ? _mm512_extracti64x4_epi64(s12, 1) : _mm512_castsi512_si256(s12);
    const __m512d s1d = _mm512_cvtepi32_pd(s1h), s12d = _mm512_cvtepi32_pd(s12h);
    const __m512d g = _mm512_div_pd(s12d, _mm512_add_pd(s1d, eps));
    __m256i sv = _mm512_cvttpd_epi32(_mm512_sub_pd(_mm512_cvtepi32_pd(s2h), _mm512_mul_pd(g, s12d)));
    sv = _mm256_max_epi32(sv, _mm256_setzero_si256());
    const __m512i numer1 = _mm512_cvtepu32_epi64(_mm256_add_epi32(sv, _mm256_set1_epi32(131072)));
    const __m256i lden = log2_64x8(lt, numer1, mh);
    for (int e = 0; e < 1 + (want_egl1 != 0); e++) {
      const __m512d gl = _mm512_min_pd(g, _mm512_set1_pd(e ? 1.0 : 100.0));
      const __m512i tt = _mm512_cvttpd_epi64(_mm512_mul_pd(_mm512_mul_pd(gl, gl), s1d));
      const __m256i v = _mm256_maskz_sub_epi32(mh, log2_64x8(lt, _mm512_add_epi64(tt, numer1), mh), lden);
      const __m512i v16 = half ? _mm512_inserti64x4(zero, v, 1) : _mm512_zextsi256_si512(v);
      if (e) a->num_log1 = _mm512_add_epi32(a->num_log1, v16);
      else a->num_log = _mm512_add_epi32(a->num_log, v16);
    }
  }
}

/* The horizontal pass and statistic for a filter of np tap pairs: np is a constant in each caller below, so
 * the tap loop unrolls. */
AVX512 static inline __attribute__((always_inline)) int hstat(int16_t *const *s, const uint16_t *filt, int fw, const int np, int w,
                                                             const uint16_t *lt, AgmVifAcc *acc, int want_egl1) {
  const int half = fw / 2;
  __m512i fp[9];
  uint32_t fsum = 0;
  for (int k = 0; k < fw; k++) fsum += filt[k];
  for (int p = 0; p < np; p++) {
    const uint32_t f1 = 2 * p + 1 < fw ? filt[2 * p + 1] : 0;
    fp[p] = _mm512_set1_epi32((int)(f1 << 16 | filt[2 * p]));
  }
  /* starting at 32768 * sum f cancels the offset-16 samples (wrapping) */
  const __m512i off = _mm512_set1_epi32((int)(32768u * fsum)), rnd = _mm512_set1_epi32(32768);
  StatAcc a = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), 0};
  int j = 0;
  for (; j + 32 <= w; j += 32) {
    __m512i E[NSTREAM], O[NSTREAM];
#pragma GCC unroll 8
    for (int q = 0; q < NSTREAM; q++) {
      const int16_t *b = s[q] + j - half;
      __m512i e = off, o = off;
#pragma GCC unroll 9
      for (int p = 0; p < np; p++) {
        e = _mm512_dpwssd_epi32(e, _mm512_loadu_si512(b + 2 * p), fp[p]);
        o = _mm512_dpwssd_epi32(o, _mm512_loadu_si512(b + 2 * p + 1), fp[p]);
      }
      E[q] = e, O[q] = o;
    }
    for (int par = 0; par < 2; par++) {
      const __m512i *v = par ? O : E;
      const __m512i xx = _mm512_add_epi32(v[S_XXH], _mm512_srli_epi32(_mm512_add_epi32(v[S_XXL], rnd), 16));
      const __m512i yy = _mm512_add_epi32(v[S_YYH], _mm512_srli_epi32(_mm512_add_epi32(v[S_YYL], rnd), 16));
      const __m512i xy = _mm512_add_epi32(v[S_XYH], _mm512_srli_epi32(_mm512_add_epi32(v[S_XYL], rnd), 16));
      stat16(lt, v[S_MU1], v[S_MU2], xx, yy, xy, &a, want_egl1);
    }
  }
  acc->den_log += sum32(a.den_log);
  acc->num_log += sum32(a.num_log);
  acc->num_log1 += sum32(a.num_log1);
  acc->num_non_log += _mm512_reduce_add_epi64(a.non_log);
  acc->den_non_log += a.den_non;
  return j;
}

AVX512 int agm_vif_hstat_avx512(int16_t *const *s, const uint16_t *filt, int fw, int w, const uint16_t *lt, AgmVifAcc *acc,
                                int want_egl1) {
  switch ((fw + 1) / 2) {
  case 9: return hstat(s, filt, fw, 9, w, lt, acc, want_egl1);
  case 5: return hstat(s, filt, fw, 5, w, lt, acc, want_egl1);
  case 3: return hstat(s, filt, fw, 3, w, lt, acc, want_egl1);
  default: return 0;
  }
}
#endif
