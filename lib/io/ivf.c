/* IVF writer: the 32-byte "DKIF" file header, then per frame a 12-byte header (size, 64-bit pts) and the
 * AV1 temporal unit. The frame count in the file header is rewritten on close, as aomenc does, so a file
 * that was never closed still plays (ffmpeg ignores the count). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct AgIvf {
  FILE *f;
  uint32_t frames;
};

static void put_le16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* rate/scale: the time base is scale/rate seconds (IVF's "frame rate" fields). */
static int32_t write_header(AgIvf *w, int32_t width, int32_t height, int32_t rate, int32_t scale) {
  uint8_t h[32] = {'D', 'K', 'I', 'F'};
  put_le16(h + 4, 0);           /* version */
  put_le16(h + 6, 32);          /* header size */
  memcpy(h + 8, "AV01", 4);     /* fourcc */
  put_le16(h + 12, (uint32_t)width);
  put_le16(h + 14, (uint32_t)height);
  put_le32(h + 16, (uint32_t)rate);  /* time base denominator */
  put_le32(h + 20, (uint32_t)scale); /* time base numerator */
  put_le32(h + 24, w->frames);
  return fwrite(h, 1, sizeof h, w->f) == sizeof h && fflush(w->f) == 0 ? AG_OK : AG_E_IO;
}

AgIvf *ag_ivf_open(const char *path, int32_t width, int32_t height, int32_t tb_num, int32_t tb_den) {
  ag_clear_error();
  if (!path || !path[0]) {
    ag_fail(AG_E_INVALID, "IVF path is empty");
    return NULL;
  }
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535) {
    ag_fail(AG_E_INVALID, "IVF frame size %dx%d is outside 1..65535", width, height);
    return NULL;
  }
  if (tb_num <= 0 || tb_den <= 0) {
    ag_fail(AG_E_INVALID, "IVF time base %d/%d must be positive", tb_num, tb_den);
    return NULL;
  }
  AgIvf *w = calloc(1, sizeof *w);
  if (!w) {
    ag_fail(AG_E_NOMEM, "out of memory");
    return NULL;
  }
  w->f = fopen(path, "wb");
  if (!w->f) {
    ag_fail(AG_E_IO, "cannot open %s for writing: %s", path, strerror(errno));
    free(w);
    return NULL;
  }
  if (write_header(w, width, height, tb_den, tb_num) != AG_OK) {
    ag_fail(AG_E_IO, "cannot write to %s: %s", path, strerror(errno));
    fclose(w->f);
    free(w);
    return NULL;
  }
  return w;
}

int32_t ag_ivf_write(AgIvf *w, const uint8_t *data, int32_t size, int64_t pts) {
  if (!w || !w->f) return ag_fail(AG_E_STATE, "IVF writer is closed");
  if (size < 0 || (size > 0 && !data)) return ag_fail(AG_E_INVALID, "IVF frame of %d bytes has no data", size);
  uint8_t h[12];
  const int64_t p = pts;
  put_le32(h, (uint32_t)size);
  put_le32(h + 4, (uint32_t)((uint64_t)p & 0xffffffffu));
  put_le32(h + 8, (uint32_t)((uint64_t)p >> 32));
  /* Flushed per frame: a full disk (ENOSPC) or a file-size limit is reported by the write that hit it, not
   * lost in a buffer that only fclose() would have found. */
  if (fwrite(h, 1, sizeof h, w->f) != sizeof h || fwrite(data, 1, (size_t)size, w->f) != (size_t)size || fflush(w->f) != 0)
    return ag_fail(AG_E_IO, "IVF write failed: %s", strerror(errno));
  w->frames++;
  return AG_OK;
}

int32_t ag_ivf_close(AgIvf *w) {
  if (!w) return AG_OK;
  int32_t rc = AG_OK;
  if (w->f) {
    uint8_t n[4];
    put_le32(n, w->frames);
    if (fseek(w->f, 24, SEEK_SET) != 0 || fwrite(n, 1, 4, w->f) != 4) rc = ag_fail(AG_E_IO, "IVF header update failed");
    if (fclose(w->f) != 0 && rc == AG_OK) rc = ag_fail(AG_E_IO, "IVF close failed: %s", strerror(errno));
  }
  free(w);
  return rc;
}
