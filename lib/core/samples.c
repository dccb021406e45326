/* Sample range of deep planes. A 10-bit plane holds 0..1023 in the low bits of each uint16; data laid out
 * P010-style (the value shifted left by 6) or otherwise out of range would be encoded or measured as
 * garbage (PSNR -24.7 dB), so the encoder and the metrics refuse it with a message that says which sample. */
#include "internal.h"

int32_t ag_check_samples(const void *plane, int32_t stride, int32_t w, int32_t h, int32_t bpc, const char *what) {
  if (bpc <= 8 || bpc >= 16 || !plane) return AG_OK;
  const uint16_t max = (uint16_t)((1u << bpc) - 1);
  for (int32_t y = 0; y < h; y++) {
    const uint16_t *row = (const uint16_t *)plane + (size_t)y * (size_t)stride;
    uint16_t any = 0;
    for (int32_t x = 0; x < w; x++) any |= row[x]; /* one OR per sample: vectorises */
    if (any <= max) continue;
    for (int32_t x = 0; x < w; x++)
      if (row[x] > max)
        return ag_fail(AG_E_INVALID,
                       "%s: sample %u at (%d, %d) is above %u, the largest %d-bit value%s", what, row[x], x, y, max, bpc,
                       (row[x] & ((1u << (16 - bpc)) - 1)) == 0 ? " (P010-style data, shifted left? shift it right by 16 - bit depth)" : "");
  }
  return AG_OK;
}
