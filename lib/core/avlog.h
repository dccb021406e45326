/* libav logging for the shim (lib/core/avlog.c): quiet unless AV1GYM_AV_LOG=<level>, and a per-thread capture of
 * the warnings and errors libav prints during one call, so an error can say what libavcodec/libavformat (or
 * the encoder library) actually objected to. Internal. */
#ifndef AG_CORE_AVLOG_H
#define AG_CORE_AVLOG_H

void ag_avlog_init(void);           /* idempotent, thread-safe */
void ag_avlog_capture_begin(void);  /* start collecting this thread's warnings/errors */
const char *ag_avlog_capture_end(void); /* stop; the collected text ("" if none), valid until the next begin */

#endif
