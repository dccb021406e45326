/* Shared internals of the shim: never exported, never seen by the TypeScript side (the public API is
 * lib/include/av1gym.h). Metric internals are in lib/metrics/metric_internal.h. */
#ifndef AG_INTERNAL_H
#define AG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "av1gym.h"

/* ---- errors (lib/core/error.c) ---- */
/* Leaves code and message for ag_last_error*() on this thread; returns code. */
int32_t ag_fail(int32_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ag_clear_error(void);
/* AG_E_INVALID naming the sample when a plane of bpc 9..15 holds a value above 2^bpc - 1 (lib/core/samples.c). */
int32_t ag_check_samples(const void *plane, int32_t stride, int32_t w, int32_t h, int32_t bpc, const char *what);
/* libav's log level, set once per process (lib/core/avlog.c): quiet unless $AV1GYM_AV_LOG. */
void ag_av_log_init(void);
/* A per-thread capture of the warnings and errors libav logs during one call, so an error can say what
 * libavcodec/libavformat (or the encoder library) objected to. end returns "" if none; valid until the next
 * begin on this thread. */
void ag_avlog_capture_begin(void);
const char *ag_avlog_capture_end(void);

/* ---- config consumption (lib/core/config.c) ----
 * An open function calls ag_config_begin, reads its keys with the getters (a missing key gives the default;
 * a key of the wrong type or out of range is AG_E_INVALID naming the key), then ag_config_end, which fails
 * naming the first key nobody read. A NULL config reads as empty. */
void ag_config_begin(AgConfig *c);
int32_t ag_config_int(AgConfig *c, const char *key, int64_t lo, int64_t hi, int64_t def, int64_t *out);
int32_t ag_config_int32(AgConfig *c, const char *key, int32_t lo, int32_t hi, int32_t def, int32_t *out);
int32_t ag_config_double(AgConfig *c, const char *key, double lo, double hi, double def, double *out);
/* *out points into c (valid while c lives and the key is not set again), or is def. */
int32_t ag_config_str(AgConfig *c, const char *key, const char *def, const char **out);
/* A string key that must be one of the NULL-terminated names; *out = its index. */
int32_t ag_config_choice(AgConfig *c, const char *key, const char *const *names, int32_t def, int32_t *out);
int32_t ag_config_has(const AgConfig *c, const char *key);
int32_t ag_config_end(AgConfig *c, const char *consumer);
/* Iteration for consumers that forward settings (libavcodec AVOptions): entry i's key, type ('i', 's', 'd')
 * and value as text; marks it read. Returns 0 past the end. */
int32_t ag_config_entry(AgConfig *c, int32_t i, const char **key, char *type, char *text, size_t text_len);

/* ---- IVF (lib/io/ivf.c) has no internals ---- */

/* ---- analysis (lib/analysis/analysis.c): an analyser that keeps the previous frame's pyramid ---- */
typedef struct AgAnalyzer AgAnalyzer;
AgAnalyzer *ag_analyzer_new(int32_t width, int32_t height);
void ag_analyzer_free(AgAnalyzer *a);
void ag_analyzer_reset(AgAnalyzer *a);
void ag_analyzer_undo(AgAnalyzer *a); /* forget the last run */
void ag_analyzer_push(AgAnalyzer *a, const void *y, int32_t stride, int32_t bit_depth); /* keep as prev, no analysis */
int32_t ag_analyzer_run(AgAnalyzer *a, const void *y, int32_t stride, int32_t bit_depth, float *out); /* out may be NULL */

/* ---- OBU parsing (lib/codec/obu.c) ----
 * The sequence-header fields the frame-header parse needs (and the codec string), and a temporal-unit parse
 * giving the last coded frame's base_q_idx (-1 if none, -2 if the unit only shows an existing frame) and its
 * OBU temporal id (-1 without extension). */
typedef struct {
  int32_t valid, reduced, equal_picture_interval, decoder_model_info_present;
  int32_t profile, level0, tier0; /* seq_profile, seq_level_idx[0], seq_tier[0] */
  int32_t buffer_delay_length, buffer_removal_time_length, frame_presentation_time_length;
  int32_t op_count;
  uint32_t op_idc[32];
  uint8_t op_model[32];
  int32_t wbits, hbits, max_w, max_h;
  int32_t frame_id_numbers_present, delta_frame_id_length, frame_id_length;
  int32_t use_128, enable_order_hint, enable_ref_frame_mvs, order_hint_bits;
  int32_t force_sct, force_int_mv, enable_superres;
  /* color_config() and still_picture, for the codec string (lib/codec/codec_string.c) */
  int32_t still, bit_depth, mono, ssx, ssy, csp, color_described, cp, tc, mc, full_range;
} AgSeqHdr;
int32_t ag_obu_parse_tu(AgSeqHdr *seq, const uint8_t *data, size_t size, int32_t *base_q_idx, int32_t *temporal_id);

#endif
