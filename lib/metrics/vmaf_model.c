/* VMAF's SVM (libsvm nu-SVR, RBF kernel) with libvmaf's linear_rescale normalisation: the caller parses a
 * libvmaf JSON model and passes the numbers. score = clip((sum_j coef_j exp(-gamma |x' - sv_j|^2) - rho
 * - intercept0) / slope0), x'_i = slope_i x_i + intercept_i (no clamping, as libvmaf). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
  if (!isfinite(gamma) || !isfinite(rho) || slopes[0] == 0.0 || !isfinite(slopes[0])) {
    ag_fail(AG_E_FORMAT, "vmaf model: gamma, rho and slopes[0] must be finite (slopes[0] non-zero)");
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
