/* libFuzzer: the header-less raw path and the Y4M header path.
 * byte 0 even: raw video; bytes 1..4 give width and height (1..128), byte 5 the pixel format (from a list
 *   that includes semi-planar, packed, gray and deep formats), the rest is the file;
 * byte 0 odd: the rest is a Y4M file (its "YUV4MPEG2 " signature is forced, so the mutations go to the header
 *   and frame markers rather than to the probe). */
#include <stdlib.h>

#include "fuzz_util.h"

static const char *const FORMATS[] = {
    "yuv420p", "yuv420p10le", "yuv420p16le", "yuv422p", "yuv444p", "yuv444p10le", "nv12", "nv21", "p010le",
    "p016le", "gray", "gray10le", "rgb24", "bgr0", "yuyv422", "uyvy422", "yuvj420p", "yuva420p", "nv16",
    "nv24", "yuv410p", "yuv411p", "monow", "pal8", "bayer_rggb8", "gbrp", "xyz12le", "yuv420p9be", "y210le", "",
    "not_a_format"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 6) return 0;
  char path[64];
  int fd, rgb = (data[0] >> 1) & 1, to8 = (data[0] >> 2) & 1;
  ag_reader *r;
  if (data[0] & 1) {
    static const uint8_t sig[] = "YUV4MPEG2 ";
    size_t skip = size - 1 >= 10 && memcmp(data + 1, sig, 10) == 0 ? 10 : 0;
    if ((fd = fuzz_file(sig, 10, data + 1 + skip, size - 1 - skip, path, sizeof path)) < 0) return 0;
    r = fuzz_open(path, NULL, 0, 0, rgb, to8, 1);
  } else {
    int w = 1 + (data[1] | (data[2] & 1) << 8) % 128, h = 1 + (data[3] | (data[4] & 1) << 8) % 128;
    const char *fmt = FORMATS[data[5] % (sizeof FORMATS / sizeof *FORMATS)];
    if ((fd = fuzz_file(data + 6, size - 6, NULL, 0, path, sizeof path)) < 0) return 0;
    r = fuzz_open(path, fmt, w, h, rgb, to8, 1);
  }
  if (r) {
    fuzz_read_frames(r, rgb);
    ag_reader_close(r);
  }
  close(fd);
  return 0;
}
