/* av1gym shim: the flat C API that src/native/ffi.ts binds.
 * Conventions: opaque handles; functions return an int status (AG_OK = 0, negative = error code below)
 * or a pointer (NULL = error); on error a per-thread message is left for ag_last_error(). Buffers are passed
 * as pointers with explicit sizes and strides. Nothing here aborts or exits on bad input. */
#ifndef AV1GYM_H
#define AV1GYM_H

#include <stddef.h>
#include <stdint.h>

#define AG_API __attribute__((visibility("default")))

/* Error codes: mirrored by src/core/errors.ts. */
enum {
  AG_OK = 0,
  AG_E_INVALID = -1,     /* bad argument (size, range, shape, null) */
  AG_E_IO = -2,          /* file missing, unreadable, not a file */
  AG_E_FORMAT = -3,      /* corrupt, truncated or unsupported data */
  AG_E_RANGE = -4,       /* frame index or timestamp outside the file */
  AG_E_ENCODER = -5,     /* SVT-AV1 refused or failed */
  AG_E_NOMEM = -6,
  AG_E_CALLBACK = -7,    /* a user hook reported failure */
  AG_E_STATE = -8,       /* call not valid in this state (after flush, closed) */
  AG_E_EOF = -9,         /* no more frames (not an error for iteration) */
};

AG_API const char *ag_last_error(void);
AG_API int ag_last_error_code(void); /* the code of the last ag_fail() on this thread */
AG_API int ag_abi_version(void);

/* ---- encoder (lib/codec/svt.c, lib/analysis/analysis.c, lib/io/ivf.c) ---- */

/* IVF file writer (lib/io/ivf.c). */
typedef struct AgIvf AgIvf;
AG_API AgIvf *ag_ivf_open(const char *path, int32_t width, int32_t height, int32_t fps_num, int32_t fps_den);
AG_API int ag_ivf_write(AgIvf *w, const uint8_t *data, int32_t size, double pts);
AG_API int ag_ivf_close(AgIvf *w); /* frees w; NULL is fine */

/* Per-superblock analysis (lib/analysis/analysis.c): float[sbRows][sbCols][AG_ANALYSIS_FEATURES]. */
enum {
  AG_AF_MEAN_LUMA = 0,      /* mean luma, 0..255 */
  AG_AF_LUMA_VARIANCE = 1,  /* luma variance, (8-bit units)^2 */
  AG_AF_TEMPORAL_MAD = 2,   /* mean |cur - prev| at the same position */
  AG_AF_MV_X = 3,           /* content displacement since prev, pixels */
  AG_AF_MV_Y = 4,
  AG_AF_MC_MAD = 5,         /* mean |cur - prev| after motion compensation */
  AG_AF_GRADIENT = 6,       /* mean of |dI/dx| + |dI/dy| (forward differences) */
  AG_ANALYSIS_FEATURES = 7,
};
AG_API int32_t ag_analysis_features(void);
/* Planes are uint8_t for bit_depth 8, uint16_t above (strides in samples); features in 8-bit units. */
AG_API int ag_analyze_frame(const void *cur, int32_t cur_stride, const void *prev, int32_t prev_stride,
                            int32_t width, int32_t height, int32_t bit_depth, float *out, int32_t out_len);
/* planes_out[3] = Y/U/V SSE; sb_out (optional) = luma SSE per 64x64 superblock, row-major. */
AG_API int ag_frame_sse(const void *ay, int32_t a_sy, const void *au, int32_t a_su, const void *av,
                        int32_t a_sv, const void *by, int32_t b_sy, const void *bu, int32_t b_su,
                        const void *bv, int32_t b_sv, int32_t width, int32_t height, int32_t bit_depth,
                        double *planes_out, double *sb_out, int32_t sb_len);

/* Internal: an analyser that keeps the previous frame's pyramid (used by the encoder). */
typedef struct AgAnalyzer AgAnalyzer;
AgAnalyzer *ag_analyzer_new(int32_t width, int32_t height);
void ag_analyzer_free(AgAnalyzer *a);
void ag_analyzer_reset(AgAnalyzer *a);
void ag_analyzer_undo(AgAnalyzer *a); /* forget the last run */
void ag_analyzer_push(AgAnalyzer *a, const void *y, int32_t stride, int32_t bit_depth); /* keep as prev, no analysis */
int ag_analyzer_run(AgAnalyzer *a, const void *y, int32_t stride, int32_t bit_depth, float *out); /* out may be NULL */

/* Internal (lib/codec/obu.c): the sequence-header fields the frame-header parse needs, and a temporal-unit parse
 * giving the last coded frame's base_q_idx (-1 if none, -2 if the unit only shows an existing frame) and its
 * OBU temporal id (-1 without extension). */
typedef struct {
  int valid, reduced, equal_picture_interval, decoder_model_info_present;
  int buffer_delay_length, buffer_removal_time_length, frame_presentation_time_length;
  int op_count;
  uint32_t op_idc[32];
  uint8_t op_model[32];
  int wbits, hbits, max_w, max_h;
  int frame_id_numbers_present, delta_frame_id_length, frame_id_length;
  int use_128, enable_order_hint, enable_ref_frame_mvs, order_hint_bits;
  int force_sct, force_int_mv, enable_superres;
} AgSeqHdr;
int ag_obu_parse_tu(AgSeqHdr *seq, const uint8_t *data, size_t size, int *base_q_idx, int *temporal_id);

/* One SVT-AV1 encoder session (lib/codec/svt.c). Parameters are an int32 array indexed by AG_EP_*. */
enum {
  AG_EP_WIDTH = 0,
  AG_EP_HEIGHT,
  AG_EP_FPS_NUM,
  AG_EP_FPS_DEN,
  AG_EP_PRESET,
  AG_EP_RC_MODE,      /* 0 crf, 1 cqp, 2 vbr, 3 cbr */
  AG_EP_QP,           /* crf or qp, 1..63 */
  AG_EP_BITRATE_KBPS, /* vbr / cbr */
  AG_EP_PRED,         /* 1 low delay, 2 random access */
  AG_EP_KEYINT,       /* -2 auto, -1 none, N >= 1 a key frame every N frames */
  AG_EP_THREADS,      /* level_of_parallelism; 0 = SVT's choice */
  AG_EP_RECON,        /* 1: reconstructed frames on request */
  AG_EP_BIT_DEPTH,    /* 8 or 10 (10: planes are uint16_t, strides in samples) */
  AG_EP_COUNT,
};
/* Packet info (double[AG_PI_COUNT]) filled by ag_encoder_next_packet. */
enum {
  AG_PI_SIZE = 0,
  AG_PI_PTS,
  AG_PI_PIC_TYPE,  /* EbAv1PictureType */
  AG_PI_QP,        /* SVT's picture qp 0..63 */
  AG_PI_FLAGS,
  AG_PI_HAS_RECON, /* 1 when ag_encoder_take_packet can copy a reconstruction */
  AG_PI_ENCODE_MS, /* wall time from send to this packet's arrival, ms */
  AG_PI_QINDEX,    /* base_q_idx of the last coded frame in the packet, from its frame header; -1 if none,
                      -2 when the packet only shows an existing frame */
  AG_PI_TEMPORAL_ID, /* OBU temporal id, -1 when the stream has no OBU extension headers */
  AG_PI_COUNT,
};
typedef struct AgEncoder AgEncoder;
/* Returns 0 on success; anything else = failure (the frame is not sent). */
typedef int32_t (*ag_delta_q_hook)(int32_t frame_index);
AG_API AgEncoder *ag_encoder_open(const int32_t *params, int32_t nparams, const char *ivf_path /* NULL: none */);
/* Buffers owned by the caller, kept until close: analysis float[sbRows*sbCols*F], offsets int16[sbRows*sbCols]. */
AG_API int ag_encoder_set_buffers(AgEncoder *e, float *analysis, int32_t analysis_len, int16_t *offsets,
                                  int32_t offsets_len);
AG_API int ag_encoder_set_hook(AgEncoder *e, ag_delta_q_hook hook); /* NULL removes it */
AG_API int ag_encoder_set_analysis(AgEncoder *e, int32_t on);        /* analyse every frame even without hook */
/* flags: AG_ENC_OFFSETS (use the offsets buffer as written by the caller), AG_ENC_KEY (force a key frame).
 * Returns the number of packets now queued. */
enum { AG_ENC_OFFSETS = 1, AG_ENC_KEY = 2 };
AG_API int ag_encoder_encode(AgEncoder *e, const void *y, int32_t sy, const void *u, int32_t su, const void *v,
                             int32_t sv, int32_t flags);
AG_API int ag_encoder_flush(AgEncoder *e); /* end of stream; returns the number of packets now queued */
AG_API int ag_encoder_next_packet(AgEncoder *e, double *info); /* 1 = info filled, 0 = queue empty */
/* Copies the head packet's bytes (dst holds info[SIZE]) and, when recon planes are given, its
 * reconstruction (tight planes w*h, cw*ch, cw*ch); then drops it. */
AG_API int ag_encoder_take_packet(AgEncoder *e, uint8_t *dst, int32_t cap, void *ry, void *ru, void *rv);
AG_API int32_t ag_encoder_frames_sent(AgEncoder *e);
/* out[4]: total ms in analysis, frames analysed, total ms in the hook (JS included), hook calls. */
AG_API int ag_encoder_timing(AgEncoder *e, double *out);
AG_API void ag_encoder_close(AgEncoder *e);
/* The SVT-AV1 version the shim was built against: major * 10000 + minor * 100 + patch (2.3, 3.x or 4.x). */
AG_API int32_t ag_svt_version(void);
/* ---- end encoder ---- */

/* ---- reader (lib/io/reader.c) ---- */
typedef struct ag_reader ag_reader;
/* Opens a video file (anything libavformat opens) or, with force_raw, a raw planar file of raw_width x
 * raw_height in raw_pixfmt (an FFmpeg pixel format name). fps_num/fps_den: 0/0 = the file's (raw: 25).
 * out_kind: 0 = planar 4:2:0, 1 = packed RGB24; bit_depth: 0 = the source's, 8 = convert to 8-bit. */
AG_API ag_reader *ag_reader_open(const char *path, int raw_width, int raw_height, const char *raw_pixfmt, int fps_num,
                                 int fps_den, int threads, int out_kind, int bit_depth, int force_raw);
AG_API void ag_reader_close(ag_reader *r);
AG_API int ag_reader_info(const ag_reader *r, int64_t *out, int n);
AG_API double ag_reader_duration(const ag_reader *r);
AG_API const char *ag_reader_codec(const ag_reader *r);
AG_API const char *ag_reader_pixfmt(const ag_reader *r);
AG_API int ag_reader_timestamps(const ag_reader *r, int64_t *pts, uint8_t *key, int64_t n);
AG_API int ag_reader_read(ag_reader *r, int64_t idx, uint8_t *p0, int64_t len0, int stride0, uint8_t *p1, int64_t len1,
                          int stride1, uint8_t *p2, int64_t len2, int stride2);
/* ---- end reader ---- */

/* ---- metrics (lib/metrics/) ----
 * Planes are passed as pointers with strides in samples; 8-bit planes are uint8, deeper ones uint16. */
AG_API void ag_metrics_set_simd(int on); /* 0 forces the portable C kernels (results are identical) */
AG_API int ag_metrics_simd(void);        /* 1 when the AVX2 kernels are in use */
/* out[4]: PSNR of Y, Cb, Cr and of all samples pooled (dB, capped at 6*bpc+12 as libvmaf). */
AG_API int ag_psnr(const void *ry, int rys, const void *ru, int rus, const void *rv, int rvs, const void *dy, int dys,
                   const void *du, int dus, const void *dv, int dvs, int w, int h, int bpc, double *out);
/* Luma SSIM / MS-SSIM as libvmaf's float_ssim / float_ms_ssim; NaN when the frame is too small. */
AG_API int ag_ssim(const void *ref, int rs, const void *dis, int ds, int w, int h, int bpc, double *out);
AG_API int ag_ms_ssim(const void *ref, int rs, const void *dis, int ds, int w, int h, int bpc, double *out);

typedef struct AgVmaf AgVmaf;
#define AG_VMAF_NOUT 20 /* adm2, adm_scale0..3, vif_scale0..3, motion, then the 9 egl=1 values (NEG) + 1 spare */
#define AG_VMAF_NEG 1   /* flag: also compute the gain-limit-1 features (vmaf_v0.6.1neg) */
#define AG_VMAF_RESET 2 /* flag: forget the previous reference (motion = 0 for this frame) */
AG_API AgVmaf *ag_vmaf_new(int w, int h, int bpc, int threads);
AG_API void ag_vmaf_free(AgVmaf *v);
/* Features of one frame pair (luma only). out[AG_VMAF_NOUT]: [0] adm2 [1..4] adm_scale0..3 [5..8]
 * vif_scale0..3 [9] motion vs the previous call's reference (0 on the first frame) [10..14] adm2 and
 * adm scales with egl 1 [15..18] vif scales with egl 1. */
AG_API int ag_vmaf_features(AgVmaf *v, const void *ref, int rs, const void *dis, int ds, int flags, double *out);
/* Sets the previous reference (for motion) without computing anything. */
AG_API int ag_vmaf_set_prev(AgVmaf *v, const void *ref, int rs);

typedef struct AgVmafModel AgVmafModel;
#define AG_VMAF_MODEL_NFEAT 6 /* adm2, motion2, vif_scale0..3 */
/* sv: n_sv x 6 (dense, missing libsvm indices as 0); slopes/intercepts: 7 (output first). */
AG_API AgVmafModel *ag_vmaf_model_new(int n_sv, const double *sv, const double *coef, double gamma, double rho,
                                      const double *slopes, const double *intercepts, double clip_lo, double clip_hi);
AG_API void ag_vmaf_model_free(AgVmafModel *m);
AG_API double ag_vmaf_model_predict(const AgVmafModel *m, const double *features);
/* ---- end metrics ---- */

/* ---- env (lib/core/threads.c) ---- */
/* Pins the calling thread to one CPU (threads it starts later inherit it); undo with ag_env_unpin_thread. */
AG_API int ag_env_pin_thread(int32_t cpu);
AG_API int ag_env_unpin_thread(void);
/* CPUs this process may run on (its affinity mask). */
AG_API int32_t ag_env_cpu_count(void);
/* ---- end env ---- */

/* Internal helpers (not exported). */
int ag_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ag_clear_error(void);

#endif
