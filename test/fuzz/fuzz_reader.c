/* libFuzzer: container open + decode through the reader (MP4, MKV, WebM, IVF, Y4M... whatever libavformat
 * probes the bytes as). The first byte picks the output (planar or RGB24, native depth or 8-bit) and the
 * decoder thread count, the rest is the file. */
#include <stdlib.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint8_t mode = data[0];
  char path[64];
  int fd = fuzz_file(data + 1, size - 1, NULL, 0, path, sizeof path);
  if (fd < 0) return 0;
  int rgb = mode & 1;
  ag_reader *r = fuzz_open(path, NULL, 0, 0, rgb, (mode & 2) != 0, (mode & 4) ? 2 : 1);
  if (r) {
    fuzz_read_frames(r, rgb);
    ag_reader_close(r);
  }
  close(fd);
  return 0;
}
