/* av1gym shim: the flat C API that src/ffi.ts binds.
 * Conventions: opaque handles; functions return an int status (AG_OK = 0, negative = error code below)
 * or a pointer (NULL = error); on error a per-thread message is left for ag_last_error(). Buffers are passed
 * as pointers with explicit sizes and strides. Nothing here aborts or exits on bad input. */
#ifndef AV1GYM_H
#define AV1GYM_H

#include <stddef.h>
#include <stdint.h>

#define AG_API __attribute__((visibility("default")))

/* Error codes: mirrored by src/errors.ts. */
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

/* ---- reader (lib/reader.c) ---- */
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

/* ---- metrics (lib/metric_*.c, lib/vmaf_model.c) ----
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

/* Internal helpers (not exported). */
int ag_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ag_clear_error(void);

#endif
