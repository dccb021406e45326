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

/* Internal helpers (not exported). */
int ag_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ag_clear_error(void);

#endif
