/* libFuzzer: codec-string derivation (ag_codec_string, lib/codec/codec_string.c: H.264/HEVC access units and
 * avcC/hvcC records, AV1 temporal units, VP9 key frames) on arbitrary data, into an output buffer of exactly
 * the capacity given. Checked beyond memory safety (abort() when broken): the result is 1 (a string), 0 (none,
 * empty output) or an error; a string is NUL-terminated inside the buffer, printable, and starts with its
 * codec's four-character code.
 * Layout: byte 0 bits 0-2 the codec (h264, hevc, av1, vp9; 4+: an unsupported name), bits 3-5 the length size
 * (5..7 are invalid and must be refused); byte 1 fps numerator (0 = none), byte 2 fps denominator; byte 3 the
 * output capacity (0..255, 0 refused); the rest is the data. */
#include <ctype.h>
#include <stdlib.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *codecs[] = {"h264", "hevc", "av1", "vp9", "vp8", "av1 ", "", "h264\n"};
  static const char *fourcc[] = {"avc1.", "hvc1.", "av01.", "vp09."};
  if (size < 4 || size - 4 > INT32_MAX) return 0;
  int c = data[0] & 7, ls = data[0] >> 3 & 7, cap = data[3];
  int32_t n = (int32_t)(size - 4);
  uint8_t *in = malloc(n ? (size_t)n : 1);
  char *out = malloc(cap ? (size_t)cap : 1);
  if (!in || !out) goto done;
  memcpy(in, data + 4, (size_t)n);
  memset(out, 'x', cap ? (size_t)cap : 1);
  int32_t r = ag_codec_string(codecs[c], n ? in : NULL, n, ls, data[1], data[2], out, cap);
  if (r != 1 && r != 0 && r >= 0) abort();
  if ((c >= 4 || ls > 4 || cap == 0) && r >= 0) abort(); /* bad arguments are refused */
  if (r == 0 && out[0] != 0) abort();
  if (r == 1) {
    size_t len = strnlen(out, (size_t)cap);
    if (len >= (size_t)cap || len < 5 || memcmp(out, fourcc[c], 5) != 0) abort();
    for (size_t i = 0; i < len; i++)
      if (!isprint((unsigned char)out[i])) abort();
  }
done:
  free(in);
  free(out);
  return 0;
}
