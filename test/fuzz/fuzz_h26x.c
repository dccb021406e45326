/* libFuzzer: the H.264/HEVC parameter-set code (lib/codec/h26x.c) on arbitrary access units: the NAL walk
 * (Annex B and 1..4-byte lengths), the SPS parsers, the Annex B -> length-prefixed conversion and the
 * avcC/hvcC builders, each into an output buffer of exactly the capacity it is given (so a write past it is an
 * ASan report), plus the properties the muxers rely on (abort() when one breaks, which libFuzzer reports):
 *   - the converted access unit has the same SPS as the Annex B one;
 *   - an avcC/hvcC record that was built gives the same codec string as the access unit it was built from.
 * Byte 0: bit 0 HEVC, bits 1-3 the length size of the SPS search (mod 5), bits 4-7 how much smaller than
 * needed the output buffers are (15: the full size). */
#include <stdlib.h>

#include "codec/h26x.h"
#include "fuzz_util.h"

static uint8_t *copy(const uint8_t *d, size_t n) {
  uint8_t *p = malloc(n ? n : 1);
  if (p && n) memcpy(p, d, n);
  return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int hevc = data[0] & 1, ls = (data[0] >> 1 & 7) % 5, slack = data[0] >> 4;
  size_t n = size - 1;
  uint8_t *in = copy(data + 1, n); /* exactly the bytes: a read past the end is caught */
  if (!in) return 0;

  AgSps s;
  int found = ag_sps_find(hevc, in, n, ls, &s);
  if (found < -1 || found > 1 || (found == 1) != (s.found == 1)) abort();

  /* Annex B -> 4-byte lengths: at most size + 4 per NAL unit (a NAL unit takes >= 4 bytes with its start code,
   * so n + n + 4 bounds it); a smaller buffer must be refused, not overrun. */
  size_t full = 2 * n + 4, cap = slack == 15 ? full : full * (size_t)slack / 16;
  uint8_t *avc = malloc(cap ? cap : 1);
  if (!avc) goto out;
  int64_t m = ag_annexb_to_avc(in, n, avc, cap);
  if (m > (int64_t)cap) abort();
  if (ls == 0 && m >= 0) {
    AgSps t;
    int again = ag_sps_find(hevc, avc, (size_t)m, 4, &t);
    if (again != found || (found == 1 && memcmp(&s, &t, sizeof s) != 0)) abort();
  }
  free(avc);

  /* avcC / hvcC, then the codec string read back from the record and from the access unit */
  size_t rcap = slack == 15 ? n + 64 : (n + 64) * (size_t)slack / 16;
  uint8_t *rec = malloc(rcap ? rcap : 1);
  if (!rec) goto out;
  int64_t r = hevc ? ag_hvcc_build(in, n, rec, rcap) : ag_avcc_build(in, n, rec, rcap);
  if (r > (int64_t)rcap) abort();
  if (r > 0 && n > 0 && in[0] != 1 && r <= INT32_MAX && n <= INT32_MAX) {
    char a[96], b[96];
    const char *codec = hevc ? "hevc" : "h264";
    int32_t ra = ag_codec_string(codec, rec, (int32_t)r, 0, 30, 1, a, sizeof a);
    int32_t rb = ag_codec_string(codec, in, (int32_t)n, 0, 30, 1, b, sizeof b);
    if (ra != 1 || rb != 1 || strcmp(a, b) != 0) {
      fprintf(stderr, "record: %d '%s', access unit: %d '%s'\n", ra, a, rb, b);
      abort();
    }
  }
  free(rec);
out:
  free(in);
  return 0;
}
