/* One SVT-AV1 encoder session: configure, send I420 pictures (with optional per-64x64 qindex offsets as
 * ROI-map events), collect packets (and reconstructions) into a queue the caller drains, write IVF.
 *
 * Threading: everything here runs on the caller's (JS) thread; the delta-QP hook is called synchronously
 * from ag_encoder_encode before the picture is sent, never from SVT-AV1's threads.
 *
 * ROI events: SVT keeps the event pointer (it copies only the EbPrivDataNode), applies the event to that
 * picture and to every later picture that carries none. So once one event has been sent, every picture
 * gets one (zeros when the caller gives no offsets), and an event is freed only when its picture's packet
 * is out and a newer event has replaced it. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <EbSvtAv1Enc.h>

#include "internal.h"

/* ------------------------------------------------------------------ SVT-AV1 version shims
 * The shim builds against SVT-AV1 2.3, 3.x and 4.x (scripts/build-svt.sh accepts those and refuses others).
 * Everything that differs between them is here; the code below uses one path. */
#if !SVT_AV1_CHECK_VERSION(2, 3, 0) || SVT_AV1_CHECK_VERSION(5, 0, 0)
#error "av1gym supports SVT-AV1 2.3, 3.x and 4.x (this header is another version)"
#endif
/* 3.0 dropped svt_av1_enc_init_handle's p_app_data argument. */
#if SVT_AV1_CHECK_VERSION(3, 0, 0)
#define svt_init_handle(h, cfg) svt_av1_enc_init_handle((h), (cfg))
#else
#define svt_init_handle(h, cfg) svt_av1_enc_init_handle((h), NULL, (cfg))
#endif
/* 4.0 renamed enable_adaptive_quantization (0 = CQP, 2 = CRF in rate-control mode 0) to aq_mode. */
#if SVT_AV1_CHECK_VERSION(4, 0, 0)
#define svt_set_aq(cfg, v) ((cfg)->aq_mode = (uint8_t)(v))
#else
#define svt_set_aq(cfg, v) ((cfg)->enable_adaptive_quantization = (uint8_t)(v))
#endif
/* 3.0 removed width/height/colour format/bit depth from EbSvtIOFormat (the configuration says them). */
static void svt_io_describe(EbSvtIOFormat *io, int32_t w, int32_t h, int32_t depth) {
#if SVT_AV1_CHECK_VERSION(3, 0, 0)
  (void)io, (void)w, (void)h, (void)depth;
#else
  io->width = (uint32_t)w;
  io->height = (uint32_t)h;
  io->color_fmt = EB_YUV420;
  io->bit_depth = depth > 8 ? EB_TEN_BIT : EB_EIGHT_BIT;
#endif
}
/* The prediction-structure values are the same in every version (the enum's names changed in 3.1 and 4.1). */
enum { PRED_LOW_DELAY = 1, PRED_RANDOM_ACCESS = 2 };
/* Up to 4.0 the block-geometry table is one process-wide array rebuilt by every init (see geometry_key);
 * 4.1 keeps it per encoder (scs->blk_geom_mds), so encoders of any settings can live side by side. */
#ifndef SVT_SHARED_GEOMETRY /* -DSVT_SHARED_GEOMETRY=0 turns the guard off, only to re-measure the hazard */
#define SVT_SHARED_GEOMETRY (!SVT_AV1_CHECK_VERSION(4, 1, 0))
#endif

int32_t ag_svt_version(void) { return SVT_AV1_VERSION_MAJOR * 10000 + SVT_AV1_VERSION_MINOR * 100 + SVT_AV1_VERSION_PATCHLEVEL; }

#define SB 64
#define TIME_RING 1024 /* send times by pts; far more than the pictures SVT holds back */

typedef struct {
  uint8_t *data;
  int32_t size;
  int64_t pts;
  int32_t pic_type, qp;
  uint32_t flags;
  uint8_t *recon; /* tight I420, or NULL */
  double encode_ms;
  int32_t qindex, temporal_id; /* from the packet's headers (lib/codec/obu.c) */
} Packet;

typedef struct {
  SvtAv1RoiMapEvt evt;
  uint8_t *map;
  int64_t pts;
  int in_use, out;
} RoiSlot;

typedef struct {
  uint8_t *buf;
  int64_t pts;
} Recon;

/* The open-time settings, read from the config (AG_SVT_KEY_*). */
typedef struct {
  int32_t width, height, fps_num, fps_den, preset, rc, qp, bitrate_kbps, pred, keyint, threads, recon, bit_depth;
  int32_t frame_qp, layer_offsets_on, layer_offsets[6], key_offset; /* frame-level qp (set_frame_level_qp) */
} Params;
enum { RC_CRF, RC_CQP, RC_VBR, RC_CBR };

struct AgEncoder {
  EbComponentType *svt;
  int registered; /* counted in live_encoders (see svt_global_lock) */
  int32_t w, h, cw, ch, cols, rows;
  int pred, recon_on;
  int frame_qp_on, frame_qp, cfg_qp; /* AG_SVT_KEY_FRAME_QP; the next picture's qp (-1: cfg_qp) */
  int depth, bps;     /* bit depth, bytes per sample */
  size_t frame_bytes;
  int64_t next_pts;
  int eos_sent, eos_seen, broken;
  int all_key; /* key-frame interval 1: SVT's intra period 0 gives INTRA_ONLY frames after the first, so
                  every picture is sent as a forced key frame (each one a random-access point) */
  AgSeqHdr seq; /* the stream's sequence header, for reading frame headers */

  AgAnalyzer *an;
  int analysis_on;
  float *analysis;
  int16_t *offsets;
  ag_delta_q_hook hook;

  RoiSlot **slots;
  int nslots;
  RoiSlot *last_sent;
  int roi_started;

  Packet *q;
  int qhead, qlen, qcap;

  Recon *pending; /* reconstructions waiting for their packet */
  int npending, pending_cap;
  uint8_t *spare_recon;

  double t_sent[TIME_RING];
  double analysis_ms, hook_ms; /* totals, for ag_encoder_timing */
  int64_t analysed, hooked;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ ROI events */

static void roi_release_done(AgEncoder *e) {
  for (int i = 0; i < e->nslots; i++) {
    RoiSlot *s = e->slots[i];
    if (s->in_use && s->out && s != e->last_sent) s->in_use = 0;
  }
}

static RoiSlot *roi_acquire(AgEncoder *e) {
  for (int i = 0; i < e->nslots; i++)
    if (!e->slots[i]->in_use) return e->slots[i];
  RoiSlot **grown = realloc(e->slots, sizeof *grown * (size_t)(e->nslots + 1));
  if (!grown) return NULL;
  e->slots = grown;
  RoiSlot *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->map = calloc((size_t)e->cols * e->rows, 1);
  if (!s->map) {
    free(s);
    return NULL;
  }
  e->slots[e->nslots++] = s;
  return s;
}

/* Validates offsets and builds the event in s: distinct values sorted descending become segment ids, so
 * SVT's fallback for a block whose qindex would reach 0 (it walks to lower ids) goes to a larger offset.
 * When every offset is negative and a segment is free, segment 0 is a zero offset, the fallback of last
 * resort. Returns 1 when any offset is non-zero. */
static int roi_build(AgEncoder *e, const int16_t *off, RoiSlot *s, int *nonzero) {
  const int n = e->cols * e->rows;
  int16_t vals[8] = {0};
  int nv = 0;
  *nonzero = 0;
  for (int i = 0; i < n; i++) {
    int v = off ? off[i] : 0;
    if (v < -255 || v > 255)
      return ag_fail(AG_E_INVALID, "qp offset %d at superblock %d (row %d, col %d) is outside -255..255", v, i,
                     i / e->cols, i % e->cols);
    if (v) *nonzero = 1;
    int k = 0;
    while (k < nv && vals[k] != v) k++;
    if (k == nv) {
      if (nv == 8)
        return ag_fail(AG_E_INVALID, "qp offsets have more than 8 distinct values (AV1 has 8 segments); superblock %d adds %d", i, v);
      vals[nv++] = (int16_t)v;
    }
  }
  /* sort descending (insertion sort, <= 8 values) */
  for (int i = 1; i < nv; i++)
    for (int j = i; j > 0 && vals[j] > vals[j - 1]; j--) {
      int16_t t = vals[j];
      vals[j] = vals[j - 1];
      vals[j - 1] = t;
    }
  if (vals[0] < 0 && nv < 8) {
    memmove(vals + 1, vals, sizeof vals[0] * (size_t)nv);
    vals[0] = 0;
    nv++;
  }
  memset(&s->evt, 0, sizeof s->evt);
  for (int k = 0; k < nv; k++) s->evt.seg_qp[k] = vals[k];
  s->evt.max_seg_id = (int8_t)(nv - 1);
  s->evt.b64_seg_map = s->map;
  for (int i = 0; i < n; i++) {
    int v = off ? off[i] : 0, k = 0;
    while (vals[k] != v) k++;
    s->map[i] = (uint8_t)k;
  }
  return AG_OK;
}

/* Switching a ROI map off. SVT-AV1 2.3 keeps the last event's map for every later picture
 * (resource_coordination_process.c, update_frame_event: enc_ctx->roi_map_evt is only ever replaced), and a
 * picture with a map always gets segmentation (segmentation.c: per-block segment ids, per-segment loop-filter
 * data, no EncDec bypass), even when every offset is zero: the "ROI tax". The API has no "no map" event,
 * but update_frame_event stores the event's data pointer as the map after an assert-only check
 * (svt_aom_assert_err: assert() plus an error log line), so an event with a NULL map puts SVT back on its own
 * path, bit for bit. With asserts compiled in (a Debug build, or a distribution's build without NDEBUG) that
 * event would abort the process, so it is used only with an SVT-AV1 library that imports no __assert_fail
 * (scripts/build-svt.sh checks and passes AG_SVT_NDEBUG=1). SVT logs the event as an error, so the shim keeps
 * SVT's log at "fatal" then unless SVT_LOG says otherwise (see quiet_svt_log). */
int32_t ag_encoder_roi_switch_off(void) {
#if defined(AG_SVT_NDEBUG) && AG_SVT_NDEBUG
  return 1;
#else
  return 0;
#endif
}

static EbPrivDataNode roi_switch_off_node(void) {
  return (EbPrivDataNode){.node_type = ROI_MAP_EVENT, .data = NULL, .size = sizeof(SvtAv1RoiMapEvt *), .next = NULL};
}

/* Frame-level qp settings: a qp per picture (AG_SVT_KEY_FRAME_QP), or fixed qindex offsets per temporal layer
 * (AG_SVT_KEY_LAYER_OFFSET_0..5, AG_SVT_KEY_KEY_OFFSET; any of them turns them on). */
static int32_t read_frame_level_params(AgConfig *c, Params *p) {
  static const char *layer_keys[6] = {AG_SVT_KEY_LAYER_OFFSET_0, AG_SVT_KEY_LAYER_OFFSET_1, AG_SVT_KEY_LAYER_OFFSET_2,
                                      AG_SVT_KEY_LAYER_OFFSET_3, AG_SVT_KEY_LAYER_OFFSET_4, AG_SVT_KEY_LAYER_OFFSET_5};
  int32_t rc;
  if ((rc = ag_config_int32(c, AG_SVT_KEY_FRAME_QP, 0, 1, 0, &p->frame_qp))) return rc;
  p->layer_offsets_on = ag_config_has(c, AG_SVT_KEY_KEY_OFFSET);
  if ((rc = ag_config_int32(c, AG_SVT_KEY_KEY_OFFSET, -255, 255, 0, &p->key_offset))) return rc;
  for (int l = 0; l < 6; l++) {
    if (ag_config_has(c, layer_keys[l])) p->layer_offsets_on = 1;
    if ((rc = ag_config_int32(c, layer_keys[l], -255, 255, 0, &p->layer_offsets[l]))) return rc;
  }
  return AG_OK;
}

/* Per-picture qp: use_qp_file, read from each input header's qp. Layer offsets: use_fixed_qindex_offsets = 2
 * keeps SVT's own qp scaling and adds the offsets, so all-zero offsets encode exactly as the default. */
static void set_frame_level_qp(EbSvtAv1EncConfiguration *cfg, const Params *p) {
  if (p->frame_qp) cfg->use_qp_file = 1;
  if (p->layer_offsets_on) {
    cfg->use_fixed_qindex_offsets = 2;
    for (int l = 0; l < 6; l++) cfg->qindex_offsets[l] = p->layer_offsets[l];
    cfg->key_frame_qindex_offset = p->key_offset;
  }
}

int32_t ag_encoder_set_frame_qp(AgEncoder *e, int32_t qp) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (!e->frame_qp_on) return ag_fail(AG_E_STATE, "per-frame qp needs an encoder opened with %s = 1", AG_SVT_KEY_FRAME_QP);
  if (qp != -1 && (qp < 1 || qp > 63)) return ag_fail(AG_E_INVALID, "frame qp %d is outside 1..63", qp);
  e->frame_qp = qp;
  return AG_OK;
}

/* ------------------------------------------------------------------ packets and reconstructions */

static void free_packet(Packet *p) {
  free(p->data);
  free(p->recon);
  memset(p, 0, sizeof *p);
}

static Packet *queue_push(AgEncoder *e) {
  if (e->qhead > 0 && e->qhead + e->qlen == e->qcap) {
    memmove(e->q, e->q + e->qhead, sizeof *e->q * (size_t)e->qlen);
    e->qhead = 0;
  }
  if (e->qhead + e->qlen == e->qcap) {
    int cap = e->qcap ? e->qcap * 2 : 16;
    Packet *g = realloc(e->q, sizeof *g * (size_t)cap);
    if (!g) return NULL;
    e->q = g;
    e->qcap = cap;
  }
  Packet *p = &e->q[e->qhead + e->qlen++];
  memset(p, 0, sizeof *p);
  return p;
}

/* Attaches a reconstruction to the first queued packet with that pts and none yet, else keeps it pending. */
static int place_recon(AgEncoder *e, uint8_t *buf, int64_t pts) {
  for (int i = 0; i < e->qlen; i++) {
    Packet *p = &e->q[e->qhead + i];
    if (p->pts == pts && !p->recon) {
      p->recon = buf;
      return AG_OK;
    }
  }
  if (e->npending == e->pending_cap) {
    int cap = e->pending_cap ? e->pending_cap * 2 : 8;
    Recon *g = realloc(e->pending, sizeof *g * (size_t)cap);
    if (!g) return AG_E_NOMEM;
    e->pending = g;
    e->pending_cap = cap;
  }
  e->pending[e->npending++] = (Recon){buf, pts};
  return AG_OK;
}

/* Takes every reconstruction SVT has ready (it blocks its pipeline when they are not consumed). */
static int drain_recon(AgEncoder *e) {
  if (!e->recon_on) return AG_OK;
  for (;;) {
    if (!e->spare_recon && !(e->spare_recon = malloc(e->frame_bytes))) return ag_fail(AG_E_NOMEM, "out of memory for a reconstruction");
    EbBufferHeaderType hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.size = sizeof hdr;
    hdr.p_buffer = e->spare_recon;
    hdr.n_alloc_len = (uint32_t)e->frame_bytes;
    EbErrorType r = svt_av1_get_recon(e->svt, &hdr);
    if (r == EB_NoErrorEmptyQueue) return AG_OK;
    if (r != EB_ErrorNone && !(hdr.flags & EB_BUFFERFLAG_EOS)) return ag_fail(AG_E_ENCODER, "svt_av1_get_recon failed (0x%x)", (unsigned)r);
    if (hdr.n_filled_len < e->frame_bytes) continue; /* EOS marker without a picture */
    if (place_recon(e, e->spare_recon, hdr.pts) != AG_OK) return ag_fail(AG_E_NOMEM, "out of memory");
    e->spare_recon = NULL;
  }
}

static int take_svt_packet(AgEncoder *e, EbBufferHeaderType *pk) {
  int rc = AG_OK;
  if (pk->flags & EB_BUFFERFLAG_EOS) e->eos_seen = 1;
  if (pk->n_filled_len > 0) {
    Packet *p = queue_push(e);
    if (!p || !(p->data = malloc(pk->n_filled_len))) {
      if (p) e->qlen--;
      rc = ag_fail(AG_E_NOMEM, "out of memory for a packet");
    } else {
      memcpy(p->data, pk->p_buffer, pk->n_filled_len);
      p->size = (int32_t)pk->n_filled_len;
      p->pts = pk->pts;
      p->pic_type = (int32_t)pk->pic_type;
      p->qp = (int32_t)pk->qp;
      p->flags = pk->flags;
      p->encode_ms = now_ms() - e->t_sent[(uint64_t)pk->pts % TIME_RING];
      if (ag_obu_parse_tu(&e->seq, p->data, (size_t)p->size, &p->qindex, &p->temporal_id) != 0) {
        p->qindex = -1;
        p->temporal_id = -1;
      }
      for (int i = 0; i < e->npending; i++)
        if (e->pending[i].pts == p->pts) {
          p->recon = e->pending[i].buf;
          e->pending[i] = e->pending[--e->npending];
          break;
        }
      for (int i = 0; i < e->nslots; i++)
        if (e->slots[i]->in_use && e->slots[i]->pts == p->pts) e->slots[i]->out = 1;
      roi_release_done(e);
    }
  }
  svt_av1_enc_release_out_buffer(&pk);
  return rc;
}

/* Collects packets. Low delay: exactly `expect` blocking reads (one per picture sent). Random access: poll
 * until SVT has nothing ready, or, when draining to the end, until the EOS packet (polling rather than a
 * blocking read so reconstructions can be taken in between: SVT stalls while its recon queue is full). */
static int collect(AgEncoder *e, int expect, int to_eos) {
  int rc = AG_OK;
  if (e->pred == PRED_LOW_DELAY) {
    for (int i = 0; (to_eos ? !e->eos_seen : i < expect); i++) {
      EbBufferHeaderType *pk = NULL;
      EbErrorType r = svt_av1_enc_get_packet(e->svt, &pk, (uint8_t)(to_eos ? 1 : 0));
      if (r == EB_NoErrorEmptyQueue || !pk) break;
      if (r != EB_ErrorNone) {
        svt_av1_enc_release_out_buffer(&pk);
        return ag_fail(AG_E_ENCODER, "SVT-AV1 failed to encode (0x%x)", (unsigned)r);
      }
      if ((rc = drain_recon(e)) != AG_OK) return rc;
      if ((rc = take_svt_packet(e, pk)) != AG_OK) return rc;
    }
    return drain_recon(e);
  }
  for (;;) {
    if ((rc = drain_recon(e)) != AG_OK) return rc;
    EbBufferHeaderType *pk = NULL;
    EbErrorType r = svt_av1_enc_get_packet(e->svt, &pk, (uint8_t)(to_eos && !e->recon_on ? 1 : 0));
    if (r == EB_NoErrorEmptyQueue || !pk) {
      if (!to_eos || e->eos_seen) break;
      struct timespec ts = {0, 100000}; /* 0.1 ms */
      nanosleep(&ts, NULL);
      continue;
    }
    if (r != EB_ErrorNone) {
      svt_av1_enc_release_out_buffer(&pk);
      return ag_fail(AG_E_ENCODER, "SVT-AV1 failed to encode (0x%x)", (unsigned)r);
    }
    if ((rc = drain_recon(e)) != AG_OK) return rc;
    if ((rc = take_svt_packet(e, pk)) != AG_OK) return rc;
    if (e->eos_seen) break;
  }
  return drain_recon(e);
}

/* ------------------------------------------------------------------ session */

/* SVT-AV1 keeps state in process-wide globals (Bun Workers share them too):
 * - svt_av1_enc_init() rewrites the run-time CPU dispatch tables and other statics, so two inits at once
 *   crash ("Pointer ... is set before!", then a null call): init and deinit are serialized here (all versions);
 * - up to 4.0 the block-geometry table (svt_aom_build_blk_geom) is rebuilt by every init for that encoder's
 *   preset (and, outside low delay, super-block size, which depends on resolution and qp). An encoder whose
 *   table was replaced under it hangs or crashes (measured on 2.3: preset 13 then 5 in one process hangs; 5
 *   then 13 segfaults). So encoders alive at the same time must share the inputs of that table: we refuse,
 *   with a clear error, an encoder whose key differs from the live ones'. 4.1 keeps the table per encoder:
 *   the key is then empty and any mix is allowed (README: SVT-AV1 versions). */
static pthread_mutex_t svt_global_lock = PTHREAD_MUTEX_INITIALIZER;
static int live_encoders;
static char live_geometry[96];

/* Ends the serialized init section: gives the calling thread its scheduling back (see ag_encoder_open) and
 * releases the lock. */
static void end_svt_init(int have_sched, int policy, const struct sched_param *sched) {
  if (have_sched) pthread_setschedparam(pthread_self(), policy, sched);
  pthread_mutex_unlock(&svt_global_lock);
}

/* The preset SVT-AV1 runs: set_param maps the ones above its top preset down ("Preset M%d is mapped to M%d",
 * a warning our log level hides): 11 in 2.3, 10 in 3.x, 11 in 4.x (12 only in its rtc mode, which we leave
 * off). Measured: presets 11-13 give one bitstream on 2.3.0 and 4.1.0 (12-13 = 11), and 10-13 on 3.0.2. */
static int svt_effective_preset(int preset) {
#if SVT_AV1_CHECK_VERSION(4, 0, 0)
  const int top = 11;
#elif SVT_AV1_CHECK_VERSION(3, 0, 0)
  const int top = 10;
#else
  const int top = 11;
#endif
  return preset > top ? top : preset;
}

static void geometry_key(const Params *p, char *out, size_t n) {
  if (!SVT_SHARED_GEOMETRY) {
    out[0] = '\0';
    return;
  }
  /* The table follows the preset SVT runs and the super-block size. SVT 2.3-4.0 use 64x64 super-blocks in low
   * delay and above preset 6 (enc_handle.c, set_param_based_on_input); below that the size also depends on the
   * resolution class and qp, so the key then names size and qp too (stricter than needed, never looser). */
  const int preset = svt_effective_preset(p->preset);
  if (p->pred == PRED_LOW_DELAY || preset > 6)
    snprintf(out, n, "preset %d", preset);
  else
    snprintf(out, n, "preset %d, random-access, %dx%d, rate control %d, qp %d", preset, p->width, p->height, p->rc, p->qp);
}

/* SVT logs through its own logger, level from SVT_LOG (0 fatal .. 4 debug), read when a handle is
 * created: keep errors only unless the user chose a level. Once per process (setenv is not thread-safe). */
static void quiet_svt_log(void) { setenv("SVT_LOG", ag_encoder_roi_switch_off() ? "0" : "1", 0); }

/* Reads the settings (AG_SVT_KEY_* in av1gym.h); every error names its key. */
static int32_t read_params(AgConfig *c, Params *p) {
  static const char *const rc_names[] = {"crf", "cqp", "vbr", "cbr", NULL};
  static const char *const pred_names[] = {"low-delay", "random-access", NULL};
  int32_t pred = 0, rc;
  ag_config_begin(c);
  if (!ag_config_has(c, AG_SVT_KEY_WIDTH) || !ag_config_has(c, AG_SVT_KEY_HEIGHT))
    return ag_fail(AG_E_INVALID, "the SVT-AV1 encoder needs the options %s and %s", AG_SVT_KEY_WIDTH, AG_SVT_KEY_HEIGHT);
  if ((rc = ag_config_int32(c, AG_SVT_KEY_WIDTH, 64, 16384, 0, &p->width)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_HEIGHT, 64, 8704, 0, &p->height)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_FPS_NUM, 1, INT32_MAX, 25, &p->fps_num)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_FPS_DEN, 1, INT32_MAX, 1, &p->fps_den)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_PRESET, -1, 13, 10, &p->preset)) ||
      (rc = ag_config_choice(c, AG_SVT_KEY_RC, rc_names, RC_CRF, &p->rc)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_QP, 1, 63, 35, &p->qp)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_BITRATE_KBPS, 1, 100000, 0, &p->bitrate_kbps)) ||
      (rc = ag_config_choice(c, AG_SVT_KEY_PRED, pred_names, 0, &pred)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_KEYINT, -2, INT32_MAX, -1, &p->keyint)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_THREADS, 0, 1024, 1, &p->threads)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_RECON, 0, 1, 0, &p->recon)) ||
      (rc = ag_config_int32(c, AG_SVT_KEY_BIT_DEPTH, 8, 10, 8, &p->bit_depth)) ||
      (rc = read_frame_level_params(c, p)) ||
      (rc = ag_config_end(c, "the SVT-AV1 encoder")))
    return rc;
  p->pred = pred == 0 ? PRED_LOW_DELAY : PRED_RANDOM_ACCESS;
  if (p->width % 2 || p->height % 2)
    return ag_fail(AG_E_INVALID, "SVT-AV1 needs an even width and height for 4:2:0 (got %dx%d)", p->width, p->height);
  if (p->bit_depth != 8 && p->bit_depth != 10) return ag_fail(AG_E_INVALID, "option %s is %d: SVT-AV1 takes 8 or 10", AG_SVT_KEY_BIT_DEPTH, p->bit_depth);
  if (p->keyint == 0) return ag_fail(AG_E_INVALID, "option %s 0 is not valid (use -1 for none)", AG_SVT_KEY_KEYINT);
  if ((p->frame_qp || p->layer_offsets_on) && p->rc != RC_CRF && p->rc != RC_CQP)
    return ag_fail(AG_E_INVALID, "options %s and the layer offsets need crf or cqp rate control", AG_SVT_KEY_FRAME_QP);
  if (p->frame_qp && p->layer_offsets_on)
    return ag_fail(AG_E_INVALID, "option %s and the layer offsets exclude each other (SVT-AV1 turns use_qp_file off with fixed offsets)", AG_SVT_KEY_FRAME_QP);
  if ((p->rc == RC_VBR || p->rc == RC_CBR) && p->bitrate_kbps == 0)
    return ag_fail(AG_E_INVALID, "rate control %s needs the option %s", rc_names[p->rc], AG_SVT_KEY_BITRATE_KBPS);
  return AG_OK;
}

AgEncoder *ag_encoder_open(AgConfig *config) {
  ag_clear_error();
  Params pp, *p = &pp;
  if (read_params(config, p) != AG_OK) return NULL;
  AgEncoder *e = calloc(1, sizeof *e);
  if (!e) {
    ag_fail(AG_E_NOMEM, "out of memory");
    return NULL;
  }
  e->w = p->width;
  e->h = p->height;
  e->cw = (e->w + 1) / 2;
  e->ch = (e->h + 1) / 2;
  e->cols = (e->w + SB - 1) / SB;
  e->rows = (e->h + SB - 1) / SB;
  e->depth = p->bit_depth;
  e->bps = e->depth > 8 ? 2 : 1;
  e->frame_bytes = ((size_t)e->w * e->h + 2 * (size_t)e->cw * e->ch) * (size_t)e->bps;
  e->pred = p->pred;
  e->recon_on = p->recon;
  e->frame_qp_on = p->frame_qp;
  e->frame_qp = -1;
  e->cfg_qp = p->qp;

  static pthread_once_t log_once = PTHREAD_ONCE_INIT;
  pthread_once(&log_once, quiet_svt_log);
  char key[sizeof live_geometry];
  geometry_key(p, key, sizeof key);
  pthread_mutex_lock(&svt_global_lock);
  if (live_encoders > 0 && strcmp(key, live_geometry) != 0) {
    ag_fail(AG_E_ENCODER,
            "SVT-AV1 keeps its block-partition tables in process-wide memory: an encoder with %s cannot run while "
            "%d encoder(s) with %s are open in this process (Bun Workers included); close them first, or use the same settings",
            key, live_encoders, live_geometry);
    pthread_mutex_unlock(&svt_global_lock);
    goto fail;
  }
  EbSvtAv1EncConfiguration cfg;
  memset(&cfg, 0, sizeof cfg);
  /* Run as root, svt_av1_enc_init_handle() switches the calling thread to SCHED_FIFO priority 99
   * (enc_switch_to_real_time) so that the threads svt_av1_enc_init() starts inherit it, as in SvtAv1EncApp.
   * SVT's own threads may keep that, but the calling thread is the user's JS thread (or Worker): left
   * real-time it could starve the rest of the machine. Its policy is restored once SVT's threads exist. */
  int policy;
  struct sched_param sched;
  int have_sched = pthread_getschedparam(pthread_self(), &policy, &sched) == 0;
  EbErrorType init_handle_rc = svt_init_handle(&e->svt, &cfg);
  if (init_handle_rc != EB_ErrorNone) {
    e->svt = NULL;
    ag_fail(AG_E_ENCODER, "svt_av1_enc_init_handle failed");
    end_svt_init(have_sched, policy, &sched);
    goto fail;
  }
  /* Counted from here: ag_encoder_close() (also on the failure paths below) uncounts it. */
  e->registered = 1;
  if (live_encoders++ == 0) snprintf(live_geometry, sizeof live_geometry, "%s", key);
  cfg.source_width = (uint32_t)e->w;
  cfg.source_height = (uint32_t)e->h;
  cfg.frame_rate_numerator = (uint32_t)p->fps_num;
  cfg.frame_rate_denominator = (uint32_t)p->fps_den;
  cfg.encoder_bit_depth = (uint32_t)e->depth;
  cfg.enc_mode = (int8_t)p->preset;
  cfg.pred_structure = e->pred;
  switch (p->rc) {
  case RC_CRF:
    cfg.rate_control_mode = SVT_AV1_RC_MODE_CQP_OR_CRF;
    svt_set_aq(&cfg, 2);
    cfg.qp = (uint32_t)p->qp;
    break;
  case RC_CQP:
    cfg.rate_control_mode = SVT_AV1_RC_MODE_CQP_OR_CRF;
    svt_set_aq(&cfg, 0);
    cfg.qp = (uint32_t)p->qp;
    break;
  case RC_VBR:
    cfg.rate_control_mode = SVT_AV1_RC_MODE_VBR;
    cfg.target_bit_rate = (uint32_t)p->bitrate_kbps * 1000u;
    break;
  default:
    cfg.rate_control_mode = SVT_AV1_RC_MODE_CBR;
    cfg.target_bit_rate = (uint32_t)p->bitrate_kbps * 1000u;
    break;
  }
  e->all_key = p->keyint == 1;
#if SVT_AV1_CHECK_VERSION(3, 1, 0)
  /* From 3.1 an intra period of 0 selects SVT's all-intra mode: presets above 9 run as 9, and key frames are
   * temporally filtered with future pictures, so a low-delay encode returns no packet for the first frames
   * (measured on 4.1.0). The forced key picture per frame (all_key) alone gives every frame a key frame. */
  cfg.intra_period_length = e->all_key ? -1 : p->keyint < 0 ? p->keyint : p->keyint - 1;
#else
  cfg.intra_period_length = p->keyint < 0 ? p->keyint : p->keyint - 1;
#endif
  cfg.level_of_parallelism = (uint32_t)p->threads;
  cfg.recon_enabled = e->recon_on != 0;
  /* With no event sent SVT encodes exactly as without ROI (only update_frame_event reads the flag). */
  cfg.enable_roi_map = 1;
  set_frame_level_qp(&cfg, p);
  EbErrorType r = svt_av1_enc_set_parameter(e->svt, &cfg);
  if (r != EB_ErrorNone) {
    ag_fail(AG_E_ENCODER, "SVT-AV1 rejected the configuration (0x%x); run with SVT_LOG=2 to see its reason", (unsigned)r);
    end_svt_init(have_sched, policy, &sched);
    goto fail;
  }
  r = svt_av1_enc_init(e->svt);
  end_svt_init(have_sched, policy, &sched);
  if (r != EB_ErrorNone) {
    ag_fail(AG_E_ENCODER, "svt_av1_enc_init failed (0x%x); run with SVT_LOG=2 to see why", (unsigned)r);
    goto fail;
  }
  e->an = ag_analyzer_new(e->w, e->h);
  if (!e->an) goto fail;
  return e;
fail: {
  /* keep the first error message through the teardown */
  int code = ag_last_error_code();
  char msg[512];
  snprintf(msg, sizeof msg, "%s", ag_last_error());
  ag_encoder_close(e);
  ag_fail(code, "%s", msg);
  return NULL;
}
}

int32_t ag_encoder_set_buffers(AgEncoder *e, float *analysis, int32_t analysis_len, int16_t *offsets, int32_t offsets_len) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  const int32_t n = e->cols * e->rows;
  if (!analysis || analysis_len < n * AG_AF_COUNT)
    return ag_fail(AG_E_INVALID, "analysis buffer holds %d floats, needs %d", analysis_len, n * AG_AF_COUNT);
  if (!offsets || offsets_len < n) return ag_fail(AG_E_INVALID, "offset buffer holds %d values, needs %d", offsets_len, n);
  e->analysis = analysis;
  e->offsets = offsets;
  return AG_OK;
}

int32_t ag_encoder_set_hook(AgEncoder *e, ag_delta_q_hook hook) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (hook && (!e->analysis || !e->offsets)) return ag_fail(AG_E_STATE, "set the buffers before the hook");
  e->hook = hook;
  return AG_OK;
}

int32_t ag_encoder_set_analysis(AgEncoder *e, int32_t on) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (on && !e->analysis) return ag_fail(AG_E_STATE, "set the buffers before enabling analysis");
  e->analysis_on = on != 0;
  return AG_OK;
}

int32_t ag_encoder_encode(AgEncoder *e, const void *y, int32_t sy, const void *u, int32_t su, const void *v, int32_t sv,
                      int32_t flags) {
  ag_clear_error();
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (e->broken) return ag_fail(AG_E_STATE, "the encoder failed earlier and cannot continue");
  if (e->eos_sent) return ag_fail(AG_E_STATE, "encode after flush: the stream has ended");
  if (!y || !u || !v) return ag_fail(AG_E_INVALID, "a plane pointer is null");
  if (sy < e->w || su < e->cw || sv < e->cw)
    return ag_fail(AG_E_INVALID, "strides %d/%d/%d are smaller than the plane widths %d/%d", sy, su, sv, e->w, e->cw);
  if (e->depth > 8) {
    int rc = ag_check_samples(y, sy, e->w, e->h, e->depth, "encode: plane y");
    if (!rc) rc = ag_check_samples(u, su, e->cw, e->ch, e->depth, "encode: plane u");
    if (!rc) rc = ag_check_samples(v, sv, e->cw, e->ch, e->depth, "encode: plane v");
    if (rc) return rc;
  }
  const int use_offsets = (flags & AG_ENC_OFFSETS) != 0;
  if ((use_offsets || e->hook) && !e->offsets) return ag_fail(AG_E_STATE, "offsets need the buffers set");

  /* Analysis of this frame against the previous one sent; the analyser's state advances only when the
   * picture is actually sent (below), so a failed hook leaves it as it was. */
  const int analyse = e->hook || e->analysis_on;
  if (analyse) {
    double t0 = now_ms();
    ag_analyzer_run(e->an, y, sy, e->depth, e->analysis);
    e->analysis_ms += now_ms() - t0;
    e->analysed++;
  }
  if (e->hook) {
    if (!use_offsets) memset(e->offsets, 0, sizeof *e->offsets * (size_t)(e->cols * e->rows));
    double t0 = now_ms();
    int32_t hr = e->hook((int32_t)e->next_pts);
    e->hook_ms += now_ms() - t0;
    e->hooked++;
    if (hr != 0) {
      ag_analyzer_undo(e->an);
      return ag_fail(AG_E_CALLBACK, "the delta-QP hook failed on frame %lld", (long long)e->next_pts);
    }
  }

  RoiSlot *slot = NULL;
  int switch_off = 0;
  if (use_offsets || e->hook || e->roi_started) {
    slot = roi_acquire(e);
    if (!slot) {
      if (analyse) ag_analyzer_undo(e->an);
      return ag_fail(AG_E_NOMEM, "out of memory for a ROI map");
    }
    int nonzero = 0;
    if (roi_build(e, (use_offsets || e->hook) ? e->offsets : NULL, slot, &nonzero) != AG_OK) {
      if (analyse) ag_analyzer_undo(e->an);
      return AG_E_INVALID;
    }
    if (!nonzero && !(flags & AG_ENC_KEEP_MAP)) {
      /* Nothing to say: before any map, encode exactly as without ROI; with a map in force, switch it off
       * where the build allows (else the zero map keeps segmentation on, as SVT has no other way back). */
      if (!e->roi_started) slot = NULL;
      else if (ag_encoder_roi_switch_off()) {
        slot = NULL;
        switch_off = 1;
      }
    }
  }

  EbSvtIOFormat io;
  memset(&io, 0, sizeof io);
  io.luma = (uint8_t *)y;
  io.cb = (uint8_t *)u;
  io.cr = (uint8_t *)v;
  io.y_stride = (uint32_t)sy;
  io.cb_stride = (uint32_t)su;
  io.cr_stride = (uint32_t)sv;
  svt_io_describe(&io, e->w, e->h, e->depth);
  EbBufferHeaderType hdr;
  memset(&hdr, 0, sizeof hdr);
  hdr.size = sizeof hdr;
  hdr.p_buffer = (uint8_t *)&io;
  hdr.n_filled_len = hdr.n_alloc_len = (uint32_t)e->frame_bytes;
  hdr.pts = e->next_pts;
  hdr.pic_type = (flags & AG_ENC_KEY) || e->all_key ? EB_AV1_KEY_PICTURE : EB_AV1_INVALID_PICTURE;
  /* With use_qp_file every picture must carry a valid qp: SVT indexes its qp-to-qindex table with it. */
  if (e->frame_qp_on) hdr.qp = (uint32_t)(e->frame_qp >= 0 ? e->frame_qp : e->cfg_qp);
  EbPrivDataNode node;
  if (slot) {
    slot->pts = e->next_pts;
    slot->evt.start_picture_number = (uint64_t)e->next_pts;
    slot->in_use = 1;
    slot->out = 0;
    node = (EbPrivDataNode){.node_type = ROI_MAP_EVENT, .data = &slot->evt, .size = sizeof(SvtAv1RoiMapEvt *), .next = NULL};
    hdr.p_app_private = &node;
  } else if (switch_off) {
    node = roi_switch_off_node();
    hdr.p_app_private = &node;
  }
  e->t_sent[(uint64_t)e->next_pts % TIME_RING] = now_ms();
  EbErrorType r = svt_av1_enc_send_picture(e->svt, &hdr);
  if (r != EB_ErrorNone) {
    e->broken = 1;
    return ag_fail(AG_E_ENCODER, "svt_av1_enc_send_picture failed (0x%x)", (unsigned)r);
  }
  if (slot) {
    e->roi_started = 1;
    e->last_sent = slot;
    roi_release_done(e);
  } else if (switch_off) {
    e->roi_started = 0; /* the map is off: the slot in force is freed once its picture is out */
    e->last_sent = NULL;
    roi_release_done(e);
  }
  e->frame_qp = -1;
  if (!analyse) ag_analyzer_push(e->an, y, sy, e->depth); /* the previous frame, should analysis start later */
  e->next_pts++;
  int rc = collect(e, 1, 0);
  if (rc != AG_OK) {
    e->broken = 1;
    return rc;
  }
  return e->qlen;
}

int32_t ag_encoder_flush(AgEncoder *e) {
  ag_clear_error();
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (e->broken) return ag_fail(AG_E_STATE, "the encoder failed earlier and cannot continue");
  if (e->eos_sent) return e->qlen;
  e->eos_sent = 1;
  if (e->next_pts == 0) {
    e->eos_seen = 1; /* nothing was sent: there is nothing to drain */
    return 0;
  }
  EbBufferHeaderType eos;
  memset(&eos, 0, sizeof eos);
  eos.flags = EB_BUFFERFLAG_EOS;
  eos.pic_type = EB_AV1_INVALID_PICTURE;
  if (svt_av1_enc_send_picture(e->svt, &eos) != EB_ErrorNone) {
    e->broken = 1;
    return ag_fail(AG_E_ENCODER, "SVT-AV1 refused the end of stream");
  }
  int rc = collect(e, 0, 1);
  if (rc != AG_OK) {
    e->broken = 1;
    return rc;
  }
  return e->qlen;
}

int32_t ag_encoder_next_packet(AgEncoder *e, double *info, int32_t info_len) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (!info || info_len < AG_PI_COUNT) return ag_fail(AG_E_INVALID, "packet info holds %d values, needs %d", info_len, AG_PI_COUNT);
  if (!e->qlen) return 0;
  const Packet *p = &e->q[e->qhead];
  info[AG_PI_SIZE] = p->size;
  info[AG_PI_PTS] = (double)p->pts;
  info[AG_PI_PIC_TYPE] = p->pic_type;
  info[AG_PI_QP] = p->qp;
  info[AG_PI_FLAGS] = p->flags;
  info[AG_PI_HAS_RECON] = p->recon ? 1 : 0;
  info[AG_PI_ENCODE_MS] = p->encode_ms;
  info[AG_PI_QINDEX] = p->qindex;
  info[AG_PI_TEMPORAL_ID] = p->temporal_id;
  return 1;
}

int32_t ag_encoder_take_packet(AgEncoder *e, uint8_t *dst, int32_t cap, void *ry, int32_t ry_bytes, void *ru,
                               int32_t ru_bytes, void *rv, int32_t rv_bytes) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (!e->qlen) return ag_fail(AG_E_STATE, "no packet queued");
  Packet *p = &e->q[e->qhead];
  if (!dst || cap < p->size) return ag_fail(AG_E_INVALID, "packet buffer holds %d bytes, needs %d", cap, p->size);
  const size_t ys = (size_t)e->w * e->h * (size_t)e->bps, cs = (size_t)e->cw * e->ch * (size_t)e->bps;
  if (ry && ru && rv && ((size_t)ry_bytes < ys || (size_t)ru_bytes < cs || (size_t)rv_bytes < cs))
    return ag_fail(AG_E_INVALID, "recon planes hold %d/%d/%d bytes, need %zu/%zu/%zu", ry_bytes, ru_bytes, rv_bytes, ys, cs, cs);
  memcpy(dst, p->data, (size_t)p->size);
  if (ry && ru && rv && p->recon) {
    memcpy(ry, p->recon, ys);
    memcpy(ru, p->recon + ys, cs);
    memcpy(rv, p->recon + ys + cs, cs); /* 10-bit: little-endian uint16 samples, as the caller's planes */
  }
  /* The reconstruction's buffer becomes the next one SVT writes into: a frame-sized malloc/free per picture
   * is an mmap/munmap with its page faults each time, once above glibc's mmap threshold (128 KiB). */
  if (p->recon && !e->spare_recon) {
    e->spare_recon = p->recon;
    p->recon = NULL;
  }
  free_packet(p);
  e->qhead++;
  e->qlen--;
  if (!e->qlen) e->qhead = 0;
  return AG_OK;
}

int32_t ag_encoder_timing(AgEncoder *e, double *out, int32_t out_len) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (!out || out_len < AG_ET_COUNT) return ag_fail(AG_E_INVALID, "timing holds %d values, needs %d", out_len, AG_ET_COUNT);
  out[AG_ET_ANALYSIS_MS] = e->analysis_ms;
  out[AG_ET_ANALYSED] = (double)e->analysed;
  out[AG_ET_HOOK_MS] = e->hook_ms;
  out[AG_ET_HOOK_CALLS] = (double)e->hooked;
  return AG_OK;
}

int32_t ag_encoder_stream_info(AgEncoder *e, int32_t *out, int32_t out_len) {
  if (!e) return ag_fail(AG_E_STATE, "encoder is closed");
  if (!out || out_len < AG_SI_COUNT) return ag_fail(AG_E_INVALID, "stream info holds %d values, needs %d", out_len, AG_SI_COUNT);
  const int32_t seen = e->seq.valid;
  out[AG_SI_PROFILE] = seen ? e->seq.profile : -1;
  out[AG_SI_LEVEL] = seen ? e->seq.level0 : -1;
  out[AG_SI_TIER] = seen ? e->seq.tier0 : -1;
  out[AG_SI_BIT_DEPTH] = e->depth;
  return AG_OK;
}

int32_t ag_encoder_frames_sent(AgEncoder *e) { return e ? (int32_t)e->next_pts : 0; }

void ag_encoder_close(AgEncoder *e) {
  if (!e) return;
  if (e->svt) {
    /* SVT's teardown expects a finished stream: end it and drop what comes out. */
    if (!e->broken && !e->eos_sent && e->next_pts > 0) ag_encoder_flush(e);
    pthread_mutex_lock(&svt_global_lock);
    svt_av1_enc_deinit(e->svt);
    svt_av1_enc_deinit_handle(e->svt);
    if (e->registered) live_encoders--;
    pthread_mutex_unlock(&svt_global_lock);
  }
  for (int i = 0; i < e->qlen; i++) free_packet(&e->q[e->qhead + i]);
  free(e->q);
  for (int i = 0; i < e->npending; i++) free(e->pending[i].buf);
  free(e->pending);
  free(e->spare_recon);
  for (int i = 0; i < e->nslots; i++) {
    free(e->slots[i]->map);
    free(e->slots[i]);
  }
  free(e->slots);
  ag_analyzer_free(e->an);
  free(e);
}
