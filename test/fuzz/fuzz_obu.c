/* libFuzzer: the OBU / sequence-header / frame-header parser (lib/codec/obu.c) on arbitrary temporal units.
 * The input is split at "\xffAGTU" markers into temporal units parsed in order with one sequence-header state,
 * so a mutated sequence header is followed by frame headers parsed under it. */
#include <stdlib.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t mark[] = "\xff" "AGTU";
  AgSeqHdr seq;
  memset(&seq, 0, sizeof seq);
  size_t start = 0;
  while (start <= size) {
    const uint8_t *hit = size - start >= 5 ? memmem(data + start, size - start, mark, 5) : NULL;
    size_t end = hit ? (size_t)(hit - data) : size;
    /* A copy of exactly the unit's bytes, so any read past its end is caught by ASan. */
    uint8_t *tu = malloc(end - start + 1);
    if (!tu) return 0;
    memcpy(tu, data + start, end - start);
    int32_t q = 0, tid = 0;
    ag_obu_parse_tu(&seq, tu, end - start, &q, &tid);
    free(tu);
    if (!hit) break;
    start = end + 5;
  }
  return 0;
}
