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

/* Internal helpers (not exported). */
int ag_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ag_clear_error(void);

#endif
