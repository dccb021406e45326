/* libFuzzer: the VMAF model's native side (lib/metrics/vmaf_model.c): whatever numbers a model file carries
 * (NaN, infinities, huge or tiny values, any count of support vectors) either load and predict a number for
 * finite features, or are refused with an error; never NaN from an accepted model, never a crash.
 * The JSON/libsvm text parsing in front of it (src/metrics/vmaf_model.ts) is fuzzed by test/fuzz/vmaf_model_json.test.ts. */
#include <math.h>
#include <stdlib.h>

#include "fuzz_util.h"

static double take(const uint8_t **p, size_t *n) {
  double v = 0;
  if (*n >= 8) {
    memcpy(&v, *p, 8);
    *p += 8, *n -= 8;
  } else if (*n) {
    /* a short tail still matters: small integers and signs are the interesting values */
    v = (double)(int8_t)**p;
    *p += 1, *n -= 1;
  }
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int n_sv = data[0] % 17; /* 0 is an invalid count the loader must refuse */
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  double *sv = calloc((size_t)(n_sv ? n_sv : 1) * AG_VMAF_MODEL_NFEAT, sizeof *sv);
  double *coef = calloc((size_t)(n_sv ? n_sv : 1), sizeof *coef);
  double slopes[AG_VMAF_MODEL_NFEAT + 1], intercepts[AG_VMAF_MODEL_NFEAT + 1], feat[AG_VMAF_MODEL_NFEAT];
  if (!sv || !coef) abort();
  for (int i = 0; i < n_sv * AG_VMAF_MODEL_NFEAT; i++) sv[i] = take(&p, &n);
  for (int i = 0; i < n_sv; i++) coef[i] = take(&p, &n);
  for (int i = 0; i <= AG_VMAF_MODEL_NFEAT; i++) slopes[i] = take(&p, &n), intercepts[i] = take(&p, &n);
  double gamma = take(&p, &n), rho = take(&p, &n), lo = take(&p, &n), hi = take(&p, &n);
  for (int i = 0; i < AG_VMAF_MODEL_NFEAT; i++) feat[i] = take(&p, &n);
  AgVmafModel *m = ag_vmaf_model_new(n_sv, sv, coef, gamma, rho, slopes, intercepts, lo, hi);
  if (m) {
    int finite = 1;
    for (int i = 0; i < AG_VMAF_MODEL_NFEAT; i++) finite &= isfinite(feat[i]) && fabs(feat[i]) < 1e30;
    double s = ag_vmaf_model_predict(m, feat, AG_VMAF_MODEL_NFEAT);
    if (finite && isnan(s)) abort(); /* an accepted model must score finite features */
    ag_vmaf_model_free(m);
  } else if (!*ag_last_error()) {
    abort(); /* refused without saying why */
  }
  free(sv), free(coef);
  return 0;
}
