/* One block of memory for many same-lifetime planes, backed by transparent huge pages where the kernel allows
 * them on request (MADV_HUGEPAGE). First touching a 4 KB page costs about 15 µs on the VMs this runs on (a
 * VMAF context at 640x272 holds ~2.8 MB of planes: some 10 ms of page faults over its first frames); a 2 MB
 * page fills in well under a millisecond. A huge page is resident whole once touched, so only the whole huge
 * pages of the block get the hint, and a tail of less than half a huge page stays on 4 KB pages (resident
 * memory = the block, at the cost of the tail's faults); a longer tail is rounded up to a huge page. The block
 * is zeroed (fresh anonymous memory). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "metric_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define SMALL_PAGE ((size_t)4096)

void *agm_plane_block(size_t bytes, size_t *mapped) {
  *mapped = 0;
  if (bytes < HUGE_PAGE / 2) { /* too small to fill a huge page: the heap, on a 64-byte boundary as the planes */
    const size_t len = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, len ? len : 64);
    if (p) memset(p, 0, len);
    return p;
  }
  size_t huge = bytes & ~(HUGE_PAGE - 1);
  if (bytes - huge >= HUGE_PAGE / 2) huge += HUGE_PAGE;
  const size_t len = huge > bytes ? huge : (bytes + SMALL_PAGE - 1) & ~(SMALL_PAGE - 1);
  /* map one huge page more than needed and trim, so that the block starts on a huge-page boundary */
  uint8_t *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (a > p) munmap(p, (size_t)(a - p));
  if (a + len < p + len + HUGE_PAGE) munmap(a + len, (size_t)(p + len + HUGE_PAGE - (a + len)));
#ifdef MADV_HUGEPAGE
  madvise(a, huge, MADV_HUGEPAGE); /* a hint: without it (or refused) the block works on 4 KB pages */
#endif
  *mapped = len;
  return a;
}

void agm_plane_block_free(void *p, size_t mapped) {
  if (!p) return;
  if (mapped) munmap(p, mapped);
  else free(p);
}
