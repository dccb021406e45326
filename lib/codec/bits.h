/* A big-endian bit reader shared by the bitstream parsers (AV1 OBUs, H.264/HEVC NAL units, VP9 headers).
 * Reading past the end never touches memory outside the buffer: it returns zeros and sets `overrun`. */
#ifndef AG_CODEC_BITS_H
#define AG_CODEC_BITS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const uint8_t *p;
  size_t nbits, pos;
  int overrun;
} Bits;

static inline Bits bits_init(const uint8_t *p, size_t nbytes) {
  Bits b = {p, nbytes * 8, 0, 0};
  return b;
}

static inline uint32_t f(Bits *b, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) {
    if (b->pos >= b->nbits) {
      b->overrun = 1;
      return 0;
    }
    v = (v << 1) | ((b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1u);
    b->pos++;
  }
  return v;
}

/* Exp-Golomb ue(v) (H.264/HEVC); at most 32 leading zeros, else overrun. */
static inline uint32_t ue(Bits *b) {
  int lz = 0;
  while (!f(b, 1)) {
    if (b->overrun || ++lz >= 32) {
      b->overrun = 1;
      return 0;
    }
  }
  return lz ? f(b, lz) + ((1u << lz) - 1) : 0;
}

static inline int32_t se(Bits *b) {
  uint32_t k = ue(b);
  return (k & 1) ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

#endif
