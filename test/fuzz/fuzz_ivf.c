/* libFuzzer: IVF files. The bytes (with the "DKIF" signature forced) go through the reader (libavformat's
 * IVF demuxer + the AV1 decoder), and every frame payload the IVF framing yields goes through our own OBU
 * parser with one sequence-header state per file, as the encoder feeds it. */
#include <stdlib.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  static const uint8_t sig[] = "DKIF";
  size_t skip = memcmp(data, sig, 4) == 0 ? 4 : 0;
  char path[64];
  int fd = fuzz_file(sig, 4, data + skip, size - skip, path, sizeof path);
  if (fd < 0) return 0;
  ag_reader *r = fuzz_open(path, NULL, 0, 0, 0, 0, 1);
  if (r) {
    fuzz_read_frames(r, 0);
    ag_reader_close(r);
  }
  close(fd);
  /* Our OBU parser over the IVF frames: 32-byte file header, then 12-byte frame headers (size, pts). */
  const uint8_t *p = data + skip;
  size_t n = size - skip, at = 28; /* the signature's 4 bytes are not in p */
  AgSeqHdr seq;
  memset(&seq, 0, sizeof seq);
  while (at + 12 <= n) {
    uint32_t len = (uint32_t)p[at] | (uint32_t)p[at + 1] << 8 | (uint32_t)p[at + 2] << 16 | (uint32_t)p[at + 3] << 24;
    at += 12;
    if (len > n - at) len = (uint32_t)(n - at);
    int32_t q = 0, tid = 0;
    ag_obu_parse_tu(&seq, p + at, len, &q, &tid);
    at += len;
  }
  return 0;
}
