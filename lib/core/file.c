/* Plain file access for the TypeScript side: reading a regular file at an offset, and finding a source newer
 * than a built library. Bun offers no synchronous read without node:fs, and importing node:fs (or any node:
 * module) costs `av1gym vmaf` about 10 ms of its ~50 ms start-up and 5 MB of RSS; the metrics library, which
 * scoring loads anyway, reads the files instead. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct AgFile {
  int fd;
  int64_t size;
};

AgFile *ag_file_open(const char *path) {
  if (!path || !*path) {
    ag_fail(AG_E_INVALID, "file: empty path");
    return NULL;
  }
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    ag_fail(AG_E_IO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  int err = fstat(fd, &st) != 0 ? errno : 0;
  if (err || !S_ISREG(st.st_mode)) {
    ag_fail(AG_E_IO, "%s: %s", path, err ? strerror(err) : S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    close(fd);
    return NULL;
  }
  AgFile *f = malloc(sizeof *f);
  if (!f) {
    close(fd);
    ag_fail(AG_E_NOMEM, "file: out of memory");
    return NULL;
  }
  f->fd = fd, f->size = (int64_t)st.st_size;
  return f;
}

int64_t ag_file_size(const AgFile *f) { return f ? f->size : ag_fail(AG_E_INVALID, "file: null handle"); }

int64_t ag_file_read(AgFile *f, void *buf, int64_t len, int64_t offset) {
  if (!f || (!buf && len > 0) || len < 0 || offset < 0) return ag_fail(AG_E_INVALID, "file read: bad arguments");
  int64_t done = 0;
  while (done < len) {
    ssize_t got = pread(f->fd, (char *)buf + done, (size_t)(len - done), (off_t)(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ag_fail(AG_E_IO, "file read at %lld: %s", (long long)(offset + done), strerror(errno));
    if (got == 0) break; /* end of file */
    done += got;
  }
  return done;
}

void ag_file_close(AgFile *f) {
  if (!f) return;
  close(f->fd);
  free(f);
}

/* Depth-first over dir (relative to lib_dir), skipping the build output at the top; 1 and the relative path
 * in out when a .c or .h file there was modified after built_ms. */
static int newer_in(const char *lib_dir, const char *rel, double built_ms, char *out, int32_t out_len, int depth) {
  char full[4096];
  if (snprintf(full, sizeof full, "%s/%s", lib_dir, rel) >= (int)sizeof full || depth > 16) return 0;
  struct stat st;
  if (stat(full, &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) {
    size_t n = strlen(rel);
    int source = n > 2 && rel[n - 2] == '.' && (rel[n - 1] == 'c' || rel[n - 1] == 'h');
    double ms = (double)st.st_mtim.tv_sec * 1e3 + (double)st.st_mtim.tv_nsec / 1e6;
    if (!source || ms <= built_ms) return 0;
    snprintf(out, (size_t)out_len, "%s", rel);
    return 1;
  }
  DIR *d = opendir(full);
  if (!d) return 0;
  int hit = 0;
  for (struct dirent *e; !hit && (e = readdir(d));) {
    if (e->d_name[0] == '.' || (depth == 0 && strcmp(rel, ".") == 0 && strcmp(e->d_name, "build") == 0)) continue;
    char sub[4096];
    if (snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name) >= (int)sizeof sub) continue;
    hit = newer_in(lib_dir, strcmp(rel, ".") == 0 ? e->d_name : sub, built_ms, out, out_len, depth + 1);
  }
  closedir(d);
  return hit;
}

int32_t ag_newer_source(const char *lib_dir, const char *rels, double built_ms, char *out, int32_t out_len) {
  if (!lib_dir || !rels || !out || out_len < 2) return ag_fail(AG_E_INVALID, "newer source: bad arguments");
  out[0] = 0;
  char list[1024];
  if (snprintf(list, sizeof list, "%s", rels) >= (int)sizeof list) return ag_fail(AG_E_INVALID, "newer source: list too long");
  for (char *save = NULL, *r = strtok_r(list, ":", &save); r; r = strtok_r(NULL, ":", &save))
    if (newer_in(lib_dir, r, built_ms, out, out_len, 0)) return 1;
  return 0;
}
