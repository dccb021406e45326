/* VMAF's ADM feature (adm2, adm_scale0..3), integer pipeline as in libvmaf 3.2.0 (integer_adm.c): the
 * Daubechies-2 DWT in Q15, decoupling with the Q15 reciprocal table, Watson CSF factors, the 3x3
 * contrast-masking threshold and the cube sums with the same shifts and roundings (including libvmaf's
 * rounding quirks noted below), so adm2 matches libvmaf exactly. The stage structure follows libvmaf's
 * (Copyright 2016-2020 Netflix, Inc., BSD-2-Clause-Patent licensed).
 *
 * All bands are stored as int32; where libvmaf stores scale-0 values in int16 the value is cast to
 * int16 at the same point, so the arithmetic is identical. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metric_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AGM_X86 1
#endif

static const int32_t db2_lo[4] = {15826, 27411, 7345, -4240};
static const int32_t db2_hi[4] = {-4240, -7345, 27411, -15826};
static const int32_t db2_lo_sum = 46342;

enum { B_A, B_H, B_V, B_D };

struct AgmAdm {
  int w, h;   /* frame size */
  int bw, bh; /* scale-0 band size (the largest) */
  int32_t *ref[4], *dis[4];   /* DWT bands A/H/V/D of the current scale */
  /* Spare A bands, the size of a scale-1 band: scales 1..3 swap them with ref/dis[B_A], so the previous scale's
   * A band is the input without a copy (swapped back after scale 3, so scale 0 writes the full-size ones). */
  int32_t *prev_ref, *prev_dis;
  /* H/V/D of restored, additive (CSF(a) in place) and CSF(a)/30, in rings of RING_ROWS rows (ring_row()):
   * decouple and CSF make a row just before the masking sums read it, and the masking reads rows i-1..i+1 only,
   * so 9 band-size planes (libvmaf keeps them whole) shrink to 36 rows. */
  int32_t *ring;
  size_t ring_stride;         /* int32 per ring row: band width and RING_PAD each side */
  int32_t *tmp;               /* 4 rows of the frame width */
  int16_t *pad16[2];          /* scale-0 low/high rows with mirrored ends, for the AVX2 DWT */
  const int32_t *div_lookup;  /* 2^30 / i, signed, indexed by i + 32768 (shared, div_fill()) */
};

enum { RING_R, RING_A, RING_F };
#define RING_ROWS 4 /* a power of two >= 3: rows i-1, i, i+1 */
#define RING_PAD 16 /* int32 each side of a ring row: vector overrun */

/* Row y of ring kind (RING_*) of band b (H, V, D: 0..2). */
static inline int32_t *ring_row(const AgmAdm *s, int kind, int b, int y) {
  return s->ring + (size_t)((kind * 3 + b) * RING_ROWS + (y & (RING_ROWS - 1))) * s->ring_stride + RING_PAD;
}

/* The reciprocal table, the same for every context: filled once per process. */
static int32_t div_table[65537];
static pthread_once_t div_once = PTHREAD_ONCE_INIT;
static void div_fill(void) {
  for (int i = 1; i <= 32768; i++) {
    const int32_t recip = (int32_t)(1073741824 / i);
    div_table[32768 + i] = recip;
    div_table[32768 - i] = -recip;
  }
}

/* ---- Watson CSF (dwt_quant_step), evaluated with libvmaf's mix of float and double ---- */
static const float dwt_amp[4][4] = {{0.62171f, 0.67234f, 0.72709f, 0.67234f},
                                    {0.34537f, 0.41317f, 0.49428f, 0.41317f},
                                    {0.18004f, 0.22727f, 0.28688f, 0.22727f},
                                    {0.091401f, 0.11792f, 0.15214f, 0.11792f}};

static float quant_step(int lambda, int theta) {
  const float a = 0.495f, k = 0.466f, f0 = 0.401f;
  const float g[4] = {1.501f, 1.0f, 0.534f, 1.0f};
  const float r = (float)(3.0 * 1080 * M_PI / 180.0);
  const float temp = (float)log10(pow(2.0, lambda + 1) * f0 * g[theta] / r);
  return (float)(2.0 * a * pow(10.0, k * temp * temp) / dwt_amp[lambda][theta]);
}

/* 1/Q for H, V (theta 1) and D (theta 2) at a scale, as float. */
static void rfactors(int scale, float rf[3]) {
  const float f1 = quant_step(scale, 1), f2 = quant_step(scale, 2);
  rf[0] = 1.0f / f1;
  rf[1] = 1.0f / f1;
  rf[2] = 1.0f / f2;
}

/* The layout of the planes: 8 band-size planes, the 2 spares and the rings, each on a 64-byte boundary. */
typedef struct {
  size_t pn, pn1, ring_stride, total;
} AdmLayout;

static AdmLayout adm_layout(int w, int h) {
  AdmLayout l;
  const int bw = (w + 1) / 2, bh = (h + 1) / 2;
  const size_t n = (size_t)bw * bh, n1 = (size_t)((bw + 1) / 2) * (size_t)((bh + 1) / 2);
  l.pn = (n * 4 + 63) & ~(size_t)63;
  l.pn1 = (n1 * 4 + 63) & ~(size_t)63;
  l.ring_stride = ((size_t)bw + 2 * RING_PAD + 15) & ~(size_t)15;
  l.total = 8 * l.pn + 2 * l.pn1 + 9 * RING_ROWS * l.ring_stride * 4;
  return l;
}

size_t agm_adm_bytes(int w, int h) { return adm_layout(w, h).total; }

AgmAdm *agm_adm_new(int w, int h, void *planes) {
  AgmAdm *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->w = w;
  s->h = h;
  s->bw = (w + 1) / 2;
  s->bh = (h + 1) / 2;
  int ok = 1;
  const AdmLayout l = adm_layout(w, h);
  uint8_t *blk = planes;
  for (int b = 0; b < 4; b++) s->ref[b] = (int32_t *)blk, blk += l.pn, s->dis[b] = (int32_t *)blk, blk += l.pn;
  s->prev_ref = (int32_t *)blk, blk += l.pn1;
  s->prev_dis = (int32_t *)blk, blk += l.pn1;
  s->ring = (int32_t *)blk;
  s->ring_stride = l.ring_stride;
  ok &= (s->tmp = malloc((size_t)w * 4 * 4)) != NULL;
  ok &= (s->pad16[0] = calloc((size_t)w + 48, 2)) != NULL;
  ok &= (s->pad16[1] = calloc((size_t)w + 48, 2)) != NULL;
  if (!ok) {
    agm_adm_free(s);
    return NULL;
  }
  pthread_once(&div_once, div_fill);
  s->div_lookup = div_table;
  return s;
}

void agm_adm_free(AgmAdm *s) {
  if (!s) return;
  free(s->tmp), free(s->pad16[0]), free(s->pad16[1]);
  free(s);
}

/* DWT source index for output i, tap t (rows 2i-1 .. 2i+2): -1 -> 1, n.. -> 2n-1-idx (mixed borders). */
static inline int dwt_idx(int i, int t, int n) {
  int idx = 2 * i - 1 + t;
  if (idx < 0) idx = -idx;
  if (idx >= n) idx = 2 * n - 1 - idx;
  if (idx < 0) idx = 0;
  if (idx >= n) idx = n - 1;
  return idx;
}

/* Scale-0 DWT of a uint16 luma plane (b-bit): centred vertical pass >> bpc into int16, horizontal >> 16. */
static void dwt_scale0(AgmAdm *s, const uint16_t *src, int w, int h, int bpc, int32_t *out[4]) {
  const int ow = (w + 1) / 2, oh = (h + 1) / 2;
  int32_t *lo = s->tmp, *hi = s->tmp + w;
  const int32_t rnd = 1 << (bpc - 1);
  for (int i = 0; i < oh; i++) {
    const uint16_t *r0 = src + (size_t)dwt_idx(i, 0, h) * w, *r1 = src + (size_t)dwt_idx(i, 1, h) * w;
    const uint16_t *r2 = src + (size_t)dwt_idx(i, 2, h) * w, *r3 = src + (size_t)dwt_idx(i, 3, h) * w;
    for (int j = 0; j < w; j++) {
      int32_t acc = db2_lo[0] * r0[j] + db2_lo[1] * r1[j] + db2_lo[2] * r2[j] + db2_lo[3] * r3[j];
      acc -= db2_lo_sum * rnd;
      lo[j] = (int16_t)((acc + rnd) >> bpc);
      acc = db2_hi[0] * r0[j] + db2_hi[1] * r1[j] + db2_hi[2] * r2[j] + db2_hi[3] * r3[j];
      hi[j] = (int16_t)((acc + rnd) >> bpc);
    }
    for (int j = 0; j < ow; j++) {
      const int j0 = dwt_idx(j, 0, w), j1 = dwt_idx(j, 1, w), j2 = dwt_idx(j, 2, w), j3 = dwt_idx(j, 3, w);
      const size_t o = (size_t)i * ow + j;
      int32_t acc;
      acc = db2_lo[0] * lo[j0] + db2_lo[1] * lo[j1] + db2_lo[2] * lo[j2] + db2_lo[3] * lo[j3];
      out[B_A][o] = (int16_t)((acc + 32768) >> 16);
      acc = db2_hi[0] * lo[j0] + db2_hi[1] * lo[j1] + db2_hi[2] * lo[j2] + db2_hi[3] * lo[j3];
      out[B_V][o] = (int16_t)((acc + 32768) >> 16);
      acc = db2_lo[0] * hi[j0] + db2_lo[1] * hi[j1] + db2_lo[2] * hi[j2] + db2_lo[3] * hi[j3];
      out[B_H][o] = (int16_t)((acc + 32768) >> 16);
      acc = db2_hi[0] * hi[j0] + db2_hi[1] * hi[j1] + db2_hi[2] * hi[j2] + db2_hi[3] * hi[j3];
      out[B_D][o] = (int16_t)((acc + 32768) >> 16);
    }
  }
}

#ifdef AGM_X86
/* AVX2 scale-0 DWT, same arithmetic: the vertical pass with madd on 16 columns (samples <= 2^bpc-1 and
 * the taps fit int16), into int16 rows with mirrored ends (index -1 -> 1, n.. -> 2n-1-idx) so that the
 * horizontal pass reads its 4 taps at 2j-1 .. 2j+2 as two madd pairs, 8 outputs at a time. */
__attribute__((target("avx2"))) static void dwt_scale0_avx2(AgmAdm *s, const uint16_t *src, int w, int h, int bpc, int32_t *out[4]) {
  const int ow = (w + 1) / 2, oh = (h + 1) / 2;
  int16_t *plo = s->pad16[0], *phi = s->pad16[1]; /* pad[1 + j] = row[j] */
  const int32_t rnd = 1 << (bpc - 1);
  const __m256i l01 = _mm256_set1_epi32((int)((uint32_t)(uint16_t)db2_lo[1] << 16 | (uint16_t)db2_lo[0]));
  const __m256i l23 = _mm256_set1_epi32((int)((uint32_t)(uint16_t)db2_lo[3] << 16 | (uint16_t)db2_lo[2]));
  const __m256i h01 = _mm256_set1_epi32((int)((uint32_t)(uint16_t)db2_hi[1] << 16 | (uint16_t)db2_hi[0]));
  const __m256i h23 = _mm256_set1_epi32((int)((uint32_t)(uint16_t)db2_hi[3] << 16 | (uint16_t)db2_hi[2]));
  const __m256i vr = _mm256_set1_epi32(rnd), vlo = _mm256_set1_epi32(rnd - db2_lo_sum * rnd);
  const __m256i hr = _mm256_set1_epi32(32768);
  const __m128i sh = _mm_cvtsi32_si128(bpc);
  for (int i = 0; i < oh; i++) {
    const uint16_t *r0 = src + (size_t)dwt_idx(i, 0, h) * w, *r1 = src + (size_t)dwt_idx(i, 1, h) * w;
    const uint16_t *r2 = src + (size_t)dwt_idx(i, 2, h) * w, *r3 = src + (size_t)dwt_idx(i, 3, h) * w;
    int j = 0;
    for (; j + 16 <= w; j += 16) {
      const __m256i x0 = _mm256_loadu_si256((const __m256i *)(r0 + j)), x1 = _mm256_loadu_si256((const __m256i *)(r1 + j));
      const __m256i x2 = _mm256_loadu_si256((const __m256i *)(r2 + j)), x3 = _mm256_loadu_si256((const __m256i *)(r3 + j));
      const __m256i a = _mm256_unpacklo_epi16(x0, x1), b = _mm256_unpackhi_epi16(x0, x1);
      const __m256i c = _mm256_unpacklo_epi16(x2, x3), d = _mm256_unpackhi_epi16(x2, x3);
      __m256i lol = _mm256_add_epi32(_mm256_madd_epi16(a, l01), _mm256_madd_epi16(c, l23));
      __m256i loh = _mm256_add_epi32(_mm256_madd_epi16(b, l01), _mm256_madd_epi16(d, l23));
      __m256i hil = _mm256_add_epi32(_mm256_madd_epi16(a, h01), _mm256_madd_epi16(c, h23));
      __m256i hih = _mm256_add_epi32(_mm256_madd_epi16(b, h01), _mm256_madd_epi16(d, h23));
      lol = _mm256_sra_epi32(_mm256_add_epi32(lol, vlo), sh);
      loh = _mm256_sra_epi32(_mm256_add_epi32(loh, vlo), sh);
      hil = _mm256_sra_epi32(_mm256_add_epi32(hil, vr), sh);
      hih = _mm256_sra_epi32(_mm256_add_epi32(hih, vr), sh);
      _mm256_storeu_si256((__m256i *)(plo + 1 + j), _mm256_packs_epi32(lol, loh));
      _mm256_storeu_si256((__m256i *)(phi + 1 + j), _mm256_packs_epi32(hil, hih));
    }
    for (; j < w; j++) {
      int32_t acc = db2_lo[0] * r0[j] + db2_lo[1] * r1[j] + db2_lo[2] * r2[j] + db2_lo[3] * r3[j];
      acc -= db2_lo_sum * rnd;
      plo[1 + j] = (int16_t)((acc + rnd) >> bpc);
      acc = db2_hi[0] * r0[j] + db2_hi[1] * r1[j] + db2_hi[2] * r2[j] + db2_hi[3] * r3[j];
      phi[1 + j] = (int16_t)((acc + rnd) >> bpc);
    }
    /* mirrored ends: pad[0] = row[1] (index -1), pad[1 + w + e] = row[2w-1-(w+e)] */
    plo[0] = plo[1 + dwt_idx(0, 0, w)], phi[0] = phi[1 + dwt_idx(0, 0, w)];
    for (int e = 0; e < 2; e++) {
      int idx = 2 * w - 1 - (w + e);
      if (idx < 0) idx = 0;
      plo[1 + w + e] = plo[1 + idx], phi[1 + w + e] = phi[1 + idx];
    }
    int32_t *oa = out[B_A] + (size_t)i * ow, *ov = out[B_V] + (size_t)i * ow;
    int32_t *ohh = out[B_H] + (size_t)i * ow, *od = out[B_D] + (size_t)i * ow;
    int k = 0;
    for (; k + 8 <= ow && 2 * k + 2 + 16 <= w + 3; k += 8) {
      /* output k reads pad[2k .. 2k+3] */
      const __m256i L0 = _mm256_loadu_si256((const __m256i *)(plo + 2 * k)), L1 = _mm256_loadu_si256((const __m256i *)(plo + 2 * k + 2));
      const __m256i H0 = _mm256_loadu_si256((const __m256i *)(phi + 2 * k)), H1 = _mm256_loadu_si256((const __m256i *)(phi + 2 * k + 2));
      const __m256i A = _mm256_add_epi32(_mm256_madd_epi16(L0, l01), _mm256_madd_epi16(L1, l23));
      const __m256i V = _mm256_add_epi32(_mm256_madd_epi16(L0, h01), _mm256_madd_epi16(L1, h23));
      const __m256i Hh = _mm256_add_epi32(_mm256_madd_epi16(H0, l01), _mm256_madd_epi16(H1, l23));
      const __m256i D = _mm256_add_epi32(_mm256_madd_epi16(H0, h01), _mm256_madd_epi16(H1, h23));
      _mm256_storeu_si256((__m256i *)(oa + k), _mm256_srai_epi32(_mm256_add_epi32(A, hr), 16));
      _mm256_storeu_si256((__m256i *)(ov + k), _mm256_srai_epi32(_mm256_add_epi32(V, hr), 16));
      _mm256_storeu_si256((__m256i *)(ohh + k), _mm256_srai_epi32(_mm256_add_epi32(Hh, hr), 16));
      _mm256_storeu_si256((__m256i *)(od + k), _mm256_srai_epi32(_mm256_add_epi32(D, hr), 16));
    }
    for (; k < ow; k++) {
      const int16_t *L = plo + 2 * k, *H = phi + 2 * k;
      int32_t acc;
      acc = db2_lo[0] * L[0] + db2_lo[1] * L[1] + db2_lo[2] * L[2] + db2_lo[3] * L[3];
      oa[k] = (int16_t)((acc + 32768) >> 16);
      acc = db2_hi[0] * L[0] + db2_hi[1] * L[1] + db2_hi[2] * L[2] + db2_hi[3] * L[3];
      ov[k] = (int16_t)((acc + 32768) >> 16);
      acc = db2_lo[0] * H[0] + db2_lo[1] * H[1] + db2_lo[2] * H[2] + db2_lo[3] * H[3];
      ohh[k] = (int16_t)((acc + 32768) >> 16);
      acc = db2_hi[0] * H[0] + db2_hi[1] * H[1] + db2_hi[2] * H[2] + db2_hi[3] * H[3];
      od[k] = (int16_t)((acc + 32768) >> 16);
    }
  }
}
#endif

/* Scales 1..3: DWT of the previous A band (int32), 64-bit sums, shifts (0,15) (16,16) (16,15). */
static void dwt_s123(AgmAdm *s, const int32_t *src, int w, int h, int scale, int32_t *out[4]) {
  static const int64_t add_v[3] = {0, 32768, 32768}, add_h[3] = {16384, 32768, 16384};
  static const int sh_v[3] = {0, 16, 16}, sh_h[3] = {15, 16, 15};
  const int ow = (w + 1) / 2, oh = (h + 1) / 2;
  int32_t *lo = s->tmp, *hi = s->tmp + w;
  const int k = scale - 1;
  for (int i = 0; i < oh; i++) {
    const int32_t *r0 = src + (size_t)dwt_idx(i, 0, h) * w, *r1 = src + (size_t)dwt_idx(i, 1, h) * w;
    const int32_t *r2 = src + (size_t)dwt_idx(i, 2, h) * w, *r3 = src + (size_t)dwt_idx(i, 3, h) * w;
    for (int j = 0; j < w; j++) {
      int64_t acc = (int64_t)db2_lo[0] * r0[j] + (int64_t)db2_lo[1] * r1[j] + (int64_t)db2_lo[2] * r2[j] +
                    (int64_t)db2_lo[3] * r3[j];
      lo[j] = (int32_t)((acc + add_v[k]) >> sh_v[k]);
      acc = (int64_t)db2_hi[0] * r0[j] + (int64_t)db2_hi[1] * r1[j] + (int64_t)db2_hi[2] * r2[j] +
            (int64_t)db2_hi[3] * r3[j];
      hi[j] = (int32_t)((acc + add_v[k]) >> sh_v[k]);
    }
    for (int j = 0; j < ow; j++) {
      const int j0 = dwt_idx(j, 0, w), j1 = dwt_idx(j, 1, w), j2 = dwt_idx(j, 2, w), j3 = dwt_idx(j, 3, w);
      const size_t o = (size_t)i * ow + j;
      int64_t acc;
      acc = (int64_t)db2_lo[0] * lo[j0] + (int64_t)db2_lo[1] * lo[j1] + (int64_t)db2_lo[2] * lo[j2] +
            (int64_t)db2_lo[3] * lo[j3];
      out[B_A][o] = (int32_t)((acc + add_h[k]) >> sh_h[k]);
      acc = (int64_t)db2_hi[0] * lo[j0] + (int64_t)db2_hi[1] * lo[j1] + (int64_t)db2_hi[2] * lo[j2] +
            (int64_t)db2_hi[3] * lo[j3];
      out[B_V][o] = (int32_t)((acc + add_h[k]) >> sh_h[k]);
      acc = (int64_t)db2_lo[0] * hi[j0] + (int64_t)db2_lo[1] * hi[j1] + (int64_t)db2_lo[2] * hi[j2] +
            (int64_t)db2_lo[3] * hi[j3];
      out[B_H][o] = (int32_t)((acc + add_h[k]) >> sh_h[k]);
      acc = (int64_t)db2_hi[0] * hi[j0] + (int64_t)db2_hi[1] * hi[j1] + (int64_t)db2_hi[2] * hi[j2] +
            (int64_t)db2_hi[3] * hi[j3];
      out[B_D][o] = (int32_t)((acc + add_h[k]) >> sh_h[k]);
    }
  }
}

#ifdef AGM_X86
/* (a + add) >> n on int64 lanes, arithmetic (n a run-time count), then the low 32 bits of 4 lanes. */
__attribute__((target("avx2"))) static inline __m128i dwt_round(__m256i a, __m256i add, int n) {
  a = _mm256_add_epi64(a, add);
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), a);
  a = _mm256_or_si256(_mm256_srl_epi64(a, _mm_cvtsi32_si128(n)), _mm256_sll_epi64(sign, _mm_cvtsi32_si128(64 - n)));
  return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(a, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
}

/* Sum of 4 taps c[0..3] over int32 values held as the low dwords of int64 lanes (mul_epi32 reads those). */
__attribute__((target("avx2"))) static inline __m256i dwt_taps(__m256i x0, __m256i x1, __m256i x2, __m256i x3, const int32_t *c) {
  return _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(x0, _mm256_set1_epi64x(c[0])), _mm256_mul_epi32(x1, _mm256_set1_epi64x(c[1]))),
                          _mm256_add_epi64(_mm256_mul_epi32(x2, _mm256_set1_epi64x(c[2])), _mm256_mul_epi32(x3, _mm256_set1_epi64x(c[3]))));
}

/* AVX2 DWT for scales 1..3, the arithmetic of dwt_s123: vertical pass 4 columns at a time, horizontal pass
 * 4 outputs at a time reading taps 2j-1..2j+2 as the two dwords of 64-bit lanes; borders done portably. */
__attribute__((target("avx2"))) static void dwt_s123_avx2(AgmAdm *s, const int32_t *src, int w, int h, int scale, int32_t *out[4]) {
  static const int64_t add_v[3] = {0, 32768, 32768}, add_h[3] = {16384, 32768, 16384};
  static const int sh_v[3] = {0, 16, 16}, sh_h[3] = {15, 16, 15};
  const int ow = (w + 1) / 2, oh = (h + 1) / 2, k = scale - 1;
  int32_t *lo = s->tmp, *hi = s->tmp + w;
  const __m256i av = _mm256_set1_epi64x(add_v[k]), ah = _mm256_set1_epi64x(add_h[k]);
  for (int i = 0; i < oh; i++) {
    const int32_t *r0 = src + (size_t)dwt_idx(i, 0, h) * w, *r1 = src + (size_t)dwt_idx(i, 1, h) * w;
    const int32_t *r2 = src + (size_t)dwt_idx(i, 2, h) * w, *r3 = src + (size_t)dwt_idx(i, 3, h) * w;
    int j = 0;
    for (; j + 4 <= w; j += 4) {
      const __m256i x0 = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(r0 + j)));
      const __m256i x1 = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(r1 + j)));
      const __m256i x2 = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(r2 + j)));
      const __m256i x3 = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(r3 + j)));
      _mm_storeu_si128((__m128i *)(lo + j), dwt_round(dwt_taps(x0, x1, x2, x3, db2_lo), av, sh_v[k]));
      _mm_storeu_si128((__m128i *)(hi + j), dwt_round(dwt_taps(x0, x1, x2, x3, db2_hi), av, sh_v[k]));
    }
    for (; j < w; j++) {
      int64_t acc = (int64_t)db2_lo[0] * r0[j] + (int64_t)db2_lo[1] * r1[j] + (int64_t)db2_lo[2] * r2[j] + (int64_t)db2_lo[3] * r3[j];
      lo[j] = (int32_t)((acc + add_v[k]) >> sh_v[k]);
      acc = (int64_t)db2_hi[0] * r0[j] + (int64_t)db2_hi[1] * r1[j] + (int64_t)db2_hi[2] * r2[j] + (int64_t)db2_hi[3] * r3[j];
      hi[j] = (int32_t)((acc + add_v[k]) >> sh_v[k]);
    }
    const size_t ro = (size_t)i * ow;
    for (int x = 0; x < ow; x++) {
      /* vector block: outputs x..x+3 read lo[2x-1 .. 2x+8], all inside the row */
      if (x >= 1 && x + 3 <= ow - 1 && 2 * x + 8 <= w - 1) {
        for (int b = 0; b < 2; b++) {
          const int32_t *t = b ? hi : lo;
          const __m256i p01 = _mm256_loadu_si256((const __m256i *)(t + 2 * x - 1)); /* (tap0, tap1) per lane */
          const __m256i p23 = _mm256_loadu_si256((const __m256i *)(t + 2 * x + 1)); /* (tap2, tap3) per lane */
          const __m256i q01 = _mm256_srli_epi64(p01, 32), q23 = _mm256_srli_epi64(p23, 32);
          _mm_storeu_si128((__m128i *)(out[b ? B_H : B_A] + ro + x), dwt_round(dwt_taps(p01, q01, p23, q23, db2_lo), ah, sh_h[k]));
          _mm_storeu_si128((__m128i *)(out[b ? B_D : B_V] + ro + x), dwt_round(dwt_taps(p01, q01, p23, q23, db2_hi), ah, sh_h[k]));
        }
        x += 3;
        continue;
      }
      const int j0 = dwt_idx(x, 0, w), j1 = dwt_idx(x, 1, w), j2 = dwt_idx(x, 2, w), j3 = dwt_idx(x, 3, w);
      for (int b = 0; b < 2; b++) {
        const int32_t *t = b ? hi : lo;
        int64_t acc = (int64_t)db2_lo[0] * t[j0] + (int64_t)db2_lo[1] * t[j1] + (int64_t)db2_lo[2] * t[j2] + (int64_t)db2_lo[3] * t[j3];
        out[b ? B_H : B_A][ro + x] = (int32_t)((acc + add_h[k]) >> sh_h[k]);
        acc = (int64_t)db2_hi[0] * t[j0] + (int64_t)db2_hi[1] * t[j1] + (int64_t)db2_hi[2] * t[j2] + (int64_t)db2_hi[3] * t[j3];
        out[b ? B_D : B_V][ro + x] = (int32_t)((acc + add_h[k]) >> sh_h[k]);
      }
    }
  }
}
#endif

/* Region of a w x h band: decouple/CSF run on the interior grown by the filter taps, the sums on the
 * interior cropped by floor(0.1 n - 0.5) (C truncation, as libvmaf). */
typedef struct {
  int l, t, r, b;
} Rect;

static Rect ext_rect(int w, int h) {
  Rect e;
  e.l = (int)(w * 0.1 - 0.5 - 1);
  e.t = (int)(h * 0.1 - 0.5 - 1);
  e.r = w - e.l + 2;
  e.b = h - e.t + 2;
  if (e.l < 0) e.l = 0;
  if (e.t < 0) e.t = 0;
  if (e.r > w) e.r = w;
  if (e.b > h) e.b = h;
  return e;
}

static Rect int_rect(int w, int h) {
  Rect c;
  c.l = (int)(w * 0.1 - 0.5);
  c.t = (int)(h * 0.1 - 0.5);
  c.r = w - c.l;
  c.b = h - c.t;
  return c;
}

static inline int32_t clamp_k(int64_t k) { return k < 0 ? 0 : (k > 32768 ? 32768 : (int32_t)k); }

/* k = clamp(t/o, 0, 1) in Q15 through the reciprocal table; values >= 2^15 are first reduced to 15 bits
 * (rounding), as libvmaf's scale 1..3 path (identical to its scale-0 path for 16-bit values). */
static inline int64_t decouple_k(const int32_t *div, int32_t o, int32_t t) {
  if (o == 0) return 32768;
  const uint32_t ao = (uint32_t)(o < 0 ? -(int64_t)o : o);
  const int sign = o < 0 ? -1 : 1;
  int shift = 0;
  uint32_t m = ao;
  if (ao >= 32768) {
    shift = 17 - __builtin_clz(ao);
    m = (ao + (1u << (shift - 1))) >> shift;
  }
  return clamp_k(((int64_t)div[m + 32768] * t * sign + ((int64_t)1 << (14 + shift))) >> (15 + shift));
}

#ifdef AGM_X86
static int decouple8_s0_avx2(const int32_t *const *o, const int32_t *const *t, int32_t *const *r, int32_t *const *a, size_t off,
                             const int32_t *div_lookup, int egl);
static int decouple4_s123_avx2(const int32_t *const *o, const int32_t *const *t, int32_t *const *r, int32_t *const *a, size_t off,
                               const int32_t *div_lookup, int egl);
#endif

/* Decouple row i of t (distorted) into restored r = k.o and additive a = t - r (rows R, A), columns [e.l, e.r), with
 * the 1-degree angle test and the enhancement gain limit; scale 0 stores int16 values. The angle test is libvmaf's
 * float expression (the divisions by 4096 are exact, so they are written as multiplications); the sign of
 * libvmaf's float product k*o equals the sign of o when k > 0. */
static void decouple_row(const AgmAdm *s, int w, int i, Rect e, double egl, int is16, int32_t *const R[3], int32_t *const A[3]) {
  const float cos_1deg_sq = (float)(cos(1.0 * M_PI / 180.0) * cos(1.0 * M_PI / 180.0));
  const double q = 1.0 / 4096.0;
  const int32_t *div = s->div_lookup;
  const int simd = (egl == 1.0 || egl == 100.0) && agm_use_avx2();
  const int wide = simd && agm_use_avx512();
  /* pixels per vector chunk: AVX-512 16 (scale 0) or 8, AVX2 8 or 4 */
  const int chunk = (is16 ? 8 : 4) << wide;
  const size_t row = (size_t)i * w;
  const int32_t *RH = s->ref[B_H] + row, *RV = s->ref[B_V] + row, *RD = s->ref[B_D] + row;
  const int32_t *TH = s->dis[B_H] + row, *TV = s->dis[B_V] + row, *TD = s->dis[B_D] + row;
  const int32_t *O[3] = {RH, RV, RD}, *T[3] = {TH, TV, TD};
  int32_t *r0 = R[0], *r1 = R[1], *r2 = R[2];
  int32_t *a0 = A[0], *a1 = A[1], *a2 = A[2];
  (void)simd, (void)chunk, (void)O, (void)T;
  int j = e.l;
  for (; j < e.r; j++) {
#ifdef AGM_X86
    /* vector chunks; a chunk the vector code declines is done here, then vectors resume */
    if (simd && ((j - e.l) & (chunk - 1)) == 0 && e.r - e.l >= chunk) {
      /* the last chunk is moved back to end at e.r: it redoes a few pixels, with the same result */
      const int at = j + chunk <= e.r ? j : e.r - chunk;
      if (wide ? (is16 ? agm_adm_decouple16_s0_avx512(O, T, R, A, (size_t)at, div, (int)egl)
                       : agm_adm_decouple8_s123_avx512(O, T, R, A, (size_t)at, div, (int)egl))
               : (is16 ? decouple8_s0_avx2(O, T, R, A, (size_t)at, div, (int)egl)
                       : decouple4_s123_avx2(O, T, R, A, (size_t)at, div, (int)egl))) {
        j = at + chunk - 1;
        continue;
      }
    }
#endif
    const int32_t o[3] = {RH[j], RV[j], RD[j]}, t[3] = {TH[j], TV[j], TD[j]};
    const int64_t ot_dp = (int64_t)o[0] * t[0] + (int64_t)o[1] * t[1];
    const int64_t o_mag_sq = (int64_t)o[0] * o[0] + (int64_t)o[1] * o[1];
    const int64_t t_mag_sq = (int64_t)t[0] * t[0] + (int64_t)t[1] * t[1];
    const double dp = (float)ot_dp * q;
    const int angle_flag = dp >= 0.0 && dp * dp >= cos_1deg_sq * ((float)o_mag_sq * q) * ((float)t_mag_sq * q);
    int32_t r[3];
    for (int b = 0; b < 3; b++) {
      int64_t k;
      if (is16 && o[b] != 0 && o[b] != -32768) k = clamp_k(((int64_t)div[o[b] + 32768] * t[b] + 16384) >> 15);
      else k = decouple_k(div, o[b], t[b]);
      int32_t rv = (int32_t)((k * o[b] + 16384) >> 15);
      if (is16) rv = (int16_t)rv;
      if (angle_flag && k > 0 && o[b] != 0) {
        const double g = rv * egl;
        if (o[b] > 0) rv = g < t[b] ? (int32_t)g : t[b];
        else rv = g > t[b] ? (int32_t)g : t[b];
      }
      r[b] = rv;
    }
    r0[j] = r[0], r1[j] = r[1], r2[j] = r[2];
    if (is16) {
      a0[j] = (int16_t)(t[0] - r[0]), a1[j] = (int16_t)(t[1] - r[1]), a2[j] = (int16_t)(t[2] - r[2]);
    } else {
      a0[j] = t[0] - r[0], a1[j] = t[1] - r[1], a2[j] = t[2] - r[2];
    }
  }
}

#ifdef AGM_X86
/* AVX2 scale-0 decouple of columns [j, j+8) of a row (int16-range bands in int32 lanes), the same integer
 * and float arithmetic as decouple_row(). Returns 0 when a lane could overflow 32 bits (both products 2^30),
 * for the caller to do these columns portably. egl must be an integer here (1 or 100). */
__attribute__((target("avx2"))) static int decouple8_s0_avx2(const int32_t *const *O, const int32_t *const *T, int32_t *const *R,
                                                           int32_t *const *A, size_t o, const int32_t *div_lookup, int egl) {
  const __m256i oh = _mm256_loadu_si256((const __m256i *)(O[0] + o));
  const __m256i ov = _mm256_loadu_si256((const __m256i *)(O[1] + o));
  const __m256i th = _mm256_loadu_si256((const __m256i *)(T[0] + o));
  const __m256i tv = _mm256_loadu_si256((const __m256i *)(T[1] + o));
  const __m256i dp = _mm256_add_epi32(_mm256_mullo_epi32(oh, th), _mm256_mullo_epi32(ov, tv));
  const __m256i om = _mm256_add_epi32(_mm256_mullo_epi32(oh, oh), _mm256_mullo_epi32(ov, ov));
  const __m256i tm = _mm256_add_epi32(_mm256_mullo_epi32(th, th), _mm256_mullo_epi32(tv, tv));
  const __m256i imin = _mm256_set1_epi32(INT32_MIN);
  const __m256i bad = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi32(dp, imin), _mm256_cmpeq_epi32(om, imin)),
                                      _mm256_cmpeq_epi32(tm, imin));
  if (!_mm256_testz_si256(bad, bad)) return 0;
  /* angle test in double, as the scalar expression: (float)x * 2^-12 is exact in double */
  const __m256 fdp = _mm256_cvtepi32_ps(dp), fom = _mm256_cvtepi32_ps(om), ftm = _mm256_cvtepi32_ps(tm);
  const __m256d q = _mm256_set1_pd(1.0 / 4096.0);
  const __m256d cs = _mm256_set1_pd((double)(float)(cos(1.0 * M_PI / 180.0) * cos(1.0 * M_PI / 180.0)));
  __m256d lo, hi;
  {
    const __m256d d = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(fdp)), q);
    const __m256d r = _mm256_mul_pd(_mm256_mul_pd(cs, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(fom)), q)),
                                    _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(ftm)), q));
    lo = _mm256_and_pd(_mm256_cmp_pd(d, _mm256_setzero_pd(), _CMP_GE_OQ), _mm256_cmp_pd(_mm256_mul_pd(d, d), r, _CMP_GE_OQ));
  }
  {
    const __m256d d = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(fdp, 1)), q);
    const __m256d r = _mm256_mul_pd(_mm256_mul_pd(cs, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(fom, 1)), q)),
                                    _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(ftm, 1)), q));
    hi = _mm256_and_pd(_mm256_cmp_pd(d, _mm256_setzero_pd(), _CMP_GE_OQ), _mm256_cmp_pd(_mm256_mul_pd(d, d), r, _CMP_GE_OQ));
  }
  /* 64-bit lane masks -> 32-bit lane mask */
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  const __m128i al = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(lo), idx));
  const __m128i ah = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(hi), idx));
  const __m256i angle = _mm256_set_m128i(ah, al);
  const __m256i zero = _mm256_setzero_si256(), k32768 = _mm256_set1_epi32(32768), r14 = _mm256_set1_epi32(16384);
  const __m256i r14q = _mm256_set1_epi64x(16384), k32768q = _mm256_set1_epi64x(32768);
  const __m256i vegl = _mm256_set1_epi32(egl);
  for (int b = 0; b < 3; b++) {
    const __m256i ob = _mm256_loadu_si256((const __m256i *)(O[b] + o));
    const __m256i tb = _mm256_loadu_si256((const __m256i *)(T[b] + o));
    const __m256i dv = _mm256_i32gather_epi32(div_lookup, _mm256_add_epi32(ob, k32768), 4);
    /* k = clamp((div * t + 16384) >> 15, 0, 32768) with 64-bit products (even and odd lanes) */
    __m256i kk[2];
    for (int e = 0; e < 2; e++) {
      const __m256i dd = e ? _mm256_srli_epi64(dv, 32) : dv, tt = e ? _mm256_srli_epi64(tb, 32) : tb;
      const __m256i p = _mm256_mul_epi32(dd, tt);
      __m256i k = _mm256_srli_epi64(_mm256_add_epi64(p, r14q), 15);
      k = _mm256_andnot_si256(_mm256_cmpgt_epi64(zero, p), k);              /* negative product -> 0 */
      k = _mm256_blendv_epi8(k, k32768q, _mm256_cmpgt_epi64(k, k32768q));   /* > 32768 -> 32768 */
      kk[e] = k;
    }
    __m256i k = _mm256_blend_epi32(kk[0], _mm256_slli_epi64(kk[1], 32), 0xAA);
    const __m256i ozero = _mm256_cmpeq_epi32(ob, zero);
    k = _mm256_blendv_epi8(k, k32768, ozero);
    __m256i rv = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(k, ob), r14), 15);
    rv = _mm256_srai_epi32(_mm256_slli_epi32(rv, 16), 16); /* int16 */
    const __m256i g = _mm256_mullo_epi32(rv, vegl);
    const __m256i act = _mm256_andnot_si256(ozero, _mm256_and_si256(angle, _mm256_cmpgt_epi32(k, zero)));
    const __m256i pos = _mm256_cmpgt_epi32(ob, zero);
    const __m256i lim = _mm256_blendv_epi8(_mm256_max_epi32(g, tb), _mm256_min_epi32(g, tb), pos);
    rv = _mm256_blendv_epi8(rv, lim, act);
    const __m256i av = _mm256_srai_epi32(_mm256_slli_epi32(_mm256_sub_epi32(tb, rv), 16), 16);
    _mm256_storeu_si256((__m256i *)(R[b] + o), rv);
    _mm256_storeu_si256((__m256i *)(A[b] + o), av);
  }
  return 1;
}
#endif

#ifdef AGM_X86
/* Exact int64 -> double for |x| < 2^51 (add the bits of 2^52 + 2^51, subtract it as a double). */
__attribute__((target("avx2"))) static inline __m256d i64_to_pd(__m256i x) {
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);
  return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(x, _mm256_castpd_si256(magic))), magic);
}

/* Arithmetic right shift of int64 lanes by n (AVX2 has only the logical one). */
__attribute__((target("avx2"))) static inline __m256i srai64(__m256i v, int n) {
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  return _mm256_or_si256(_mm256_srli_epi64(v, n), _mm256_slli_epi64(sign, 64 - n));
}

/* (float)x of int64 lanes (|x| < 2^62), as C's conversion (one rounding to nearest), widened back to
 * double: values of 2^53 and more are first narrowed to 53 bits with a sticky bit ("round to odd"), which
 * makes the final rounding to float exact. */
__attribute__((target("avx2"))) static inline __m256d f32_of_i64(__m256i x) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1), lo32 = _mm256_set1_epi64x(0xFFFFFFFFLL);
  const __m256d two32 = _mm256_set1_pd(4294967296.0);
  const __m256i neg = _mm256_cmpgt_epi64(zero, x);
  const __m256i ax = _mm256_sub_epi64(_mm256_xor_si256(x, neg), neg);
  const __m256d approx = _mm256_add_pd(_mm256_mul_pd(i64_to_pd(_mm256_srli_epi64(ax, 32)), two32), i64_to_pd(_mm256_and_si256(ax, lo32)));
  __m256i sh = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_castpd_si256(approx), 52), _mm256_set1_epi64x(1023 + 52));
  sh = _mm256_and_si256(sh, _mm256_cmpgt_epi64(sh, zero));
  const __m256i dropped = _mm256_and_si256(ax, _mm256_sub_epi64(_mm256_sllv_epi64(one, sh), one));
  const __m256i ax2 = _mm256_or_si256(_mm256_srlv_epi64(ax, sh), _mm256_andnot_si256(_mm256_cmpeq_epi64(dropped, zero), one));
  __m256d d = _mm256_add_pd(_mm256_mul_pd(i64_to_pd(_mm256_srli_epi64(ax2, 32)), two32), i64_to_pd(_mm256_and_si256(ax2, lo32)));
  d = _mm256_mul_pd(d, _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(sh, _mm256_set1_epi64x(1023)), 52)));
  d = _mm256_or_pd(d, _mm256_castsi256_pd(_mm256_and_si256(neg, _mm256_set1_epi64x(INT64_MIN))));
  return _mm256_cvtps_pd(_mm256_cvtpd_ps(d));
}

/* AVX2 decouple of 4 pixels at scales 1-3 (int32 bands), the same steps as decouple_row()/decouple_k() in
 * 64-bit lanes. Returns 0 (caller goes portable) when a value is outside +-2^30 (products must stay below
 * 2^62). egl must be an integer (1 or 100). */
__attribute__((target("avx2"))) static int decouple4_s123_avx2(const int32_t *const *Ob, const int32_t *const *Tb, int32_t *const *R,
                                                             int32_t *const *A, size_t o, const int32_t *div_lookup, int egl) {
  __m256i O[3], T[3];
  const __m256i lim24 = _mm256_set1_epi64x((1 << 30) - 1), nlim24 = _mm256_set1_epi64x(-(1 << 30) + 1);
  __m256i bad = _mm256_setzero_si256();
  for (int b = 0; b < 3; b++) {
    O[b] = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(Ob[b] + o)));
    T[b] = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(Tb[b] + o)));
    bad = _mm256_or_si256(bad, _mm256_or_si256(_mm256_cmpgt_epi64(O[b], lim24), _mm256_cmpgt_epi64(nlim24, O[b])));
    bad = _mm256_or_si256(bad, _mm256_or_si256(_mm256_cmpgt_epi64(T[b], lim24), _mm256_cmpgt_epi64(nlim24, T[b])));
  }
  if (!_mm256_testz_si256(bad, bad)) return 0;
  const __m256i zero = _mm256_setzero_si256();
  const __m256i dp = _mm256_add_epi64(_mm256_mul_epi32(O[0], T[0]), _mm256_mul_epi32(O[1], T[1]));
  const __m256i om = _mm256_add_epi64(_mm256_mul_epi32(O[0], O[0]), _mm256_mul_epi32(O[1], O[1]));
  const __m256i tm = _mm256_add_epi64(_mm256_mul_epi32(T[0], T[0]), _mm256_mul_epi32(T[1], T[1]));
  const __m256d q = _mm256_set1_pd(1.0 / 4096.0);
  const __m256d cs = _mm256_set1_pd((double)(float)(cos(1.0 * M_PI / 180.0) * cos(1.0 * M_PI / 180.0)));
  const __m256d d = _mm256_mul_pd(f32_of_i64(dp), q);
  const __m256d rhs = _mm256_mul_pd(_mm256_mul_pd(cs, _mm256_mul_pd(f32_of_i64(om), q)), _mm256_mul_pd(f32_of_i64(tm), q));
  const __m256i angle = _mm256_castpd_si256(
      _mm256_and_pd(_mm256_cmp_pd(d, _mm256_setzero_pd(), _CMP_GE_OQ), _mm256_cmp_pd(_mm256_mul_pd(d, d), rhs, _CMP_GE_OQ)));
  const __m256i one = _mm256_set1_epi64x(1), c14 = _mm256_set1_epi64x(14), c15 = _mm256_set1_epi64x(15);
  const __m256i k32768 = _mm256_set1_epi64x(32768), c32767 = _mm256_set1_epi64x(32767), r14 = _mm256_set1_epi64x(16384);
  const __m256i vegl = _mm256_set1_epi64x(egl), pick = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  for (int b = 0; b < 3; b++) {
    const __m256i ob = O[b], tb = T[b];
    const __m256i neg = _mm256_cmpgt_epi64(zero, ob);
    const __m256i ao = _mm256_sub_epi64(_mm256_xor_si256(ob, neg), neg);
    /* |o| >= 2^15: reduce to 15 bits with rounding, shift = floor(log2 |o|) - 14 */
    const __m256i big = _mm256_cmpgt_epi64(ao, c32767);
    const __m256i lg = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_castpd_si256(i64_to_pd(ao)), 52), _mm256_set1_epi64x(1023));
    const __m256i sh = _mm256_and_si256(big, _mm256_sub_epi64(lg, c14));
    const __m256i m = _mm256_srlv_epi64(_mm256_add_epi64(ao, _mm256_and_si256(big, _mm256_sllv_epi64(one, _mm256_sub_epi64(sh, one)))), sh);
    const __m256i dv = _mm256_cvtepi32_epi64(_mm256_i64gather_epi32(div_lookup, _mm256_add_epi64(m, k32768), 4));
    __m256i p = _mm256_mul_epi32(dv, tb);
    p = _mm256_sub_epi64(_mm256_xor_si256(p, neg), neg); /* times sign(o) */
    __m256i k = _mm256_srlv_epi64(_mm256_add_epi64(p, _mm256_sllv_epi64(one, _mm256_add_epi64(sh, c14))), _mm256_add_epi64(sh, c15));
    k = _mm256_andnot_si256(_mm256_cmpgt_epi64(zero, p), k);
    k = _mm256_blendv_epi8(k, k32768, _mm256_cmpgt_epi64(k, k32768));
    const __m256i ozero = _mm256_cmpeq_epi64(ob, zero);
    k = _mm256_blendv_epi8(k, k32768, ozero);
    __m256i rv = srai64(_mm256_add_epi64(_mm256_mul_epi32(k, ob), r14), 15);
    rv = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(_mm256_permutevar8x32_epi32(rv, pick))); /* int32 */
    const __m256i g = _mm256_mul_epi32(rv, vegl);
    const __m256i act = _mm256_andnot_si256(ozero, _mm256_and_si256(angle, _mm256_cmpgt_epi64(k, zero)));
    const __m256i pos = _mm256_cmpgt_epi64(ob, zero);
    const __m256i gmin = _mm256_blendv_epi8(g, tb, _mm256_cmpgt_epi64(g, tb)); /* min(g, t) */
    const __m256i gmax = _mm256_blendv_epi8(g, tb, _mm256_cmpgt_epi64(tb, g)); /* max(g, t) */
    rv = _mm256_blendv_epi8(rv, _mm256_blendv_epi8(gmax, gmin, pos), act);
    const __m256i av = _mm256_sub_epi64(tb, rv);
    _mm_storeu_si128((__m128i *)(R[b] + o), _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(rv, pick)));
    _mm_storeu_si128((__m128i *)(A[b] + o), _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(av, pick)));
  }
  return 1;
}
#endif

#ifdef AGM_X86
/* AVX2 CSF of one row segment [j, j1), the same integer steps as csf_row(); returns the first column not done. */
__attribute__((target("avx2"))) static int csf_row_avx2(const int32_t *a, int32_t *ca, int32_t *cf, int j, int j1, int scale,
                                                      int32_t rf16, int32_t add16, int sh16, uint32_t rf32) {
  if (scale == 0) {
    const __m256i m = _mm256_set1_epi32(rf16), ad = _mm256_set1_epi32(add16), k30 = _mm256_set1_epi32(4369), r12 = _mm256_set1_epi32(2048);
    const __m128i sh = _mm_cvtsi32_si128(sh16);
    for (; j + 8 <= j1; j += 8) {
      __m256i d = _mm256_sra_epi32(_mm256_add_epi32(_mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(a + j)), m), ad), sh);
      d = _mm256_srai_epi32(_mm256_slli_epi32(d, 16), 16);
      __m256i f = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(_mm256_abs_epi32(d), k30), r12), 12);
      f = _mm256_srai_epi32(_mm256_slli_epi32(f, 16), 16);
      _mm256_storeu_si256((__m256i *)(ca + j), d);
      _mm256_storeu_si256((__m256i *)(cf + j), f);
    }
  } else {
    const __m256i m = _mm256_set1_epi64x(rf32), r27 = _mm256_set1_epi64x(1 << 27), k30 = _mm256_set1_epi64x(143165577);
    const __m256i addf = _mm256_set1_epi64x(INT32_MIN), pick = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    const __m256i zero = _mm256_setzero_si256();
    for (; j + 4 <= j1; j += 4) {
      __m256i v = _mm256_add_epi64(_mm256_mul_epi32(_mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(a + j))), m), r27);
      __m256i sg = _mm256_cmpgt_epi64(zero, v);
      v = _mm256_or_si256(_mm256_srli_epi64(v, 28), _mm256_slli_epi64(sg, 36)); /* >> 28, arithmetic */
      const __m128i d = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, pick));
      __m256i f = _mm256_add_epi64(_mm256_mul_epu32(_mm256_cvtepu32_epi64(_mm_abs_epi32(d)), k30), addf);
      sg = _mm256_cmpgt_epi64(zero, f);
      f = _mm256_or_si256(_mm256_srli_epi64(f, 32), _mm256_slli_epi64(sg, 32)); /* >> 32, arithmetic */
      _mm_storeu_si128((__m128i *)(ca + j), d);
      _mm_storeu_si128((__m128i *)(cf + j), _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(f, pick)));
    }
  }
  return j;
}
#endif

/* Fixed-point factors of one scale's CSF. */
typedef struct {
  int scale;
  int32_t rf16[3], add16[3], sh16[3]; /* scale 0 */
  uint32_t rf32[3];                   /* scales 1..3 (Q32) */
} CsfParams;

static void csf_params(int scale, CsfParams *p) {
  /* libvmaf hard-codes the scale-0 Q21/Q21/Q23 factors and a rounding add of 65535 (not 65536) for D. */
  static const int32_t i_rf[3] = {36453, 36453, 49417}, add[3] = {16384, 16384, 65535}, sh[3] = {15, 15, 17};
  p->scale = scale;
  for (int b = 0; b < 3; b++) p->rf16[b] = i_rf[b], p->add16[b] = add[b], p->sh16[b] = sh[b], p->rf32[b] = 0;
  if (scale > 0) {
    float rf[3];
    rfactors(scale, rf);
    for (int b = 0; b < 3; b++) p->rf32[b] = (uint32_t)(rf[b] * pow(2, 32));
  }
}

/* CSF of band th's additive impairment, in place (a becomes CSF(a)), and its 1/30-weighted magnitude f (the
 * masking neighbours), columns [j, j1) of one row. */
static void csf_row(const CsfParams *p, int th, int32_t *a, int32_t *f, int j, int j1) {
  if (p->scale == 0) {
#ifdef AGM_X86
    if (agm_use_avx2()) j = csf_row_avx2(a, a, f, j, j1, 0, p->rf16[th], p->add16[th], p->sh16[th], 0);
#endif
    for (; j < j1; j++) {
      const int16_t d = (int16_t)((p->rf16[th] * a[j] + p->add16[th]) >> p->sh16[th]);
      a[j] = d;
      f[j] = (int16_t)((4369 * abs((int32_t)d) + 2048) >> 12);
    }
  } else {
    /* libvmaf keeps the rounding constant 2^31 in an int32, so it is -2^31: replicate. */
    const int64_t add_flt = INT32_MIN;
    const uint32_t rf = p->rf32[th];
#ifdef AGM_X86
    /* the vector path multiplies the Q32 factor as signed 32-bit: fine below 2^31 (the default CSF) */
    if (agm_use_avx2() && rf < 0x80000000u) j = csf_row_avx2(a, a, f, j, j1, p->scale, 0, 0, 0, rf);
#endif
    for (; j < j1; j++) {
      const int32_t d = (int32_t)((rf * (int64_t)a[j] + (1 << 27)) >> 28);
      a[j] = d;
      f[j] = (int32_t)(((int64_t)143165577 * abs(d) + add_flt) >> 32);
    }
  }
}

static uint32_t ceil_log2_shift(double x) {
  const double v = ceil(x);
  return v > 0 ? (uint32_t)v : 0;
}

/* Denominator of one scale: cube sums of the CSF-weighted reference bands over the interior. */
static float csf_den(AgmAdm *s, int w, int h, int scale) {
  float rf[3];
  rfactors(scale, rf);
  const Rect c = int_rect(w, h);
  const int area = (c.b - c.t) * (c.r - c.l);
  uint64_t acc[3] = {0, 0, 0};
  double shift_csf;
  if (area <= 0) return 0.0f;
  if (scale == 0) {
    int32_t sa = (int32_t)ceil(log2((double)area) - 20);
    if (sa < 0) sa = 0;
    const uint64_t add = sa > 0 ? (uint64_t)1 << (sa - 1) : 0;
    const int wide = agm_use_avx512();
    (void)wide;
    for (int i = c.t; i < c.b; i++) {
      uint64_t in[3] = {0, 0, 0};
      for (int b = 0; b < 3; b++) {
        const int32_t *row = s->ref[B_H + b] + (size_t)i * w;
        int j = c.l;
#ifdef AGM_X86
        if (wide) j += agm_adm_cube_row_avx512(row + j, c.r - j, 0, 0, 0, 0, 0, &in[b]);
#endif
        for (; j < c.r; j++) {
          const uint64_t v = (uint16_t)abs(row[j]);
          in[b] += v * v * v;
        }
      }
      for (int b = 0; b < 3; b++) acc[b] += (in[b] + add) >> sa;
    }
    shift_csf = pow(2, 18 - sa);
  } else {
    static const uint32_t shift_sq[3] = {31, 30, 31}, conv[3] = {32, 27, 23};
    const int k = scale - 1;
    /* libvmaf adds 2^shift (not 2^(shift-1)) before this shift: replicate. */
    const uint64_t add_sq = (uint64_t)1 << shift_sq[k];
    const uint32_t shift_cub = ceil_log2_shift(log2((double)(c.r - c.l)));
    const uint64_t add_cub = (uint32_t)pow(2, (double)shift_cub - 1);
    const uint32_t shift_acc = ceil_log2_shift(log2((double)(c.b - c.t)));
    const uint64_t add_acc = (uint32_t)pow(2, (double)shift_acc - 1);
    const int wide = agm_use_avx512();
    (void)wide;
    for (int i = c.t; i < c.b; i++) {
      uint64_t in[3] = {0, 0, 0};
      for (int b = 0; b < 3; b++) {
        const int32_t *row = s->ref[B_H + b] + (size_t)i * w;
        int j = c.l;
#ifdef AGM_X86
        if (wide) j += agm_adm_cube_row_avx512(row + j, c.r - j, scale, (int)shift_sq[k], add_sq, (int)shift_cub, add_cub, &in[b]);
#endif
        for (; j < c.r; j++) {
          const uint64_t v = (uint32_t)abs(row[j]);
          in[b] += ((((v * v) + add_sq) >> shift_sq[k]) * v + add_cub) >> shift_cub;
        }
      }
      for (int b = 0; b < 3; b++) acc[b] += (in[b] + add_acc) >> shift_acc;
    }
    shift_csf = pow(2, (double)conv[k] - shift_acc - shift_cub);
  }
  const float powf_add = powf(area / 32.0f, 1.0f / 3.0f);
  float den = 0.0f;
  for (int b = 0; b < 3; b++) {
    const double v = (double)(acc[b] / shift_csf) * pow(rf[b], 3);
    den += powf((float)v, 1.0f / 3.0f) + powf_add;
  }
  return den;
}

#ifdef AGM_X86
/* Arithmetic right shift of int64 lanes by a run-time count 0..63. */
__attribute__((target("avx2"))) static inline __m256i srai64_n(__m256i v, int n) {
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  return _mm256_or_si256(_mm256_srl_epi64(v, _mm_cvtsi32_si128(n)), _mm256_sll_epi64(sign, _mm_cvtsi32_si128(64 - n)));
}

/* Low 32 bits of int64 lanes, sign-extended back to 64 (C's conversion to int32). */
__attribute__((target("avx2"))) static inline __m256i to_i32(__m256i v) {
  return _mm256_cvtepi32_epi64(_mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6))));
}

typedef AgmCmParams CmParams;

/* AVX2 masking sums of one row, columns [j0, j1) (4 at a time, all with both neighbours inside the row),
 * added to in[3]; the same integer steps as adm_cm's loop. Returns the first column not done. */
__attribute__((target("avx2"))) static int cm_row_avx2(const AgmCmRows *rw, int j0, int j1, const CmParams *p, int64_t in[3]) {
  __m256i acc[3] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
  int j = j0;
  for (; j + 4 <= j1; j += 4) {
    __m128i thr = _mm_setzero_si128();
    for (int th = 0; th < 3; th++) {
      const int32_t *fu = rw->f_up[th], *fm = rw->f_mid[th], *fd = rw->f_down[th];
      __m128i sum = _mm_add_epi32(_mm_add_epi32(_mm_loadu_si128((const __m128i *)(fu + j - 1)), _mm_loadu_si128((const __m128i *)(fu + j))),
                                  _mm_loadu_si128((const __m128i *)(fu + j + 1)));
      sum = _mm_add_epi32(sum, _mm_add_epi32(_mm_loadu_si128((const __m128i *)(fm + j - 1)), _mm_loadu_si128((const __m128i *)(fm + j + 1))));
      sum = _mm_add_epi32(sum, _mm_add_epi32(_mm_add_epi32(_mm_loadu_si128((const __m128i *)(fd + j - 1)), _mm_loadu_si128((const __m128i *)(fd + j))),
                                             _mm_loadu_si128((const __m128i *)(fd + j + 1))));
      const __m128i av = _mm_abs_epi32(_mm_loadu_si128((const __m128i *)(rw->csf_a[th] + j)));
      __m128i c;
      if (p->scale == 0) {
        c = _mm_srai_epi32(_mm_add_epi32(_mm_mullo_epi32(av, _mm_set1_epi32(8738)), _mm_set1_epi32(2048)), 12);
        c = _mm_srai_epi32(_mm_slli_epi32(c, 16), 16); /* int16 */
      } else {
        const __m256i prod = _mm256_add_epi64(_mm256_mul_epi32(_mm256_cvtepi32_epi64(av), _mm256_set1_epi64x(286331153)),
                                              _mm256_set1_epi64x(INT32_MIN));
        c = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(srai64_n(prod, 32), _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
      }
      thr = _mm_add_epi32(thr, _mm_add_epi32(sum, c));
    }
    for (int b = 0; b < 3; b++) {
      const __m128i r = _mm_loadu_si128((const __m128i *)(rw->r[b] + j));
      __m128i x;
      if (p->scale == 0) {
        x = _mm_mullo_epi32(r, _mm_set1_epi32(p->i_rf16[b]));
      } else {
        const __m256i v = _mm256_add_epi64(_mm256_mul_epi32(_mm256_cvtepi32_epi64(r), _mm256_set1_epi64x(p->i_rf32[b])),
                                           _mm256_set1_epi64x(1 << 27));
        x = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(srai64_n(v, 28), _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
      }
      x = _mm_sub_epi32(_mm_abs_epi32(x), _mm_sll_epi32(thr, _mm_cvtsi32_si128(p->sh_sub[b])));
      x = _mm_max_epi32(x, _mm_setzero_si128());
      const __m256i x64 = _mm256_cvtepi32_epi64(x);
      const __m256i xsq = to_i32(_mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epu32(x64, x64), _mm256_set1_epi64x(p->add_sq[b])),
                                                  _mm_cvtsi32_si128(p->sh_sq[b])));
      const __m256i val = srai64_n(_mm256_add_epi64(_mm256_mul_epi32(xsq, x64), _mm256_set1_epi64x(p->add_cub[b])), p->sh_cub[b]);
      acc[b] = _mm256_add_epi64(acc[b], val);
    }
  }
  for (int b = 0; b < 3; b++) {
    int64_t t[4];
    _mm256_storeu_si256((__m256i *)t, acc[b]);
    in[b] += t[0] + t[1] + t[2] + t[3];
  }
  return j;
}
#endif

/* Contrast masking: sum over the interior of max(|CSF(r)| - threshold, 0)^3 with the threshold from the
 * 3x3 neighbourhood of CSF(a) (mixed borders: row/col -1 -> 1, n -> n-1). The decoupling (gain limit egl)
 * and the CSF make each row of r, CSF(a) and its weighted magnitude just before the sums first read it; the
 * rows read (the interior and its 1-pixel border) all lie in the decoupled rectangle (ext_rect). */
static float adm_cm(AgmAdm *s, int w, int h, int scale, double egl) {
  const Rect c = int_rect(w, h);
  if (c.b - c.t <= 0 || c.r - c.l <= 0) return 0.0f;
  const Rect e = ext_rect(w, h);
  CsfParams csfp;
  csf_params(scale, &csfp);
  int next = e.t; /* the next row to make */
  const int area = (c.b - c.t) * (c.r - c.l);
  int64_t acc[3] = {0, 0, 0};
  /* Per-scale fixed-point parameters. */
  int32_t i_rf16[3] = {36453, 36453, 49417};
  uint32_t i_rf32[3] = {0, 0, 0};
  uint32_t sh_cub[3], sh_inner;
  int64_t add_cub[3], add_inner;
  int sh_sq[3], sh_sub[3];
  int64_t add_sq[3];
  double final_div[3];
  sh_inner = ceil_log2_shift(log2((double)h));
  add_inner = (uint32_t)pow(2, (double)sh_inner - 1);
  if (scale == 0) {
    const uint32_t hv = ceil_log2_shift(log2((double)w) - 4), d = ceil_log2_shift(log2((double)w) - 3);
    sh_cub[0] = sh_cub[1] = hv, sh_cub[2] = d;
    sh_sq[0] = sh_sq[1] = 29, sh_sq[2] = 30;
    add_sq[0] = add_sq[1] = 268435456, add_sq[2] = 536870912;
    sh_sub[0] = sh_sub[1] = 10, sh_sub[2] = 12;
    for (int b = 0; b < 3; b++) {
      add_cub[b] = (uint32_t)pow(2, (double)sh_cub[b] - 1);
      final_div[b] = pow(2, (b == 2 ? 57.0 : 52.0) - sh_cub[b] - sh_inner);
    }
  } else {
    float rf[3];
    rfactors(scale, rf);
    const uint32_t sc = ceil_log2_shift(log2((double)w));
    static const double fs[3] = {45, 39, 36};
    for (int b = 0; b < 3; b++) {
      i_rf32[b] = (uint32_t)(rf[b] * pow(2, 32));
      sh_cub[b] = sc;
      add_cub[b] = (uint32_t)pow(2, (double)sc - 1);
      sh_sq[b] = 30, add_sq[b] = 536870912, sh_sub[b] = 0;
      /* libvmaf divides by a float power of two in float: keep the divisor's float value. */
      final_div[b] = (float)pow(2, fs[scale - 1] - sc - sh_inner);
    }
  }
#ifdef AGM_X86
  /* the vector path multiplies the Q32 factors as signed 32-bit: they are < 2^31 for the default CSF */
  const int simd = agm_use_avx2() && i_rf32[0] < 0x80000000u && i_rf32[1] < 0x80000000u && i_rf32[2] < 0x80000000u;
  CmParams cp;
  cp.scale = scale;
  for (int b = 0; b < 3; b++) {
    cp.i_rf16[b] = i_rf16[b], cp.i_rf32[b] = i_rf32[b], cp.sh_sub[b] = sh_sub[b], cp.sh_sq[b] = sh_sq[b];
    cp.sh_cub[b] = (int)sh_cub[b], cp.add_sq[b] = add_sq[b], cp.add_cub[b] = add_cub[b];
  }
#endif
  for (int i = c.t; i < c.b; i++) {
    const int iu = i == 0 ? 1 : i - 1, id = i == h - 1 ? h - 1 : i + 1;
    const int ic = h > 1 ? iu : 0;
    const int need = ic > id ? ic : id;
    for (; next <= need; next++) {
      int32_t *R[3], *A[3];
      for (int b = 0; b < 3; b++) R[b] = ring_row(s, RING_R, b, next), A[b] = ring_row(s, RING_A, b, next);
      decouple_row(s, w, next, e, egl, scale == 0, R, A);
      for (int b = 0; b < 3; b++) csf_row(&csfp, b, A[b], ring_row(s, RING_F, b, next), e.l, e.r);
    }
    AgmCmRows rw;
    for (int b = 0; b < 3; b++) {
      rw.f_up[b] = ring_row(s, RING_F, b, ic), rw.f_mid[b] = ring_row(s, RING_F, b, i), rw.f_down[b] = ring_row(s, RING_F, b, id);
      rw.csf_a[b] = ring_row(s, RING_A, b, i), rw.r[b] = ring_row(s, RING_R, b, i);
    }
    int64_t in[3] = {0, 0, 0};
    /* interior columns (both neighbours inside) in vectors, the rest here */
    int vj0 = c.l > 1 ? c.l : 1, vj1 = c.r < w - 1 ? c.r : w - 1, vdone = vj0;
#ifdef AGM_X86
    if (simd && vj1 > vj0 && agm_use_avx512()) {
      vdone = agm_adm_cm_row_avx512(&rw, vj0, vj1, &cp, in);
      if (vdone < vj1) vdone = cm_row_avx2(&rw, vdone, vj1, &cp, in);
    } else if (simd && vj1 > vj0) vdone = cm_row_avx2(&rw, vj0, vj1, &cp, in);
#endif
    for (int j = c.l; j < c.r; j++) {
      if (j >= vj0 && j < vdone) continue;
      const int jl0 = j == 0 ? 1 : j - 1, jr = j == w - 1 ? w - 1 : j + 1;
      const int jl = w > 1 ? jl0 : 0;
      int32_t thr = 0;
      for (int th = 0; th < 3; th++) {
        const int32_t *fu = rw.f_up[th], *fm = rw.f_mid[th], *fd = rw.f_down[th];
        int32_t sum = 0;
        sum += fu[jl] + fu[j] + fu[jr];
        sum += fm[jl] + fm[jr];
        sum += fd[jl] + fd[j] + fd[jr];
        const int32_t av = abs(rw.csf_a[th][j]);
        if (scale == 0) sum += (int16_t)((8738 * av + 2048) >> 12);
        else sum += (int32_t)(((int64_t)286331153 * av + (int64_t)INT32_MIN) >> 32);
        thr += sum;
      }
      for (int b = 0; b < 3; b++) {
        int32_t x;
        if (scale == 0) x = rw.r[b][j] * i_rf16[b];
        else x = (int32_t)(((int64_t)rw.r[b][j] * i_rf32[b] + (1 << 27)) >> 28);
        x = abs(x) - (int32_t)((uint32_t)thr << sh_sub[b]); /* thr may be negative at scales 1-3 (CSF rounding) */
        if (x < 0) x = 0;
        const int32_t x_sq = (int32_t)(((int64_t)x * x + add_sq[b]) >> sh_sq[b]);
        in[b] += ((int64_t)x_sq * x + add_cub[b]) >> sh_cub[b];
      }
    }
    for (int b = 0; b < 3; b++) acc[b] += (in[b] + add_inner) >> sh_inner;
  }
  const float powf_add = powf(area / 32.0f, 1.0f / 3.0f);
  float num = 0.0f;
  for (int b = 0; b < 3; b++) {
    float f;
    if (scale == 0) f = (float)(acc[b] / final_div[b]);
    else f = (float)acc[b] / (float)final_div[b];
    num += powf(f, 1.0f / 3.0f) + powf_add;
  }
  return num;
}

/* Decouple, CSF and masking for one scale and gain limit; returns the scale's numerator. */
static float scale_num(AgmAdm *s, int w, int h, int scale, double egl) { return adm_cm(s, w, h, scale, egl); }

static void finish(const float num[4], const float den[4], int frame_w, int frame_h, double out[5]) {
  double n = 0, d = 0;
  for (int k = 0; k < 4; k++) {
    n += num[k];
    d += den[k];
    out[1 + k] = den[k] != 0.0f ? (double)num[k] / (double)den[k] : 1.0;
  }
  const double limit = 1e-10 * ((double)frame_w * frame_h) / (1920.0 * 1080.0);
  if (n < limit) n = 0;
  if (d < limit) d = 0;
  out[0] = d == 0.0 ? 1.0 : n / d;
}

void agm_adm_compute(AgmAdm *s, const uint16_t *ref, const uint16_t *dis, int bpc, double out[5], double *out_egl1) {
  int w = s->w, h = s->h;
  float num[4], den[4], num1[4];
  for (int scale = 0; scale < 4; scale++) {
    if (scale == 0) {
#ifdef AGM_X86
      if (agm_use_avx2() && bpc <= 12) {
        dwt_scale0_avx2(s, ref, w, h, bpc, s->ref);
        dwt_scale0_avx2(s, dis, w, h, bpc, s->dis);
      } else
#endif
      {
        dwt_scale0(s, ref, w, h, bpc, s->ref);
        dwt_scale0(s, dis, w, h, bpc, s->dis);
      }
    } else {
      /* The previous A band becomes this scale's input; this scale's A band goes to the spare. */
      int32_t *t = s->ref[B_A];
      s->ref[B_A] = s->prev_ref, s->prev_ref = t;
      t = s->dis[B_A];
      s->dis[B_A] = s->prev_dis, s->prev_dis = t;
#ifdef AGM_X86
      if (agm_use_avx2()) {
        dwt_s123_avx2(s, s->prev_ref, w, h, scale, s->ref);
        dwt_s123_avx2(s, s->prev_dis, w, h, scale, s->dis);
      } else
#endif
      {
        dwt_s123(s, s->prev_ref, w, h, scale, s->ref);
        dwt_s123(s, s->prev_dis, w, h, scale, s->dis);
      }
    }
    w = (w + 1) / 2;
    h = (h + 1) / 2;
    den[scale] = csf_den(s, w, h, scale);
    num[scale] = scale_num(s, w, h, scale, 100.0);
    if (out_egl1) num1[scale] = scale_num(s, w, h, scale, 1.0);
  }
  /* three swaps left the spares in ref/dis[B_A]: the full-size planes go back there for the next frame's scale 0 */
  int32_t *t = s->ref[B_A];
  s->ref[B_A] = s->prev_ref, s->prev_ref = t;
  t = s->dis[B_A];
  s->dis[B_A] = s->prev_dis, s->prev_dis = t;
  finish(num, den, s->w, s->h, out);
  if (out_egl1) finish(num1, den, s->w, s->h, out_egl1);
}
