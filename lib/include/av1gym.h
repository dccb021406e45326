/* av1gym shim: the public C API (exported ag_* functions, enums, the ABI version). Nothing else lives here:
 * shared internals are in lib/internal.h. This header is the one source of truth for the TypeScript side:
 * scripts/gen-abi.ts reads it and writes src/native/abi.ts (every AG_* enum value and #define below), and
 * test/native/abi.test.ts fails when that file is stale.
 *
 * Conventions: opaque handles; functions return an int32_t status (AG_OK = 0, negative = an AG_E_* code) or
 * a pointer (NULL = error); on error a per-thread message is left for ag_last_error(). Every buffer is passed
 * with its length (in elements of its type unless the name says bytes). Integers are int32_t (int64_t where a
 * count or timestamp needs it). Nothing here aborts or exits on bad input. */
#ifndef AV1GYM_H
#define AV1GYM_H

#include <stddef.h>
#include <stdint.h>

#define AG_API __attribute__((visibility("default")))

/* Bumped whenever an exported signature, enum value, array layout or option key changes. The TypeScript side
 * refuses a library with another value, so a stale build gives a "rebuild" message instead of undefined
 * behaviour. 2: config handles, lengths on every output array, int32_t throughout, encoders write no files.
 * 3: frame-level qp keys, ag_encoder_set_frame_qp, AG_ENC_KEEP_MAP, ag_encoder_roi_switch_off. */
#define AG_ABI_VERSION 3

/* Status codes (src/core/errors.ts maps each to its error class). */
enum {
  AG_OK = 0,
  AG_E_INVALID = -1,  /* bad argument (size, range, shape, null, unknown option key) */
  AG_E_IO = -2,       /* file missing, unreadable, not a file, not writable */
  AG_E_FORMAT = -3,   /* corrupt, truncated or unsupported data */
  AG_E_RANGE = -4,    /* frame index or timestamp outside the file */
  AG_E_ENCODER = -5,  /* the encoder refused or failed */
  AG_E_NOMEM = -6,
  AG_E_CALLBACK = -7, /* a user hook reported failure */
  AG_E_STATE = -8,    /* call not valid in this state (after flush, closed) */
  AG_E_EOF = -9,      /* no more data (not an error for iteration) */
};

AG_API const char *ag_last_error(void);
AG_API int32_t ag_last_error_code(void); /* the code of the last failure on this thread */
AG_API int32_t ag_abi_version(void);     /* AG_ABI_VERSION of the built library */

/* ---- files (lib/core/file.c) ----
 * Reading regular files for the TypeScript side (which then needs no node:fs on its scoring path). */
typedef struct AgFile AgFile;
AG_API AgFile *ag_file_open(const char *path); /* regular files only (AG_E_IO otherwise, message says why) */
AG_API int64_t ag_file_size(const AgFile *f);  /* bytes, as when opened */
/* Reads len bytes at offset into buf; returns the bytes read (fewer only at the end of the file). */
AG_API int64_t ag_file_read(AgFile *f, void *buf, int64_t len, int64_t offset);
AG_API void ag_file_close(AgFile *f); /* NULL is fine */
/* A build's staleness: 1 and the path (relative to lib_dir) in out[out_len] of the first .c/.h file below the
 * ':'-separated entries of rels (folders or files relative to lib_dir; "." is all of it but build/) modified
 * after built_ms (ms since the epoch); 0 when none is. */
AG_API int32_t ag_newer_source(const char *lib_dir, const char *rels, double built_ms, char *out, int32_t out_len);
/* ---- end files ---- */

/* ---- config (lib/core/config.c) ----
 * Open-time settings by name: a bag of key -> int / string / double values handed to an open function
 * (ag_encoder_open, ag_reader_open). The consumer reads the keys it knows (checking type and range, errors
 * name the key) and fails with AG_E_INVALID naming the first key it does not know. The keys of each consumer
 * are the AG_*_KEY_* strings below; a consumer that forwards settings (libavcodec's AVOptions) may take keys
 * it does not list. A config may be reused and must outlive only the open call. */
typedef struct AgConfig AgConfig;
AG_API AgConfig *ag_config_new(void);
AG_API void ag_config_free(AgConfig *c); /* NULL is fine */
/* Setting a key again replaces its value (and type). Keys are 1..63 bytes; strings up to 4095 bytes. */
AG_API int32_t ag_config_set_int(AgConfig *c, const char *key, int64_t value);
AG_API int32_t ag_config_set_str(AgConfig *c, const char *key, const char *value);
AG_API int32_t ag_config_set_double(AgConfig *c, const char *key, double value);
/* ---- end config ---- */

/* ---- IVF writer (lib/io/ivf.c) ---- */
typedef struct AgIvf AgIvf;
/* Time base num/den: timestamps passed to ag_ivf_write count units of num/den seconds. */
AG_API AgIvf *ag_ivf_open(const char *path, int32_t width, int32_t height, int32_t tb_num, int32_t tb_den);
AG_API int32_t ag_ivf_write(AgIvf *w, const uint8_t *data, int32_t size, int64_t pts);
AG_API int32_t ag_ivf_close(AgIvf *w); /* writes the frame count, closes and frees w; NULL is fine */
/* ---- end IVF writer ---- */

/* ---- analysis (lib/analysis/analysis.c) ---- */
/* Per-superblock analysis: float[sbRows][sbCols][AG_AF_COUNT]. */
enum {
  AG_AF_MEAN_LUMA = 0,     /* mean luma, 0..255 */
  AG_AF_LUMA_VARIANCE = 1, /* luma variance, (8-bit units)^2 */
  AG_AF_TEMPORAL_MAD = 2,  /* mean |cur - prev| at the same position */
  AG_AF_MV_X = 3,          /* content displacement since prev, pixels */
  AG_AF_MV_Y = 4,
  AG_AF_MC_MAD = 5,  /* mean |cur - prev| after motion compensation */
  AG_AF_GRADIENT = 6, /* mean of |dI/dx| + |dI/dy| (forward differences) */
  AG_AF_COUNT = 7,
};
/* Planes are uint8_t for bit_depth 8, uint16_t above (strides in samples); features in 8-bit units. */
AG_API int32_t ag_analyze_frame(const void *cur, int32_t cur_stride, const void *prev, int32_t prev_stride,
                                int32_t width, int32_t height, int32_t bit_depth, float *out, int32_t out_len);
/* planes_out[planes_len >= 3] = Y/U/V SSE; sb_out (optional) = luma SSE per 64x64 superblock, row-major. */
AG_API int32_t ag_frame_sse(const void *ay, int32_t a_sy, const void *au, int32_t a_su, const void *av,
                            int32_t a_sv, const void *by, int32_t b_sy, const void *bu, int32_t b_su,
                            const void *bv, int32_t b_sv, int32_t width, int32_t height, int32_t bit_depth,
                            double *planes_out, int32_t planes_len, double *sb_out, int32_t sb_len);
/* ---- end analysis ---- */

/* ---- SVT-AV1 encoder (lib/codec/svt.c) ---- */
/* Open-time keys (ag_config_set_*). width and height are required; the rest have the defaults shown. */
#define AG_SVT_KEY_WIDTH "width"               /* int 64..16384, even */
#define AG_SVT_KEY_HEIGHT "height"             /* int 64..8704, even */
#define AG_SVT_KEY_FPS_NUM "fps_num"           /* int >= 1 (25) */
#define AG_SVT_KEY_FPS_DEN "fps_den"           /* int >= 1 (1) */
#define AG_SVT_KEY_PRESET "preset"             /* int -1..13 (10) */
#define AG_SVT_KEY_RC "rc"                     /* str "crf" (default), "cqp", "vbr", "cbr" */
#define AG_SVT_KEY_QP "qp"                     /* int 1..63: crf or cqp (35) */
#define AG_SVT_KEY_BITRATE_KBPS "bitrate_kbps" /* int 1..100000: vbr / cbr */
#define AG_SVT_KEY_PRED "pred"                 /* str "low-delay" (default), "random-access" */
#define AG_SVT_KEY_KEYINT "keyint"             /* int: -2 auto, -1 none (default), N >= 1 a key frame every N */
#define AG_SVT_KEY_THREADS "threads"           /* int 0..1024: level_of_parallelism, 0 = SVT's choice (1) */
#define AG_SVT_KEY_RECON "recon"               /* int 0/1: reconstructed frames with the packets (0) */
#define AG_SVT_KEY_BIT_DEPTH "bit_depth"       /* int 8 or 10 (8); 10: planes are uint16_t, strides in samples */
/* Frame-level qp, crf/cqp only: a qp per picture from ag_encoder_set_frame_qp (SVT-AV1's use_qp_file), or fixed
 * qindex offsets per temporal layer added to the default's own base qindex (any of the offset keys turns them
 * on; all zero = the default). The two exclude each other. */
#define AG_SVT_KEY_FRAME_QP "frame_qp"             /* int 0/1 (0) */
#define AG_SVT_KEY_LAYER_OFFSET_0 "layer_offset_0" /* int -255..255 (0): temporal layer 0 (the base layer) */
#define AG_SVT_KEY_LAYER_OFFSET_1 "layer_offset_1"
#define AG_SVT_KEY_LAYER_OFFSET_2 "layer_offset_2"
#define AG_SVT_KEY_LAYER_OFFSET_3 "layer_offset_3"
#define AG_SVT_KEY_LAYER_OFFSET_4 "layer_offset_4"
#define AG_SVT_KEY_LAYER_OFFSET_5 "layer_offset_5"
#define AG_SVT_KEY_KEY_OFFSET "key_offset"         /* int -255..255 (0): key frames */

/* Packet info (double[AG_PI_COUNT]) filled by ag_encoder_next_packet. */
enum {
  AG_PI_SIZE = 0,
  AG_PI_PTS = 1,      /* index of the shown frame in input order (one temporal unit per shown frame) */
  AG_PI_PIC_TYPE = 2, /* EbAv1PictureType */
  AG_PI_QP = 3,       /* SVT's picture qp 0..63 */
  AG_PI_FLAGS = 4,
  AG_PI_HAS_RECON = 5, /* 1 when ag_encoder_take_packet can copy a reconstruction */
  AG_PI_ENCODE_MS = 6, /* wall time from send to this packet's arrival, ms */
  AG_PI_QINDEX = 7,    /* base_q_idx of the last coded frame in the packet, from its frame header; -1 if none,
                          -2 when the packet only shows an existing frame */
  AG_PI_TEMPORAL_ID = 8, /* OBU temporal id, -1 when the stream has no OBU extension headers */
  AG_PI_COUNT = 9,
};
/* Stream info (int32_t[AG_SI_COUNT]) from the sequence header, filled by ag_encoder_stream_info once the
 * first packet is out (-1 before). */
enum {
  AG_SI_PROFILE = 0, /* seq_profile */
  AG_SI_LEVEL = 1,   /* seq_level_idx of operating point 0 */
  AG_SI_TIER = 2,    /* seq_tier of operating point 0 */
  AG_SI_BIT_DEPTH = 3,
  AG_SI_COUNT = 4,
};
/* Timing (double[AG_ET_COUNT]) from ag_encoder_timing. */
enum {
  AG_ET_ANALYSIS_MS = 0, /* total ms in the per-superblock analysis */
  AG_ET_ANALYSED = 1,    /* frames analysed */
  AG_ET_HOOK_MS = 2,     /* total ms in the delta-QP hook (the JS call included) */
  AG_ET_HOOK_CALLS = 3,
  AG_ET_COUNT = 4,
};
/* ag_encoder_encode flags: AG_ENC_OFFSETS (use the offsets buffer as written by the caller), AG_ENC_KEY
 * (force a key frame), AG_ENC_KEEP_MAP (send the offsets as a ROI map even when all are zero: SVT-AV1's
 * segmentation then stays on, the "ROI tax"; without it an all-zero frame switches a map in force off where
 * ag_encoder_roi_switch_off() says the build allows). */
enum { AG_ENC_OFFSETS = 1, AG_ENC_KEY = 2, AG_ENC_KEEP_MAP = 4 };

typedef struct AgEncoder AgEncoder;
/* Returns 0 on success; anything else = failure (the frame is not sent). */
typedef int32_t (*ag_delta_q_hook)(int32_t frame_index);
AG_API AgEncoder *ag_encoder_open(AgConfig *config);
/* Buffers owned by the caller, kept until close: analysis float[sbRows*sbCols*AG_AF_COUNT], offsets
 * int16[sbRows*sbCols]. */
AG_API int32_t ag_encoder_set_buffers(AgEncoder *e, float *analysis, int32_t analysis_len, int16_t *offsets,
                                      int32_t offsets_len);
AG_API int32_t ag_encoder_set_hook(AgEncoder *e, ag_delta_q_hook hook); /* NULL removes it */
AG_API int32_t ag_encoder_set_analysis(AgEncoder *e, int32_t on);      /* analyse every frame even without hook */
/* Returns the number of packets now queued. */
AG_API int32_t ag_encoder_encode(AgEncoder *e, const void *y, int32_t sy, const void *u, int32_t su, const void *v,
                                 int32_t sv, int32_t flags);
AG_API int32_t ag_encoder_flush(AgEncoder *e); /* end of stream; returns the number of packets now queued */
AG_API int32_t ag_encoder_next_packet(AgEncoder *e, double *info, int32_t info_len); /* 1 = filled, 0 = none */
/* Copies the head packet's bytes (dst holds info[AG_PI_SIZE]) and, when recon planes are given, its
 * reconstruction (tight planes w*h, cw*ch, cw*ch samples; lengths in bytes); then drops it. */
AG_API int32_t ag_encoder_take_packet(AgEncoder *e, uint8_t *dst, int32_t cap, void *ry, int32_t ry_bytes, void *ru,
                                      int32_t ru_bytes, void *rv, int32_t rv_bytes);
AG_API int32_t ag_encoder_stream_info(AgEncoder *e, int32_t *out, int32_t out_len);
AG_API int32_t ag_encoder_frames_sent(AgEncoder *e);
/* The next picture's qp (1..63; base_q_idx = SVT's qp-to-qindex table, 4*qp below 63) for an encoder opened with
 * AG_SVT_KEY_FRAME_QP; -1: the configured qp. */
AG_API int32_t ag_encoder_set_frame_qp(AgEncoder *e, int32_t qp);
/* 1 when an all-zero frame can switch a ROI map in force off (see lib/codec/svt.c), else 0. */
AG_API int32_t ag_encoder_roi_switch_off(void);
AG_API int32_t ag_encoder_timing(AgEncoder *e, double *out, int32_t out_len);
AG_API void ag_encoder_close(AgEncoder *e); /* ends the stream, drops what is queued, frees e; NULL is fine */
/* The SVT-AV1 version the shim was built against: major * 10000 + minor * 100 + patch (2.3, 3.x or 4.x). */
AG_API int32_t ag_svt_version(void);
/* ---- end SVT-AV1 encoder ---- */

/* ---- decoder (lib/codec/decoder.c): packets in, planar 4:2:0 out ---- */
typedef struct AgDecoder AgDecoder;
/* codec: libavcodec's codec name ("h264", "hevc", "vp9", "av1"...); bit_depth 8 gives uint8 planes, 10/12
 * uint16 planes with the decoded values. */
AG_API AgDecoder *ag_decoder_open(const char *codec, const uint8_t *extradata, int32_t extradata_len,
                                  int32_t width, int32_t height, int32_t bit_depth, int32_t threads);
/* size 0 ends the stream (drain). */
AG_API int32_t ag_decoder_send(AgDecoder *d, const uint8_t *data, int32_t size, int64_t pts);
/* AG_OK: a frame was written and *pts_out set; AG_E_EOF: none ready. Strides and lengths in bytes. */
AG_API int32_t ag_decoder_receive(AgDecoder *d, uint8_t *y, int32_t sy, int64_t ylen, uint8_t *u, int32_t su,
                                  int64_t ulen, uint8_t *v, int32_t sv, int64_t vlen, int64_t *pts_out);
AG_API void ag_decoder_close(AgDecoder *d);
/* ---- end decoder ---- */

/* ---- reader (lib/io/reader.c) ---- */
/* Open-time keys; all optional. */
#define AG_READER_KEY_RAW "raw"                   /* int 0/1: a raw planar file whatever its extension (0) */
#define AG_READER_KEY_WIDTH "width"               /* int: raw only, required there */
#define AG_READER_KEY_HEIGHT "height"             /* int: raw only, required there */
#define AG_READER_KEY_PIXEL_FORMAT "pixel_format" /* str: raw only, an FFmpeg pixel format name ("yuv420p") */
#define AG_READER_KEY_FPS_NUM "fps_num"           /* int: frame rate override (raw: 25/1); both or neither */
#define AG_READER_KEY_FPS_DEN "fps_den"
#define AG_READER_KEY_THREADS "threads"     /* int 1..64: decoder threads (1) */
#define AG_READER_KEY_OUTPUT "output"       /* str "yuv420p" (default: planar 4:2:0) or "rgb24" (packed) */
#define AG_READER_KEY_BIT_DEPTH "bit_depth" /* int 0 = the source's (default), 8 = convert to 8-bit */

/* Integer metadata (int64_t[AG_RI_COUNT]) from ag_reader_info. */
enum {
  AG_RI_WIDTH = 0,
  AG_RI_HEIGHT = 1,
  AG_RI_FPS_NUM = 2,
  AG_RI_FPS_DEN = 3,
  AG_RI_FRAMES = 4,
  AG_RI_TB_NUM = 5, /* time base of the timestamps */
  AG_RI_TB_DEN = 6,
  AG_RI_OUT_DEPTH = 7, /* bit depth of the planes read */
  AG_RI_SRC_DEPTH = 8,
  AG_RI_COUNTING = 9, /* 1 when the file has no usable timestamps (frames are counted) */
  AG_RI_COUNT = 10,
};
typedef struct ag_reader ag_reader;
/* Opens a video file (anything libavformat opens) or a raw planar file; config may be NULL (defaults). */
AG_API ag_reader *ag_reader_open(const char *path, AgConfig *config);
AG_API void ag_reader_close(ag_reader *r);
AG_API int32_t ag_reader_info(const ag_reader *r, int64_t *out, int32_t out_len);
AG_API double ag_reader_duration(const ag_reader *r);
AG_API const char *ag_reader_codec(const ag_reader *r);
AG_API const char *ag_reader_pixfmt(const ag_reader *r);
/* Per-frame pts (in the time base of ag_reader_info) and key flags; n must be the frame count. */
AG_API int32_t ag_reader_timestamps(const ag_reader *r, int64_t *pts, uint8_t *key, int64_t n);
/* Decodes frame idx into the caller's planes (byte strides and lengths; for RGB24 only plane 0). */
AG_API int32_t ag_reader_read(ag_reader *r, int64_t idx, uint8_t *p0, int64_t len0, int32_t stride0, uint8_t *p1,
                              int64_t len1, int32_t stride1, uint8_t *p2, int64_t len2, int32_t stride2);
/* ---- end reader ---- */

/* ---- metrics (lib/metrics/) ----
 * Planes are passed as pointers with strides in samples; 8-bit planes are uint8, deeper ones uint16. */
/* Highest SIMD level the metric kernels may use: 0 portable C, 1 AVX2, 2 AVX-512 (the default: the best the
 * CPU has). Results are identical at every level. ag_metrics_simd() returns the level in use. */
AG_API void ag_metrics_set_simd(int32_t level);
AG_API int32_t ag_metrics_simd(void);
/* PSNR out (double[AG_PSNR_COUNT]): dB, capped at 6*bpc+12 as libvmaf. */
enum { AG_PSNR_Y = 0, AG_PSNR_U = 1, AG_PSNR_V = 2, AG_PSNR_ALL = 3, AG_PSNR_COUNT = 4 };
AG_API int32_t ag_psnr(const void *ry, int32_t rys, const void *ru, int32_t rus, const void *rv, int32_t rvs,
                       const void *dy, int32_t dys, const void *du, int32_t dus, const void *dv, int32_t dvs, int32_t w,
                       int32_t h, int32_t bpc, double *out, int32_t out_len);
/* Luma SSIM / MS-SSIM as libvmaf's float_ssim / float_ms_ssim (out[0]); NaN when the frame is too small. */
AG_API int32_t ag_ssim(const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t w, int32_t h, int32_t bpc,
                       double *out, int32_t out_len);
AG_API int32_t ag_ms_ssim(const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t w, int32_t h, int32_t bpc,
                          double *out, int32_t out_len);

typedef struct AgVmaf AgVmaf;
/* Features of one frame pair (double[AG_VF_COUNT]). */
enum {
  AG_VF_ADM2 = 0,
  AG_VF_ADM_SCALE0 = 1, /* ..3 at 1..4 */
  AG_VF_VIF_SCALE0 = 5, /* ..3 at 5..8 */
  AG_VF_MOTION = 9,     /* vs the previous call's reference (0 on the first frame) */
  AG_VF_EGL1_ADM2 = 10, /* 10..14: adm2 and adm scales with gain limit 1 (vmaf_v0.6.1neg) */
  AG_VF_EGL1_VIF_SCALE0 = 15, /* 15..18: vif scales with gain limit 1 */
  AG_VF_COUNT = 20,           /* one spare */
};
enum {
  AG_VMAF_NEG = 1,   /* flag: also compute the gain-limit-1 features (vmaf_v0.6.1neg) */
  AG_VMAF_RESET = 2, /* flag: forget the previous reference (motion = 0 for this frame) */
};
AG_API AgVmaf *ag_vmaf_new(int32_t w, int32_t h, int32_t bpc, int32_t threads);
AG_API void ag_vmaf_free(AgVmaf *v);
AG_API int32_t ag_vmaf_features(AgVmaf *v, const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t flags,
                                double *out, int32_t out_len);
/* Sets the previous reference (for motion) without computing anything (frame mode: with nothing in flight). */
AG_API int32_t ag_vmaf_set_prev(AgVmaf *v, const void *ref, int32_t rs);
/* Frame mode (a context with threads whose frames are small enough to score several at once): up to
 * ag_vmaf_queue_depth() frames in flight. submit copies the luma planes and returns at once (AG_E_STATE when
 * the queue is full); collect waits for the oldest submitted frame and writes its features (AG_E_STATE when
 * none is left). The results equal ag_vmaf_features' in the same order. Depth 0: no frame mode (submit fails,
 * use ag_vmaf_features, which works in both modes). */
AG_API int32_t ag_vmaf_queue_depth(const AgVmaf *v);
AG_API int32_t ag_vmaf_submit(AgVmaf *v, const void *ref, int32_t rs, const void *dis, int32_t ds, int32_t flags);
AG_API int32_t ag_vmaf_collect(AgVmaf *v, double *out, int32_t out_len);

typedef struct AgVmafModel AgVmafModel;
enum { AG_VMAF_MODEL_NFEAT = 6 }; /* adm2, motion2, vif_scale0..3 */
/* sv: n_sv x AG_VMAF_MODEL_NFEAT (dense, missing libsvm indices as 0); slopes/intercepts: NFEAT + 1 (output
 * first). */
AG_API AgVmafModel *ag_vmaf_model_new(int32_t n_sv, const double *sv, const double *coef, double gamma, double rho,
                                      const double *slopes, const double *intercepts, double clip_lo, double clip_hi);
AG_API void ag_vmaf_model_free(AgVmafModel *m);
AG_API double ag_vmaf_model_predict(const AgVmafModel *m, const double *features, int32_t nfeatures);
/* ---- end metrics ---- */

/* ---- stream copy (lib/io/remux.c): probe, remux, concat ---- */
/* The file's container, duration, bit rate and video/audio streams as JSON in json[cap]; returns the JSON's
 * length (call again with a larger buffer when it is >= cap). */
AG_API int32_t ag_probe(const char *path, char *json, int32_t cap);
/* Every video and audio stream of `in` copied into `out` (container from format, or from out's extension);
 * written to out.part and renamed when complete. *packets (optional) = packets written. */
AG_API int32_t ag_remux(const char *in, const char *out, const char *format, int64_t *packets);
/* inputs[0..n-1] joined by stream copy (timestamps continued across files); AG_E_FORMAT naming the first
 * input and property that differ when they cannot be joined. */
AG_API int32_t ag_concat(const char *const *inputs, int32_t n, const char *out, const char *format, int64_t *packets);
/* ---- end stream copy ---- */

/* ---- threads (lib/core/threads.c) ---- */
/* Pins the calling thread to one CPU (threads it starts later inherit it); undo with ag_env_unpin_thread. */
AG_API int32_t ag_env_pin_thread(int32_t cpu);
AG_API int32_t ag_env_unpin_thread(void);
/* CPUs this process may run on (its affinity mask). */
AG_API int32_t ag_env_cpu_count(void);
/* ---- end threads ---- */

/* ---- libavcodec encoders, muxing, codec strings, hardware probe (lib/codec/lavc.c, lib/io/mux.c,
 *      lib/codec/codec_string.c, lib/codec/hw_probe.c) ---- */
typedef struct AgLavc AgLavc;
/* Open-time keys (ag_config_set_*): the shim's own below; every other key is forwarded as an AVOption of the
 * codec context or of the encoder ("crf", "preset", "x264-params", "g", "bf", "colorspace"...), an unknown key
 * or a rejected value failing with AG_E_INVALID naming it. */
#define AG_LAVC_KEY_WIDTH "width"                 /* int, required */
#define AG_LAVC_KEY_HEIGHT "height"               /* int, required */
#define AG_LAVC_KEY_FPS_NUM "fps_num"             /* int >= 1 (30); the time base is fps_den/fps_num */
#define AG_LAVC_KEY_FPS_DEN "fps_den"             /* int >= 1 (1) */
#define AG_LAVC_KEY_INPUT "input"                 /* str: the caller's pixel format name ("yuv420p") */
#define AG_LAVC_KEY_FORMAT "format"               /* str "annexb" (default) | "avc" (H.264/HEVC) */
#define AG_LAVC_KEY_GLOBAL_HEADER "global_header" /* int 0/1 (0): parameter sets as extradata */
/* An encoder by libavcodec name ("libx264", "libvpx-vp9", "h264_vaapi"...), opened; libsvtav1 is refused. */
AG_API AgLavc *ag_lavc_open(const char *encoder, AgConfig *config);
/* Planes of the input pixel format (unused ones NULL), each with its length in bytes and stride in bytes;
 * flags: AG_LAVC_KEY forces a key frame. Returns the number of packets now queued. */
enum { AG_LAVC_FLAG_KEYFRAME = 1 };
AG_API int32_t ag_lavc_encode(AgLavc *e, const uint8_t *p0, int64_t l0, int32_t s0, const uint8_t *p1, int64_t l1,
                              int32_t s1, const uint8_t *p2, int64_t l2, int32_t s2, int64_t pts, int32_t flags);
AG_API int32_t ag_lavc_flush(AgLavc *e);
enum { AG_LP_SIZE = 0, AG_LP_PTS, AG_LP_DTS, AG_LP_DURATION, AG_LP_KEY, AG_LP_COUNT };
AG_API int32_t ag_lavc_next_packet(AgLavc *e, double *info, int32_t n);
AG_API int32_t ag_lavc_take_packet(AgLavc *e, uint8_t *dst, int32_t cap);
/* Extradata (avcC/hvcC in the "avc" format, else the encoder's global header); returns its size. */
AG_API int32_t ag_lavc_extradata(AgLavc *e, uint8_t *dst, int32_t cap);
AG_API const char *ag_lavc_codec(AgLavc *e);
AG_API const char *ag_lavc_pix_fmt(AgLavc *e);
AG_API int32_t ag_lavc_has_encoder(const char *name);
AG_API void ag_lavc_close(AgLavc *e);

/* Codec string (avc1/hvc1/av01/vp09) read from an access unit or parameter sets of codec "h264", "hevc",
 * "av1" or "vp9"; length_size 0 = Annex B, 4 = 4-byte lengths; fps for the VP9 level. 1 = written, 0 = the
 * data carries no SPS / sequence header / key frame. */
AG_API int32_t ag_codec_string(const char *codec, const uint8_t *data, int32_t size, int32_t length_size,
                               int32_t fps_num, int32_t fps_den, char *out, int32_t cap);

/* libavformat muxer, one video stream (lib/io/mux.c). format NULL/"": from the path's extension. Nothing is
 * created before ag_mux_add_video (which checks the container can hold the codec). Non-fragmented files are
 * written to "<path>.part" and renamed on a successful close; fragment_frames > 0 writes a fragmented MP4 in
 * place, one fragment per that many packets. Timestamps are in the time base given to add_video. */
typedef struct AgMux AgMux;
AG_API AgMux *ag_mux_open(const char *path, const char *format, int32_t fragment_frames, int32_t faststart);
AG_API const char *ag_mux_format(AgMux *m);
AG_API int32_t ag_mux_add_video(AgMux *m, const char *codec, int32_t width, int32_t height, int32_t tb_num,
                                int32_t tb_den, int32_t fps_num, int32_t fps_den, const uint8_t *extradata,
                                int32_t extradata_size);
/* "pix_fmt", "color_range", "color_space", "color_primaries", "color_trc" (libav names), before the first write. */
AG_API int32_t ag_mux_set_stream(AgMux *m, const char *key, const char *value);
AG_API int32_t ag_mux_write(AgMux *m, const uint8_t *data, int32_t size, int64_t pts, int64_t dts, int64_t duration,
                            int32_t key);
AG_API int64_t ag_mux_packets(AgMux *m);
AG_API int32_t ag_mux_close(AgMux *m); /* frees m */
AG_API void ag_mux_abort(AgMux *m);    /* frees m; no file is left */

/* Hardware encoder probe (lib/codec/hw_probe.c): 1 = a device context was created, the encoder opened at
 * width x height and one frame gave a packet; 0 = not, with the real reason in reason; compiled_in says whether
 * this libavcodec has the encoder at all. */
AG_API int32_t ag_hw_probe(const char *encoder, int32_t width, int32_t height, int32_t *compiled_in, char *reason,
                           int32_t cap);
/* ---- end libavcodec encoders ---- */


#endif
