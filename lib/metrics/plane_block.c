/* One block of memory for many same-lifetime planes, backed by transparent huge pages where the kernel allows
 * them on request (MADV_HUGEPAGE). First touching a 4 KB page costs about 16 µs on the VMs this runs on, so
 * the ~3 MB of ADM bands at 640x272 cost some 12 ms of page faults on a context's first frame; 2 MB pages fill
 * the same in well under a millisecond. The block is zeroed (fresh anonymous memory). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "metric_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *agm_plane_block(size_t bytes, size_t *mapped) {
  *mapped = 0;
  if (bytes < HUGE_PAGE / 2) return calloc(1, bytes); /* too small to fill a huge page: the heap */
  const size_t len = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  /* map one huge page more than needed and trim, so that the block starts on a huge-page boundary */
  uint8_t *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (a > p) munmap(p, (size_t)(a - p));
  if (a + len < p + len + HUGE_PAGE) munmap(a + len, (size_t)(p + len + HUGE_PAGE - (a + len)));
#ifdef MADV_HUGEPAGE
  madvise(a, len, MADV_HUGEPAGE); /* a hint: without it (or refused) the block works on 4 KB pages */
#endif
  *mapped = len;
  return a;
}

void agm_plane_block_free(void *p, size_t mapped) {
  if (!p) return;
  if (mapped) munmap(p, mapped);
  else free(p);
}
