/* VMAF's VIF feature (vif_scale0..3), integer pipeline as in libvmaf 3.2.0 (integer_vif.c): same filters,
 * fixed-point shifts, log2 table and accumulation order, so the per-scale values match libvmaf exactly.
 * The structure (vertical pass into row buffers, horizontal pass fused with the statistic) follows
 * libvmaf's, which is Copyright 2016-2020 Netflix, Inc., BSD-2-Clause-Patent licensed.
 *
 * Images are uint16 luma planes (8-bit input is widened by the caller; the fixed-point steps for 8-bit
 * are then the b-bit steps with b = 8). Each scale works on the previous scale's low-passed image,
 * decimated by 2 (floor).
 *
 * Row buffers hold the vertically filtered values as 16-bit "offset" samples (v - 32768 stored in an
 * int16; 32-bit squares split into high and low halves), so the horizontal filter is a chain of 16-bit
 * multiply-adds (AVX2 madd) whose sums are exact: sum f*(v - 32768) + 32768*sum f = sum f*v. The portable
 * path uses the same representation, so both give identical results.
 *
 * Work splits into independent tasks for threads: scale-0 row stripes and "the rest" (scales 1..3). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metric_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AGM_X86 1
#endif

static const uint16_t vif_filter[4][18] = {
    {489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640, 1640, 935, 489, 0},
    {1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244, 0},
    {3571, 16004, 26386, 16004, 3571, 0},
    {10904, 43728, 10904, 0},
};
static const int vif_filter_width[4] = {17, 9, 5, 3};
#define MARGIN 32 /* row buffer margin on each side (>= half filter width + vector overrun) */
#define PROD_ROWS 16 /* product ring rows (AVX2, scales 1-2): a power of two >= the 9 rows a vertical pass reads */

enum { S_MU1, S_MU2, S_XXH, S_XXL, S_YYH, S_YYL, S_XYH, S_XYL, NSTREAM };
enum { O_MU1, O_MU2, O_XX, O_YY, O_XY, NOUT };

typedef struct {
  int16_t *s[NSTREAM]; /* vertical outputs, offset-16 samples, index -MARGIN .. w+MARGIN-1 */
  uint32_t *o[NOUT];   /* horizontal outputs of one row */
  uint32_t *a_mu[2];   /* scalar vertical accumulators */
  uint64_t *a_sq[3];
} VifScratch;

struct AgmVif {
  int w, h, nscratch;
  uint16_t *img[2][2]; /* [ref/dis][ping/pong]: decimated images for scales 1..3 (the caller's memory) */
  VifScratch *scratch;
  /* scales 1-2, AVX2: offset-16 rows of the samples' bytes and their products, a ring of PROD_ROWS rows each
   * (row y in slot y % PROD_ROWS, prod_stride samples a row) */
  int16_t *prod[12];
  size_t prod_stride;
  const uint16_t *log2_table; /* shared, vif_log_table() */
};

/* The log2 table, the same for every context: filled once per process. */
static uint16_t log2_table[65537];
static pthread_once_t log2_once = PTHREAD_ONCE_INIT;
static void vif_log_table(void) {
  uint16_t *t = log2_table;
  for (int i = 32767; i < 65536; i++) t[i] = (uint16_t)round(log2f((float)i) * 2048);
  t[65536] = t[65535];
}

/* log2(x) in Q11 from the top 16 bits of x (x >= 2^17): truncating shift, as libvmaf. */
static inline int32_t log2_32(const uint16_t *t, uint32_t x) {
  int k = 16 - __builtin_clz(x);
  return t[x >> k] + 2048 * k;
}
static inline int32_t log2_64(const uint16_t *t, uint64_t x) {
  int k = 48 - __builtin_clzll(x);
  return t[x >> k] + 2048 * k;
}

static void scratch_free(VifScratch *s, int n) {
  if (!s) return;
  for (int t = 0; t < n; t++) {
    for (int q = 0; q < NSTREAM; q++)
      if (s[t].s[q]) free(s[t].s[q] - MARGIN);
    for (int q = 0; q < NOUT; q++) free(s[t].o[q]);
    free(s[t].a_mu[0]), free(s[t].a_mu[1]);
    for (int q = 0; q < 3; q++) free(s[t].a_sq[q]);
  }
  free(s);
}

/* Bytes of the decimated images: [.][1] holds scales 1 and 3, [.][0] scale 2 (a quarter of it). */
static size_t img_bytes(int w, int h, int p) {
  const int d = p == 1 ? 2 : 4;
  return ((size_t)(w / d > 0 ? w / d : 1) * (size_t)(h / d > 0 ? h / d : 1) * sizeof(uint16_t) + 63) & ~(size_t)63;
}

size_t agm_vif_bytes(int w, int h) { return 2 * (img_bytes(w, h, 0) + img_bytes(w, h, 1)); }

AgmVif *agm_vif_new(int w, int h, int nthreads, void *planes) {
  AgmVif *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->w = w;
  v->h = h;
  v->nscratch = nthreads < 1 ? 1 : nthreads;
  int ok = 1;
  uint8_t *blk = planes;
  for (int r = 0; r < 2; r++)
    for (int p = 0; p < 2; p++) v->img[r][p] = (uint16_t *)blk, blk += img_bytes(w, h, p);
  ok &= (v->scratch = calloc((size_t)v->nscratch, sizeof(VifScratch))) != NULL;
  for (int t = 0; ok && t < v->nscratch; t++) {
    VifScratch *s = &v->scratch[t];
    for (int q = 0; q < NSTREAM; q++) {
      int16_t *p = calloc((size_t)w + 2 * MARGIN, sizeof(int16_t));
      ok &= p != NULL;
      s->s[q] = p ? p + MARGIN : NULL;
    }
    for (int q = 0; q < NOUT; q++) ok &= (s->o[q] = calloc((size_t)w + 16, 4)) != NULL;
    for (int q = 0; q < 2; q++) ok &= (s->a_mu[q] = calloc((size_t)w, 4)) != NULL;
    for (int q = 0; q < 3; q++) ok &= (s->a_sq[q] = calloc((size_t)w, 8)) != NULL;
  }
  if (!ok) {
    agm_vif_free(v);
    return NULL;
  }
  pthread_once(&log2_once, vif_log_table);
  v->log2_table = log2_table;
  return v;
}

void agm_vif_free(AgmVif *v) {
  if (!v) return;
  scratch_free(v->scratch, v->nscratch);
  for (int q = 0; q < 12; q++) free(v->prod[q]);
  free(v);
}

static inline int16_t off16(uint32_t v) { return (int16_t)(uint16_t)((v & 0xFFFF) ^ 0x8000); }
static inline uint32_t un16(int16_t s) { return (uint16_t)s ^ 0x8000u; }

/* ------------------------------------------------------------------ vertical pass */

/* Portable vertical pass for output row i: sums over the mirrored rows, the scale's shifts (scale 0:
 * mu >> bpc, squares >> 2(bpc-8); others: both >> 16), stored as offset-16 streams. */
static void vertical_c(VifScratch *sc, const uint16_t *ref, const uint16_t *dis, int w, int h, int i, int scale, int bpc, int j0) {
  const int fw = vif_filter_width[scale], half = fw / 2;
  const uint16_t *filt = vif_filter[scale];
  uint32_t *m1 = sc->a_mu[0], *m2 = sc->a_mu[1];
  uint64_t *xx = sc->a_sq[0], *yy = sc->a_sq[1], *xy = sc->a_sq[2];
  memset(m1 + j0, 0, (size_t)(w - j0) * 4);
  memset(m2 + j0, 0, (size_t)(w - j0) * 4);
  memset(xx + j0, 0, (size_t)(w - j0) * 8);
  memset(yy + j0, 0, (size_t)(w - j0) * 8);
  memset(xy + j0, 0, (size_t)(w - j0) * 8);
  for (int k = 0; k < fw; k++) {
    const int ii = agm_mirror(i - half + k, h);
    const uint16_t *r = ref + (size_t)ii * w, *d = dis + (size_t)ii * w;
    const uint32_t f = filt[k];
    for (int j = j0; j < w; j++) {
      const uint32_t fr = f * r[j], fd = f * d[j];
      m1[j] += fr;
      m2[j] += fd;
      xx[j] += (uint64_t)fr * r[j];
      yy[j] += (uint64_t)fd * d[j];
      xy[j] += (uint64_t)fr * d[j];
    }
  }
  int sh_mu, sh_sq;
  uint32_t rd_mu;
  uint64_t rd_sq;
  if (scale == 0) {
    sh_mu = bpc, rd_mu = 1u << (bpc - 1), sh_sq = (bpc - 8) * 2;
    rd_sq = sh_sq ? (uint64_t)1 << (sh_sq - 1) : 0;
  } else {
    sh_mu = 16, rd_mu = 32768, sh_sq = 16, rd_sq = 32768;
  }
  for (int j = j0; j < w; j++) {
    sc->s[S_MU1][j] = off16((uint16_t)((m1[j] + rd_mu) >> sh_mu));
    sc->s[S_MU2][j] = off16((uint16_t)((m2[j] + rd_mu) >> sh_mu));
    const uint32_t a = (uint32_t)((xx[j] + rd_sq) >> sh_sq), b = (uint32_t)((yy[j] + rd_sq) >> sh_sq),
                   c = (uint32_t)((xy[j] + rd_sq) >> sh_sq);
    sc->s[S_XXH][j] = off16(a >> 16), sc->s[S_XXL][j] = off16(a);
    sc->s[S_YYH][j] = off16(b >> 16), sc->s[S_YYL][j] = off16(b);
    sc->s[S_XYH][j] = off16(c >> 16), sc->s[S_XYL][j] = off16(c);
  }
}

#ifdef AGM_X86
/* The 17 source rows (mirrored at the borders) the scale-0 vertical filter reads for output row i, plus a
 * repeated 18th so the AVX2 passes can take the taps in pairs (its coefficient is 0). */
static void s0_tap_rows(const uint16_t *ref, const uint16_t *dis, int w, int h, int i, const uint16_t *r[18], const uint16_t *d[18]) {
  for (int k = 0; k < 17; k++) {
    const int ii = agm_mirror(i - 8 + k, h);
    r[k] = ref + (size_t)ii * w;
    d[k] = dis + (size_t)ii * w;
  }
  r[17] = r[16], d[17] = d[16];
}
#endif

#ifdef AGM_X86
/* Stores 16 columns of the scale-0 vertical pass: mu1, mu2 and the xx/yy/xy sums as high and low 16-bit
 * halves, each offset by 0x8000 (the scratch layout); packus restores the natural column order. */
__attribute__((target("avx2"))) static inline void store_s0_avx2(VifScratch *sc, int j, __m256i mu[2][2], __m256i sq[3][2]) {
  const __m256i flip = _mm256_set1_epi16((short)0x8000), lo16 = _mm256_set1_epi32(0xFFFF);
  _mm256_storeu_si256((__m256i *)(sc->s[S_MU1] + j), _mm256_xor_si256(_mm256_packus_epi32(mu[0][0], mu[0][1]), flip));
  _mm256_storeu_si256((__m256i *)(sc->s[S_MU2] + j), _mm256_xor_si256(_mm256_packus_epi32(mu[1][0], mu[1][1]), flip));
  for (int t = 0; t < 3; t++) {
    const __m256i hi = _mm256_packus_epi32(_mm256_srli_epi32(sq[t][0], 16), _mm256_srli_epi32(sq[t][1], 16));
    const __m256i lo = _mm256_packus_epi32(_mm256_and_si256(sq[t][0], lo16), _mm256_and_si256(sq[t][1], lo16));
    _mm256_storeu_si256((__m256i *)(sc->s[S_XXH + 2 * t] + j), _mm256_xor_si256(hi, flip));
    _mm256_storeu_si256((__m256i *)(sc->s[S_XXL + 2 * t] + j), _mm256_xor_si256(lo, flip));
  }
}

/* AVX2 vertical pass, scale 0 with 8-bit samples (in uint16): 16 columns at a time, pairs of taps through
 * madd. Squares (<= 65025) enter madd as offset-16 values; the offset is added back (2^31 = 32768 * 65536). */
__attribute__((target("avx2"))) static int vertical_s0_8bit_avx2(VifScratch *sc, const uint16_t *ref, const uint16_t *dis, int w, int h, int i) {
  const uint16_t *filt = vif_filter[0];
  const uint16_t *r[18], *d[18];
  s0_tap_rows(ref, dis, w, h, i, r, d);
  __m256i fp[9];
  for (int p = 0; p < 9; p++) fp[p] = _mm256_set1_epi32((int)((uint32_t)filt[2 * p + 1] << 16 | filt[2 * p]));
  const __m256i flip = _mm256_set1_epi16((short)0x8000), rnd = _mm256_set1_epi32(128);
  const __m256i off = _mm256_set1_epi32((int)0x80000000u), lo16 = _mm256_set1_epi32(0xFFFF);
  int j = 0;
  for (; j + 16 <= w; j += 16) {
    __m256i m1l = _mm256_setzero_si256(), m1h = m1l, m2l = m1l, m2h = m1l, xxl = m1l, xxh = m1l, yyl = m1l,
            yyh = m1l, xyl = m1l, xyh = m1l;
    for (int p = 0; p < 9; p++) {
      const int k = 2 * p;
      const __m256i a0 = _mm256_loadu_si256((const __m256i *)(r[k] + j));
      const __m256i a1 = _mm256_loadu_si256((const __m256i *)(r[k + 1] + j));
      const __m256i b0 = _mm256_loadu_si256((const __m256i *)(d[k] + j));
      const __m256i b1 = _mm256_loadu_si256((const __m256i *)(d[k + 1] + j));
      const __m256i f = fp[p];
      m1l = _mm256_add_epi32(m1l, _mm256_madd_epi16(_mm256_unpacklo_epi16(a0, a1), f));
      m1h = _mm256_add_epi32(m1h, _mm256_madd_epi16(_mm256_unpackhi_epi16(a0, a1), f));
      m2l = _mm256_add_epi32(m2l, _mm256_madd_epi16(_mm256_unpacklo_epi16(b0, b1), f));
      m2h = _mm256_add_epi32(m2h, _mm256_madd_epi16(_mm256_unpackhi_epi16(b0, b1), f));
      const __m256i aa0 = _mm256_xor_si256(_mm256_mullo_epi16(a0, a0), flip);
      const __m256i aa1 = _mm256_xor_si256(_mm256_mullo_epi16(a1, a1), flip);
      const __m256i bb0 = _mm256_xor_si256(_mm256_mullo_epi16(b0, b0), flip);
      const __m256i bb1 = _mm256_xor_si256(_mm256_mullo_epi16(b1, b1), flip);
      const __m256i ab0 = _mm256_xor_si256(_mm256_mullo_epi16(a0, b0), flip);
      const __m256i ab1 = _mm256_xor_si256(_mm256_mullo_epi16(a1, b1), flip);
      xxl = _mm256_add_epi32(xxl, _mm256_madd_epi16(_mm256_unpacklo_epi16(aa0, aa1), f));
      xxh = _mm256_add_epi32(xxh, _mm256_madd_epi16(_mm256_unpackhi_epi16(aa0, aa1), f));
      yyl = _mm256_add_epi32(yyl, _mm256_madd_epi16(_mm256_unpacklo_epi16(bb0, bb1), f));
      yyh = _mm256_add_epi32(yyh, _mm256_madd_epi16(_mm256_unpackhi_epi16(bb0, bb1), f));
      xyl = _mm256_add_epi32(xyl, _mm256_madd_epi16(_mm256_unpacklo_epi16(ab0, ab1), f));
      xyh = _mm256_add_epi32(xyh, _mm256_madd_epi16(_mm256_unpackhi_epi16(ab0, ab1), f));
    }
    /* mu: (sum + 128) >> 8, packed back to natural order (packus undoes the unpack lane order) */
    m1l = _mm256_srli_epi32(_mm256_add_epi32(m1l, rnd), 8);
    m1h = _mm256_srli_epi32(_mm256_add_epi32(m1h, rnd), 8);
    m2l = _mm256_srli_epi32(_mm256_add_epi32(m2l, rnd), 8);
    m2h = _mm256_srli_epi32(_mm256_add_epi32(m2h, rnd), 8);
    _mm256_storeu_si256((__m256i *)(sc->s[S_MU1] + j), _mm256_xor_si256(_mm256_packus_epi32(m1l, m1h), flip));
    _mm256_storeu_si256((__m256i *)(sc->s[S_MU2] + j), _mm256_xor_si256(_mm256_packus_epi32(m2l, m2h), flip));
    __m256i sl[3] = {xxl, yyl, xyl}, sh[3] = {xxh, yyh, xyh};
    for (int q = 0; q < 3; q++) {
      const __m256i vl = _mm256_add_epi32(sl[q], off), vh = _mm256_add_epi32(sh[q], off);
      const __m256i hi = _mm256_packus_epi32(_mm256_srli_epi32(vl, 16), _mm256_srli_epi32(vh, 16));
      const __m256i lo = _mm256_packus_epi32(_mm256_and_si256(vl, lo16), _mm256_and_si256(vh, lo16));
      _mm256_storeu_si256((__m256i *)(sc->s[S_XXH + 2 * q] + j), _mm256_xor_si256(hi, flip));
      _mm256_storeu_si256((__m256i *)(sc->s[S_XXL + 2 * q] + j), _mm256_xor_si256(lo, flip));
    }
  }
  return j;
}
#endif


#ifdef AGM_X86
/* Scales 1 and 2 (AVX2): samples are up to 16 bits, so squares do not fit a 16-bit multiply-add. Split
 * p = 256a + b: p*q = 65536 ac + 256 (ad + bc) + bd, each byte product fits 16 bits. The rings hold the
 * offset-16 bytes products of the rows the vertical pass reads; the 64-bit sum of libvmaf is then rebuilt
 * exactly from 32-bit partial sums (see vertical_s12_avx2). This makes row y (n samples) of the rings. */
__attribute__((target("avx2"))) static void products_avx2(AgmVif *v, const uint16_t *ref, const uint16_t *dis, int n, int y) {
  const __m256i flip = _mm256_set1_epi16((short)0x8000), m8 = _mm256_set1_epi16(255);
  ref += (size_t)y * n, dis += (size_t)y * n;
  int16_t *prod[12];
  for (int q = 0; q < 12; q++) prod[q] = v->prod[q] + (size_t)(y & (PROD_ROWS - 1)) * v->prod_stride;
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m256i r = _mm256_loadu_si256((const __m256i *)(ref + j)), d = _mm256_loadu_si256((const __m256i *)(dis + j));
    const __m256i ra = _mm256_srli_epi16(r, 8), rb = _mm256_and_si256(r, m8);
    const __m256i da = _mm256_srli_epi16(d, 8), db = _mm256_and_si256(d, m8);
    const __m256i pv[12] = {r, d, _mm256_mullo_epi16(ra, ra), _mm256_mullo_epi16(ra, rb), _mm256_mullo_epi16(rb, rb),
                            _mm256_mullo_epi16(da, da), _mm256_mullo_epi16(da, db), _mm256_mullo_epi16(db, db),
                            _mm256_mullo_epi16(ra, da), _mm256_mullo_epi16(ra, db), _mm256_mullo_epi16(rb, da),
                            _mm256_mullo_epi16(rb, db)};
    for (int q = 0; q < 12; q++) _mm256_storeu_si256((__m256i *)(prod[q] + j), _mm256_xor_si256(pv[q], flip));
  }
  for (; j < n; j++) {
    const uint32_t r = ref[j], d = dis[j], ra = r >> 8, rb = r & 255, da = d >> 8, db = d & 255;
    const uint32_t pv[12] = {r, d, ra * ra, ra * rb, rb * rb, da * da, da * db, db * db, ra * da, ra * db, rb * da, rb * db};
    for (int q = 0; q < 12; q++) prod[q][j] = off16(pv[q]);
  }
}

/* Vertical pass of row i at scale 1 or 2 from the product planes, 16 columns a step; returns the first
 * column not done. Outputs the same offset-16 streams as vertical_c (shifts >> 16 with rounding). */
__attribute__((target("avx2"))) static int vertical_s12_avx2(AgmVif *v, VifScratch *sc, int w, int h, int i, int scale) {
  const int fw = vif_filter_width[scale], half = fw / 2, np = (fw + 1) / 2;
  const uint16_t *filt = vif_filter[scale];
  size_t ro[10] = {0};
  for (int k = 0; k < fw; k++) ro[k] = (size_t)(agm_mirror(i - half + k, h) & (PROD_ROWS - 1)) * v->prod_stride;
  ro[fw] = ro[fw - 1];
  __m256i fp[5];
  uint32_t fsum = 0;
  for (int k = 0; k < fw; k++) fsum += filt[k];
  for (int p = 0; p < np; p++) fp[p] = _mm256_set1_epi32((int)((uint32_t)filt[2 * p + 1] << 16 | filt[2 * p]));
  const __m256i off = _mm256_set1_epi32((int)(32768u * fsum)), rnd = _mm256_set1_epi32(32768);
  const __m256i m7 = _mm256_set1_epi32(127), m8 = _mm256_set1_epi32(255);
  int j = 0;
  for (; j + 16 <= w; j += 16) {
    __m256i S[12][2];
    for (int q = 0; q < 12; q++) {
      const int16_t *pl = v->prod[q] + j;
      __m256i l = off, hh = off;
      for (int p = 0; p < np; p++) {
        const __m256i x0 = _mm256_loadu_si256((const __m256i *)(pl + ro[2 * p]));
        const __m256i x1 = _mm256_loadu_si256((const __m256i *)(pl + ro[2 * p + 1]));
        l = _mm256_add_epi32(l, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), fp[p]));
        hh = _mm256_add_epi32(hh, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), fp[p]));
      }
      S[q][0] = l, S[q][1] = hh; /* columns [0-3, 8-11] and [4-7, 12-15] */
    }
    __m256i mu[2][2], sq[3][2];
    for (int k = 0; k < 2; k++) {
      mu[0][k] = _mm256_srli_epi32(_mm256_add_epi32(S[0][k], rnd), 16);
      mu[1][k] = _mm256_srli_epi32(_mm256_add_epi32(S[1][k], rnd), 16);
      for (int t = 0; t < 2; t++) { /* xx, yy: S1 + (S2 >> 7) + ((512 (S2 & 127) + S3 + 32768) >> 16) */
        const __m256i S1 = S[2 + 3 * t][k], S2 = S[3 + 3 * t][k], S3 = S[4 + 3 * t][k];
        const __m256i low = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(_mm256_and_si256(S2, m7), 9), S3), rnd);
        sq[t][k] = _mm256_add_epi32(_mm256_add_epi32(S1, _mm256_srli_epi32(S2, 7)), _mm256_srli_epi32(low, 16));
      }
      { /* xy: S1 + (S2a >> 8) + (S2b >> 8) + ((256 (S2a & 255) + 256 (S2b & 255) + S3 + 32768) >> 16) */
        const __m256i S1 = S[8][k], A = S[9][k], B = S[10][k], S3 = S[11][k];
        const __m256i low = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(_mm256_and_si256(A, m8), 8),
                                                              _mm256_slli_epi32(_mm256_and_si256(B, m8), 8)),
                                             _mm256_add_epi32(S3, rnd));
        sq[2][k] = _mm256_add_epi32(_mm256_add_epi32(S1, _mm256_srli_epi32(A, 8)),
                                    _mm256_add_epi32(_mm256_srli_epi32(B, 8), _mm256_srli_epi32(low, 16)));
      }
    }
    store_s0_avx2(sc, j, mu, sq);
  }
  return j;
}
#endif

#ifdef AGM_X86
/* AVX2 vertical pass at scale 0 for 9..12-bit samples: squares exceed 16 bits, so split p = 256a + b
 * (a <= 15): p*q = 65536 ac + 256 (ad + bc) + bd with each byte product summed exactly by madd (bd is
 * offset-16), then (sum + 2^(s-1)) >> s for s = 2(bpc-8) <= 8 rebuilt from the partial sums: the first two
 * terms are multiples of 2^s; modulo-2^32 arithmetic is exact because the result fits 32 bits. */
__attribute__((target("avx2"))) static int vertical_s0_hbd_avx2(VifScratch *sc, const uint16_t *ref, const uint16_t *dis, int w, int h, int i, int bpc) {
  const uint16_t *filt = vif_filter[0];
  const uint16_t *r[18], *d[18];
  s0_tap_rows(ref, dis, w, h, i, r, d);
  __m256i fp[9];
  for (int p = 0; p < 9; p++) fp[p] = _mm256_set1_epi32((int)((uint32_t)filt[2 * p + 1] << 16 | filt[2 * p]));
  const __m256i flip = _mm256_set1_epi16((short)0x8000), m8 = _mm256_set1_epi16(255);
  const __m256i off = _mm256_set1_epi32((int)0x80000000u);
  const __m128i sh = _mm_cvtsi32_si128(2 * (bpc - 8)), shm = _mm_cvtsi32_si128(bpc);
  const __m128i sh1 = _mm_cvtsi32_si128(16 - 2 * (bpc - 8)), sh2 = _mm_cvtsi32_si128(8 - 2 * (bpc - 8));
  const __m256i rnd = _mm256_set1_epi32(1 << (2 * (bpc - 8) - 1)), rndm = _mm256_set1_epi32(1 << (bpc - 1));
  int j = 0;
  for (; j + 16 <= w; j += 16) {
    /* group 1: mu1, mu2, xx (S1, S2, S3); group 2: yy (S1, S2, S3), xy (S1, S2a, S2b, S3) */
    __m256i A[12][2];
    for (int grp = 0; grp < 2; grp++) {
      __m256i acc[7][2];
      const int ns = grp ? 7 : 5;
      for (int q = 0; q < ns; q++) acc[q][0] = acc[q][1] = _mm256_setzero_si256();
      for (int p = 0; p < 9; p++) {
        const int k = 2 * p;
        __m256i v0[7], v1[7];
        for (int t = 0; t < 2; t++) {
          const __m256i x = _mm256_loadu_si256((const __m256i *)(r[k + t] + j)), y = _mm256_loadu_si256((const __m256i *)(d[k + t] + j));
          const __m256i xa = _mm256_srli_epi16(x, 8), xb = _mm256_and_si256(x, m8);
          const __m256i ya = _mm256_srli_epi16(y, 8), yb = _mm256_and_si256(y, m8);
          __m256i *v = t ? v1 : v0;
          if (!grp) {
            v[0] = x, v[1] = y;
            v[2] = _mm256_mullo_epi16(xa, xa), v[3] = _mm256_mullo_epi16(xa, xb);
            v[4] = _mm256_xor_si256(_mm256_mullo_epi16(xb, xb), flip);
          } else {
            v[0] = _mm256_mullo_epi16(ya, ya), v[1] = _mm256_mullo_epi16(ya, yb);
            v[2] = _mm256_xor_si256(_mm256_mullo_epi16(yb, yb), flip);
            v[3] = _mm256_mullo_epi16(xa, ya), v[4] = _mm256_mullo_epi16(xa, yb), v[5] = _mm256_mullo_epi16(xb, ya);
            v[6] = _mm256_xor_si256(_mm256_mullo_epi16(xb, yb), flip);
          }
        }
        for (int q = 0; q < ns; q++) {
          acc[q][0] = _mm256_add_epi32(acc[q][0], _mm256_madd_epi16(_mm256_unpacklo_epi16(v0[q], v1[q]), fp[p]));
          acc[q][1] = _mm256_add_epi32(acc[q][1], _mm256_madd_epi16(_mm256_unpackhi_epi16(v0[q], v1[q]), fp[p]));
        }
      }
      for (int q = 0; q < ns; q++) A[grp ? 5 + q : q][0] = acc[q][0], A[grp ? 5 + q : q][1] = acc[q][1];
    }
    /* offset-16 streams (S3 terms): add 32768 * sum f = 2^31 back */
    for (int k = 0; k < 2; k++) A[4][k] = _mm256_add_epi32(A[4][k], off), A[7][k] = _mm256_add_epi32(A[7][k], off), A[11][k] = _mm256_add_epi32(A[11][k], off);
    __m256i mu[2][2], sq[3][2];
    for (int k = 0; k < 2; k++) {
      mu[0][k] = _mm256_srl_epi32(_mm256_add_epi32(A[0][k], rndm), shm);
      mu[1][k] = _mm256_srl_epi32(_mm256_add_epi32(A[1][k], rndm), shm);
      /* (65536 S1 + 512 S2 + S3 + 2^(s-1)) >> s, and for xy 256 (S2a + S2b) */
      for (int t = 0; t < 2; t++) {
        const __m256i S1 = A[2 + 3 * t][k], S2 = A[3 + 3 * t][k], S3 = A[4 + 3 * t][k];
        sq[t][k] = _mm256_add_epi32(_mm256_add_epi32(_mm256_sll_epi32(S1, sh1), _mm256_sll_epi32(_mm256_slli_epi32(S2, 1), sh2)),
                                    _mm256_srl_epi32(_mm256_add_epi32(S3, rnd), sh));
      }
      const __m256i S2 = _mm256_add_epi32(A[9][k], A[10][k]);
      sq[2][k] = _mm256_add_epi32(_mm256_add_epi32(_mm256_sll_epi32(A[8][k], sh1), _mm256_sll_epi32(S2, sh2)),
                                  _mm256_srl_epi32(_mm256_add_epi32(A[11][k], rnd), sh));
    }
    store_s0_avx2(sc, j, mu, sq);
  }
  return j;
}
#endif

/* Vertical pass of row i into the scratch streams, margins mirrored for the horizontal taps. */
static void vertical(AgmVif *v, VifScratch *sc, const uint16_t *ref, const uint16_t *dis, int w, int h, int i, int scale,
                     int bpc, int have_prod) {
  int done = 0;
#ifdef AGM_X86
  if (scale == 0 && bpc == 8 && agm_use_avx512()) {
    const uint16_t *r[18], *d[18];
    s0_tap_rows(ref, dis, w, h, i, r, d);
    done = agm_vif_vertical_s0_8bit_avx512(sc->s, r, d, vif_filter[0], w);
  }
  if (!done && (scale == 1 || scale == 2) && agm_use_avx512()) {
    const int fw = vif_filter_width[scale], half = fw / 2;
    const uint16_t *r[9], *d[9];
    for (int k = 0; k < fw; k++) {
      const int ii = agm_mirror(i - half + k, h);
      r[k] = ref + (size_t)ii * w;
      d[k] = dis + (size_t)ii * w;
    }
    done = agm_vif_vertical_s12_avx512(sc->s, r, d, vif_filter[scale], fw, w);
  }
  if (done) {
    /* the tail below */
  } else if (scale == 0 && bpc == 8 && agm_use_avx2()) done = vertical_s0_8bit_avx2(sc, ref, dis, w, h, i);
  else if (scale == 0 && bpc > 8 && bpc <= 12 && agm_use_avx2()) done = vertical_s0_hbd_avx2(sc, ref, dis, w, h, i, bpc);
  else if (have_prod) done = vertical_s12_avx2(v, sc, w, h, i, scale);
#else
  (void)v, (void)have_prod;
#endif
  if (done < w) vertical_c(sc, ref, dis, w, h, i, scale, bpc, done); /* the rest, or all without AVX2 */
  const int half = vif_filter_width[scale] / 2;
  for (int q = 0; q < NSTREAM; q++) {
    int16_t *t = sc->s[q];
    for (int f = 1; f <= half; f++) {
      t[-f] = t[agm_mirror(-f, w)];
      t[w - 1 + f] = t[agm_mirror(w - 1 + f, w)];
    }
  }
}

/* ------------------------------------------------------------------ horizontal pass */

static void horizontal_c(VifScratch *sc, int w, int scale, int j0) {
  const int fw = vif_filter_width[scale], half = fw / 2;
  const uint16_t *filt = vif_filter[scale];
  for (int j = j0; j < w; j++) {
    uint32_t acc[NSTREAM];
    for (int q = 0; q < NSTREAM; q++) {
      uint32_t a = 0;
      const int16_t *s = sc->s[q] + j - half;
      for (int k = 0; k < fw; k++) a += filt[k] * un16(s[k]);
      acc[q] = a;
    }
    sc->o[O_MU1][j] = acc[S_MU1];
    sc->o[O_MU2][j] = acc[S_MU2];
    sc->o[O_XX][j] = acc[S_XXH] + ((acc[S_XXL] + 32768) >> 16);
    sc->o[O_YY][j] = acc[S_YYH] + ((acc[S_YYL] + 32768) >> 16);
    sc->o[O_XY][j] = acc[S_XYH] + ((acc[S_XYL] + 32768) >> 16);
  }
}

#ifdef AGM_X86
/* AVX2 horizontal pass: 16 outputs per step, tap pairs through madd on the offset-16 streams. Returns the
 * first column not done. */
__attribute__((target("avx2"))) static int horizontal_avx2(VifScratch *sc, int w, int scale) {
  const int fw = vif_filter_width[scale], half = fw / 2, np = (fw + 1) / 2;
  const uint16_t *filt = vif_filter[scale];
  __m256i fp[9];
  for (int p = 0; p < np; p++) fp[p] = _mm256_set1_epi32((int)((uint32_t)filt[2 * p + 1] << 16 | filt[2 * p]));
  const __m256i off = _mm256_set1_epi32((int)0x80000000u), rnd = _mm256_set1_epi32(32768);
  int j = 0;
  for (; j + 16 <= w; j += 16) {
    __m256i lo[NSTREAM], hi[NSTREAM];
    for (int q = 0; q < NSTREAM; q++) {
      const int16_t *s = sc->s[q] + j - half;
      __m256i l = off, h = off; /* start at 32768 * sum f = 2^31 (wraps), cancelling the offsets */
      for (int p = 0; p < np; p++) {
        const __m256i x0 = _mm256_loadu_si256((const __m256i *)(s + 2 * p));
        const __m256i x1 = _mm256_loadu_si256((const __m256i *)(s + 2 * p + 1));
        l = _mm256_add_epi32(l, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), fp[p]));
        h = _mm256_add_epi32(h, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), fp[p]));
      }
      lo[q] = l, hi[q] = h;
    }
    /* lanes hold columns [0-3, 8-11] (lo) and [4-7, 12-15] (hi): reorder to natural order */
    __m256i res[NOUT][2];
    __m256i v[NOUT][2];
    for (int q = 0; q < 2; q++) v[q][0] = lo[q], v[q][1] = hi[q];
    for (int q = 0; q < 3; q++)
      for (int k = 0; k < 2; k++) {
        const __m256i A = k ? hi[S_XXH + 2 * q] : lo[S_XXH + 2 * q], B = k ? hi[S_XXL + 2 * q] : lo[S_XXL + 2 * q];
        v[2 + q][k] = _mm256_add_epi32(A, _mm256_srli_epi32(_mm256_add_epi32(B, rnd), 16));
      }
    for (int q = 0; q < NOUT; q++) {
      res[q][0] = _mm256_permute2x128_si256(v[q][0], v[q][1], 0x20);
      res[q][1] = _mm256_permute2x128_si256(v[q][0], v[q][1], 0x31);
      _mm256_storeu_si256((__m256i *)(sc->o[q] + j), res[q][0]);
      _mm256_storeu_si256((__m256i *)(sc->o[q] + j + 8), res[q][1]);
    }
  }
  return j;
}
#endif

static void horizontal(VifScratch *sc, int w, int scale) {
  int j = 0;
#ifdef AGM_X86
  /* madd takes signed 16-bit taps: scale 3's centre tap (43728) does not fit, and scale 3 is tiny anyway */
  if (scale < 3 && agm_use_avx2()) j = horizontal_avx2(sc, w, scale);
#endif
  if (j < w) horizontal_c(sc, w, scale, j);
}

/* ------------------------------------------------------------------ statistic */

/* libvmaf's vif_statistic for one row: two numerators, gain limit 100 (num_log) and 1 (num_log1). */
static void stat_row_c(const uint16_t *lt, const VifScratch *sc, int w, AgmVifAcc *acc, int want_egl1, int j0) {
  const int32_t sigma_nsq = 65536 << 1;
  const uint32_t *M1 = sc->o[O_MU1], *M2 = sc->o[O_MU2], *XX = sc->o[O_XX], *YY = sc->o[O_YY], *XY = sc->o[O_XY];
  for (int j = j0; j < w; j++) {
    const uint32_t mu1 = M1[j], mu2 = M2[j];
    const uint32_t mu1_sq = (uint32_t)(((uint64_t)mu1 * mu1 + 2147483648u) >> 32);
    const uint32_t mu2_sq = (uint32_t)(((uint64_t)mu2 * mu2 + 2147483648u) >> 32);
    const uint32_t mu1_mu2 = (uint32_t)(((uint64_t)mu1 * mu2 + 2147483648u) >> 32);
    const int32_t sigma1_sq = (int32_t)(XX[j] - mu1_sq);
    int32_t sigma2_sq = (int32_t)(YY[j] - mu2_sq);
    const int32_t sigma12 = (int32_t)(XY[j] - mu1_mu2);
    if (sigma2_sq < 0) sigma2_sq = 0;
    if (sigma1_sq >= sigma_nsq) {
      acc->den_log += log2_32(lt, (uint32_t)(sigma_nsq + sigma1_sq)) - 2048 * 17;
      if (sigma12 > 0 && sigma2_sq > 0) {
        const double eps = 65536 * 1.0e-10;
        const double g = sigma12 / (sigma1_sq + eps);
        int32_t sv_sq = (int32_t)(sigma2_sq - g * sigma12);
        if (sv_sq < 0) sv_sq = 0;
        const uint32_t numer1 = (uint32_t)sv_sq + sigma_nsq;
        const int32_t log_den = log2_64(lt, numer1);
        double gl = g < 100.0 ? g : 100.0;
        acc->num_log += log2_64(lt, (uint64_t)((int64_t)(gl * gl * sigma1_sq) + numer1)) - log_den;
        if (want_egl1) {
          gl = g < 1.0 ? g : 1.0;
          acc->num_log1 += log2_64(lt, (uint64_t)((int64_t)(gl * gl * sigma1_sq) + numer1)) - log_den;
        }
      }
    } else {
      acc->num_non_log += sigma2_sq;
      acc->den_non_log++;
    }
  }
}

#ifdef AGM_X86
/* out[j] = sum_k f[k] * rows[k][j] (uint16 samples, taps < 32768), exact as uint32. 16 columns a step;
 * returns the first column not done. */
__attribute__((target("avx2"))) static int vsum_avx2(const uint16_t *const *rows, const uint16_t *f, int fw, int w, uint32_t *out) {
  const int np = (fw + 1) / 2;
  __m256i fp[9];
  uint32_t fsum = 0;
  for (int k = 0; k < fw; k++) fsum += f[k];
  for (int p = 0; p < np; p++) {
    const uint32_t f1 = 2 * p + 1 < fw ? f[2 * p + 1] : 0;
    fp[p] = _mm256_set1_epi32((int)(f1 << 16 | f[2 * p]));
  }
  const __m256i flip = _mm256_set1_epi16((short)0x8000), off = _mm256_set1_epi32((int)(32768u * fsum));
  int j = 0;
  for (; j + 16 <= w; j += 16) {
    __m256i l = off, h = off;
    for (int p = 0; p < np; p++) {
      const uint16_t *r1 = 2 * p + 1 < fw ? rows[2 * p + 1] : rows[2 * p];
      const __m256i x0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(rows[2 * p] + j)), flip);
      const __m256i x1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(r1 + j)), flip);
      l = _mm256_add_epi32(l, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), fp[p]));
      h = _mm256_add_epi32(h, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), fp[p]));
    }
    _mm256_storeu_si256((__m256i *)(out + j), _mm256_permute2x128_si256(l, h, 0x20));
    _mm256_storeu_si256((__m256i *)(out + j + 8), _mm256_permute2x128_si256(l, h, 0x31));
  }
  return j;
}

/* out[j] = sum_k f[k] * un16(s[j - fw/2 + k]) on an offset-16 stream with margins; as hsum above. */
__attribute__((target("avx2"))) static int hsum_avx2(const int16_t *s, const uint16_t *f, int fw, int w, uint32_t *out) {
  const int np = (fw + 1) / 2, half = fw / 2;
  __m256i fp[9];
  uint32_t fsum = 0;
  for (int k = 0; k < fw; k++) fsum += f[k];
  for (int p = 0; p < np; p++) {
    const uint32_t f1 = 2 * p + 1 < fw ? f[2 * p + 1] : 0;
    fp[p] = _mm256_set1_epi32((int)(f1 << 16 | f[2 * p]));
  }
  const __m256i off = _mm256_set1_epi32((int)(32768u * fsum));
  int j = 0;
  for (; j + 16 <= w; j += 16) {
    __m256i l = off, h = off;
    const int16_t *b = s + j - half;
    for (int p = 0; p < np; p++) {
      const __m256i x0 = _mm256_loadu_si256((const __m256i *)(b + 2 * p));
      const __m256i x1 = _mm256_loadu_si256((const __m256i *)(b + 2 * p + 1));
      l = _mm256_add_epi32(l, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), fp[p]));
      h = _mm256_add_epi32(h, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), fp[p]));
    }
    _mm256_storeu_si256((__m256i *)(out + j), _mm256_permute2x128_si256(l, h, 0x20));
    _mm256_storeu_si256((__m256i *)(out + j + 8), _mm256_permute2x128_si256(l, h, 0x31));
  }
  return j;
}
#endif


#ifdef AGM_X86
/* Horizontal sum of 8 int32 lanes into int64. */
__attribute__((target("avx2"))) static inline int64_t hsum32(__m256i v) {
  const __m256i q = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)),
                                     _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
  int64_t t[4];
  _mm256_storeu_si256((__m256i *)t, q);
  return t[0] + t[1] + t[2] + t[3];
}

/* floor(log2(x)) of 4 positive doubles holding integers (exact: read from the exponent). */
__attribute__((target("avx2"))) static inline __m256i ilog2_pd(__m256d x) {
  return _mm256_sub_epi64(_mm256_srli_epi64(_mm256_castpd_si256(x), 52), _mm256_set1_epi64x(1023));
}

/* libvmaf's log2_64 for 4 integers given as exact doubles (2^17 <= x < 2^52): table[x >> k] + 2048 k with
 * k = floor(log2 x) - 15. Returns 4 int32. */
__attribute__((target("avx2"))) static inline __m128i log2_64_pd(const uint16_t *lt, __m256d x) {
  const __m256d magic = _mm256_set1_pd(4503599627370496.0); /* 2^52: x + 2^52 holds x in its low bits */
  const __m256i xi = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(x, magic)), _mm256_castpd_si256(magic));
  const __m256i k = _mm256_sub_epi64(ilog2_pd(x), _mm256_set1_epi64x(15));
  const __m256i idx = _mm256_srlv_epi64(xi, k);
  const __m128i t = _mm_and_si128(_mm256_i64gather_epi32((const int *)lt, idx, 2), _mm_set1_epi32(0xFFFF));
  const __m128i k32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(k, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
  return _mm_add_epi32(t, _mm_slli_epi32(k32, 11));
}

/* High 32 bits of (a * b + 2^31) per uint32 lane (libvmaf's mu products). */
__attribute__((target("avx2"))) static inline __m256i mulhi_rnd(__m256i a, __m256i b) {
  const __m256i r = _mm256_set1_epi64x(2147483648LL);
  const __m256i e = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(a, b), r), 32);
  const __m256i o = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)), r);
  return _mm256_blend_epi32(e, o, 0xAA); /* odd lanes: high dword of o sits in the odd dword already */
}

/* AVX2 statistic, 8 pixels a step (the double parts 4 at a time), same arithmetic as stat_row. Returns the
 * first column not done. */
__attribute__((target("avx2"))) static int stat_row_avx2(const uint16_t *lt, const VifScratch *sc, int w, AgmVifAcc *acc, int want_egl1) {
  const uint32_t *M1 = sc->o[O_MU1], *M2 = sc->o[O_MU2], *XX = sc->o[O_XX], *YY = sc->o[O_YY], *XY = sc->o[O_XY];
  const __m256i nsq = _mm256_set1_epi32(131072), zero = _mm256_setzero_si256();
  const __m256d eps = _mm256_set1_pd(65536 * 1.0e-10), g100 = _mm256_set1_pd(100.0), g1 = _mm256_set1_pd(1.0);
  const __m256i k17 = _mm256_set1_epi32(2048 * 17);
  __m256i den_log = zero, num_log = zero, num_log1 = zero;
  int64_t non_log = 0, den_non = 0;
  int j = 0;
  for (; j + 8 <= w; j += 8) {
    const __m256i m1 = _mm256_loadu_si256((const __m256i *)(M1 + j)), m2 = _mm256_loadu_si256((const __m256i *)(M2 + j));
    const __m256i s1 = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(XX + j)), mulhi_rnd(m1, m1));
    const __m256i s2 = _mm256_max_epi32(_mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(YY + j)), mulhi_rnd(m2, m2)), zero);
    const __m256i s12 = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(XY + j)), mulhi_rnd(m1, m2));
    const __m256i mlog = _mm256_cmpgt_epi32(s1, _mm256_set1_epi32(131071));
    /* sigma1 < 2: num += 1 - sigma2 * const (summed as integers), den += 1 */
    const __m256i nl = _mm256_andnot_si256(mlog, s2);
    non_log += hsum32(nl);
    den_non += 8 - __builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(mlog)));
    if (_mm256_testz_si256(mlog, mlog)) continue;
    /* den += log2_32(2 + sigma1) - 17 (Q11): k from the float exponent of x >> 8 (exact below 2^24) */
    const __m256i x = _mm256_add_epi32(nsq, s1);
    const __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(_mm256_srli_epi32(x, 8))), 23), _mm256_set1_epi32(127));
    const __m256i k = _mm256_sub_epi32(e, _mm256_set1_epi32(7));
    const __m256i t = _mm256_and_si256(_mm256_i32gather_epi32((const int *)lt, _mm256_srlv_epi32(x, k), 2), _mm256_set1_epi32(0xFFFF));
    const __m256i dl = _mm256_sub_epi32(_mm256_add_epi32(t, _mm256_slli_epi32(k, 11)), k17);
    den_log = _mm256_add_epi32(den_log, _mm256_and_si256(mlog, dl));
    const __m256i mnum = _mm256_and_si256(mlog, _mm256_and_si256(_mm256_cmpgt_epi32(s12, zero), _mm256_cmpgt_epi32(s2, zero)));
    if (_mm256_testz_si256(mnum, mnum)) continue;
    for (int half = 0; half < 2; half++) {
      const __m128i s1h = half ? _mm256_extracti128_si256(s1, 1) : _mm256_castsi256_si128(s1);
      const __m128i s2h = half ? _mm256_extracti128_si256(s2, 1) : _mm256_castsi256_si128(s2);
      const __m128i s12h = half ? _mm256_extracti128_si256(s12, 1) : _mm256_castsi256_si128(s12);
      const __m128i mh = half ? _mm256_extracti128_si256(mnum, 1) : _mm256_castsi256_si128(mnum);
      if (_mm_testz_si128(mh, mh)) continue;
      const __m256d s1d = _mm256_cvtepi32_pd(s1h), s2d = _mm256_cvtepi32_pd(s2h), s12d = _mm256_cvtepi32_pd(s12h);
      const __m256d g = _mm256_div_pd(s12d, _mm256_add_pd(s1d, eps));
      __m128i sv = _mm256_cvttpd_epi32(_mm256_sub_pd(s2d, _mm256_mul_pd(g, s12d)));
      sv = _mm_max_epi32(sv, _mm_setzero_si128());
      const __m256d numer1 = _mm256_cvtepi32_pd(_mm_add_epi32(sv, _mm_set1_epi32(131072)));
      const __m128i lden = log2_64_pd(lt, numer1);
      __m256d gl = _mm256_min_pd(g, g100);
      __m256d tt = _mm256_round_pd(_mm256_mul_pd(_mm256_mul_pd(gl, gl), s1d), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      __m128i v = _mm_sub_epi32(log2_64_pd(lt, _mm256_add_pd(tt, numer1)), lden);
      v = _mm_and_si128(v, mh);
      num_log = _mm256_add_epi32(num_log, half ? _mm256_inserti128_si256(zero, v, 1) : _mm256_castsi128_si256(v));
      if (want_egl1) {
        gl = _mm256_min_pd(g, g1);
        tt = _mm256_round_pd(_mm256_mul_pd(_mm256_mul_pd(gl, gl), s1d), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        v = _mm_and_si128(_mm_sub_epi32(log2_64_pd(lt, _mm256_add_pd(tt, numer1)), lden), mh);
        num_log1 = _mm256_add_epi32(num_log1, half ? _mm256_inserti128_si256(zero, v, 1) : _mm256_castsi128_si256(v));
      }
    }
  }
  acc->den_log += hsum32(den_log);
  acc->num_log += hsum32(num_log);
  acc->num_log1 += hsum32(num_log1);
  acc->num_non_log += non_log;
  acc->den_non_log += den_non;
  return j;
}
#endif

/* ------------------------------------------------------------------ subsampling */

/* Low-pass (with the next scale's filter) and decimate by 2: out is (w/2) x (h/2). Only even rows and
 * columns are computed; the values equal those of libvmaf's full-size filter then decimation. */
static void subsample(VifScratch *sc, const uint16_t *ref, const uint16_t *dis, int w, int h, int next_scale, int bpc,
                      uint16_t *oref, uint16_t *odis) {
  const int fw = vif_filter_width[next_scale], half = fw / 2;
  const uint16_t *filt = vif_filter[next_scale];
  const int sh = next_scale == 1 ? bpc : 16;
  const uint32_t rd = 1u << (sh - 1);
  const int ow = w / 2, oh = h / 2;
  uint32_t *a1 = sc->a_mu[0], *a2 = sc->a_mu[1];
  int16_t *m1 = sc->s[S_MU1], *m2 = sc->s[S_MU2]; /* row buffers are free between rows: reuse two */
  /* AVX2 needs 16-bit taps: scale 3's centre tap (43728) is not (and that level is tiny) */
  const int simd = next_scale < 3 && agm_use_avx2();
  const uint16_t *rr[17], *dd[17];
  uint32_t *h1 = sc->o[O_MU1], *h2 = sc->o[O_MU2];
  for (int oi = 0; oi < oh; oi++) {
    const int i = oi * 2;
    for (int k = 0; k < fw; k++) {
      const int ii = agm_mirror(i - half + k, h);
      rr[k] = ref + (size_t)ii * w;
      dd[k] = dis + (size_t)ii * w;
    }
    int j0 = 0;
#ifdef AGM_X86
    if (next_scale < 3 && agm_use_avx512()) {
      const int done = agm_vif_decimate_row_avx512(rr, dd, filt, fw, w, sh, m1, m2, oref + (size_t)oi * ow, odis + (size_t)oi * ow);
      if (done >= 0) {
        for (int oj = done; oj < ow; oj++) { /* the last columns from the row buffers */
          uint32_t a = 0, b = 0;
          for (int k = 0; k < fw; k++) a += filt[k] * un16(m1[2 * oj - half + k]), b += filt[k] * un16(m2[2 * oj - half + k]);
          oref[(size_t)oi * ow + oj] = (uint16_t)((a + 32768) >> 16);
          odis[(size_t)oi * ow + oj] = (uint16_t)((b + 32768) >> 16);
        }
        continue;
      }
    }
    if (simd) {
      j0 = vsum_avx2(rr, filt, fw, w, a1);
      vsum_avx2(dd, filt, fw, w, a2);
    }
#endif
    for (int j = j0; j < w; j++) {
      uint32_t x = 0, y = 0;
      /* in uint32: uint16 * uint16 promotes to int, and scale 3's centre tap (43728) times a sample above
       * 49109 overflows it (UBSan) */
      for (int k = 0; k < fw; k++) x += (uint32_t)filt[k] * rr[k][j], y += (uint32_t)filt[k] * dd[k][j];
      a1[j] = x, a2[j] = y;
    }
    for (int j = 0; j < w; j++) {
      m1[j] = off16((uint16_t)((a1[j] + rd) >> sh));
      m2[j] = off16((uint16_t)((a2[j] + rd) >> sh));
    }
    for (int f = 1; f <= half; f++) {
      m1[-f] = m1[agm_mirror(-f, w)], m1[w - 1 + f] = m1[agm_mirror(w - 1 + f, w)];
      m2[-f] = m2[agm_mirror(-f, w)], m2[w - 1 + f] = m2[agm_mirror(w - 1 + f, w)];
    }
    int jh = 0;
#ifdef AGM_X86
    if (simd) {
      jh = hsum_avx2(m1, filt, fw, w, h1);
      hsum_avx2(m2, filt, fw, w, h2);
    }
#endif
    for (int j = jh; j < w; j++) {
      uint32_t a = 0, b = 0;
      for (int k = 0; k < fw; k++) a += filt[k] * un16(m1[j - half + k]), b += filt[k] * un16(m2[j - half + k]);
      h1[j] = a, h2[j] = b;
    }
    for (int oj = 0; oj < ow; oj++) {
      oref[(size_t)oi * ow + oj] = (uint16_t)((h1[2 * oj] + 32768) >> 16);
      odis[(size_t)oi * ow + oj] = (uint16_t)((h2[2 * oj] + 32768) >> 16);
    }
  }
}

/* ------------------------------------------------------------------ tasks */

static void scale_rows(AgmVif *v, VifScratch *sc, const uint16_t *ref, const uint16_t *dis, int w, int h, int scale,
                       int bpc, int y0, int y1, AgmVifAcc *acc, int want_egl1) {
  const int half = vif_filter_width[scale] / 2;
  int have_prod = 0, next_prod = y0 - half > 0 ? y0 - half : 0;
#ifdef AGM_X86
  /* scales 1-2 (taps < 2^15): product rows, each made once before the first vertical pass that reads it */
  if ((scale == 1 || scale == 2) && agm_use_avx2() && !agm_use_avx512()) {
    if (!v->prod[0]) { /* allocated on first use (scale 1 is the widest); without memory: portable pass */
      v->prod_stride = ((size_t)(v->w / 2 > 0 ? v->w / 2 : 1) + 31) & ~(size_t)31;
      int ok = 1;
      for (int q = 0; q < 12; q++) ok &= (v->prod[q] = malloc(PROD_ROWS * v->prod_stride * sizeof(int16_t))) != NULL;
      if (!ok)
        for (int q = 0; q < 12; q++) free(v->prod[q]), v->prod[q] = NULL;
    }
    have_prod = v->prod[0] != NULL;
  }
#endif
  for (int i = y0; i < y1; i++) {
#ifdef AGM_X86
    /* rows up to i + half, the last the pass of row i reads (its mirrored rows lie within [i - half, i + half]) */
    if (have_prod) {
      const int last = i + half < h ? i + half : h - 1;
      for (; next_prod <= last; next_prod++) products_avx2(v, ref, dis, w, next_prod);
    }
#endif
    vertical(v, sc, ref, dis, w, h, i, scale, bpc, have_prod);
    int j0 = 0;
#ifdef AGM_X86
    /* AVX-512: horizontal pass and statistic in one, the row sums never stored */
    if (scale < 3 && agm_use_avx512()) j0 = agm_vif_hstat_avx512(sc->s, vif_filter[scale], vif_filter_width[scale], w, v->log2_table, acc, want_egl1);
#endif
    if (j0 == 0) horizontal(sc, w, scale);
    else if (j0 < w) horizontal_c(sc, w, scale, j0);
#ifdef AGM_X86
    if (j0 == 0 && agm_use_avx2()) j0 = stat_row_avx2(v->log2_table, sc, w, acc, want_egl1);
#endif
    stat_row_c(v->log2_table, sc, w, acc, want_egl1, j0);
  }
}

void agm_vif_stripe(AgmVif *v, int tid, const uint16_t *ref, const uint16_t *dis, int bpc, int y0, int y1,
                    AgmVifAcc *acc, int want_egl1) {
  memset(acc, 0, sizeof *acc);
  if (y1 > v->h) y1 = v->h;
  scale_rows(v, &v->scratch[tid], ref, dis, v->w, v->h, 0, bpc, y0, y1, acc, want_egl1);
}

void agm_vif_rest(AgmVif *v, int tid, const uint16_t *ref, const uint16_t *dis, int bpc, AgmVifAcc acc[3], int want_egl1) {
  VifScratch *sc = &v->scratch[tid];
  int w = v->w, h = v->h;
  const uint16_t *cr = ref, *cd = dis;
  for (int scale = 1; scale < 4; scale++) {
    AgmVifAcc *a = &acc[scale - 1];
    memset(a, 0, sizeof *a);
    uint16_t *nr = v->img[0][scale & 1], *nd = v->img[1][scale & 1];
    if (w > 0 && h > 0) subsample(sc, cr, cd, w, h, scale, bpc, nr, nd);
    w /= 2;
    h /= 2;
    cr = nr, cd = nd;
    if (w > 0 && h > 0) scale_rows(v, sc, cr, cd, w, h, scale, bpc, 0, h, a, want_egl1);
  }
}

void agm_vif_finish(const AgmVifAcc acc[4], double out[4], double *out_egl1) {
  for (int scale = 0; scale < 4; scale++) {
    const AgmVifAcc *a = &acc[scale];
    /* As libvmaf: num and den in float, the score a float division. */
    const float den = (float)(a->den_log / 2048.0 + a->den_non_log);
    const double non_log = a->den_non_log - (a->num_non_log / 16384.0) / 65025.0;
    const float num = (float)(a->num_log / 2048.0 + non_log);
    out[scale] = den != 0.0f ? (double)(num / den) : 1.0;
    if (out_egl1) {
      const float num1 = (float)(a->num_log1 / 2048.0 + non_log);
      out_egl1[scale] = den != 0.0f ? (double)(num1 / den) : 1.0;
    }
  }
}

void agm_vif_compute(AgmVif *v, const uint16_t *ref, const uint16_t *dis, int bpc, double out[4], double *out_egl1) {
  AgmVifAcc acc[4];
  agm_vif_stripe(v, 0, ref, dis, bpc, 0, v->h, &acc[0], out_egl1 != NULL);
  agm_vif_rest(v, 0, ref, dis, bpc, &acc[1], out_egl1 != NULL);
  agm_vif_finish(acc, out, out_egl1);
}
