/* VMAF's VIF feature (vif_scale0..3), integer pipeline as in libvmaf 3.2.0 (integer_vif.c): same filters,
 * fixed-point shifts, log2 table and accumulation order, so the per-scale values match libvmaf exactly.
 * The structure (vertical pass into row buffers, horizontal pass fused with the statistic) follows
 * libvmaf's, which is Copyright 2016-2020 Netflix, Inc., BSD-2-Clause-Patent licensed.
 *
 * Images are uint16 luma planes (8-bit input is widened by the caller; the fixed-point steps for 8-bit
 * are then the b-bit steps with b = 8). Each scale works on the previous scale's low-passed image,
 * decimated by 2 (floor). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metric_internal.h"

static const uint16_t vif_filter[4][17] = {
    {489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640, 1640, 935, 489},
    {1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244},
    {3571, 16004, 26386, 16004, 3571},
    {10904, 43728, 10904},
};
static const int vif_filter_width[4] = {17, 9, 5, 3};
#define VIF_PAD 8 /* largest half filter width */

struct AgmVif {
  int w, h;
  uint16_t *img[2][2];  /* [ref/dis][ping/pong]: decimated images for scales 1..3 */
  uint16_t *mu_full[2]; /* ref/dis filtered before decimation (one row at a time is enough) */
  /* Row buffers, VIF_PAD samples of margin on each side for the mirrored horizontal taps. */
  uint32_t *t_mu1, *t_mu2, *t_xx, *t_yy, *t_xy;
  uint64_t *a_xx, *a_yy, *a_xy; /* 64-bit vertical accumulators */
  uint32_t *a_mu1, *a_mu2;
  uint16_t log2_table[65536];
};

static void vif_log_table(uint16_t *t) {
  for (int i = 32767; i < 65536; i++) t[i] = (uint16_t)round(log2f((float)i) * 2048);
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

AgmVif *agm_vif_new(int w, int h) {
  AgmVif *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->w = w;
  v->h = h;
  size_t half = (size_t)(w / 2 > 0 ? w / 2 : 1) * (size_t)(h / 2 > 0 ? h / 2 : 1);
  size_t row = (size_t)w + 2 * VIF_PAD;
  int ok = 1;
  for (int r = 0; r < 2; r++)
    for (int p = 0; p < 2; p++) ok &= (v->img[r][p] = malloc(half * sizeof(uint16_t))) != NULL;
  for (int r = 0; r < 2; r++) ok &= (v->mu_full[r] = malloc((size_t)w * sizeof(uint16_t))) != NULL;
  ok &= (v->t_mu1 = calloc(row, 4)) != NULL;
  ok &= (v->t_mu2 = calloc(row, 4)) != NULL;
  ok &= (v->t_xx = calloc(row, 4)) != NULL;
  ok &= (v->t_yy = calloc(row, 4)) != NULL;
  ok &= (v->t_xy = calloc(row, 4)) != NULL;
  ok &= (v->a_xx = calloc((size_t)w, 8)) != NULL;
  ok &= (v->a_yy = calloc((size_t)w, 8)) != NULL;
  ok &= (v->a_xy = calloc((size_t)w, 8)) != NULL;
  ok &= (v->a_mu1 = calloc((size_t)w, 4)) != NULL;
  ok &= (v->a_mu2 = calloc((size_t)w, 4)) != NULL;
  if (!ok) {
    agm_vif_free(v);
    return NULL;
  }
  vif_log_table(v->log2_table);
  return v;
}

void agm_vif_free(AgmVif *v) {
  if (!v) return;
  for (int r = 0; r < 2; r++) {
    for (int p = 0; p < 2; p++) free(v->img[r][p]);
    free(v->mu_full[r]);
  }
  free(v->t_mu1), free(v->t_mu2), free(v->t_xx), free(v->t_yy), free(v->t_xy);
  free(v->a_xx), free(v->a_yy), free(v->a_xy), free(v->a_mu1), free(v->a_mu2);
  free(v);
}

/* Mirror the margins of a row buffer (index -f <- f, w-1+f <- w-1-f). */
static void pad_row(uint32_t *t, int w, int half) {
  for (int f = 1; f <= half; f++) {
    t[-f] = t[agm_mirror(-f, w)];
    t[w - 1 + f] = t[agm_mirror(w - 1 + f, w)];
  }
}

typedef struct {
  int64_t num_log, num_log1, den_log, num_non_log, den_non_log;
} VifAcc;

/* The per-pixel statistic of libvmaf's vif_statistic for one filtered row. Two numerators: gain limit 100
 * (num_log) and 1 (num_log1); the denominator does not depend on it. */
static void vif_stat_row(const AgmVif *v, int w, int fw, const uint16_t *filt, VifAcc *acc, int want_egl1) {
  const int half = fw / 2;
  const uint16_t *lt = v->log2_table;
  const int32_t sigma_nsq = 65536 << 1;
  for (int j = 0; j < w; j++) {
    uint32_t mu1 = 0, mu2 = 0;
    uint64_t xx = 0, yy = 0, xy = 0;
    for (int k = 0; k < fw; k++) {
      const int jj = j - half + k;
      const uint32_t f = filt[k];
      mu1 += f * v->t_mu1[jj];
      mu2 += f * v->t_mu2[jj];
      xx += f * (uint64_t)v->t_xx[jj];
      yy += f * (uint64_t)v->t_yy[jj];
      xy += f * (uint64_t)v->t_xy[jj];
    }
    const uint32_t mu1_sq = (uint32_t)(((uint64_t)mu1 * mu1 + 2147483648u) >> 32);
    const uint32_t mu2_sq = (uint32_t)(((uint64_t)mu2 * mu2 + 2147483648u) >> 32);
    const uint32_t mu1_mu2 = (uint32_t)(((uint64_t)mu1 * mu2 + 2147483648u) >> 32);
    const uint32_t xx_f = (uint32_t)((xx + 32768) >> 16);
    const uint32_t yy_f = (uint32_t)((yy + 32768) >> 16);
    const uint32_t xy_f = (uint32_t)((xy + 32768) >> 16);
    const int32_t sigma1_sq = (int32_t)(xx_f - mu1_sq);
    int32_t sigma2_sq = (int32_t)(yy_f - mu2_sq);
    const int32_t sigma12 = (int32_t)(xy_f - mu1_mu2);
    if (sigma2_sq < 0) sigma2_sq = 0;
    if (sigma1_sq >= sigma_nsq) {
      acc->den_log += log2_32(lt, (uint32_t)(sigma_nsq + sigma1_sq)) - 2048 * 17;
      if (sigma12 > 0 && sigma2_sq > 0) {
        const double eps = 65536 * 1.0e-10;
        double g = sigma12 / (sigma1_sq + eps);
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

/* Vertical pass of the statistic filter for output row i: sums over the mirrored rows into the row
 * buffers, with the scale's shifts (scale 0: mu >> bpc, squares >> 2(bpc-8); others: both >> 16). */
static void vif_vertical(AgmVif *v, const uint16_t *ref, const uint16_t *dis, int w, int h, int i, int fw,
                         const uint16_t *filt, int scale, int bpc) {
  const int half = fw / 2;
  memset(v->a_mu1, 0, (size_t)w * 4);
  memset(v->a_mu2, 0, (size_t)w * 4);
  memset(v->a_xx, 0, (size_t)w * 8);
  memset(v->a_yy, 0, (size_t)w * 8);
  memset(v->a_xy, 0, (size_t)w * 8);
  for (int k = 0; k < fw; k++) {
    const int ii = agm_mirror(i - half + k, h);
    const uint16_t *r = ref + (size_t)ii * w, *d = dis + (size_t)ii * w;
    const uint32_t f = filt[k];
    for (int j = 0; j < w; j++) {
      const uint32_t fr = f * r[j], fd = f * d[j];
      v->a_mu1[j] += fr;
      v->a_mu2[j] += fd;
      v->a_xx[j] += (uint64_t)fr * r[j];
      v->a_yy[j] += (uint64_t)fd * d[j];
      v->a_xy[j] += (uint64_t)fr * d[j];
    }
  }
  int sh_mu, sh_sq;
  uint32_t rd_mu;
  uint64_t rd_sq;
  if (scale == 0) {
    sh_mu = bpc;
    rd_mu = 1u << (bpc - 1);
    sh_sq = (bpc - 8) * 2;
    rd_sq = sh_sq ? (uint64_t)1 << (sh_sq - 1) : 0;
  } else {
    sh_mu = 16, rd_mu = 32768, sh_sq = 16, rd_sq = 32768;
  }
  for (int j = 0; j < w; j++) {
    v->t_mu1[j] = (uint16_t)((v->a_mu1[j] + rd_mu) >> sh_mu);
    v->t_mu2[j] = (uint16_t)((v->a_mu2[j] + rd_mu) >> sh_mu);
    v->t_xx[j] = (uint32_t)((v->a_xx[j] + rd_sq) >> sh_sq);
    v->t_yy[j] = (uint32_t)((v->a_yy[j] + rd_sq) >> sh_sq);
    v->t_xy[j] = (uint32_t)((v->a_xy[j] + rd_sq) >> sh_sq);
  }
  pad_row(v->t_mu1, w, half);
  pad_row(v->t_mu2, w, half);
  pad_row(v->t_xx, w, half);
  pad_row(v->t_yy, w, half);
  pad_row(v->t_xy, w, half);
}

/* Low-pass (with the next scale's filter) and decimate by 2: out is (w/2) x (h/2). Only even rows and
 * columns are computed; the values equal those of libvmaf's full-size filter then decimation. */
static void vif_subsample(AgmVif *v, const uint16_t *ref, const uint16_t *dis, int w, int h, int next_scale,
                          int bpc, uint16_t *oref, uint16_t *odis) {
  const int fw = vif_filter_width[next_scale], half = fw / 2;
  const uint16_t *filt = vif_filter[next_scale];
  const int sh = next_scale == 1 ? bpc : 16;
  const uint32_t rd = 1u << (sh - 1);
  const int ow = w / 2, oh = h / 2;
  for (int oi = 0; oi < oh; oi++) {
    const int i = oi * 2;
    memset(v->a_mu1, 0, (size_t)w * 4);
    memset(v->a_mu2, 0, (size_t)w * 4);
    for (int k = 0; k < fw; k++) {
      const int ii = agm_mirror(i - half + k, h);
      const uint16_t *r = ref + (size_t)ii * w, *d = dis + (size_t)ii * w;
      const uint32_t f = filt[k];
      for (int j = 0; j < w; j++) {
        v->a_mu1[j] += f * r[j];
        v->a_mu2[j] += f * d[j];
      }
    }
    for (int j = 0; j < w; j++) {
      v->t_mu1[j] = (uint16_t)((v->a_mu1[j] + rd) >> sh);
      v->t_mu2[j] = (uint16_t)((v->a_mu2[j] + rd) >> sh);
    }
    pad_row(v->t_mu1, w, half);
    pad_row(v->t_mu2, w, half);
    for (int oj = 0; oj < ow; oj++) {
      const int j = oj * 2;
      uint32_t a = 0, b = 0;
      for (int k = 0; k < fw; k++) {
        a += filt[k] * v->t_mu1[j - half + k];
        b += filt[k] * v->t_mu2[j - half + k];
      }
      oref[(size_t)oi * ow + oj] = (uint16_t)((a + 32768) >> 16);
      odis[(size_t)oi * ow + oj] = (uint16_t)((b + 32768) >> 16);
    }
  }
}

void agm_vif_compute(AgmVif *v, const uint16_t *ref, const uint16_t *dis, int bpc, double out[4], double *out_egl1) {
  int w = v->w, h = v->h;
  const uint16_t *cr = ref, *cd = dis;
  /* Row buffers are used from index -VIF_PAD. */
  uint32_t *base[5] = {v->t_mu1, v->t_mu2, v->t_xx, v->t_yy, v->t_xy};
  v->t_mu1 += VIF_PAD, v->t_mu2 += VIF_PAD, v->t_xx += VIF_PAD, v->t_yy += VIF_PAD, v->t_xy += VIF_PAD;
  for (int scale = 0; scale < 4; scale++) {
    if (scale > 0) {
      uint16_t *nr = v->img[0][scale & 1], *nd = v->img[1][scale & 1];
      vif_subsample(v, cr, cd, w, h, scale, bpc, nr, nd);
      w /= 2;
      h /= 2;
      cr = nr;
      cd = nd;
    }
    VifAcc acc = {0};
    if (w > 0 && h > 0) {
      const int fw = vif_filter_width[scale];
      for (int i = 0; i < h; i++) {
        vif_vertical(v, cr, cd, w, h, i, fw, vif_filter[scale], scale, bpc);
        vif_stat_row(v, w, fw, vif_filter[scale], &acc, out_egl1 != NULL);
      }
    }
    /* As libvmaf: num and den in float, the score a float division. */
    const float den = (float)(acc.den_log / 2048.0 + acc.den_non_log);
    const double non_log = acc.den_non_log - (acc.num_non_log / 16384.0) / 65025.0;
    const float num = (float)(acc.num_log / 2048.0 + non_log);
    out[scale] = den != 0.0f ? (double)(num / den) : 1.0;
    if (out_egl1) {
      const float num1 = (float)(acc.num_log1 / 2048.0 + non_log);
      out_egl1[scale] = den != 0.0f ? (double)(num1 / den) : 1.0;
    }
  }
  v->t_mu1 = base[0], v->t_mu2 = base[1], v->t_xx = base[2], v->t_yy = base[3], v->t_xy = base[4];
}
