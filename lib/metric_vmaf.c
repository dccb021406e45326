/* VMAF feature context: holds the per-size buffers of VIF and ADM, the previous reference luma (for
 * motion) and an optional worker thread, and computes one frame pair's VMAF features. The features follow
 * libvmaf 3.2.0's integer extractors (see metric_vmaf_vif.c, metric_vmaf_adm.c, metric_vmaf_motion.c). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "av1gym.h"
#include "metric_internal.h"

static int simd_allowed = 1;

void ag_metrics_set_simd(int on) { simd_allowed = on != 0; }

int agm_use_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
  return simd_allowed && __builtin_cpu_supports("avx2");
#else
  return 0;
#endif
}

int ag_metrics_simd(void) { return agm_use_avx2(); }

struct AgVmaf {
  int w, h, bpc, threads;
  AgmVif *vif;
  AgmAdm *adm;
  uint16_t *ref16, *dis16, *prev16;
  int32_t *motion_row;
  int have_prev;
  /* worker thread (threads >= 2): runs ADM + motion while the caller runs VIF */
  pthread_t worker;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started, job, done, quit;
  int job_flags;
  double *job_out;
};

/* Copies a luma plane into a packed uint16 buffer. */
static void load_luma(uint16_t *dst, const void *src, int stride, int w, int h, int bpc) {
  for (int i = 0; i < h; i++) {
    if (bpc > 8) {
      memcpy(dst + (size_t)i * w, (const uint16_t *)src + (size_t)i * stride, (size_t)w * 2);
    } else {
      const uint8_t *s = (const uint8_t *)src + (size_t)i * stride;
      uint16_t *d = dst + (size_t)i * w;
      for (int j = 0; j < w; j++) d[j] = s[j];
    }
  }
}

/* ADM (+ motion) part of a frame; out layout as ag_vmaf_features. */
static void run_adm_motion(AgVmaf *v, int flags, double *out) {
  agm_adm_compute(v->adm, v->ref16, v->dis16, v->bpc, out, (flags & AG_VMAF_NEG) ? out + 10 : NULL);
  out[9] = v->have_prev ? agm_motion_score(v->prev16, v->ref16, v->w, v->h, v->bpc, v->motion_row) : 0.0;
}

static void run_vif(AgVmaf *v, int flags, double *out) {
  agm_vif_compute(v->vif, v->ref16, v->dis16, v->bpc, out + 5, (flags & AG_VMAF_NEG) ? out + 15 : NULL);
}

static void *worker_main(void *arg) {
  AgVmaf *v = arg;
  pthread_mutex_lock(&v->mu);
  for (;;) {
    while (!v->job && !v->quit) pthread_cond_wait(&v->cv, &v->mu);
    if (v->quit) break;
    v->job = 0;
    pthread_mutex_unlock(&v->mu);
    run_adm_motion(v, v->job_flags, v->job_out);
    pthread_mutex_lock(&v->mu);
    v->done = 1;
    pthread_cond_broadcast(&v->cv);
  }
  pthread_mutex_unlock(&v->mu);
  return NULL;
}

void ag_vmaf_free(AgVmaf *v) {
  if (!v) return;
  if (v->started) {
    pthread_mutex_lock(&v->mu);
    v->quit = 1;
    pthread_cond_broadcast(&v->cv);
    pthread_mutex_unlock(&v->mu);
    pthread_join(v->worker, NULL);
    pthread_mutex_destroy(&v->mu);
    pthread_cond_destroy(&v->cv);
  }
  agm_vif_free(v->vif);
  agm_adm_free(v->adm);
  free(v->ref16), free(v->dis16), free(v->prev16), free(v->motion_row);
  free(v);
}

AgVmaf *ag_vmaf_new(int w, int h, int bpc, int threads) {
  if (w <= 0 || h <= 0 || w > 16384 || h > 16384) {
    ag_fail(AG_E_INVALID, "vmaf: frame size %dx%d outside 1..16384", w, h);
    return NULL;
  }
  if (bpc < 8 || bpc > 16) {
    ag_fail(AG_E_INVALID, "vmaf: bit depth %d unsupported (8..16)", bpc);
    return NULL;
  }
  if (threads < 1) threads = 1;
  AgVmaf *v = calloc(1, sizeof *v);
  if (!v) {
    ag_fail(AG_E_NOMEM, "vmaf: out of memory");
    return NULL;
  }
  v->w = w, v->h = h, v->bpc = bpc, v->threads = threads;
  const size_t n = (size_t)w * h;
  v->vif = agm_vif_new(w, h, threads);
  v->adm = agm_adm_new(w, h);
  v->ref16 = malloc(n * 2), v->dis16 = malloc(n * 2), v->prev16 = malloc(n * 2);
  v->motion_row = malloc((size_t)w * 4);
  if (!v->vif || !v->adm || !v->ref16 || !v->dis16 || !v->prev16 || !v->motion_row) {
    ag_vmaf_free(v);
    ag_fail(AG_E_NOMEM, "vmaf: out of memory for %dx%d buffers", w, h);
    return NULL;
  }
  if (threads >= 2) {
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->cv, NULL);
    if (pthread_create(&v->worker, NULL, worker_main, v) == 0) {
      v->started = 1;
    } else {
      pthread_mutex_destroy(&v->mu);
      pthread_cond_destroy(&v->cv);
      v->threads = 1;
    }
  }
  return v;
}

int ag_vmaf_features(AgVmaf *v, const void *ref, int rs, const void *dis, int ds, int flags, double *out) {
  if (!v || !ref || !dis || !out) return ag_fail(AG_E_INVALID, "vmaf: null context, plane or output");
  if (rs < v->w || ds < v->w) return ag_fail(AG_E_INVALID, "vmaf: stride smaller than width %d", v->w);
  if (flags & AG_VMAF_RESET) v->have_prev = 0;
  load_luma(v->ref16, ref, rs, v->w, v->h, v->bpc);
  load_luma(v->dis16, dis, ds, v->w, v->h, v->bpc);
  for (int i = 0; i < AG_VMAF_NOUT; i++) out[i] = 0;
  if (v->started) {
    pthread_mutex_lock(&v->mu);
    v->job_flags = flags, v->job_out = out, v->done = 0, v->job = 1;
    pthread_cond_broadcast(&v->cv);
    pthread_mutex_unlock(&v->mu);
    run_vif(v, flags, out);
    pthread_mutex_lock(&v->mu);
    while (!v->done) pthread_cond_wait(&v->cv, &v->mu);
    pthread_mutex_unlock(&v->mu);
  } else {
    run_vif(v, flags, out);
    run_adm_motion(v, flags, out);
  }
  /* this reference is the previous one of the next call */
  uint16_t *t = v->prev16;
  v->prev16 = v->ref16;
  v->ref16 = t;
  v->have_prev = 1;
  return AG_OK;
}

int ag_vmaf_set_prev(AgVmaf *v, const void *ref, int rs) {
  if (!v || !ref) return ag_fail(AG_E_INVALID, "vmaf: null context or plane");
  if (rs < v->w) return ag_fail(AG_E_INVALID, "vmaf: stride smaller than width %d", v->w);
  load_luma(v->prev16, ref, rs, v->w, v->h, v->bpc);
  v->have_prev = 1;
  return AG_OK;
}
