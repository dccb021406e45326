/* Shared by the libFuzzer harnesses: the fuzz input as a file the reader can open by path, without touching
 * the disk (a memfd, opened through /proc/self/fd so the reader's stat/open/libavformat path is the real one). */
#ifndef AG_FUZZ_UTIL_H
#define AG_FUZZ_UTIL_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* ag_reader_open through the config API; raw_fmt NULL = a container. */
static inline ag_reader *fuzz_open(const char *path, const char *raw_fmt, int w, int h, int rgb, int to8, int threads) {
  AgConfig *c = ag_config_new();
  if (!c) return NULL;
  if (raw_fmt) {
    ag_config_set_int(c, AG_READER_KEY_RAW, 1);
    ag_config_set_int(c, AG_READER_KEY_WIDTH, w);
    ag_config_set_int(c, AG_READER_KEY_HEIGHT, h);
    ag_config_set_str(c, AG_READER_KEY_PIXEL_FORMAT, raw_fmt);
  }
  ag_config_set_int(c, AG_READER_KEY_THREADS, threads);
  ag_config_set_str(c, AG_READER_KEY_OUTPUT, rgb ? "rgb24" : "yuv420p");
  ag_config_set_int(c, AG_READER_KEY_BIT_DEPTH, to8 ? 8 : 0);
  ag_reader *r = ag_reader_open(path, c);
  ag_config_free(c);
  return r;
}

/* Writes the parts into one memfd and returns its fd (path in `path`), or -1. */
static inline int fuzz_file(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, char *path, size_t pathlen) {
  int fd = memfd_create("agfuzz", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if ((na && write(fd, a, na) != (ssize_t)na) || (nb && write(fd, b, nb) != (ssize_t)nb)) {
    close(fd);
    return -1;
  }
  snprintf(path, pathlen, "/proc/self/fd/%d", fd);
  return fd;
}

/* n bytes that end exactly where an inaccessible page begins: a write past the end of a plane, even by the
 * uninstrumented libav code, is a SEGV here (ASan only sees overflows in code it compiled). */
static inline uint8_t *guarded_alloc(size_t n, size_t *map_len) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), tot = (n + pg - 1) / pg * pg + pg;
  uint8_t *m = mmap(NULL, tot, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  mprotect(m + tot - pg, pg, PROT_NONE);
  *map_len = tot;
  return m + tot - pg - n;
}
static inline void guarded_free(uint8_t *p, size_t n, size_t map_len) {
  if (!p) return;
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  munmap(p + n + pg - map_len, map_len);
}

/* Reads a bounded set of frames the way users do: sequentially from the start, then random access (the
 * last frame, the middle, the first again), into tight planes of the reader's output geometry. */
static inline void fuzz_read_frames(ag_reader *r, int rgb) {
  int64_t info[AG_RI_COUNT];
  if (ag_reader_info(r, info, AG_RI_COUNT) != AG_RI_COUNT) return;
  int64_t w = info[AG_RI_WIDTH], h = info[AG_RI_HEIGHT], count = info[AG_RI_FRAMES], depth = info[AG_RI_OUT_DEPTH];
  if (w <= 0 || h <= 0 || w * h > 4096 * 4096 || count <= 0) return;
  int bps = depth > 8 ? 2 : 1;
  int64_t cw = (w + 1) / 2, ch = (h + 1) / 2;
  int64_t l0 = rgb ? w * h * 3 : w * h * bps, l1 = rgb ? 0 : cw * ch * bps;
  size_t m0 = 0, m1 = 0, m2 = 0;
  uint8_t *p0 = guarded_alloc((size_t)l0, &m0), *p1 = l1 ? guarded_alloc((size_t)l1, &m1) : NULL,
          *p2 = l1 ? guarded_alloc((size_t)l1, &m2) : NULL;
  if (p0 && (rgb || (p1 && p2))) {
    int64_t *pts = malloc((size_t)count * sizeof *pts);
    uint8_t *key = malloc((size_t)count);
    if (pts && key) ag_reader_timestamps(r, pts, key, count);
    free(pts), free(key);
    int64_t order[] = {0, 1, 2, 3, count - 1, count / 2, 0, count + 5, -1};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
      ag_reader_read(r, order[i], p0, l0, (int)(rgb ? w * 3 : w * bps), p1, l1, (int)(cw * bps), p2, l1, (int)(cw * bps));
  }
  guarded_free(p0, (size_t)l0, m0), guarded_free(p1, (size_t)l1, m1), guarded_free(p2, (size_t)l1, m2);
}
#endif
