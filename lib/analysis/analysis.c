/* Per-superblock (64x64 luma) analysis of source frames, and per-superblock / per-plane SSE between two
 * frames. 8-bit samples, or 16-bit containers (10-bit etc.: analysed in 8-bit units). Output layout: float[sbRows][sbCols][AG_AF_COUNT], feature order as in
 * av1gym.h (mirrored by ANALYSIS_FEATURES in src/analysis/analysis.ts). Partial superblocks at the right and bottom
 * edges are measured over their valid area.
 *
 * Motion: coarse-to-fine block matching against the previous source frame. Full search of +-8 samples on a
 * quarter-resolution pyramid level (+-32 px), then +-2 at half resolution, then +-1 at full resolution,
 * always also trying the zero vector; SAD cost, ties keep the earlier candidate (zero first). SAD uses
 * SSE2 (x86-64 baseline) 16 samples at a time. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SB 64

struct AgAnalyzer {
  int32_t w, h;
  int has_prev, had_prev; /* had_prev: has_prev before the last run, for ag_analyzer_undo */
  int stale[2];           /* level set whose pyramid (levels 1, 2) was not built yet (ag_analyzer_push) */
  /* [0] = current, [1] = previous; level 0 full, 1 half, 2 quarter resolution; tightly packed */
  uint8_t *lv[2][3];
  int32_t lw[3], lh[3];
};

/* Sum of absolute differences of a w x h block (w, h <= 64: the 64-bit lanes cannot overflow). The SSE2
 * accumulator spans all rows and is reduced once. */
static uint32_t sad_block_sse2(const uint8_t *a, int32_t sa, const uint8_t *b, int32_t sb, int32_t w, int32_t h) {
  uint32_t s = 0;
  int32_t w16 = 0;
#ifdef __SSE2__
  w16 = w & ~15;
  if (w16) {
    __m128i acc = _mm_setzero_si128();
    const uint8_t *pa = a, *pb = b;
    if (w16 == 16) {
      for (int32_t y = 0; y < h; y++, pa += sa, pb += sb)
        acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)pa), _mm_loadu_si128((const __m128i *)pb)));
    } else {
      for (int32_t y = 0; y < h; y++, pa += sa, pb += sb)
        for (int32_t x = 0; x < w16; x += 16)
          acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)(pa + x)),
                                                _mm_loadu_si128((const __m128i *)(pb + x))));
    }
    s = (uint32_t)(_mm_cvtsi128_si32(acc) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(acc, acc)));
  }
#endif
  if (w16 < w)
    for (int32_t y = 0; y < h; y++, a += sa, b += sb)
      for (int32_t x = w16; x < w; x++) s += (uint32_t)abs((int)a[x] - (int)b[x]);
  return s;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* AVX2: 32 samples per instruction; 16-wide blocks (the quarter-resolution search) take two rows at once. */
__attribute__((target("avx2"))) static uint32_t sad_block_avx2(const uint8_t *a, int32_t sa, const uint8_t *b, int32_t sb,
                                                                int32_t w, int32_t h) {
  __m256i acc = _mm256_setzero_si256();
  int32_t done_w = 0, y = 0;
  if (w == 16) {
    for (; y + 2 <= h; y += 2) {
      __m256i va = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(a + (size_t)y * sa))),
                                           _mm_loadu_si128((const __m128i *)(a + (size_t)(y + 1) * sa)), 1);
      __m256i vb = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(b + (size_t)y * sb))),
                                           _mm_loadu_si128((const __m128i *)(b + (size_t)(y + 1) * sb)), 1);
      acc = _mm256_add_epi64(acc, _mm256_sad_epu8(va, vb));
    }
    done_w = 16;
  } else {
    done_w = w & ~31;
    if (done_w)
      for (int32_t r = 0; r < h; r++)
        for (int32_t x = 0; x < done_w; x += 32)
          acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_loadu_si256((const __m256i *)(a + (size_t)r * sa + x)),
                                                      _mm256_loadu_si256((const __m256i *)(b + (size_t)r * sb + x))));
  }
  __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  uint32_t s = (uint32_t)(_mm_cvtsi128_si32(s2) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(s2, s2)));
  if (w == 16) {
    if (y < h) s += sad_block_sse2(a + (size_t)y * sa, sa, b + (size_t)y * sb, sb, 16, h - y); /* odd last row */
  } else if (done_w < w) {
    s += sad_block_sse2(a + done_w, sa, b + done_w, sb, w - done_w, h);
  }
  return s;
}
#endif

typedef uint32_t (*sad_fn)(const uint8_t *, int32_t, const uint8_t *, int32_t, int32_t, int32_t);
static sad_fn sad_impl;

/* Picks the SAD kernel once per process (the CPU does not change under us); AV1GYM_NO_AVX2 forces SSE2. */
static void pick_sad(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && !getenv("AV1GYM_NO_AVX2")) {
    sad_impl = sad_block_avx2;
    return;
  }
#endif
  sad_impl = sad_block_sse2;
}

static void choose_sad(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, pick_sad);
}

static inline uint32_t sad_block(const uint8_t *a, int32_t sa, const uint8_t *b, int32_t sb, int32_t w, int32_t h) {
  return sad_impl(a, sa, b, sb, w, h);
}

/* Sum and sum of squares of a w x h block. */
static void sum_sq_block(const uint8_t *a, int32_t sa, int32_t w, int32_t h, uint64_t *sum, uint64_t *sq) {
  uint64_t s = 0, q = 0;
  for (int32_t y = 0; y < h; y++, a += sa) {
    int32_t x = 0;
#ifdef __SSE2__
    const __m128i z = _mm_setzero_si128();
    __m128i acc = z, accq = z;
    for (; x + 16 <= w; x += 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(a + x));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, z));
      __m128i lo = _mm_unpacklo_epi8(v, z), hi = _mm_unpackhi_epi8(v, z);
      accq = _mm_add_epi32(accq, _mm_add_epi32(_mm_madd_epi16(lo, lo), _mm_madd_epi16(hi, hi)));
    }
    s += (uint64_t)(_mm_cvtsi128_si32(acc) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(acc, acc)));
    /* 64 samples per row at most: 4 lanes x 16 x 255^2 fits in 32 bits per lane */
    uint32_t lanes[4];
    _mm_storeu_si128((__m128i *)lanes, accq);
    q += (uint64_t)lanes[0] + lanes[1] + lanes[2] + lanes[3];
#endif
    for (; x < w; x++) {
      s += a[x];
      q += (uint64_t)a[x] * a[x];
    }
  }
  *sum = s;
  *sq = q;
}

/* 2x2 box downscale. The SSE2 path averages rows then column pairs with pavgb (each rounds up, so a
 * result may be 1 above (a+b+c+d+2)>>2); the scalar tail does the same so every sample is computed alike. */
static void downscale2(const uint8_t *src, int32_t sw, int32_t sh, uint8_t *dst, int32_t dw, int32_t dh) {
  (void)sh;
  for (int32_t y = 0; y < dh; y++) {
    const uint8_t *r0 = src + (size_t)(2 * y) * sw, *r1 = r0 + sw;
    uint8_t *d = dst + (size_t)y * dw;
    int32_t x = 0;
#ifdef __SSE2__
    const __m128i lo = _mm_set1_epi16(0x00ff);
    for (; x + 16 <= dw; x += 16) {
      __m128i a0 = _mm_avg_epu8(_mm_loadu_si128((const __m128i *)(r0 + 2 * x)), _mm_loadu_si128((const __m128i *)(r1 + 2 * x)));
      __m128i a1 = _mm_avg_epu8(_mm_loadu_si128((const __m128i *)(r0 + 2 * x + 16)),
                                _mm_loadu_si128((const __m128i *)(r1 + 2 * x + 16)));
      __m128i even = _mm_packus_epi16(_mm_and_si128(a0, lo), _mm_and_si128(a1, lo));
      __m128i odd = _mm_packus_epi16(_mm_srli_epi16(a0, 8), _mm_srli_epi16(a1, 8));
      _mm_storeu_si128((__m128i *)(d + x), _mm_avg_epu8(even, odd));
    }
#endif
    for (; x < dw; x++) {
      int e = (r0[2 * x] + r1[2 * x] + 1) >> 1, o = (r0[2 * x + 1] + r1[2 * x + 1] + 1) >> 1;
      d[x] = (uint8_t)((e + o + 1) >> 1);
    }
  }
}

AgAnalyzer *ag_analyzer_new(int32_t width, int32_t height) {
  choose_sad();
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
    ag_fail(AG_E_INVALID, "analysis frame size %dx%d is outside 1..16384", width, height);
    return NULL;
  }
  AgAnalyzer *a = calloc(1, sizeof *a);
  if (!a) goto nomem;
  a->w = width;
  a->h = height;
  a->lw[0] = width;
  a->lh[0] = height;
  for (int l = 1; l < 3; l++) {
    a->lw[l] = a->lw[l - 1] / 2;
    a->lh[l] = a->lh[l - 1] / 2;
  }
  for (int f = 0; f < 2; f++)
    for (int l = 0; l < 3; l++) {
      size_t n = (size_t)a->lw[l] * a->lh[l];
      a->lv[f][l] = malloc(n ? n : 1);
      if (!a->lv[f][l]) goto nomem;
    }
  return a;
nomem:
  ag_analyzer_free(a);
  ag_fail(AG_E_NOMEM, "out of memory for analysis buffers");
  return NULL;
}

void ag_analyzer_free(AgAnalyzer *a) {
  if (!a) return;
  for (int f = 0; f < 2; f++)
    for (int l = 0; l < 3; l++) free(a->lv[f][l]);
  free(a);
}

void ag_analyzer_reset(AgAnalyzer *a) {
  if (a) a->has_prev = 0;
}

/* Best motion vector (content displacement since prev) in a search window around (cx, cy), on level l.
 * Block at (bx, by) of size bw x bh in level coordinates. cost starts as the SAD of `best`. */
static void search(const AgAnalyzer *a, int l, int32_t bx, int32_t by, int32_t bw, int32_t bh, int32_t cx, int32_t cy,
                   int32_t range, int32_t *best_x, int32_t *best_y, uint32_t *best_cost) {
  const int32_t W = a->lw[l], H = a->lh[l];
  const uint8_t *cur = a->lv[0][l] + (size_t)by * W + bx;
  const uint8_t *prev = a->lv[1][l];
  for (int32_t my = cy - range; my <= cy + range; my++) {
    int32_t py = by - my;
    if (py < 0 || py + bh > H) continue;
    for (int32_t mx = cx - range; mx <= cx + range; mx++) {
      int32_t px = bx - mx;
      if (px < 0 || px + bw > W) continue;
      if (mx == *best_x && my == *best_y) continue;
      uint32_t c = sad_block(cur, W, prev + (size_t)py * W + px, W, bw, bh);
      if (c < *best_cost) {
        *best_cost = c;
        *best_x = mx;
        *best_y = my;
      }
    }
  }
}

/* Analyses the frame in a->lv[0] against a->lv[1] (when has_prev) into out. */
static void analyse(const AgAnalyzer *a, float *out) {
  const int32_t W = a->w, H = a->h;
  const int32_t cols = (W + SB - 1) / SB, rows = (H + SB - 1) / SB;
  const uint8_t *cur = a->lv[0][0], *prev = a->lv[1][0];
  for (int32_t r = 0; r < rows; r++)
    for (int32_t c = 0; c < cols; c++) {
      float *o = out + ((size_t)r * cols + c) * AG_AF_COUNT;
      const int32_t x0 = c * SB, y0 = r * SB;
      const int32_t bw = W - x0 < SB ? W - x0 : SB, bh = H - y0 < SB ? H - y0 : SB;
      const double n = (double)bw * bh;
      const uint8_t *p = cur + (size_t)y0 * W + x0;
      uint64_t sum, sq;
      sum_sq_block(p, W, bw, bh, &sum, &sq);
      double mean = (double)sum / n, var = (double)sq / n - mean * mean;
      o[AG_AF_MEAN_LUMA] = (float)mean;
      o[AG_AF_LUMA_VARIANCE] = (float)(var < 0 ? 0 : var);
      /* gradient: |I(x+1,y)-I(x,y)| + |I(x,y+1)-I(x,y)| where the neighbour is inside the frame */
      double g = 0;
      int32_t gw = x0 + bw < W ? bw : bw - 1, gh = y0 + bh < H ? bh : bh - 1;
      if (gw > 0) g += sad_block(p, W, p + 1, W, gw, bh);
      if (gh > 0) g += sad_block(p, W, p + W, W, bw, gh);
      o[AG_AF_GRADIENT] = (float)(g / n);
      if (!a->has_prev) {
        o[AG_AF_TEMPORAL_MAD] = o[AG_AF_MV_X] = o[AG_AF_MV_Y] = o[AG_AF_MC_MAD] = 0;
        continue;
      }
      uint32_t zero_sad = sad_block(p, W, prev + (size_t)y0 * W + x0, W, bw, bh);
      o[AG_AF_TEMPORAL_MAD] = (float)(zero_sad / n);
      /* quarter, half, then full resolution; each level also keeps the zero vector as a candidate */
      int32_t mx = 0, my = 0;
      for (int l = 2; l >= 0; l--) {
        const int32_t s = l == 2 ? 4 : l == 1 ? 2 : 1;
        int32_t lbw = bw / s, lbh = bh / s;
        if (lbw < 1 || lbh < 1 || a->lw[l] < 1 || a->lh[l] < 1) continue;
        const int32_t LW = a->lw[l];
        const int32_t bx = x0 / s, by = y0 / s;
        if (bx + lbw > a->lw[l]) lbw = a->lw[l] - bx;
        if (by + lbh > a->lh[l]) lbh = a->lh[l] - by;
        if (lbw < 1 || lbh < 1) continue;
        const uint8_t *cb = a->lv[0][l] + (size_t)by * LW + bx;
        int32_t bx_ = 0, by_ = 0;
        uint32_t cost = sad_block(cb, LW, a->lv[1][l] + (size_t)by * LW + bx, LW, lbw, lbh);
        int32_t cx = l == 2 ? 0 : mx * 2, cy = l == 2 ? 0 : my * 2;
        search(a, l, bx, by, lbw, lbh, cx, cy, l == 2 ? 8 : l == 1 ? 2 : 1, &bx_, &by_, &cost);
        mx = bx_;
        my = by_;
        if (l == 0) o[AG_AF_MC_MAD] = (float)(cost / n);
      }
      o[AG_AF_MV_X] = (float)mx;
      o[AG_AF_MV_Y] = (float)my;
    }
}

static void swap_sets(AgAnalyzer *a) {
  for (int l = 0; l < 3; l++) {
    uint8_t *t = a->lv[1][l];
    a->lv[1][l] = a->lv[0][l];
    a->lv[0][l] = t;
  }
  int t = a->stale[1];
  a->stale[1] = a->stale[0];
  a->stale[0] = t;
}

static void build_pyramid(AgAnalyzer *a, int set) {
  for (int l = 1; l < 3; l++) downscale2(a->lv[set][l - 1], a->lw[l - 1], a->lh[l - 1], a->lv[set][l], a->lw[l], a->lh[l]);
  a->stale[set] = 0;
}

/* The previous frame becomes level set 1; the new frame's luma (in 8-bit units) fills level 0 of set 0. */
static void load(AgAnalyzer *a, const void *y, int32_t stride, int32_t bit_depth) {
  a->had_prev = a->has_prev;
  swap_sets(a);
  if (bit_depth <= 8) {
    const uint8_t *y8 = y;
    for (int32_t r = 0; r < a->h; r++) memcpy(a->lv[0][0] + (size_t)r * a->w, y8 + (size_t)r * stride, (size_t)a->w);
  } else {
    /* deeper samples are analysed in 8-bit units (rounded), so every feature keeps its documented scale */
    const int sh = bit_depth - 8;
    const int max = (1 << bit_depth) - 1;
    for (int32_t r = 0; r < a->h; r++) {
      const uint16_t *src = (const uint16_t *)y + (size_t)r * stride;
      uint8_t *d = a->lv[0][0] + (size_t)r * a->w;
      for (int32_t x = 0; x < a->w; x++) {
        int v = src[x] > max ? max : src[x];
        v = (v + (1 << (sh - 1))) >> sh;
        d[x] = (uint8_t)(v > 255 ? 255 : v);
      }
    }
  }
  a->stale[0] = 1;
}

int32_t ag_analyzer_run(AgAnalyzer *a, const void *y, int32_t stride, int32_t bit_depth, float *out) {
  load(a, y, stride, bit_depth);
  build_pyramid(a, 0);
  if (a->has_prev && a->stale[1]) build_pyramid(a, 1);
  if (out) analyse(a, out);
  a->has_prev = 1;
  return AG_OK;
}

/* Keeps the frame as "previous" without analysing it (the pyramid is built only if it is ever needed). */
void ag_analyzer_push(AgAnalyzer *a, const void *y, int32_t stride, int32_t bit_depth) {
  load(a, y, stride, bit_depth);
  a->has_prev = 1;
}

/* Forgets the last run: the frame before it is "previous" again (the frame was not sent after all). */
void ag_analyzer_undo(AgAnalyzer *a) {
  swap_sets(a);
  a->has_prev = a->had_prev;
}

static int check_plane(const char *name, const void *p, int32_t stride, int32_t w, int32_t h) {
  if (!p) return ag_fail(AG_E_INVALID, "plane %s is null", name);
  if (stride < w) return ag_fail(AG_E_INVALID, "plane %s stride %d is smaller than its width %d", name, stride, w);
  return AG_OK;
}

int32_t ag_analyze_frame(const void *cur, int32_t cur_stride, const void *prev, int32_t prev_stride, int32_t width,
                     int32_t height, int32_t bit_depth, float *out, int32_t out_len) {
  ag_clear_error();
  if (bit_depth < 8 || bit_depth > 16) return ag_fail(AG_E_INVALID, "bit depth %d is outside 8..16", bit_depth);
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    return ag_fail(AG_E_INVALID, "frame size %dx%d is outside 1..16384", width, height);
  if (check_plane("cur", cur, cur_stride, width, height)) return AG_E_INVALID;
  if (prev && prev_stride < width) return ag_fail(AG_E_INVALID, "prev stride %d is smaller than width %d", prev_stride, width);
  const int64_t need = (int64_t)((width + SB - 1) / SB) * ((height + SB - 1) / SB) * AG_AF_COUNT;
  if (!out || out_len < need) return ag_fail(AG_E_INVALID, "analysis output holds %d floats, needs %lld", out_len, (long long)need);
  AgAnalyzer *a = ag_analyzer_new(width, height);
  if (!a) return ag_last_error_code();
  if (prev) ag_analyzer_run(a, prev, prev_stride, bit_depth, NULL);
  ag_analyzer_run(a, cur, cur_stride, bit_depth, out);
  ag_analyzer_free(a);
  return AG_OK;
}

static uint64_t sse_block(const uint8_t *a, int32_t sa, const uint8_t *b, int32_t sb, int32_t w, int32_t h) {
  uint64_t s = 0;
  for (int32_t y = 0; y < h; y++, a += sa, b += sb) {
    int32_t x = 0;
    uint32_t row = 0; /* w <= 64 per call from here: 64 * 255^2 fits */
#ifdef __SSE2__
    const __m128i z = _mm_setzero_si128();
    __m128i acc = z;
    for (; x + 16 <= w; x += 16) {
      __m128i va = _mm_loadu_si128((const __m128i *)(a + x)), vb = _mm_loadu_si128((const __m128i *)(b + x));
      __m128i dlo = _mm_sub_epi16(_mm_unpacklo_epi8(va, z), _mm_unpacklo_epi8(vb, z));
      __m128i dhi = _mm_sub_epi16(_mm_unpackhi_epi8(va, z), _mm_unpackhi_epi8(vb, z));
      acc = _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(dlo, dlo), _mm_madd_epi16(dhi, dhi)));
    }
    uint32_t lanes[4];
    _mm_storeu_si128((__m128i *)lanes, acc);
    row = lanes[0] + lanes[1] + lanes[2] + lanes[3];
#endif
    for (; x < w; x++) {
      int d = (int)a[x] - (int)b[x];
      row += (uint32_t)(d * d);
    }
    s += row;
  }
  return s;
}

static uint64_t sse_block16(const uint16_t *a, int32_t sa, const uint16_t *b, int32_t sb, int32_t w, int32_t h) {
  uint64_t s = 0;
  for (int32_t y = 0; y < h; y++, a += sa, b += sb)
    for (int32_t x = 0; x < w; x++) {
      int64_t d = (int64_t)a[x] - (int64_t)b[x];
      s += (uint64_t)(d * d);
    }
  return s;
}

/* SSE of a whole plane, in 64-wide column strips so sse_block's 32-bit row sums cannot overflow. */
static uint64_t sse_plane(const void *a_, int32_t sa, const void *b_, int32_t sb, int32_t w, int32_t h, int wide,
                          double *sb_out, int32_t cols) {
  const uint8_t *a = a_, *b = b_;
  uint64_t total = 0;
  for (int32_t y0 = 0; y0 < h; y0 += SB) {
    int32_t bh = h - y0 < SB ? h - y0 : SB;
    for (int32_t x0 = 0; x0 < w; x0 += SB) {
      int32_t bw = w - x0 < SB ? w - x0 : SB;
      uint64_t s = wide ? sse_block16((const uint16_t *)a_ + (size_t)y0 * sa + x0, sa, (const uint16_t *)b_ + (size_t)y0 * sb + x0, sb, bw, bh)
                        : sse_block(a + (size_t)y0 * sa + x0, sa, b + (size_t)y0 * sb + x0, sb, bw, bh);
      if (sb_out) sb_out[(y0 / SB) * cols + x0 / SB] = (double)s;
      total += s;
    }
  }
  return total;
}

int32_t ag_frame_sse(const void *ay, int32_t a_sy, const void *au, int32_t a_su, const void *av, int32_t a_sv,
                     const void *by, int32_t b_sy, const void *bu, int32_t b_su, const void *bv, int32_t b_sv,
                     int32_t width, int32_t height, int32_t bit_depth, double *planes_out, int32_t planes_len,
                     double *sb_out, int32_t sb_len) {
  ag_clear_error();
  if (bit_depth < 8 || bit_depth > 16) return ag_fail(AG_E_INVALID, "bit depth %d is outside 8..16", bit_depth);
  const int wide = bit_depth > 8;
  if (width <= 0 || height <= 0 || width > 65536 || height > 65536)
    return ag_fail(AG_E_INVALID, "frame size %dx%d is outside 1..65536", width, height);
  const int32_t cw = (width + 1) / 2, ch = (height + 1) / 2;
  if (check_plane("a.y", ay, a_sy, width, height) || check_plane("a.u", au, a_su, cw, ch) ||
      check_plane("a.v", av, a_sv, cw, ch) || check_plane("b.y", by, b_sy, width, height) ||
      check_plane("b.u", bu, b_su, cw, ch) || check_plane("b.v", bv, b_sv, cw, ch))
    return AG_E_INVALID;
  if (!planes_out || planes_len < 3) return ag_fail(AG_E_INVALID, "plane SSE output holds %d values, needs 3", planes_len);
  const int32_t cols = (width + SB - 1) / SB, rows = (height + SB - 1) / SB;
  if (sb_out && sb_len < (int64_t)cols * rows)
    return ag_fail(AG_E_INVALID, "superblock SSE output holds %d values, needs %d", sb_len, cols * rows);
  planes_out[0] = (double)sse_plane(ay, a_sy, by, b_sy, width, height, wide, sb_out, cols);
  planes_out[1] = (double)sse_plane(au, a_su, bu, b_su, cw, ch, wide, NULL, 0);
  planes_out[2] = (double)sse_plane(av, a_sv, bv, b_sv, cw, ch, wide, NULL, 0);
  return AG_OK;
}
