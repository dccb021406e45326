/* VMAF's SVM (libsvm nu-SVR, RBF kernel) with libvmaf's linear_rescale normalisation: the caller parses a
 * libvmaf JSON model and passes the numbers. score = clip((sum_j coef_j exp(-gamma |x' - sv_j|^2) - rho
 * - intercept0) / slope0), x'_i = slope_i x_i + intercept_i (no clamping, as libvmaf). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define AG_MODEL_MAX 1e30
static int model_num(double x) { return isfinite(x) && fabs(x) <= AG_MODEL_MAX; }

struct AgVmafModel {
  int n_sv;
  double *sv, *coef;
  double gamma, rho, clip_lo, clip_hi;
  double slopes[AG_VMAF_MODEL_NFEAT + 1], intercepts[AG_VMAF_MODEL_NFEAT + 1];
};

AgVmafModel *ag_vmaf_model_new(int32_t n_sv, const double *sv, const double *coef, double gamma, double rho,
                               const double *slopes, const double *intercepts, double clip_lo, double clip_hi) {
  if (n_sv <= 0 || n_sv > 1000000 || !sv || !coef || !slopes || !intercepts) {
    ag_fail(AG_E_INVALID, "vmaf model: need 1..1000000 support vectors and slope/intercept arrays (got %d)", n_sv);
    return NULL;
  }
  /* Every number bounded, so that no sum in predict() can overflow into inf - inf = NaN: an accepted model
   * scores finite features as a number (found by test/fuzz/fuzz_vmaf_model.c). Real models stay below 1e4. */
  if (!model_num(gamma) || !(gamma > 0) || !model_num(rho) || !model_num(slopes[0]) || slopes[0] == 0.0) {
    ag_fail(AG_E_FORMAT, "vmaf model: gamma (> 0), rho and slopes[0] (non-zero) must be finite numbers below %g", AG_MODEL_MAX);
    return NULL;
  }
  for (int i = 0; i <= AG_VMAF_MODEL_NFEAT; i++)
    if (!model_num(slopes[i]) || !model_num(intercepts[i])) {
      ag_fail(AG_E_FORMAT, "vmaf model: slope/intercept %d is not a finite number below %g", i, AG_MODEL_MAX);
      return NULL;
    }
  for (int j = 0; j < n_sv; j++) {
    int ok = model_num(coef[j]);
    for (int i = 0; i < AG_VMAF_MODEL_NFEAT; i++) ok &= model_num(sv[(size_t)j * AG_VMAF_MODEL_NFEAT + i]);
    if (!ok) {
      ag_fail(AG_E_FORMAT, "vmaf model: support vector %d has a value that is not a finite number below %g", j, AG_MODEL_MAX);
      return NULL;
    }
  }
  if (isnan(clip_lo) || isnan(clip_hi) || clip_lo > clip_hi) {
    ag_fail(AG_E_FORMAT, "vmaf model: score clip [%g, %g] is not a range", clip_lo, clip_hi);
    return NULL;
  }
  AgVmafModel *m = calloc(1, sizeof *m);
  if (!m) {
    ag_fail(AG_E_NOMEM, "vmaf model: out of memory");
    return NULL;
  }
  m->sv = malloc(sizeof(double) * (size_t)n_sv * AG_VMAF_MODEL_NFEAT);
  m->coef = malloc(sizeof(double) * (size_t)n_sv);
  if (!m->sv || !m->coef) {
    ag_vmaf_model_free(m);
    ag_fail(AG_E_NOMEM, "vmaf model: out of memory");
    return NULL;
  }
  memcpy(m->sv, sv, sizeof(double) * (size_t)n_sv * AG_VMAF_MODEL_NFEAT);
  memcpy(m->coef, coef, sizeof(double) * (size_t)n_sv);
  memcpy(m->slopes, slopes, sizeof m->slopes);
  memcpy(m->intercepts, intercepts, sizeof m->intercepts);
  m->n_sv = n_sv, m->gamma = gamma, m->rho = rho, m->clip_lo = clip_lo, m->clip_hi = clip_hi;
  return m;
}

void ag_vmaf_model_free(AgVmafModel *m) {
  if (!m) return;
  free(m->sv), free(m->coef);
  free(m);
}

double ag_vmaf_model_predict(const AgVmafModel *m, const double *features, int32_t nfeatures) {
  if (!m || !features || nfeatures < AG_VMAF_MODEL_NFEAT) return NAN;
  double x[AG_VMAF_MODEL_NFEAT];
  for (int i = 0; i < AG_VMAF_MODEL_NFEAT; i++) x[i] = m->slopes[i + 1] * features[i] + m->intercepts[i + 1];
  double sum = 0;
  for (int j = 0; j < m->n_sv; j++) {
    const double *s = m->sv + (size_t)j * AG_VMAF_MODEL_NFEAT;
    double d = 0;
    for (int i = 0; i < AG_VMAF_MODEL_NFEAT; i++) d += (x[i] - s[i]) * (x[i] - s[i]);
    sum += m->coef[j] * exp(-m->gamma * d);
  }
  double score = (sum - m->rho - m->intercepts[0]) / m->slopes[0];
  if (score < m->clip_lo) score = m->clip_lo;
  if (score > m->clip_hi) score = m->clip_hi;
  return score;
}
