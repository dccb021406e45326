/* SSIM and MS-SSIM on luma, with libvmaf's float_ssim / float_ms_ssim semantics (its bundled IQA code by
 * Tom Distler, BSD licence, updated by Netflix): samples as float (b-bit input divided by 2^(b-8)),
 * 11x11 Gaussian window (sigma 1.5) applied only where it fits ("valid" region), K1 = 0.01, K2 = 0.03,
 * L = 255; SSIM first shrinks by max(1, round(min(w,h)/256)) with a box filter; MS-SSIM uses 5 scales
 * built with IQA's 9x9 low-pass filter and Wang's exponents. Too small inputs give NaN (libvmaf refuses
 * them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "metric_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AGM_X86 1
#endif

#define GAUSS_LEN 11

/* IQA's 11-tap Gaussian (sigma 1.5), with its 6-decimal coefficients. */
static const float gauss[GAUSS_LEN] = {0.001028f, 0.007599f, 0.036001f, 0.109361f, 0.213006f, 0.266012f,
                                       0.213006f, 0.109361f, 0.036001f, 0.007599f, 0.001028f};

#ifdef AGM_X86
/* AVX2 pass of the same sums, 8 outputs at a time: float products added in double in tap order, then
 * rounded to float, exactly as the scalar loop. step: distance between taps (1 horizontal, row length
 * vertical). Returns the first output column not done. */
__attribute__((target("avx2"))) static int conv_row_avx2(const float *p, int n, size_t step, float *out) {
  int x = 0;
  for (; x + 8 <= n; x += 8) {
    __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd();
    for (int u = 0; u < GAUSS_LEN; u++) {
      const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(p + x + u * step), _mm256_set1_ps(gauss[u]));
      a = _mm256_add_pd(a, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
      b = _mm256_add_pd(b, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    _mm256_storeu_ps(out + x, _mm256_set_m128(_mm256_cvtpd_ps(b), _mm256_cvtpd_ps(a)));
  }
  return x;
}
#endif

/* Valid separable convolution with the Gaussian: out is (w-10) x (h-10). tmp holds w x h floats. */
static void conv_valid(const float *img, int w, int h, float *tmp, float *out) {
  const int dw = w - GAUSS_LEN + 1, dh = h - GAUSS_LEN + 1;
#ifdef AGM_X86
  if (agm_use_avx2()) {
    for (int y = 0; y < h; y++) {
      const float *p = img + (size_t)y * w;
      float *t = tmp + (size_t)y * dw;
      for (int x = conv_row_avx2(p, dw, 1, t); x < dw; x++) {
        double s = 0;
        for (int u = 0; u < GAUSS_LEN; u++) s += p[x + u] * gauss[u];
        t[x] = (float)s;
      }
    }
    for (int y = 0; y < dh; y++) {
      const float *p = tmp + (size_t)y * dw;
      float *o = out + (size_t)y * dw;
      for (int x = conv_row_avx2(p, dw, (size_t)dw, o); x < dw; x++) {
        double s = 0;
        for (int v = 0; v < GAUSS_LEN; v++) s += p[(size_t)v * dw + x] * gauss[v];
        o[x] = (float)s;
      }
    }
    return;
  }
#endif
  for (int y = 0; y < h; y++)
    for (int x = 0; x < dw; x++) {
      double s = 0;
      const float *p = img + (size_t)y * w + x;
      for (int u = 0; u < GAUSS_LEN; u++) s += p[u] * gauss[u];
      tmp[(size_t)y * dw + x] = (float)s;
    }
  for (int y = 0; y < dh; y++)
    for (int x = 0; x < dw; x++) {
      double s = 0;
      for (int v = 0; v < GAUSS_LEN; v++) s += tmp[(size_t)(y + v) * dw + x] * gauss[v];
      out[(size_t)y * dw + x] = (float)s;
    }
}

#ifdef AGM_X86
/* AVX2 per-pixel SSIM terms, 4 at a time, with the scalar loop's float/double steps (no FMA); the sums are
 * then added in pixel order, so the totals are identical. Returns the count done. */
__attribute__((target("avx2"))) static size_t ssim_map_avx2(const float *mu1, const float *mu2, const float *s11, const float *s22,
                                                           const float *s12, size_t n, float C1, float C2, float C3,
                                                           double *sum, double *ls, double *cs, double *ss) {
  const __m128 c1 = _mm_set1_ps(C1), c2 = _mm_set1_ps(C2), c3 = _mm_set1_ps(C3), z = _mm_setzero_ps();
  const __m256d two = _mm256_set1_pd(2.0), dc1 = _mm256_set1_pd(C1), dc2 = _mm256_set1_pd(C2);
  double S = *sum, L = *ls, Cc = *cs, Ss = *ss;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128 m1 = _mm_loadu_ps(mu1 + i), m2 = _mm_loadu_ps(mu2 + i);
    const __m128 a = _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(s11 + i), _mm_mul_ps(m1, m1)), z);
    const __m128 b = _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(s22 + i), _mm_mul_ps(m2, m2)), z);
    const __m128 ab = _mm_sub_ps(_mm_loadu_ps(s12 + i), _mm_mul_ps(m1, m2));
    const __m128 sr = _mm256_cvtpd_ps(_mm256_sqrt_pd(_mm256_cvtps_pd(_mm_mul_ps(a, b))));
    const __m256d l = _mm256_div_pd(_mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(two, _mm256_cvtps_pd(m1)), _mm256_cvtps_pd(m2)), dc1),
                                    _mm256_cvtps_pd(_mm_add_ps(_mm_add_ps(_mm_mul_ps(m1, m1), _mm_mul_ps(m2, m2)), c1)));
    const __m256d c = _mm256_div_pd(_mm256_add_pd(_mm256_mul_pd(two, _mm256_cvtps_pd(sr)), dc2),
                                    _mm256_cvtps_pd(_mm_add_ps(_mm_add_ps(a, b), c2)));
    /* a flat window with a slightly negative float covariance counts as 0 */
    const __m128 flat = _mm_and_ps(_mm_cmplt_ps(ab, z), _mm_cmple_ps(sr, z));
    const __m128 abc = _mm_andnot_ps(flat, ab);
    const __m256d sv = _mm256_cvtps_pd(_mm_div_ps(_mm_add_ps(abc, c3), _mm_add_ps(sr, c3)));
    const __m256d lcs = _mm256_mul_pd(_mm256_mul_pd(l, c), sv);
    double tl[4], tc[4], ts[4], tp[4];
    _mm256_storeu_pd(tl, l), _mm256_storeu_pd(tc, c), _mm256_storeu_pd(ts, sv), _mm256_storeu_pd(tp, lcs);
    for (int k = 0; k < 4; k++) S += tp[k], L += tl[k], Cc += tc[k], Ss += ts[k];
  }
  *sum = S, *ls = L, *cs = Cc, *ss = Ss;
  return i;
}
#endif

/* Mean SSIM and its l, c, s means over the valid region (IQA's default path). Returns 0 or -1 (no memory). */
static int ssim_core(const float *ref, const float *cmp, int w, int h, double *ssim, double lcs[3]) {
  const float C1 = (0.01f * 255) * (0.01f * 255), C2 = (0.03f * 255) * (0.03f * 255), C3 = C2 / 2.0f;
  const size_t n = (size_t)w * h;
  float *buf = malloc(n * 7 * sizeof(float));
  if (!buf) return -1;
  float *mu1 = buf, *mu2 = buf + n, *s11 = buf + 2 * n, *s22 = buf + 3 * n, *s12 = buf + 4 * n, *sq = buf + 5 * n,
        *tmp = buf + 6 * n;
  conv_valid(ref, w, h, tmp, mu1);
  conv_valid(cmp, w, h, tmp, mu2);
  for (size_t i = 0; i < n; i++) sq[i] = ref[i] * ref[i];
  conv_valid(sq, w, h, tmp, s11);
  for (size_t i = 0; i < n; i++) sq[i] = cmp[i] * cmp[i];
  conv_valid(sq, w, h, tmp, s22);
  for (size_t i = 0; i < n; i++) sq[i] = ref[i] * cmp[i];
  conv_valid(sq, w, h, tmp, s12);
  const int dw = w - GAUSS_LEN + 1, dh = h - GAUSS_LEN + 1;
  double sum = 0, ls = 0, cs = 0, ss = 0;
  size_t i0 = 0;
#ifdef AGM_X86
  if (agm_use_avx2()) i0 = ssim_map_avx2(mu1, mu2, s11, s22, s12, (size_t)dw * dh, C1, C2, C3, &sum, &ls, &cs, &ss);
#endif
  for (size_t i = i0; i < (size_t)dw * dh; i++) {
    float a = s11[i] - mu1[i] * mu1[i], b = s22[i] - mu2[i] * mu2[i];
    a = a > 0.0f ? a : 0.0f;
    b = b > 0.0f ? b : 0.0f;
    const float ab = s12[i] - mu1[i] * mu2[i];
    const float sr = (float)sqrt(a * b);
    const double l = (2.0 * mu1[i] * mu2[i] + C1) / (mu1[i] * mu1[i] + mu2[i] * mu2[i] + C1);
    const double c = (2.0 * sr + C2) / (a + b + C2);
    /* IQA (as updated in libvmaf): a flat window with a slightly negative float covariance counts as 0 */
    const float abc = (ab < 0.0f && sr <= 0.0f) ? 0.0f : ab;
    const double s = (abc + C3) / (sr + C3);
    sum += l * c * s;
    ls += l, cs += c, ss += s;
  }
  const double cnt = (double)dw * dh;
  *ssim = (float)(sum / cnt);
  lcs[0] = (float)(ls / cnt), lcs[1] = (float)(cs / cnt), lcs[2] = (float)(ss / cnt);
  free(buf);
  return 0;
}

static inline int sym(int i, int n) { /* IQA's KBND_SYMMETRIC: -1 -> 0, n -> n-1 */
  if (i < 0) i = -1 - i;
  else if (i >= n) i = n - (i - n) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return i;
}

/* One output of IQA's filtered decimation at (x, y): double sum of float products, v-major. */
static float decimate_px(const float *img, int w, int h, int x, int y, const float *k, int kw) {
  const int c = kw / 2, even = (kw & 1) ? 0 : 1;
  double s = 0;
  int ko = 0;
  for (int v = -c; v <= c - even; v++) {
    const float *row = img + (size_t)sym(y + v, h) * w;
    for (int u = -c; u <= c - even; u++, ko++) s += row[sym(x + u, w)] * k[ko];
  }
  return (float)s;
}

#ifdef AGM_X86
/* AVX2 factor-2 decimation with the 9x9 kernel, 8 outputs at a time: rows are split into even and odd
 * samples first so the stride-2 taps become contiguous loads. Same sums as decimate_px. Returns 1 if done. */
__attribute__((target("avx2"))) static int decimate2_avx2(const float *img, int w, int h, const float *k, float *out,
                                                        int dw, int dh, float *eo) {
  const int hw = (w + 1) / 2;
  float *E = eo, *O = eo + (size_t)h * hw; /* E[y][i] = img[y][2i], O[y][i] = img[y][2i+1] */
  for (int y = 0; y < h; y++)
    for (int i = 0; i < hw; i++) {
      E[(size_t)y * hw + i] = img[(size_t)y * w + 2 * i];
      O[(size_t)y * hw + i] = 2 * i + 1 < w ? img[(size_t)y * w + 2 * i + 1] : 0.0f;
    }
  /* output ox reads columns 2ox-4 .. 2ox+4: interior when ox >= 2 and 2ox+4 <= w-1 */
  const int lo = 2, hi = (w - 5) / 2; /* inclusive bounds of interior outputs */
  for (int oy = 0; oy < dh; oy++) {
    const int y = 2 * oy;
    int rows[9];
    for (int v = 0; v < 9; v++) rows[v] = sym(y + v - 4, h);
    int ox = 0;
    for (; ox < dw && ox < lo; ox++) out[(size_t)oy * dw + ox] = decimate_px(img, w, h, 2 * ox, y, k, 9);
    for (; ox + 7 <= hi; ox += 8) {
      __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd();
      int ko = 0;
      for (int v = 0; v < 9; v++) {
        const float *e = E + (size_t)rows[v] * hw, *o = O + (size_t)rows[v] * hw;
        for (int u = -4; u <= 4; u++, ko++) {
          /* column 2(ox+i) + u: even u -> E[ox + i + u/2], odd u -> O[ox + i + (u-1)/2] */
          const float *src = (u & 1) ? o + ox + ((u - 1) >> 1) : e + ox + (u >> 1);
          const __m256 pr = _mm256_mul_ps(_mm256_loadu_ps(src), _mm256_set1_ps(k[ko]));
          a = _mm256_add_pd(a, _mm256_cvtps_pd(_mm256_castps256_ps128(pr)));
          b = _mm256_add_pd(b, _mm256_cvtps_pd(_mm256_extractf128_ps(pr, 1)));
        }
      }
      _mm256_storeu_ps(out + (size_t)oy * dw + ox, _mm256_set_m128(_mm256_cvtpd_ps(b), _mm256_cvtpd_ps(a)));
    }
    for (; ox < dw; ox++) out[(size_t)oy * dw + ox] = decimate_px(img, w, h, 2 * ox, y, k, 9);
  }
  return 1;
}
#endif

/* IQA's filtered decimation: the kernel (kw x kw, centred at x - kw/2 .. x + kw/2 - even) evaluated at every
 * factor-th sample, symmetric borders with the edge repeated (-1 -> 0). eo: scratch
 * of w*h floats (AVX2 path). */
static void decimate(const float *img, int w, int h, int factor, const float *k, int kw, float *out, int *ow, int *oh,
                     float *eo) {
  /* IQA's output size: w/factor + (w&1) (ceil for factor 2; may sample past the edge for larger factors) */
  const int dw = w / factor + (w & 1), dh = h / factor + (h & 1);
  *ow = dw;
  *oh = dh;
#ifdef AGM_X86
  if (factor == 2 && kw == 9 && eo && agm_use_avx2() && decimate2_avx2(img, w, h, k, out, dw, dh, eo)) return;
#else
  (void)eo;
#endif
  for (int oy = 0; oy < dh; oy++)
    for (int ox = 0; ox < dw; ox++) out[(size_t)oy * dw + ox] = decimate_px(img, w, h, ox * factor, oy * factor, k, kw);
}

/* Luma plane to float (b-bit divided by 2^(b-8)). */
static float *to_float(const void *p, int stride, int w, int h, int bpc) {
  float *f = malloc((size_t)w * h * sizeof(float));
  if (!f) return NULL;
  const float scale = bpc > 8 ? (float)(1 << (bpc - 8)) : 1.0f;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      f[(size_t)y * w + x] = bpc > 8 ? ((const uint16_t *)p)[(size_t)y * stride + x] / scale
                                     : (float)((const uint8_t *)p)[(size_t)y * stride + x];
  return f;
}

static int check_args(const char *name, const void *ref, int rs, const void *dis, int ds, int w, int h, int bpc, double *out) {
  if (!ref || !dis || !out) return ag_fail(AG_E_INVALID, "%s: null plane or output", name);
  if (w <= 0 || h <= 0 || bpc < 8 || bpc > 16) return ag_fail(AG_E_INVALID, "%s: bad size %dx%d or bit depth %d", name, w, h, bpc);
  if (rs < w || ds < w) return ag_fail(AG_E_INVALID, "%s: stride smaller than width", name);
  int rc = ag_check_samples(ref, rs, w, h, bpc, "reference luma");
  return rc ? rc : ag_check_samples(dis, ds, w, h, bpc, "distorted luma");
}

int32_t ag_ssim(const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t w, int32_t h, int32_t bpc, double *out,
                int32_t out_len) {
  int rc = check_args("ssim", ref, rs, dis, ds, w, h, bpc, out_len >= 1 ? out : NULL);
  if (rc) return rc;
  int scale = (int)lroundf((float)(w < h ? w : h) / 256.0f);
  if (scale < 1) scale = 1;
  float *r = to_float(ref, rs, w, h, bpc), *d = to_float(dis, ds, w, h, bpc);
  if (!r || !d) {
    free(r), free(d);
    return ag_fail(AG_E_NOMEM, "ssim: out of memory");
  }
  if (scale > 1) {
    float *k = malloc((size_t)scale * scale * sizeof(float));
    const int dw = w / scale + 1, dh = h / scale + 1;
    float *r2 = malloc((size_t)dw * dh * sizeof(float)), *d2 = malloc((size_t)dw * dh * sizeof(float));
    if (!k || !r2 || !d2) {
      free(k), free(r2), free(d2), free(r), free(d);
      return ag_fail(AG_E_NOMEM, "ssim: out of memory");
    }
    for (int i = 0; i < scale * scale; i++) k[i] = 1.0f / (scale * scale);
    int w2 = 0, h2 = 0;
    decimate(r, w, h, scale, k, scale, r2, &w2, &h2, NULL);
    decimate(d, w, h, scale, k, scale, d2, &w2, &h2, NULL);
    w = w2, h = h2;
    free(k);
    free(r), free(d);
    r = r2, d = d2;
  }
  if (w < GAUSS_LEN || h < GAUSS_LEN) {
    free(r), free(d);
    *out = NAN;
    return AG_OK;
  }
  double lcs[3];
  rc = ssim_core(r, d, w, h, out, lcs);
  free(r), free(d);
  return rc ? ag_fail(AG_E_NOMEM, "ssim: out of memory") : AG_OK;
}

/* IQA's 9/7 biorthogonal low-pass filter for MS-SSIM's scales. */
static const float g_lpf[81] = {
    0.000714f, -0.000450f, -0.002090f, 0.007132f, 0.016114f, 0.007132f, -0.002090f, -0.000450f, 0.000714f,
    -0.000450f, 0.000283f, 0.001316f, -0.004490f, -0.010146f, -0.004490f, 0.001316f, 0.000283f, -0.000450f,
    -0.002090f, 0.001316f, 0.006115f, -0.020867f, -0.047149f, -0.020867f, 0.006115f, 0.001316f, -0.002090f,
    0.007132f, -0.004490f, -0.020867f, 0.071207f, 0.160885f, 0.071207f, -0.020867f, -0.004490f, 0.007132f,
    0.016114f, -0.010146f, -0.047149f, 0.160885f, 0.363505f, 0.160885f, -0.047149f, -0.010146f, 0.016114f,
    0.007132f, -0.004490f, -0.020867f, 0.071207f, 0.160885f, 0.071207f, -0.020867f, -0.004490f, 0.007132f,
    -0.002090f, 0.001316f, 0.006115f, -0.020867f, -0.047149f, -0.020867f, 0.006115f, 0.001316f, -0.002090f,
    -0.000450f, 0.000283f, 0.001316f, -0.004490f, -0.010146f, -0.004490f, 0.001316f, 0.000283f, -0.000450f,
    0.000714f, -0.000450f, -0.002090f, 0.007132f, 0.016114f, 0.007132f, -0.002090f, -0.000450f, 0.000714f,
};

int32_t ag_ms_ssim(const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t w, int32_t h, int32_t bpc,
                   double *out, int32_t out_len) {
  static const float betas[5] = {0.0448f, 0.2856f, 0.3001f, 0.2363f, 0.1333f};
  static const float alphas[5] = {0.0f, 0.0f, 0.0f, 0.0f, 0.1333f};
  int rc = check_args("ms_ssim", ref, rs, dis, ds, w, h, bpc, out_len >= 1 ? out : NULL);
  if (rc) return rc;
  int cw = w, chh = h;
  for (int i = 0; i < 5; i++) {
    if (cw < GAUSS_LEN || chh < GAUSS_LEN) {
      *out = NAN;
      return AG_OK;
    }
    cw /= 2, chh /= 2;
  }
  float *r = to_float(ref, rs, w, h, bpc), *d = to_float(dis, ds, w, h, bpc);
  float *r2 = malloc((size_t)w * h * sizeof(float)), *d2 = malloc((size_t)w * h * sizeof(float));
  float *eo = malloc(((size_t)w + 1) * h * sizeof(float));
  if (!r || !d || !r2 || !d2 || !eo) {
    free(r), free(d), free(r2), free(d2), free(eo);
    return ag_fail(AG_E_NOMEM, "ms_ssim: out of memory");
  }
  double ms = 1.0;
  int sw = w, sh = h;
  for (int i = 0; i < 5; i++) {
    double s, lcs[3];
    if (ssim_core(r, d, sw, sh, &s, lcs)) {
      free(r), free(d), free(r2), free(d2), free(eo);
      return ag_fail(AG_E_NOMEM, "ms_ssim: out of memory");
    }
    ms *= pow(lcs[0], alphas[i]) * pow(lcs[1], betas[i]) * pow(lcs[2], betas[i]);
    if (i < 4) {
      int nw, nh;
      decimate(r, sw, sh, 2, g_lpf, 9, r2, &nw, &nh, eo);
      decimate(d, sw, sh, 2, g_lpf, 9, d2, &nw, &nh, eo);
      float *t = r; r = r2; r2 = t;
      t = d; d = d2; d2 = t;
      sw = nw, sh = nh;
    }
  }
  free(r), free(d), free(r2), free(d2), free(eo);
  *out = ms;
  return AG_OK;
}
