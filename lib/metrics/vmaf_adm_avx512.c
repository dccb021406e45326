/* AVX-512 kernels of ADM's decoupling (vmaf_adm.c's decouple_row(): the same integer and float steps, bit for bit),
 * 16 pixels a call at scale 0 (int16-range bands) and 8 at scales 1..3 (int32 bands, 64-bit lanes).
 * o, t: reference and distorted H/V/D bands; r, a: restored and additive outputs; all at element off.
 * egl (enhancement gain limit) must be an integer (1 or 100). They return 0 (nothing written) when a lane
 * could overflow, for the caller to do these pixels portably. */
#include <math.h>

#include "metric_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512cd,avx512vnni")))

/* The 1-degree angle test of libvmaf in double on (float) values: dp >= 0 && dp^2 >= cos^2(1deg) om tm, with
 * each (float)x scaled by 2^-12 (exact). Arguments are 8 floats each. */
AVX512 static inline __mmask8 angle8(__m256 fdp, __m256 fom, __m256 ftm) {
  const __m512d q = _mm512_set1_pd(1.0 / 4096.0);
  const __m512d cs = _mm512_set1_pd((double)(float)(cos(1.0 * M_PI / 180.0) * cos(1.0 * M_PI / 180.0)));
  const __m512d d = _mm512_mul_pd(_mm512_cvtps_pd(fdp), q);
  const __m512d rhs = _mm512_mul_pd(_mm512_mul_pd(cs, _mm512_mul_pd(_mm512_cvtps_pd(fom), q)), _mm512_mul_pd(_mm512_cvtps_pd(ftm), q));
  return _mm512_cmp_pd_mask(d, _mm512_setzero_pd(), _CMP_GE_OQ) & _mm512_cmp_pd_mask(_mm512_mul_pd(d, d), rhs, _CMP_GE_OQ);
}

AVX512 int agm_adm_decouple16_s0_avx512(const int32_t *const *o, const int32_t *const *t, int32_t *const *r, int32_t *const *a,
                                         size_t off, const int32_t *div_lookup, int egl) {
  const __m512i oh = _mm512_loadu_si512(o[0] + off), ov = _mm512_loadu_si512(o[1] + off);
  const __m512i th = _mm512_loadu_si512(t[0] + off), tv = _mm512_loadu_si512(t[1] + off);
  const __m512i dp = _mm512_add_epi32(_mm512_mullo_epi32(oh, th), _mm512_mullo_epi32(ov, tv));
  const __m512i om = _mm512_add_epi32(_mm512_mullo_epi32(oh, oh), _mm512_mullo_epi32(ov, ov));
  const __m512i tm = _mm512_add_epi32(_mm512_mullo_epi32(th, th), _mm512_mullo_epi32(tv, tv));
  /* int16-range values: a sum wraps only when both products are 2^30 (it reads INT32_MIN then) */
  const __m512i imin = _mm512_set1_epi32(INT32_MIN);
  if (_mm512_cmpeq_epi32_mask(dp, imin) | _mm512_cmpeq_epi32_mask(om, imin) | _mm512_cmpeq_epi32_mask(tm, imin)) return 0;
  const __m512 fdp = _mm512_cvtepi32_ps(dp), fom = _mm512_cvtepi32_ps(om), ftm = _mm512_cvtepi32_ps(tm);
  const __mmask16 angle = (__mmask16)(angle8(_mm512_castps512_ps256(fdp), _mm512_castps512_ps256(fom), _mm512_castps512_ps256(ftm)) |
                                      (unsigned)angle8(_mm512_extractf32x8_ps(fdp, 1), _mm512_extractf32x8_ps(fom, 1), _mm512_extractf32x8_ps(ftm, 1)) << 8);
  const __m512i zero = _mm512_setzero_si512(), k32768 = _mm512_set1_epi32(32768), r14 = _mm512_set1_epi32(16384);
  const __m512i r14q = _mm512_set1_epi64(16384), k32768q = _mm512_set1_epi64(32768), vegl = _mm512_set1_epi32(egl);
  for (int b = 0; b < 3; b++) {
    const __m512i ob = _mm512_loadu_si512(o[b] + off), tb = _mm512_loadu_si512(t[b] + off);
    const __m512i dv = _mm512_i32gather_epi32(_mm512_add_epi32(ob, k32768), div_lookup, 4);
    /* k = clamp((div * t + 16384) >> 15, 0, 32768) with 64-bit products (even and odd lanes) */
    __m512i kk[2];
    for (int e = 0; e < 2; e++) {
      const __m512i p = _mm512_mul_epi32(e ? _mm512_srli_epi64(dv, 32) : dv, e ? _mm512_srli_epi64(tb, 32) : tb);
      kk[e] = _mm512_min_epi64(_mm512_max_epi64(_mm512_srai_epi64(_mm512_add_epi64(p, r14q), 15), _mm512_setzero_si512()), k32768q);
    }
    const __mmask16 ozero = _mm512_cmpeq_epi32_mask(ob, zero);
    const __m512i k = _mm512_mask_mov_epi32(_mm512_mask_blend_epi32(0xAAAA, kk[0], _mm512_slli_epi64(kk[1], 32)), ozero, k32768);
    __m512i rv = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(k, ob), r14), 15);
    rv = _mm512_srai_epi32(_mm512_slli_epi32(rv, 16), 16); /* int16 */
    const __m512i g = _mm512_mullo_epi32(rv, vegl);
    const __mmask16 act = (__mmask16)(~ozero & angle & _mm512_cmpgt_epi32_mask(k, zero));
    const __mmask16 pos = _mm512_cmpgt_epi32_mask(ob, zero);
    const __m512i lim = _mm512_mask_blend_epi32(pos, _mm512_max_epi32(g, tb), _mm512_min_epi32(g, tb));
    rv = _mm512_mask_mov_epi32(rv, act, lim);
    _mm512_storeu_si512(r[b] + off, rv);
    _mm512_storeu_si512(a[b] + off, _mm512_srai_epi32(_mm512_slli_epi32(_mm512_sub_epi32(tb, rv), 16), 16));
  }
  return 1;
}

AVX512 int agm_adm_decouple8_s123_avx512(const int32_t *const *o, const int32_t *const *t, int32_t *const *r, int32_t *const *a,
                                          size_t off, const int32_t *div_lookup, int egl) {
  __m512i O[3], T[3];
  const __m512i lim = _mm512_set1_epi64((1 << 30) - 1), nlim = _mm512_set1_epi64(-(1 << 30) + 1);
  __mmask8 bad = 0;
  for (int b = 0; b < 3; b++) {
    O[b] = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(o[b] + off)));
    T[b] = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(t[b] + off)));
    bad |= _mm512_cmpgt_epi64_mask(O[b], lim) | _mm512_cmpgt_epi64_mask(nlim, O[b]);
    bad |= _mm512_cmpgt_epi64_mask(T[b], lim) | _mm512_cmpgt_epi64_mask(nlim, T[b]);
  }
  if (bad) return 0; /* products must stay below 2^62 */
  const __m512i zero = _mm512_setzero_si512();
  const __m512i dp = _mm512_add_epi64(_mm512_mul_epi32(O[0], T[0]), _mm512_mul_epi32(O[1], T[1]));
  const __m512i om = _mm512_add_epi64(_mm512_mul_epi32(O[0], O[0]), _mm512_mul_epi32(O[1], O[1]));
  const __m512i tm = _mm512_add_epi64(_mm512_mul_epi32(T[0], T[0]), _mm512_mul_epi32(T[1], T[1]));
  /* (float)int64 with one rounding, as C */
  const __mmask8 angle = angle8(_mm512_cvtepi64_ps(dp), _mm512_cvtepi64_ps(om), _mm512_cvtepi64_ps(tm));
  const __m512i one = _mm512_set1_epi64(1), c14 = _mm512_set1_epi64(14), c15 = _mm512_set1_epi64(15);
  const __m512i k32768 = _mm512_set1_epi64(32768), r14 = _mm512_set1_epi64(16384), vegl = _mm512_set1_epi64(egl);
  for (int b = 0; b < 3; b++) {
    const __m512i ob = O[b], tb = T[b];
    const __mmask8 neg = _mm512_cmpgt_epi64_mask(zero, ob);
    const __m512i ao = _mm512_abs_epi64(ob);
    /* |o| >= 2^15: reduce to 15 bits with rounding, shift = floor(log2 |o|) - 14 = 49 - lzcnt */
    const __mmask8 big = _mm512_cmpgt_epi64_mask(ao, _mm512_set1_epi64(32767));
    const __m512i sh = _mm512_maskz_sub_epi64(big, _mm512_set1_epi64(49), _mm512_lzcnt_epi64(ao));
    const __m512i m = _mm512_srlv_epi64(_mm512_add_epi64(ao, _mm512_maskz_sllv_epi64(big, one, _mm512_sub_epi64(sh, one))), sh);
    const __m512i dv = _mm512_cvtepi32_epi64(_mm512_i64gather_epi32(_mm512_add_epi64(m, k32768), div_lookup, 4));
    __m512i p = _mm512_mul_epi32(dv, tb);
    p = _mm512_mask_sub_epi64(p, neg, zero, p); /* times sign(o) */
    __m512i k = _mm512_srlv_epi64(_mm512_add_epi64(p, _mm512_sllv_epi64(one, _mm512_add_epi64(sh, c14))), _mm512_add_epi64(sh, c15));
    k = _mm512_mask_mov_epi64(k, _mm512_cmpgt_epi64_mask(zero, p), zero);
    k = _mm512_min_epi64(k, k32768);
    const __mmask8 ozero = _mm512_cmpeq_epi64_mask(ob, zero);
    k = _mm512_mask_mov_epi64(k, ozero, k32768);
    __m512i rv = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(k, ob), r14), 15);
    rv = _mm512_cvtepi32_epi64(_mm512_cvtepi64_epi32(rv)); /* int32 */
    const __m512i g = _mm512_mul_epi32(rv, vegl);
    const __mmask8 act = (__mmask8)(~ozero & angle & _mm512_cmpgt_epi64_mask(k, zero));
    const __mmask8 pos = _mm512_cmpgt_epi64_mask(ob, zero);
    rv = _mm512_mask_mov_epi64(rv, act, _mm512_mask_blend_epi64(pos, _mm512_max_epi64(g, tb), _mm512_min_epi64(g, tb)));
    _mm256_storeu_si256((__m256i *)(r[b] + off), _mm512_cvtepi64_epi32(rv));
    _mm256_storeu_si256((__m256i *)(a[b] + off), _mm512_cvtepi64_epi32(_mm512_sub_epi64(tb, rv)));
  }
  return 1;
}
AVX512 int agm_adm_cm_row_avx512(const AgmCmRows *rw, int j0, int j1, const AgmCmParams *p, int64_t in[3]) {
  __m512i acc[3] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
#define LD(ptr) _mm256_loadu_si256((const __m256i *)(ptr))
  int j = j0;
  for (; j + 8 <= j1; j += 8) {
    __m256i thr = _mm256_setzero_si256();
    for (int th = 0; th < 3; th++) {
      const int32_t *fu = rw->f_up[th], *fm = rw->f_mid[th], *fd = rw->f_down[th];
      __m256i sum = _mm256_add_epi32(_mm256_add_epi32(LD(fu + j - 1), LD(fu + j)), LD(fu + j + 1));
      sum = _mm256_add_epi32(sum, _mm256_add_epi32(LD(fm + j - 1), LD(fm + j + 1)));
      sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(LD(fd + j - 1), LD(fd + j)), LD(fd + j + 1)));
      const __m256i av = _mm256_abs_epi32(LD(rw->csf_a[th] + j));
      __m256i c;
      if (p->scale == 0) {
        c = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(av, _mm256_set1_epi32(8738)), _mm256_set1_epi32(2048)), 12);
        c = _mm256_srai_epi32(_mm256_slli_epi32(c, 16), 16); /* int16 */
      } else {
        const __m512i prod = _mm512_add_epi64(_mm512_mul_epi32(_mm512_cvtepi32_epi64(av), _mm512_set1_epi64(286331153)), _mm512_set1_epi64(INT32_MIN));
        c = _mm512_cvtepi64_epi32(_mm512_srai_epi64(prod, 32));
      }
      thr = _mm256_add_epi32(thr, _mm256_add_epi32(sum, c));
    }
    for (int b = 0; b < 3; b++) {
      const __m256i rv = LD(rw->r[b] + j);
      __m256i x;
      if (p->scale == 0) {
        x = _mm256_mullo_epi32(rv, _mm256_set1_epi32(p->i_rf16[b]));
      } else {
        const __m512i v = _mm512_add_epi64(_mm512_mul_epi32(_mm512_cvtepi32_epi64(rv), _mm512_set1_epi64(p->i_rf32[b])), _mm512_set1_epi64(1 << 27));
        x = _mm512_cvtepi64_epi32(_mm512_srai_epi64(v, 28));
      }
      x = _mm256_sub_epi32(_mm256_abs_epi32(x), _mm256_sll_epi32(thr, _mm_cvtsi32_si128(p->sh_sub[b])));
      x = _mm256_max_epi32(x, _mm256_setzero_si256());
      const __m512i x64 = _mm512_cvtepi32_epi64(x);
      const __m512i xsq = _mm512_cvtepi32_epi64(_mm512_cvtepi64_epi32(
          _mm512_srl_epi64(_mm512_add_epi64(_mm512_mul_epu32(x64, x64), _mm512_set1_epi64(p->add_sq[b])), _mm_cvtsi32_si128(p->sh_sq[b]))));
      const __m512i val = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(xsq, x64), _mm512_set1_epi64(p->add_cub[b])), _mm_cvtsi32_si128(p->sh_cub[b]));
      acc[b] = _mm512_add_epi64(acc[b], val);
    }
  }
#undef LD
  for (int b = 0; b < 3; b++) in[b] += _mm512_reduce_add_epi64(acc[b]);
  return j;
}
AVX512 int agm_adm_cube_row_avx512(const int32_t *p, int n, int scale, int shift_sq, uint64_t add_sq, int shift_cub, uint64_t add_cub,
                                   uint64_t *sum) {
  __m512i acc = _mm512_setzero_si512();
  const __m512i asq = _mm512_set1_epi64((long long)add_sq), acub = _mm512_set1_epi64((long long)add_cub);
  const __m128i ssq = _mm_cvtsi32_si128(shift_sq), scub = _mm_cvtsi32_si128(shift_cub);
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    __m512i v = _mm512_abs_epi64(_mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(p + j))));
    if (scale == 0) {
      v = _mm512_and_si512(v, _mm512_set1_epi64(0xFFFF)); /* (uint16_t)abs(x) */
      acc = _mm512_add_epi64(acc, _mm512_mul_epu32(_mm512_mul_epu32(v, v), v));
    } else {
      if (_mm512_cmpgt_epu64_mask(v, _mm512_set1_epi64((1 << 30) - 1))) break; /* 32-bit multiplies must hold */
      const __m512i t = _mm512_srl_epi64(_mm512_add_epi64(_mm512_mul_epu32(v, v), asq), ssq);
      acc = _mm512_add_epi64(acc, _mm512_srl_epi64(_mm512_add_epi64(_mm512_mul_epu32(t, v), acub), scub));
    }
  }
  *sum += (uint64_t)_mm512_reduce_add_epi64(acc);
  return j;
}
#endif
