/* PSNR per plane and combined, as libvmaf's psnr feature: peak 2^bpc - 1, mse = sse / samples, score
 * min(10 log10(peak^2 / max(mse, 1e-10)), 6 bpc + 12) (60 dB for 8-bit, 72 dB for 10-bit). "Combined" is
 * the PSNR of the pooled squared error of Y, Cb and Cr (each sample weighted equally). */
#include <math.h>

#include "internal.h"
#include "metric_internal.h"

static uint64_t plane_sse(const void *ref, int rs, const void *dis, int ds, int w, int h, int bpc) {
  uint64_t sse = 0;
  for (int i = 0; i < h; i++) {
    uint64_t row = 0;
    if (bpc > 8) {
      const uint16_t *r = (const uint16_t *)ref + (size_t)i * rs, *d = (const uint16_t *)dis + (size_t)i * ds;
      for (int j = 0; j < w; j++) {
        const int64_t e = (int64_t)r[j] - d[j];
        row += (uint64_t)(e * e);
      }
    } else {
      const uint8_t *r = (const uint8_t *)ref + (size_t)i * rs, *d = (const uint8_t *)dis + (size_t)i * ds;
      uint32_t acc = 0; /* a row of 8-bit errors fits: 65025 * w < 2^32 for w < 66051 */
      for (int j = 0; j < w; j++) {
        const int32_t e = (int32_t)r[j] - d[j];
        acc += (uint32_t)(e * e);
        if ((j & 16383) == 16383) row += acc, acc = 0;
      }
      row += acc;
    }
    sse += row;
  }
  return sse;
}

static double psnr_of(double sse, double n, int bpc) {
  const double peak = (double)((1u << bpc) - 1);
  const double mse = sse / n;
  const double v = 10 * log10(peak * peak / (mse > 1e-10 ? mse : 1e-10));
  const double cap = 6.0 * bpc + 12;
  return v < cap ? v : cap;
}

int32_t ag_psnr(const void *ry, int32_t rys, const void *ru, int32_t rus, const void *rv, int32_t rvs, const void *dy,
                int32_t dys, const void *du, int32_t dus, const void *dv, int32_t dvs, int32_t w, int32_t h, int32_t bpc,
                double *out, int32_t out_len) {
  if (!ry || !ru || !rv || !dy || !du || !dv) return ag_fail(AG_E_INVALID, "psnr: null plane");
  if (!out || out_len < AG_PSNR_COUNT) return ag_fail(AG_E_INVALID, "psnr: output holds %d values, needs %d", out_len, AG_PSNR_COUNT);
  if (w <= 0 || h <= 0 || bpc < 8 || bpc > 16) return ag_fail(AG_E_INVALID, "psnr: bad size %dx%d or bit depth %d", w, h, bpc);
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  if (rys < w || dys < w || rus < cw || dus < cw || rvs < cw || dvs < cw) return ag_fail(AG_E_INVALID, "psnr: stride smaller than width");
  const void *planes[6] = {ry, ru, rv, dy, du, dv};
  const int strides[6] = {rys, rus, rvs, dys, dus, dvs};
  static const char *const names[6] = {"psnr: reference y", "psnr: reference u", "psnr: reference v",
                                        "psnr: distorted y", "psnr: distorted u", "psnr: distorted v"};
  for (int i = 0; i < 6; i++) {
    int rc = ag_check_samples(planes[i], strides[i], i % 3 ? cw : w, i % 3 ? ch : h, bpc, names[i]);
    if (rc) return rc;
  }
  const double sy = (double)plane_sse(ry, rys, dy, dys, w, h, bpc);
  const double su = (double)plane_sse(ru, rus, du, dus, cw, ch, bpc);
  const double sv = (double)plane_sse(rv, rvs, dv, dvs, cw, ch, bpc);
  const double ny = (double)w * h, nc = (double)cw * ch;
  out[AG_PSNR_Y] = psnr_of(sy, ny, bpc);
  out[AG_PSNR_U] = psnr_of(su, nc, bpc);
  out[AG_PSNR_V] = psnr_of(sv, nc, bpc);
  out[AG_PSNR_ALL] = psnr_of(sy + su + sv, ny + 2 * nc, bpc);
  return AG_OK;
}
