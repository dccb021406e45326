/* SSIM and MS-SSIM on luma, with libvmaf's float_ssim / float_ms_ssim semantics (its bundled IQA code by
 * Tom Distler, BSD licence, updated by Netflix): samples as float (b-bit input divided by 2^(b-8)),
 * 11x11 Gaussian window (sigma 1.5) applied only where it fits ("valid" region), K1 = 0.01, K2 = 0.03,
 * L = 255; SSIM first shrinks by max(1, round(min(w,h)/256)) with a box filter; MS-SSIM uses 5 scales
 * built with IQA's 9x9 low-pass filter and Wang's exponents. Too small inputs give NaN (libvmaf refuses
 * them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av1gym.h"
#include "metric_internal.h"

#define GAUSS_LEN 11

/* IQA's 11-tap Gaussian (sigma 1.5), with its 6-decimal coefficients. */
static const float gauss[GAUSS_LEN] = {0.001028f, 0.007599f, 0.036001f, 0.109361f, 0.213006f, 0.266012f,
                                       0.213006f, 0.109361f, 0.036001f, 0.007599f, 0.001028f};

/* Valid separable convolution with the Gaussian: out is (w-10) x (h-10). tmp holds w x h floats. */
static void conv_valid(const float *img, int w, int h, float *tmp, float *out) {
  const int dw = w - GAUSS_LEN + 1, dh = h - GAUSS_LEN + 1;
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
  for (size_t i = 0; i < (size_t)dw * dh; i++) {
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

/* IQA's filtered decimation: the kernel (kw x kw, centred at x - kw/2 .. x + kw/2 - even) evaluated at every
 * factor-th sample, symmetric borders with the edge repeated (-1 -> 0). Output ceil(w/factor). */
static void decimate(const float *img, int w, int h, int factor, const float *k, int kw, float *out, int *ow, int *oh) {
  const int c = kw / 2, even = (kw & 1) ? 0 : 1;
  const int dw = (w + factor - 1) / factor, dh = (h + factor - 1) / factor;
  for (int y = 0, oy = 0; y < h; y += factor, oy++)
    for (int x = 0, ox = 0; x < w; x += factor, ox++) {
      double s = 0;
      int ko = 0;
      for (int v = -c; v <= c - even; v++) {
        int yy = y + v;
        if (yy < 0) yy = -1 - yy;
        else if (yy >= h) yy = h - (yy - h) - 1;
        if (yy < 0) yy = 0;
        if (yy >= h) yy = h - 1;
        for (int u = -c; u <= c - even; u++, ko++) {
          int xx = x + u;
          if (xx < 0) xx = -1 - xx;
          else if (xx >= w) xx = w - (xx - w) - 1;
          if (xx < 0) xx = 0;
          if (xx >= w) xx = w - 1;
          s += img[(size_t)yy * w + xx] * k[ko];
        }
      }
      out[(size_t)oy * dw + ox] = (float)s;
    }
  *ow = dw;
  *oh = dh;
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
  return AG_OK;
}

int ag_ssim(const void *ref, int rs, const void *dis, int ds, int w, int h, int bpc, double *out) {
  int rc = check_args("ssim", ref, rs, dis, ds, w, h, bpc, out);
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
    const int dw = (w + scale - 1) / scale, dh = (h + scale - 1) / scale;
    float *r2 = malloc((size_t)dw * dh * sizeof(float)), *d2 = malloc((size_t)dw * dh * sizeof(float));
    if (!k || !r2 || !d2) {
      free(k), free(r2), free(d2), free(r), free(d);
      return ag_fail(AG_E_NOMEM, "ssim: out of memory");
    }
    for (int i = 0; i < scale * scale; i++) k[i] = 1.0f / (scale * scale);
    int w2 = 0, h2 = 0;
    decimate(r, w, h, scale, k, scale, r2, &w2, &h2);
    decimate(d, w, h, scale, k, scale, d2, &w2, &h2);
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

int ag_ms_ssim(const void *ref, int rs, const void *dis, int ds, int w, int h, int bpc, double *out) {
  static const float betas[5] = {0.0448f, 0.2856f, 0.3001f, 0.2363f, 0.1333f};
  static const float alphas[5] = {0.0f, 0.0f, 0.0f, 0.0f, 0.1333f};
  int rc = check_args("ms_ssim", ref, rs, dis, ds, w, h, bpc, out);
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
  if (!r || !d || !r2 || !d2) {
    free(r), free(d), free(r2), free(d2);
    return ag_fail(AG_E_NOMEM, "ms_ssim: out of memory");
  }
  double ms = 1.0;
  int sw = w, sh = h;
  for (int i = 0; i < 5; i++) {
    double s, lcs[3];
    if (ssim_core(r, d, sw, sh, &s, lcs)) {
      free(r), free(d), free(r2), free(d2);
      return ag_fail(AG_E_NOMEM, "ms_ssim: out of memory");
    }
    ms *= pow(lcs[0], alphas[i]) * pow(lcs[1], betas[i]) * pow(lcs[2], betas[i]);
    if (i < 4) {
      int nw, nh;
      decimate(r, sw, sh, 2, g_lpf, 9, r2, &nw, &nh);
      decimate(d, sw, sh, 2, g_lpf, 9, d2, &nw, &nh);
      float *t = r; r = r2; r2 = t;
      t = d; d = d2; d2 = t;
      sw = nw, sh = nh;
    }
  }
  free(r), free(d), free(r2), free(d2);
  *out = ms;
  return AG_OK;
}
