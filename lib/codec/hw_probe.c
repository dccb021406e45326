/* Probes a hardware encoder the way it would be used: the same open path as any AgLavc (device context,
 * frame pool, avcodec_open2), then one NV12 frame in and a packet out. What failed, and libav's own words
 * for why, go into the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int32_t ag_hw_probe(const char *encoder, int32_t width, int32_t height, int32_t *compiled_in, char *reason, int32_t cap) {
  ag_clear_error();
  if (!encoder || !compiled_in || !reason || cap <= 0 || width <= 0 || height <= 0)
    return ag_fail(AG_E_INVALID, "ag_hw_probe: bad arguments");
  reason[0] = 0;
  *compiled_in = ag_lavc_has_encoder(encoder);
  if (!*compiled_in) {
    snprintf(reason, (size_t)cap, "%s is not compiled into this libavcodec", encoder);
    return 0;
  }
  AgLavc *e = ag_lavc_new(encoder);
  if (!e) {
    snprintf(reason, (size_t)cap, "%s", ag_last_error());
    return 0;
  }
  char size[16];
  snprintf(size, sizeof size, "%d", width);
  int rc = ag_lavc_set(e, "ag:width", size);
  snprintf(size, sizeof size, "%d", height);
  if (rc == AG_OK) rc = ag_lavc_set(e, "ag:height", size);
  if (rc == AG_OK) rc = ag_lavc_set(e, "ag:input", "nv12");
  if (rc == AG_OK) rc = ag_lavc_set(e, "ag:fps", "30/1");
  if (rc == AG_OK) rc = ag_lavc_open(e);
  int available = 0;
  if (rc == AG_OK) {
    size_t ny = (size_t)width * (size_t)height, nuv = ny / 2;
    static const uint8_t gray = 128;
    uint8_t *y = malloc(ny), *uv = malloc(nuv);
    if (!y || !uv) {
      rc = ag_fail(AG_E_NOMEM, "out of memory");
    } else {
      memset(y, gray, ny);
      memset(uv, gray, nuv);
      int n = ag_lavc_encode(e, y, (int64_t)ny, width, uv, (int64_t)nuv, width, NULL, 0, 0, 0, AG_LAVC_KEY);
      if (n == 0) n = ag_lavc_flush(e);
      rc = n < 0 ? n : AG_OK;
      if (n == 0) snprintf(reason, (size_t)cap, "%s opened but gave no packet for a frame", encoder);
      available = n > 0;
    }
    free(y);
    free(uv);
  }
  if (rc != AG_OK && !reason[0]) snprintf(reason, (size_t)cap, "%s", ag_last_error());
  ag_lavc_close(e);
  ag_clear_error();
  return available;
}
