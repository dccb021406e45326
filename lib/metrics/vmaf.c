/* VMAF feature context: holds the per-size buffers of VIF and ADM, the previous reference luma (for
 * motion) and optional worker threads, and computes one frame pair's VMAF features. The features follow
 * libvmaf 3.2.0's integer extractors (see metric_vmaf_vif.c, metric_vmaf_adm.c, metric_vmaf_motion.c).
 *
 * A frame's work is split into independent tasks that the caller and the workers take in order, longest
 * first: ADM, the VIF scale-0 row stripes, VIF scales 1..3, motion. Every task writes its own outputs and
 * the VIF sums are integers, so the results do not depend on the number of threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "metric_internal.h"

static int simd_allowed = 1;

void ag_metrics_set_simd(int32_t on) { simd_allowed = on != 0; }

int agm_use_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
  return simd_allowed && __builtin_cpu_supports("avx2");
#else
  return 0;
#endif
}

int32_t ag_metrics_simd(void) { return agm_use_avx2(); }

#define MAX_THREADS 64
#define MAX_TASKS (MAX_THREADS + 3)

enum { T_ADM, T_VIF_STRIPE, T_VIF_REST, T_MOTION };

typedef struct AgVmafWorker {
  struct AgVmaf *v;
  int tid;
  pthread_t thread;
} AgVmafWorker;

struct AgVmaf {
  int w, h, bpc, threads;
  AgmVif *vif;
  AgmAdm *adm;
  uint16_t *ref16, *dis16, *prev16;
  int32_t *motion_row;
  int have_prev;
  /* the frame being computed */
  int flags;
  double *out;
  AgmVifAcc acc[MAX_TASKS + 3]; /* [0..2]: scales 1..3; [3 + t]: stripe task t */
  int ntasks, kind[MAX_TASKS], y0[MAX_TASKS], y1[MAX_TASKS];
  atomic_int next_task, tasks_done;
  /* workers */
  AgVmafWorker *workers;
  int nworkers;
  pthread_mutex_t mu;
  pthread_cond_t cv, done_cv;
  unsigned generation;
  int quit, sync_ready;
};

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2"))) static int widen_avx2(uint16_t *d, const uint8_t *s, int w) {
  int j = 0;
  for (; j + 16 <= w; j += 16) _mm256_storeu_si256((__m256i *)(d + j), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(s + j))));
  return j;
}
#endif

/* Copies a luma plane into a packed uint16 buffer. */
static void load_luma(uint16_t *dst, const void *src, int stride, int w, int h, int bpc) {
  const int simd = agm_use_avx2();
  (void)simd;
  for (int i = 0; i < h; i++) {
    if (bpc > 8) {
      memcpy(dst + (size_t)i * w, (const uint16_t *)src + (size_t)i * stride, (size_t)w * 2);
    } else {
      const uint8_t *s = (const uint8_t *)src + (size_t)i * stride;
      uint16_t *d = dst + (size_t)i * w;
      int j = 0;
#if defined(__x86_64__)
      if (simd) j = widen_avx2(d, s, w);
#endif
      for (; j < w; j++) d[j] = s[j];
    }
  }
}

static void run_task(AgVmaf *v, int t, int tid) {
  const int neg = (v->flags & AG_VMAF_NEG) != 0;
  switch (v->kind[t]) {
  case T_ADM:
    agm_adm_compute(v->adm, v->ref16, v->dis16, v->bpc, v->out, neg ? v->out + AG_VF_EGL1_ADM2 : NULL);
    break;
  case T_VIF_STRIPE:
    agm_vif_stripe(v->vif, tid, v->ref16, v->dis16, v->bpc, v->y0[t], v->y1[t], &v->acc[3 + t], neg);
    break;
  case T_VIF_REST:
    agm_vif_rest(v->vif, tid, v->ref16, v->dis16, v->bpc, &v->acc[0], neg);
    break;
  case T_MOTION:
    v->out[AG_VF_MOTION] = v->have_prev ? agm_motion_score(v->prev16, v->ref16, v->w, v->h, v->bpc, v->motion_row) : 0.0;
    break;
  }
}

/* Takes tasks until none is left. */
static void drain(AgVmaf *v, int tid) {
  for (;;) {
    const int t = atomic_fetch_add(&v->next_task, 1);
    if (t >= v->ntasks) break;
    run_task(v, t, tid);
    atomic_fetch_add(&v->tasks_done, 1);
  }
}

static void *worker_main(void *arg) {
  AgVmafWorker *wk = arg;
  AgVmaf *v = wk->v;
  unsigned seen = 0;
  pthread_mutex_lock(&v->mu);
  for (;;) {
    while (v->generation == seen && !v->quit) pthread_cond_wait(&v->cv, &v->mu);
    if (v->quit) break;
    seen = v->generation;
    pthread_mutex_unlock(&v->mu);
    drain(v, wk->tid);
    pthread_mutex_lock(&v->mu);
    pthread_cond_broadcast(&v->done_cv);
  }
  pthread_mutex_unlock(&v->mu);
  return NULL;
}

void ag_vmaf_free(AgVmaf *v) {
  if (!v) return;
  if (v->sync_ready) {
    pthread_mutex_lock(&v->mu);
    v->quit = 1;
    pthread_cond_broadcast(&v->cv);
    pthread_mutex_unlock(&v->mu);
    for (int i = 0; i < v->nworkers; i++) pthread_join(v->workers[i].thread, NULL);
    pthread_mutex_destroy(&v->mu);
    pthread_cond_destroy(&v->cv);
    pthread_cond_destroy(&v->done_cv);
  }
  free(v->workers);
  agm_vif_free(v->vif);
  agm_adm_free(v->adm);
  free(v->ref16), free(v->dis16), free(v->prev16), free(v->motion_row);
  free(v);
}

AgVmaf *ag_vmaf_new(int32_t w, int32_t h, int32_t bpc, int32_t threads) {
  if (w <= 0 || h <= 0 || w > 16384 || h > 16384) {
    ag_fail(AG_E_INVALID, "vmaf: frame size %dx%d outside 1..16384", w, h);
    return NULL;
  }
  if (bpc < 8 || bpc > 16) {
    ag_fail(AG_E_INVALID, "vmaf: bit depth %d unsupported (8..16)", bpc);
    return NULL;
  }
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
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
    pthread_cond_init(&v->done_cv, NULL);
    v->sync_ready = 1;
    v->workers = calloc((size_t)threads - 1, sizeof *v->workers);
    for (int i = 0; v->workers && i < threads - 1; i++) {
      v->workers[i].v = v;
      v->workers[i].tid = i + 1;
      if (pthread_create(&v->workers[i].thread, NULL, worker_main, &v->workers[i]) != 0) break;
      v->nworkers++;
    }
  }
  return v;
}

/* Plans the tasks of a frame: stripes of scale-0 rows, as many as the threads (one without threads). */
static void plan(AgVmaf *v) {
  int n = 0;
  const int stripes = v->nworkers + 1;
  v->kind[n++] = T_ADM;
  for (int s = 0; s < stripes; s++) {
    v->kind[n] = T_VIF_STRIPE;
    v->y0[n] = (int)((int64_t)v->h * s / stripes);
    v->y1[n] = (int)((int64_t)v->h * (s + 1) / stripes);
    n++;
  }
  v->kind[n++] = T_VIF_REST;
  v->kind[n++] = T_MOTION;
  v->ntasks = n;
}

int32_t ag_vmaf_features(AgVmaf *v, const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t flags, double *out,
                         int32_t out_len) {
  if (!v || !ref || !dis) return ag_fail(AG_E_INVALID, "vmaf: null context or plane");
  if (!out || out_len < AG_VF_COUNT) return ag_fail(AG_E_INVALID, "vmaf: output holds %d values, needs %d", out_len, AG_VF_COUNT);
  if (rs < v->w || ds < v->w) return ag_fail(AG_E_INVALID, "vmaf: stride smaller than width %d", v->w);
  int rc = ag_check_samples(ref, rs, v->w, v->h, v->bpc, "vmaf: reference luma");
  if (rc || (rc = ag_check_samples(dis, ds, v->w, v->h, v->bpc, "vmaf: distorted luma"))) return rc;
  if (flags & AG_VMAF_RESET) v->have_prev = 0;
  load_luma(v->ref16, ref, rs, v->w, v->h, v->bpc);
  load_luma(v->dis16, dis, ds, v->w, v->h, v->bpc);
  for (int i = 0; i < AG_VF_COUNT; i++) out[i] = 0;
  v->flags = flags;
  v->out = out;
  plan(v);
  atomic_store(&v->next_task, 0);
  atomic_store(&v->tasks_done, 0);
  if (v->nworkers > 0) {
    pthread_mutex_lock(&v->mu);
    v->generation++;
    pthread_cond_broadcast(&v->cv);
    pthread_mutex_unlock(&v->mu);
  }
  drain(v, 0);
  if (v->nworkers > 0) {
    pthread_mutex_lock(&v->mu);
    while (atomic_load(&v->tasks_done) < v->ntasks) pthread_cond_wait(&v->done_cv, &v->mu);
    pthread_mutex_unlock(&v->mu);
  }
  /* VIF: the stripes' sums add up to scale 0 */
  AgmVifAcc acc[4];
  memset(&acc[0], 0, sizeof acc[0]);
  for (int t = 0; t < v->ntasks; t++)
    if (v->kind[t] == T_VIF_STRIPE) {
      const AgmVifAcc *a = &v->acc[3 + t];
      acc[0].num_log += a->num_log, acc[0].num_log1 += a->num_log1, acc[0].den_log += a->den_log;
      acc[0].num_non_log += a->num_non_log, acc[0].den_non_log += a->den_non_log;
    }
  acc[1] = v->acc[0], acc[2] = v->acc[1], acc[3] = v->acc[2];
  agm_vif_finish(acc, out + AG_VF_VIF_SCALE0, (flags & AG_VMAF_NEG) ? out + AG_VF_EGL1_VIF_SCALE0 : NULL);
  /* this reference is the previous one of the next call */
  uint16_t *t = v->prev16;
  v->prev16 = v->ref16;
  v->ref16 = t;
  v->have_prev = 1;
  return AG_OK;
}

int32_t ag_vmaf_set_prev(AgVmaf *v, const void *ref, int32_t rs) {
  if (!v || !ref) return ag_fail(AG_E_INVALID, "vmaf: null context or plane");
  if (rs < v->w) return ag_fail(AG_E_INVALID, "vmaf: stride smaller than width %d", v->w);
  int rc = ag_check_samples(ref, rs, v->w, v->h, v->bpc, "vmaf: previous reference luma");
  if (rc) return rc;
  load_luma(v->prev16, ref, rs, v->w, v->h, v->bpc);
  v->have_prev = 1;
  return AG_OK;
}
