/* VMAF feature context: holds the per-size buffers of VIF and ADM, the previous reference luma (for
 * motion) and optional worker threads, and computes one frame pair's VMAF features. The features follow
 * libvmaf 3.2.0's integer extractors (see metric_vmaf_vif.c, metric_vmaf_adm.c, metric_vmaf_motion.c).
 *
 * With threads, frames are either split or scored several at once (frame mode, chosen by size in
 * ag_vmaf_new). Split: a frame's work is cut into independent tasks that the caller and the workers take in
 * order, longest first: ADM, the VIF scale-0 row stripes, VIF scales 1..3, motion. Frame mode: each worker
 * scores whole frames with its own buffers, taken from a ring of slots in submission order and collected in
 * that order (ag_vmaf_submit / ag_vmaf_collect); motion reads the previous frame's reference luma, which a
 * ring of reference buffers one longer than the slots keeps until both frames that read it are collected.
 * Small frames split badly (the tasks are short and the threads wait on each other) while whole frames need
 * no synchronisation inside a frame. Every task writes its own outputs and the VIF sums are integers, so the
 * results do not depend on the number of threads or the mode. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "metric_internal.h"

/* Under AddressSanitizer the parts of a context's block (see plane_bytes) are followed by poisoned guards, so an
 * overrun of one plane into the next is reported as it would be between separate allocations. */
#if defined(__SANITIZE_ADDRESS__)
#define AG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AG_ASAN 1
#endif
#endif
#ifdef AG_ASAN
#include <sanitizer/asan_interface.h>
#define GUARD ((size_t)64)
#else
#define GUARD ((size_t)0)
#endif

/* The highest SIMD level the kernels may use: 0 portable C, 1 AVX2, 2 AVX-512. */
static int simd_max = 2;

void ag_metrics_set_simd(int32_t level) { simd_max = level < 0 ? 0 : level > 2 ? 2 : level; }

int agm_use_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
  return simd_max >= 1 && __builtin_cpu_supports("avx2");
#else
  return 0;
#endif
}

int agm_use_avx512(void) {
#if defined(__x86_64__)
  return simd_max >= 2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512vnni");
#else
  return 0;
#endif
}

int32_t ag_metrics_simd(void) { return agm_use_avx512() ? 2 : agm_use_avx2() ? 1 : 0; }

#define MAX_THREADS 64
#define MAX_TASKS (MAX_THREADS + 3)

enum { T_ADM, T_VIF_STRIPE, T_VIF_REST, T_MOTION };

typedef struct AgVmafWorker {
  struct AgVmaf *v;
  int tid;
  pthread_t thread;
  /* frame mode: this worker's own buffers */
  AgmVif *vif;
  AgmAdm *adm;
  int32_t *motion_row;
} AgVmafWorker;

/* Frame mode: one submitted frame. */
typedef struct {
  const uint16_t *ref, *prev; /* in the reference ring; prev NULL: no previous reference (motion 0) */
  uint16_t *dis;
  int flags;
  int state; /* SLOT_* */
  double out[AG_VF_COUNT];
} AgVmafSlot;
enum { SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

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
  /* frame mode (nslots > 0): slot k % nslots holds frame k, its reference is ring[k % (nslots + 1)] */
  int nslots;
  AgVmafSlot *slots;
  uint16_t **ring;
  uint64_t submitted, started, collected;
  pthread_cond_t slot_cv; /* a slot became done */
  /* every plane above (ADM and VIF planes, luma copies) in one block: see plane_bytes */
  void *block;
  size_t block_bytes, block_mapped;
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

/* Frame mode: scores one whole frame with a worker's own buffers (the same calls as the split tasks). */
static void score_frame(const AgVmaf *v, AgVmafWorker *wk, AgVmafSlot *s) {
  double *out = s->out;
  const int neg = (s->flags & AG_VMAF_NEG) != 0;
  for (int i = 0; i < AG_VF_COUNT; i++) out[i] = 0;
  agm_adm_compute(wk->adm, s->ref, s->dis, v->bpc, out, neg ? out + AG_VF_EGL1_ADM2 : NULL);
  agm_vif_compute(wk->vif, s->ref, s->dis, v->bpc, out + AG_VF_VIF_SCALE0, neg ? out + AG_VF_EGL1_VIF_SCALE0 : NULL);
  out[AG_VF_MOTION] = s->prev ? agm_motion_score(s->prev, s->ref, v->w, v->h, v->bpc, wk->motion_row) : 0.0;
}

/* Frame mode: takes the submitted frames in order, one at a time. */
static void *frame_worker_main(void *arg) {
  AgVmafWorker *wk = arg;
  AgVmaf *v = wk->v;
  pthread_mutex_lock(&v->mu);
  for (;;) {
    while (!v->quit && v->started == v->submitted) pthread_cond_wait(&v->cv, &v->mu);
    if (v->quit) break;
    AgVmafSlot *s = &v->slots[v->started++ % (uint64_t)v->nslots];
    s->state = SLOT_RUNNING;
    pthread_mutex_unlock(&v->mu);
    score_frame(v, wk, s);
    pthread_mutex_lock(&v->mu);
    s->state = SLOT_DONE;
    pthread_cond_broadcast(&v->slot_cv);
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
    pthread_cond_destroy(&v->slot_cv);
  }
  for (int i = 0; v->workers && v->nslots && i < v->threads; i++) {
    agm_vif_free(v->workers[i].vif);
    agm_adm_free(v->workers[i].adm);
    free(v->workers[i].motion_row);
  }
  free(v->workers);
  free(v->slots), free(v->ring);
  agm_vif_free(v->vif);
  agm_adm_free(v->adm);
  free(v->motion_row);
#ifdef AG_ASAN
  if (v->block) ASAN_UNPOISON_MEMORY_REGION(v->block, v->block_bytes); /* the guards: the addresses may be mapped again */
#endif
  agm_plane_block_free(v->block, v->block_mapped); /* the planes of all of the above */
  free(v);
}

/* Frames of at most this many luma samples (720x576) are scored whole, several at once, when there are
 * threads; larger ones are split. Small frames split badly: the tasks are short, so the threads' hand-over
 * and the longest task (ADM) bound a frame's wall time, while whole frames in parallel need no hand-over
 * within a frame (libvmaf's thread pool does the same). At 1280x720 the split is balanced and costs no extra
 * buffers, while whole frames need a set of VIF/ADM buffers per thread. CPU time per frame measured the same
 * in both modes within noise (+3..6% over one thread on a loaded 2-core machine) and instruction counts equal. */
#define FRAME_MODE_MAX_SAMPLES (720u * 576u)

/* The planes of a context, in one block (agm_plane_block: huge pages, so that a new context's first frames do
 * not pay a page fault per 4 KB, which costs ~15 us on the VMs measured): a set of ADM and VIF planes per
 * scorer (one, or one per worker in frame mode) and the luma copies (split: ref, dis, prev; frame mode: a dis
 * per slot and the reference ring). Planes start on 64-byte boundaries. */
static size_t luma_bytes(const AgVmaf *v) { return ((size_t)v->w * v->h * 2 + 63) & ~(size_t)63; }
static size_t plane_bytes(const AgVmaf *v, int scorers, int lumas) {
  return (size_t)scorers * (agm_adm_bytes(v->w, v->h) + agm_vif_bytes(v->w, v->h) + 2 * GUARD) + (size_t)lumas * (luma_bytes(v) + GUARD);
}
static uint8_t *take(uint8_t **p, size_t bytes) {
  uint8_t *r = *p;
  *p += bytes + GUARD;
#ifdef AG_ASAN
  ASAN_POISON_MEMORY_REGION(r + bytes, GUARD);
#endif
  return r;
}

static int alloc_frame_mode(AgVmaf *v) {
  v->nslots = v->threads + 1; /* one queued frame per worker beyond the ones running, for the caller's reading time */
  v->workers = calloc((size_t)v->threads, sizeof *v->workers);
  v->slots = calloc((size_t)v->nslots, sizeof *v->slots);
  v->ring = calloc((size_t)v->nslots + 1, sizeof *v->ring);
  if (!v->workers || !v->slots || !v->ring) return 0;
  v->block_bytes = plane_bytes(v, v->threads, 2 * v->nslots + 1);
  uint8_t *p = v->block = agm_plane_block(v->block_bytes, &v->block_mapped);
  if (!p) return 0;
  for (int i = 0; i < v->threads; i++) {
    AgVmafWorker *wk = &v->workers[i];
    wk->v = v, wk->tid = i;
    if (!(wk->adm = agm_adm_new(v->w, v->h, take(&p, agm_adm_bytes(v->w, v->h)))) ||
        !(wk->vif = agm_vif_new(v->w, v->h, 1, take(&p, agm_vif_bytes(v->w, v->h)))) || !(wk->motion_row = malloc((size_t)v->w * 4)))
      return 0;
  }
  for (int i = 0; i < v->nslots; i++) v->slots[i].dis = (uint16_t *)take(&p, luma_bytes(v));
  for (int i = 0; i <= v->nslots; i++) v->ring[i] = (uint16_t *)take(&p, luma_bytes(v));
  return 1;
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
  const int frame_mode = threads >= 2 && n <= FRAME_MODE_MAX_SAMPLES;
  int ok;
  if (frame_mode) {
    ok = alloc_frame_mode(v);
  } else {
    v->block_bytes = plane_bytes(v, 1, 3);
    uint8_t *p = v->block = agm_plane_block(v->block_bytes, &v->block_mapped);
    ok = p != NULL;
    if (ok) {
      v->adm = agm_adm_new(w, h, take(&p, agm_adm_bytes(w, h)));
      v->vif = agm_vif_new(w, h, threads, take(&p, agm_vif_bytes(w, h)));
      v->ref16 = (uint16_t *)take(&p, luma_bytes(v));
      v->dis16 = (uint16_t *)take(&p, luma_bytes(v));
      v->prev16 = (uint16_t *)take(&p, luma_bytes(v));
    }
    v->motion_row = malloc((size_t)w * 4);
    ok = ok && v->vif && v->adm && v->motion_row;
  }
  if (!ok) {
    ag_vmaf_free(v);
    ag_fail(AG_E_NOMEM, "vmaf: out of memory for %dx%d buffers", w, h);
    return NULL;
  }
  if (threads >= 2) {
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->cv, NULL);
    pthread_cond_init(&v->done_cv, NULL);
    pthread_cond_init(&v->slot_cv, NULL);
    v->sync_ready = 1;
    if (!frame_mode) v->workers = calloc((size_t)threads - 1, sizeof *v->workers);
    const int nw = frame_mode ? threads : threads - 1;
    for (int i = 0; v->workers && i < nw; i++) {
      v->workers[i].v = v;
      if (!frame_mode) v->workers[i].tid = i + 1;
      if (pthread_create(&v->workers[i].thread, NULL, frame_mode ? frame_worker_main : worker_main, &v->workers[i]) != 0) break;
      v->nworkers++;
    }
    if (frame_mode && v->nworkers == 0) {
      ag_vmaf_free(v);
      ag_fail(AG_E_NOMEM, "vmaf: could not start a thread");
      return NULL;
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

static int32_t check_pair(const AgVmaf *v, const void *ref, int32_t rs, const void *dis, int32_t ds) {
  if (!v || !ref || !dis) return ag_fail(AG_E_INVALID, "vmaf: null context or plane");
  if (rs < v->w || ds < v->w) return ag_fail(AG_E_INVALID, "vmaf: stride smaller than width %d", v->w);
  int rc = ag_check_samples(ref, rs, v->w, v->h, v->bpc, "vmaf: reference luma");
  if (rc || (rc = ag_check_samples(dis, ds, v->w, v->h, v->bpc, "vmaf: distorted luma"))) return rc;
  return AG_OK;
}

int32_t ag_vmaf_queue_depth(const AgVmaf *v) { return v ? v->nslots : 0; }

int32_t ag_vmaf_submit(AgVmaf *v, const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t flags) {
  int32_t rc = check_pair(v, ref, rs, dis, ds);
  if (rc) return rc;
  if (!v->nslots) return ag_fail(AG_E_STATE, "vmaf: this context scores one frame at a time (queue depth 0): use ag_vmaf_features");
  if (v->submitted - v->collected >= (uint64_t)v->nslots)
    return ag_fail(AG_E_STATE, "vmaf: %d frames in flight, collect one before submitting another", v->nslots);
  /* slot and ring buffer are free: the frames that used them are collected, so no worker reads them */
  const uint64_t k = v->submitted, nring = (uint64_t)v->nslots + 1;
  AgVmafSlot *s = &v->slots[k % (uint64_t)v->nslots];
  uint16_t *ref16 = v->ring[k % nring];
  load_luma(ref16, ref, rs, v->w, v->h, v->bpc);
  load_luma(s->dis, dis, ds, v->w, v->h, v->bpc);
  if (flags & AG_VMAF_RESET) v->have_prev = 0;
  s->ref = ref16;
  s->prev = v->have_prev ? v->ring[(k + nring - 1) % nring] : NULL;
  s->flags = flags;
  v->have_prev = 1;
  pthread_mutex_lock(&v->mu);
  s->state = SLOT_QUEUED;
  v->submitted++;
  pthread_cond_signal(&v->cv);
  pthread_mutex_unlock(&v->mu);
  return AG_OK;
}

int32_t ag_vmaf_collect(AgVmaf *v, double *out, int32_t out_len) {
  if (!v) return ag_fail(AG_E_INVALID, "vmaf: null context");
  if (!out || out_len < AG_VF_COUNT) return ag_fail(AG_E_INVALID, "vmaf: output holds %d values, needs %d", out_len, AG_VF_COUNT);
  if (v->collected == v->submitted) return ag_fail(AG_E_STATE, "vmaf: no submitted frame left to collect");
  AgVmafSlot *s = &v->slots[v->collected % (uint64_t)v->nslots];
  pthread_mutex_lock(&v->mu);
  while (s->state != SLOT_DONE) pthread_cond_wait(&v->slot_cv, &v->mu);
  s->state = SLOT_FREE;
  pthread_mutex_unlock(&v->mu);
  memcpy(out, s->out, sizeof s->out);
  v->collected++;
  return AG_OK;
}

int32_t ag_vmaf_features(AgVmaf *v, const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t flags, double *out,
                         int32_t out_len) {
  if (!v || !ref || !dis) return ag_fail(AG_E_INVALID, "vmaf: null context or plane");
  if (!out || out_len < AG_VF_COUNT) return ag_fail(AG_E_INVALID, "vmaf: output holds %d values, needs %d", out_len, AG_VF_COUNT);
  if (v->nslots) {
    if (v->collected != v->submitted) return ag_fail(AG_E_STATE, "vmaf: submitted frames are still to be collected");
    int32_t rc = ag_vmaf_submit(v, ref, rs, dis, ds, flags);
    return rc ? rc : ag_vmaf_collect(v, out, out_len);
  }
  int rc = check_pair(v, ref, rs, dis, ds);
  if (rc) return rc;
  if (flags & AG_VMAF_RESET) v->have_prev = 0;
  load_luma(v->ref16, ref, rs, v->w, v->h, v->bpc);
  load_luma(v->dis16, dis, ds, v->w, v->h, v->bpc);
  for (int i = 0; i < AG_VF_COUNT; i++) out[i] = 0;
  v->flags = flags;
  v->out = out;
  plan(v);
  /* the count first: a worker still looping over the previous frame takes a task of this one as soon as
   * next_task is 0, and its completion must not be wiped by a later reset of the count (a lost wake-up) */
  atomic_store(&v->tasks_done, 0);
  atomic_store(&v->next_task, 0);
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
  if (v->nslots) {
    /* the ring buffer the next frame reads as its previous one; free once every submitted frame is collected */
    if (v->collected != v->submitted) return ag_fail(AG_E_STATE, "vmaf: submitted frames are still to be collected");
    const uint64_t nring = (uint64_t)v->nslots + 1;
    load_luma(v->ring[(v->submitted + nring - 1) % nring], ref, rs, v->w, v->h, v->bpc);
    v->have_prev = 1;
    return AG_OK;
  }
  load_luma(v->prev16, ref, rs, v->w, v->h, v->bpc);
  v->have_prev = 1;
  return AG_OK;
}
