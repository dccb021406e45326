/* VideoReader: frames out of a video file with exact indices and exact random access.
 *
 * Two back ends behind one handle:
 * - raw planar files (.yuv): frame i sits at byte i * frameSize, read with pread;
 * - everything libavformat opens (MP4, MKV, WebM, IVF, Y4M...): on open every packet of the video stream is
 *   demuxed once (no decoding) to build a table of (pts, key flag) sorted by pts. Frame i is the frame with
 *   the i-th smallest pts, so the count and the index<->pts mapping are exact even with B-frames. Random
 *   access seeks to the last key frame whose pts is <= the target's, flushes the decoder and decodes until
 *   the frame with the target pts comes out (frames before it, e.g. leading pictures, are skipped).
 *   A forward request in the same GOP decodes on without seeking; the last output frame is cached.
 * Output: planar 4:2:0 (8-bit, or 16-bit samples for deeper sources) or packed RGB24, written straight into
 * caller-provided planes (pointers + byte strides + byte lengths, all checked).
 * Corrupt input: every libav return is checked; frames whose size changes mid-stream are refused with
 * AG_E_FORMAT; an interrupt callback bounds any single call in time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "internal.h"

/* Longest a single open or read may take before libav I/O is interrupted (corrupt files must not hang). */
#define AG_READER_CALL_SECONDS 30.0
/* Refuse tables beyond this many frames (about 9 hours at 60 fps): bounds memory on absurd inputs. */
#define AG_READER_MAX_FRAMES (1 << 21)

enum { OUT_YUV = 0, OUT_RGB24 = 1 };

struct ag_reader {
  char *path;
  struct stat id;             /* the file as opened: a later read that finds another (deleted, replaced,
                                 rewritten) fails with AG_E_IO instead of mixing two files' frames */
  int changed;                /* set once the file was found changed: every later read fails the same way */
  int raw;                    /* 1: raw planar file, no libav demuxing */
  int width, height;
  enum AVPixelFormat src_fmt; /* the stream's pixel format */
  int src_depth;
  int fps_num, fps_den;
  int tb_num, tb_den;         /* time base of pts[] */
  int64_t count;
  int64_t *pts;               /* per frame, sorted ascending */
  int64_t *seek_ts;           /* per frame: min(pts, dts) of its packet, what seeking uses */
  int64_t *kf;                /* per frame: index of the key frame to start decoding from */
  uint8_t *key;               /* per frame: key flag */
  double duration;
  int counting;               /* no usable pts: frames are numbered in output order, access from the start */
  char codec[64];

  /* output */
  int out_kind;
  enum AVPixelFormat out_fmt;
  int out_depth;
  struct SwsContext *sws;
  uint8_t *sws_out[4];        /* libswscale's output (padded), copied to the caller's planes */
  int sws_out_stride[4];
  enum AVPixelFormat sws_src;

  /* raw */
  int fd;
  int64_t frame_bytes;
  uint8_t *rawbuf;            /* one frame, when conversion is needed */
  uint8_t *split;             /* a semi-planar picture split into its planar twin (see planar_twin) */
  int split_size;
  enum AVPixelFormat twin_of, twin; /* planar_twin(twin_of), cached */

  /* libav */
  AVFormatContext *fmt;
  int si;
  AVCodecContext *dec;
  AVPacket *pkt;
  int pkt_pending;            /* pkt holds a packet the decoder has not accepted yet */
  AVFrame *frm;
  AVFrame *last;              /* the last frame handed out (cache) */
  int64_t last_idx;
  int64_t cur;                /* index of the last frame the decoder produced in order; -1 at the start */
  int from_start;             /* the current decode run began at the start of the file */
  int demux_eof, drain_sent;
  int threads;
  int can_skip_nonref;        /* the decoder honours skip_frame = AVDISCARD_NONREF bit-exactly (H.264/HEVC) */
  int64_t skip_below;         /* packets with pts below this need not be output: skip them if non-reference */
  int64_t run_from;           /* pts of the key frame the current run started from */
  int run_damaged;            /* the decoder reported damaged data since the last reposition */
  int damaged;                /* the file has damage that makes a decode from a key frame differ from the
                                 sequential one: from then on every access decodes on from the start */
  double deadline;
};

typedef struct ag_reader ag_reader;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int interrupt_cb(void *opaque) {
  const ag_reader *r = opaque;
  return r->deadline > 0 && now_s() > r->deadline;
}

/* The limit for one open or read: AG_READER_CALL_SECONDS, or $AV1GYM_READER_TIME_LIMIT seconds (tests). */
static double call_limit(void) {
  const char *s = getenv("AV1GYM_READER_TIME_LIMIT");
  double v = s ? atof(s) : 0;
  return v > 0 ? v : AG_READER_CALL_SECONDS;
}

static void start_call(ag_reader *r) { r->deadline = now_s() + call_limit(); }

/* The error for a libav call cut short by the time limit (libav itself only says "Immediate exit requested"). */
static int fail_time_limit(const ag_reader *r, const char *doing) {
  return ag_fail(AG_E_FORMAT,
                 "%s: %s hit the time limit of %g s for one call: the file is probably damaged (e.g. padded with "
                 "zeros or empty packets); `ffprobe -count_frames` shows the frames that can be read",
                 r->path, doing, call_limit());
}

static const char *err_str(int e) {
  static _Thread_local char buf[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(e, buf, sizeof buf);
  return buf;
}

/* ------------------------------------------------------------------ output */

static enum AVPixelFormat planar_twin(enum AVPixelFormat fmt);

static int choose_output(ag_reader *r, int out_kind, int bit_depth) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(r->src_fmt);
  if (!d) return ag_fail(AG_E_FORMAT, "unknown pixel format");
  r->src_depth = d->comp[0].depth;
  enum AVPixelFormat conv = planar_twin(r->src_fmt); /* what write_out hands to libswscale */
  if (conv == AV_PIX_FMT_NONE) conv = r->src_fmt;
  if (!sws_isSupportedInput(conv) && conv != AV_PIX_FMT_YUV420P && conv != AV_PIX_FMT_YUVJ420P)
    return ag_fail(AG_E_FORMAT, "pixel format %s cannot be converted", d->name);
  r->out_kind = out_kind;
  if (out_kind == OUT_RGB24) {
    r->out_fmt = AV_PIX_FMT_RGB24;
    r->out_depth = 8;
  } else if (bit_depth == 8 || r->src_depth <= 8) {
    r->out_fmt = AV_PIX_FMT_YUV420P;
    r->out_depth = 8;
  } else if (r->src_depth <= 10) {
    r->out_fmt = AV_PIX_FMT_YUV420P10LE;
    r->out_depth = 10;
  } else if (r->src_depth <= 12) {
    r->out_fmt = AV_PIX_FMT_YUV420P12LE;
    r->out_depth = 12;
  } else {
    r->out_fmt = AV_PIX_FMT_YUV420P16LE;
    r->out_depth = 16;
  }
  return AG_OK;
}

/* Planes as the caller passed them. */
typedef struct {
  uint8_t *p[3];
  int64_t len[3];
  int stride[3];
} dst_planes;

/* Checks the caller's planes against the output geometry (bytes). */
static int check_dst(const ag_reader *r, const dst_planes *d) {
  int nplanes = r->out_kind == OUT_RGB24 ? 1 : 3;
  int bps = r->out_depth > 8 ? 2 : 1;
  int cw = (r->width + 1) >> 1, ch = (r->height + 1) >> 1;
  for (int i = 0; i < nplanes; i++) {
    int64_t w = r->out_kind == OUT_RGB24 ? (int64_t)r->width * 3 : (int64_t)(i ? cw : r->width) * bps;
    int64_t h = i ? ch : r->height;
    if (!d->p[i]) return ag_fail(AG_E_INVALID, "plane %d is null", i);
    if (d->stride[i] < w) return ag_fail(AG_E_INVALID, "plane %d stride %d bytes < row %lld bytes", i, d->stride[i], (long long)w);
    int64_t need = (int64_t)d->stride[i] * (h - 1) + w;
    if (d->len[i] < need)
      return ag_fail(AG_E_INVALID, "plane %d has %lld bytes, needs %lld", i, (long long)d->len[i], (long long)need);
  }
  return AG_OK;
}

/* libswscale 6 (FFmpeg 5.1, bookworm) reads through a NULL pointer on some semi-planar inputs: NV12/NV21 to
 * YUV420P at most widths, NV16/NV20 always. So semi-planar pictures (one interleaved chroma plane) are first
 * split here into their planar twin (same subsampling, depth and sample layout: NV12 -> YUV420P), and a plain
 * copy or libswscale goes on from that. Returns AV_PIX_FMT_NONE when fmt is not semi-planar or has no twin
 * (P010-style formats keep their samples in the high bits; libswscale handles those correctly). */
static enum AVPixelFormat planar_twin(enum AVPixelFormat fmt) {
  const AVPixFmtDescriptor *s = av_pix_fmt_desc_get(fmt);
  if (!s || s->nb_components != 3 || (s->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL)) ||
      s->comp[1].plane != 1 || s->comp[2].plane != 1 || s->comp[0].shift || s->comp[1].shift)
    return AV_PIX_FMT_NONE;
  for (const AVPixFmtDescriptor *t = av_pix_fmt_desc_next(NULL); t; t = av_pix_fmt_desc_next(t)) {
    if (t->nb_components == 3 && (t->flags & AV_PIX_FMT_FLAG_PLANAR) &&
        !(t->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT)) &&
        (t->flags & AV_PIX_FMT_FLAG_BE) == (s->flags & AV_PIX_FMT_FLAG_BE) && t->comp[1].plane == 1 &&
        t->comp[2].plane == 2 && t->log2_chroma_w == s->log2_chroma_w && t->log2_chroma_h == s->log2_chroma_h &&
        t->comp[0].depth == s->comp[0].depth && t->comp[0].step == s->comp[0].step && !t->comp[0].shift)
      return av_pix_fmt_desc_get_id(t); /* the first match: yuv420p before yuvj420p */
  }
  return AV_PIX_FMT_NONE;
}

/* Splits the interleaved chroma of a semi-planar picture into r->split (planes of `twin`). */
static int split_chroma(ag_reader *r, uint8_t *const src[4], const int ss[4], enum AVPixelFormat fmt,
                        enum AVPixelFormat twin, uint8_t *dp[4], int ds[4]) {
  const AVPixFmtDescriptor *s = av_pix_fmt_desc_get(fmt);
  int need = av_image_get_buffer_size(twin, r->width, r->height, 1);
  if (need <= 0) return ag_fail(AG_E_FORMAT, "cannot size a %s picture", av_get_pix_fmt_name(twin));
  if (r->split_size < need) {
    av_free(r->split);
    r->split_size = 0;
    if (!(r->split = av_malloc((size_t)need))) return ag_fail(AG_E_NOMEM, "out of memory");
    r->split_size = need;
  }
  if (av_image_fill_arrays(dp, ds, r->split, twin, r->width, r->height, 1) < 0)
    return ag_fail(AG_E_FORMAT, "cannot lay out a %s picture", av_get_pix_fmt_name(twin));
  int bs = (s->comp[0].depth + 7) >> 3; /* bytes per sample */
  int cw = AV_CEIL_RSHIFT(r->width, s->log2_chroma_w), ch = AV_CEIL_RSHIFT(r->height, s->log2_chroma_h);
  av_image_copy_plane(dp[0], ds[0], src[0], ss[0], r->width * bs, r->height);
  for (int y = 0; y < ch; y++) {
    const uint8_t *in = src[1] + (ptrdiff_t)y * ss[1];
    uint8_t *u = dp[1] + (ptrdiff_t)y * ds[1], *v = dp[2] + (ptrdiff_t)y * ds[2];
    for (int x = 0; x < cw; x++) {
      memcpy(u + x * bs, in + x * s->comp[1].step + s->comp[1].offset, (size_t)bs);
      memcpy(v + x * bs, in + x * s->comp[2].step + s->comp[2].offset, (size_t)bs);
    }
  }
  return AG_OK;
}

/* Writes a decoded (or raw) picture of format fmt into the caller's planes: a plain copy when the formats
 * match, libswscale otherwise. */
static int write_out(ag_reader *r, uint8_t *const src_in[4], const int src_stride_in[4], enum AVPixelFormat fmt,
                     const dst_planes *d) {
  uint8_t *split[4] = {src_in[0], src_in[1], src_in[2], src_in[3]};
  int split_stride[4] = {src_stride_in[0], src_stride_in[1], src_stride_in[2], src_stride_in[3]};
  if (fmt != r->out_fmt && r->twin_of != fmt) {
    r->twin_of = fmt;
    r->twin = planar_twin(fmt);
  }
  if (fmt != r->out_fmt && r->twin != AV_PIX_FMT_NONE) {
    int rc = split_chroma(r, src_in, src_stride_in, fmt, r->twin, split, split_stride);
    if (rc) return rc;
    fmt = r->twin;
  }
  uint8_t *const *src = split;
  const int *src_stride = split_stride;
  int same = fmt == r->out_fmt || (r->out_fmt == AV_PIX_FMT_YUV420P && fmt == AV_PIX_FMT_YUVJ420P);
  if (same) {
    int bps = r->out_depth > 8 ? 2 : 1;
    int cw = (r->width + 1) >> 1, ch = (r->height + 1) >> 1;
    if (r->out_kind == OUT_RGB24) {
      av_image_copy_plane(d->p[0], d->stride[0], src[0], src_stride[0], r->width * 3, r->height);
    } else {
      av_image_copy_plane(d->p[0], d->stride[0], src[0], src_stride[0], r->width * bps, r->height);
      av_image_copy_plane(d->p[1], d->stride[1], src[1], src_stride[1], cw * bps, ch);
      av_image_copy_plane(d->p[2], d->stride[2], src[2], src_stride[2], cw * bps, ch);
    }
    return AG_OK;
  }
  const char *name = av_get_pix_fmt_name(fmt);
  if (!name) name = "unknown";
  if (!sws_isSupportedInput(fmt)) return ag_fail(AG_E_FORMAT, "decoded pixel format %s cannot be converted", name);
  /* Bicubic with exact rounding and full chroma interpolation: RGB24 equals ffmpeg's with the same flags. */
  r->sws = sws_getCachedContext(r->sws, r->width, r->height, fmt, r->width, r->height, r->out_fmt,
                                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
  if (!r->sws) return ag_fail(AG_E_FORMAT, "libswscale cannot convert %s to %s", name, av_get_pix_fmt_name(r->out_fmt));
  /* libswscale 6 writes past the end of tightly sized planes at odd heights (found by test/fuzz/fuzz_raw_y4m.c
   * as heap corruption): it converts into a buffer of its own with aligned rows and two spare rows, which
   * is then copied into the caller's planes. */
  if (!r->sws_out[0] && av_image_alloc(r->sws_out, r->sws_out_stride, r->width, r->height + 2, r->out_fmt, 64) < 0)
    return ag_fail(AG_E_NOMEM, "out of memory");
  const uint8_t *sp[4] = {src[0], src[1], src[2], src[3]};
  int h = sws_scale(r->sws, sp, src_stride, 0, r->height, r->sws_out, r->sws_out_stride);
  if (h != r->height) return ag_fail(AG_E_FORMAT, "libswscale failed (%d rows of %d)", h, r->height);
  return write_out(r, r->sws_out, r->sws_out_stride, r->out_fmt, d); /* now a plain copy */
}

/* ------------------------------------------------------------------ raw */

static int open_raw(ag_reader *r, const char *pixfmt, int64_t file_size) {
  if (r->width <= 0 || r->height <= 0 || r->width > 65536 || r->height > 65536)
    return ag_fail(AG_E_INVALID, "%s: raw video needs a width and height (got %dx%d)", r->path, r->width, r->height);
  r->src_fmt = av_get_pix_fmt(pixfmt && *pixfmt ? pixfmt : "yuv420p");
  if (r->src_fmt == AV_PIX_FMT_NONE) return ag_fail(AG_E_INVALID, "unknown pixel format \"%s\" (an FFmpeg name such as yuv420p or yuv420p10le)", pixfmt);
  const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(r->src_fmt);
  if (!desc || (desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL)))
    return ag_fail(AG_E_INVALID, "pixel format \"%s\" is not a raw planar or packed format", pixfmt);
  int fb = av_image_get_buffer_size(r->src_fmt, r->width, r->height, 1);
  if (fb <= 0) return ag_fail(AG_E_INVALID, "cannot size %dx%d %s frames", r->width, r->height, desc->name);
  r->frame_bytes = fb;
  if (file_size % fb != 0)
    return ag_fail(AG_E_FORMAT,
                   "%s: file size %lld bytes is not a multiple of the %dx%d %s frame size %d bytes (%lld whole frames and %lld bytes left over): check width, height and pixelFormat",
                   r->path, (long long)file_size, r->width, r->height, desc->name, fb, (long long)(file_size / fb),
                   (long long)(file_size % fb));
  r->count = file_size / fb;
  if (r->count == 0) return ag_fail(AG_E_FORMAT, "%s is an empty file", r->path);
  r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) return ag_fail(AG_E_IO, "cannot open %s: %s", r->path, strerror(errno));
  snprintf(r->codec, sizeof r->codec, "rawvideo");
  r->tb_num = r->fps_den;
  r->tb_den = r->fps_num;
  r->duration = (double)r->count * r->fps_den / r->fps_num;
  return AG_OK;
}

static int read_raw(ag_reader *r, int64_t idx, const dst_planes *d) {
  /* The frame's bytes, laid out as av_image_fill_arrays describes (align 1). */
  int direct = r->src_fmt == r->out_fmt;
  int bps = r->out_depth > 8 ? 2 : 1;
  int cw = (r->width + 1) >> 1, ch = (r->height + 1) >> 1;
  if (direct && r->out_kind == OUT_YUV && d->stride[0] == r->width * bps && d->stride[1] == cw * bps &&
      d->stride[2] == cw * bps) {
    /* Tight planes: read each plane straight into the caller's memory. */
    int64_t off = idx * r->frame_bytes;
    int64_t sizes[3] = {(int64_t)r->width * r->height * bps, (int64_t)cw * ch * bps, (int64_t)cw * ch * bps};
    for (int i = 0; i < 3; i++) {
      int64_t done = 0;
      while (done < sizes[i]) {
        ssize_t n = pread(r->fd, d->p[i] + done, (size_t)(sizes[i] - done), (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return ag_fail(n < 0 ? AG_E_IO : AG_E_FORMAT, "reading frame %lld of %s: %s", (long long)idx, r->path, n < 0 ? strerror(errno) : "file shrank");
        done += n;
      }
      off += sizes[i];
    }
    return AG_OK;
  }
  if (!r->rawbuf && !(r->rawbuf = av_malloc((size_t)r->frame_bytes + 64))) return ag_fail(AG_E_NOMEM, "out of memory");
  int64_t done = 0;
  while (done < r->frame_bytes) {
    ssize_t n = pread(r->fd, r->rawbuf + done, (size_t)(r->frame_bytes - done), (off_t)(idx * r->frame_bytes + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ag_fail(n < 0 ? AG_E_IO : AG_E_FORMAT, "reading frame %lld of %s: %s", (long long)idx, r->path, n < 0 ? strerror(errno) : "file shrank");
    done += n;
  }
  uint8_t *sp[4];
  int ss[4];
  if (av_image_fill_arrays(sp, ss, r->rawbuf, r->src_fmt, r->width, r->height, 1) < 0)
    return ag_fail(AG_E_FORMAT, "cannot lay out a raw frame");
  return write_out(r, sp, ss, r->src_fmt, d);
}

/* ------------------------------------------------------------------ the file's identity */

/* AG_OK while the path still names the file opened (same device, inode, size and modification time). */
static int check_unchanged(ag_reader *r) {
  struct stat now;
  const char *what = NULL;
  if (stat(r->path, &now) != 0) what = errno == ENOENT ? "was deleted" : "cannot be read any more";
  else if (now.st_dev != r->id.st_dev || now.st_ino != r->id.st_ino) what = "was replaced by another file";
  else if (now.st_size != r->id.st_size || now.st_mtim.tv_sec != r->id.st_mtim.tv_sec || now.st_mtim.tv_nsec != r->id.st_mtim.tv_nsec)
    what = "was modified";
  if (!what && !r->changed) return AG_OK;
  r->changed = 1;
  return ag_fail(AG_E_IO, "%s %s since this reader opened it: open it again to read it", r->path, what ? what : "changed");
}

/* ------------------------------------------------------------------ libav demuxing */

static void close_demuxer(ag_reader *r) {
  if (r->fmt) avformat_close_input(&r->fmt);
  r->fmt = NULL;
}

/* (Re)opens the demuxer at the start of the file. */
static int open_demuxer(ag_reader *r, int probe) {
  close_demuxer(r);
  if (!probe) {
    int rc = check_unchanged(r);
    if (rc) return rc;
  }
  AVFormatContext *fmt = avformat_alloc_context();
  if (!fmt) return ag_fail(AG_E_NOMEM, "out of memory");
  fmt->interrupt_callback.callback = interrupt_cb;
  fmt->interrupt_callback.opaque = r;
  /* Always the local file protocol: a file named like "pipe:0" or "http://..." must not read stdin or the
   * network, and nothing the container says may open another protocol. */
  char url[4096 + 8];
  if (snprintf(url, sizeof url, "file:%s", r->path) >= (int)sizeof url) {
    avformat_free_context(fmt);
    return ag_fail(AG_E_INVALID, "path too long");
  }
  AVDictionary *opts = NULL;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  int e = avformat_open_input(&fmt, url, NULL, &opts);
  av_dict_free(&opts);
  if (e == AVERROR_EXIT) return fail_time_limit(r, "opening");
  if (e < 0) /* avformat_open_input frees fmt on failure */
    return ag_fail(e == AVERROR(ENOENT) || e == AVERROR(EACCES) ? AG_E_IO : AG_E_FORMAT,
                   "%s: not a video file libavformat can open (%s)", r->path, err_str(e));
  r->fmt = fmt;
  e = avformat_find_stream_info(fmt, NULL);
  if (e == AVERROR_EXIT || interrupt_cb(r)) return fail_time_limit(r, "reading the stream information");
  if (e < 0) return ag_fail(AG_E_FORMAT, "%s: cannot read stream information (%s)", r->path, err_str(e));
  if (probe) {
    e = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (e < 0) return ag_fail(AG_E_FORMAT, "%s: no video stream", r->path);
    r->si = e;
  } else if (r->si >= (int)fmt->nb_streams || fmt->streams[r->si]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
    return ag_fail(AG_E_FORMAT, "%s: the video stream is gone on reopening", r->path);
  }
  /* Only the video stream: other packets are skipped inside the demuxer. */
  for (unsigned i = 0; i < fmt->nb_streams; i++) fmt->streams[i]->discard = (int)i == r->si ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  return AG_OK;
}

typedef struct {
  int64_t pts, dts, dur;
  int key;
} pkt_entry;

static int cmp_entry(const void *a, const void *b) {
  const pkt_entry *x = a, *y = b;
  return x->pts < y->pts ? -1 : x->pts > y->pts;
}

/* Demuxes every packet of the video stream once and fills the frame table. */
static int build_index(ag_reader *r) {
  pkt_entry *e = NULL;
  int64_t n = 0, cap = 0;
  int missing_pts = 0;
  AVPacket *pkt = r->pkt;
  for (;;) {
    int rc = av_read_frame(r->fmt, pkt);
    if (rc == AVERROR_EXIT || (rc < 0 && interrupt_cb(r))) { /* cut short: the frames so far are not the file */
      free(e);
      return fail_time_limit(r, "indexing the frames");
    }
    if (rc < 0) break; /* end of file, or corrupt data: the frames so far are the file */
    /* Not frames of the file: packets outside the edit list (DISCARD) and damaged ones such as the partial
     * last packet of a truncated file (CORRUPT); the decoder still sees them, their output is skipped. */
    if (pkt->stream_index == r->si && !(pkt->flags & (AV_PKT_FLAG_DISCARD | AV_PKT_FLAG_CORRUPT)) && pkt->size > 0) {
      if (n == AG_READER_MAX_FRAMES) {
        av_packet_unref(pkt);
        free(e);
        return ag_fail(AG_E_FORMAT, "%s: more than %d frames", r->path, AG_READER_MAX_FRAMES);
      }
      if (n == cap) {
        int64_t nc = cap ? cap * 2 : 1024;
        pkt_entry *ne = realloc(e, (size_t)nc * sizeof *e);
        if (!ne) {
          av_packet_unref(pkt);
          free(e);
          return ag_fail(AG_E_NOMEM, "out of memory");
        }
        e = ne;
        cap = nc;
      }
      e[n].pts = pkt->pts;
      e[n].dts = pkt->dts;
      e[n].dur = pkt->duration;
      e[n].key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      if (pkt->pts == AV_NOPTS_VALUE) missing_pts = 1;
      n++;
    }
    av_packet_unref(pkt);
  }
  if (n == 0) {
    free(e);
    return ag_fail(AG_E_FORMAT, "%s: no video frames could be read", r->path);
  }
  if (!missing_pts) {
    qsort(e, (size_t)n, sizeof *e, cmp_entry);
    for (int64_t i = 1; i < n; i++)
      if (e[i].pts == e[i - 1].pts) missing_pts = 1; /* duplicate pts: order unknowable, count instead */
  }
  r->counting = missing_pts;
  r->count = n;
  r->pts = malloc((size_t)n * sizeof *r->pts);
  r->seek_ts = malloc((size_t)n * sizeof *r->seek_ts);
  r->kf = malloc((size_t)n * sizeof *r->kf);
  r->key = malloc((size_t)n);
  if (!r->pts || !r->seek_ts || !r->kf || !r->key) {
    free(e);
    return ag_fail(AG_E_NOMEM, "out of memory");
  }
  int64_t lastkey = 0;
  int64_t last_dur = e[n - 1].dur; /* the last frame's packet duration (0 when the container does not say) */
  for (int64_t i = 0; i < n; i++) {
    if (r->counting) {
      r->pts[i] = i;
      r->key[i] = i == 0;
      r->seek_ts[i] = 0;
    } else {
      r->pts[i] = e[i].pts;
      r->key[i] = (uint8_t)e[i].key;
      r->seek_ts[i] = e[i].dts != AV_NOPTS_VALUE && e[i].dts < e[i].pts ? e[i].dts : e[i].pts;
    }
    if (r->key[i]) lastkey = i;
    r->kf[i] = lastkey; /* no key frame yet: 0, which decodes from the start */
  }
  free(e);
  if (r->counting) {
    r->tb_num = r->fps_den;
    r->tb_den = r->fps_num;
    r->duration = (double)n * r->fps_den / r->fps_num;
  } else {
    /* First frame's start to the last frame's end: the last frame lasts its packet duration, or one frame
     * interval when the container does not say. */
    double tb = (double)r->tb_num / r->tb_den;
    double last_s = last_dur > 0 ? (double)last_dur * tb : (double)r->fps_den / r->fps_num;
    /* in double: a damaged file's first and last pts can be far enough apart to overflow int64 (fuzz_ivf) */
    r->duration = ((double)r->pts[n - 1] - (double)r->pts[0]) * tb + last_s;
  }
  return AG_OK;
}

static int open_libav(ag_reader *r, int threads) {
  int rc = open_demuxer(r, 1);
  if (rc) return rc;
  AVStream *st = r->fmt->streams[r->si];
  AVCodecParameters *par = st->codecpar;
  const AVCodec *codec = avcodec_find_decoder(par->codec_id);
  const char *cname = avcodec_get_name(par->codec_id);
  snprintf(r->codec, sizeof r->codec, "%s", cname ? cname : "unknown");
  if (!codec) return ag_fail(AG_E_FORMAT, "%s: no decoder for codec %s", r->path, r->codec);
  if (par->width <= 0 || par->height <= 0 || par->width > 32768 || par->height > 32768)
    return ag_fail(AG_E_FORMAT, "%s: not a readable video (invalid frame size %dx%d)", r->path, par->width, par->height);
  /* libavformat learns the pixel format by decoding a frame: none means no frame could be decoded. */
  if (par->format < 0)
    return ag_fail(AG_E_FORMAT, "%s: no %s frame could be decoded to learn the pixel format (the file is truncated or its data is corrupt)", r->path, r->codec);
  r->width = par->width;
  r->height = par->height;
  r->src_fmt = par->format;
  if (st->time_base.num <= 0 || st->time_base.den <= 0) return ag_fail(AG_E_FORMAT, "%s: invalid time base", r->path);
  r->tb_num = st->time_base.num;
  r->tb_den = st->time_base.den;
  if (r->fps_num <= 0) { /* no user override */
    AVRational fr = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fr.num <= 0 || fr.den <= 0) fr = (AVRational){25, 1};
    r->fps_num = fr.num;
    r->fps_den = fr.den;
  }

  r->dec = avcodec_alloc_context3(codec);
  if (!r->dec) return ag_fail(AG_E_NOMEM, "out of memory");
  if (avcodec_parameters_to_context(r->dec, par) < 0) return ag_fail(AG_E_FORMAT, "%s: bad codec parameters", r->path);
  r->dec->pkt_timebase = st->time_base;
  r->can_skip_nonref = par->codec_id == AV_CODEC_ID_H264 || par->codec_id == AV_CODEC_ID_HEVC;
  r->skip_below = INT64_MIN;
  r->dec->thread_count = threads;
  r->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  int e = avcodec_open2(r->dec, codec, NULL);
  if (e < 0) return ag_fail(AG_E_FORMAT, "%s: cannot open the %s decoder (%s)", r->path, r->codec, err_str(e));

  if ((rc = build_index(r))) return rc;
  /* Back to the start for decoding. */
  if ((rc = open_demuxer(r, 0))) return rc;
  r->cur = -1;
  r->from_start = 1;
  return AG_OK;
}

/* ------------------------------------------------------------------ decoding */

/* Moves the decoder so that its next output is frame k's GOP: a seek to key frame k, or the start. */
static int reposition(ag_reader *r, int64_t k) {
  avcodec_flush_buffers(r->dec);
  if (r->pkt_pending) av_packet_unref(r->pkt);
  r->pkt_pending = 0;
  r->demux_eof = r->drain_sent = 0;
  r->run_damaged = 0;
  r->cur = LLONG_MIN / 2; /* until this succeeds, the next request repositions again */
  if (k > 0 && !r->counting && r->fmt) {
    int e = av_seek_frame(r->fmt, r->si, r->seek_ts[k], AVSEEK_FLAG_BACKWARD);
    if (e >= 0) {
      r->run_from = r->pts[k];
      r->cur = k - 1;
      r->from_start = 0;
      return AG_OK;
    }
  }
  /* The start of the file: reopening the demuxer is the one way that works for every container. */
  int rc = open_demuxer(r, 0);
  if (rc) return rc;
  r->cur = -1;
  r->from_start = 1;
  return AG_OK;
}

static int64_t frame_ts(const AVFrame *f);

/* The next frame out of the decoder into r->frm: AG_OK, AG_E_EOF, or an error. Packets the decoder rejects
 * (corrupt data) are skipped, as ffmpeg does. */
static int decode_next(ag_reader *r) {
  int stuck = 0; /* sends refused with EAGAIN while no frame came out: a decoder that wedged on bad data */
  if (!r->fmt) return ag_fail(AG_E_STATE, "%s: no demuxer (an earlier reopen failed)", r->path);
  for (;;) {
    if (interrupt_cb(r)) return fail_time_limit(r, "decoding");
    int e = avcodec_receive_frame(r->dec, r->frm);
    if (e == 0) {
      /* Leading pictures of an open GOP (before the key frame) are concealed after a seek by design: only
       * damage from the key frame on counts. */
      if (((r->frm->flags & AV_FRAME_FLAG_CORRUPT) || r->frm->decode_error_flags) &&
          (r->from_start || r->counting || frame_ts(r->frm) == AV_NOPTS_VALUE || frame_ts(r->frm) >= r->run_from))
        r->run_damaged = 1;
      return AG_OK;
    }
    if (e == AVERROR_EOF || r->drain_sent) return AG_E_EOF;
    if (e != AVERROR(EAGAIN)) r->run_damaged = 1;
    /* EAGAIN: the decoder wants input. Any other error is a decoding error on corrupt data: that frame is
     * lost, decoding goes on with the next packet (as ffmpeg does). */
    if (!r->pkt_pending) {
      if (r->demux_eof) {
        avcodec_send_packet(r->dec, NULL); /* drain; receive_frame then ends with EOF */
        r->drain_sent = 1;
        continue;
      }
      e = av_read_frame(r->fmt, r->pkt);
      if (e == AVERROR_EXIT) return fail_time_limit(r, "reading");
      if (e < 0) {
        r->demux_eof = 1;
        continue;
      }
      if (r->pkt->stream_index != r->si) {
        av_packet_unref(r->pkt);
        continue;
      }
      r->pkt_pending = 1;
      if (r->pkt->flags & AV_PKT_FLAG_CORRUPT) r->run_damaged = 1;
      /* A non-reference frame before the target is never shown and nothing depends on it: skipping it is
       * exact and saves a share of the decode work on the way to a random-access target. */
      if (r->can_skip_nonref)
        r->dec->skip_frame = r->pkt->pts != AV_NOPTS_VALUE && r->pkt->pts < r->skip_below ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    }
    e = avcodec_send_packet(r->dec, r->pkt);
    if (e == AVERROR(EAGAIN) && ++stuck < 3) continue; /* receive first, then resend this packet */
    if (e < 0) r->run_damaged = 1;
    av_packet_unref(r->pkt); /* accepted, refused as corrupt, or wedged: either way this packet is done */
    r->pkt_pending = 0;
    stuck = 0;
  }
}

static int64_t frame_ts(const AVFrame *f) {
  return f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
}

/* Index of pts p in the table, or -1. */
static int64_t find_pts(const ag_reader *r, int64_t p) {
  int64_t lo = 0, hi = r->count - 1;
  while (lo <= hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (r->pts[mid] == p) return mid;
    if (r->pts[mid] < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/* Decodes until frame idx is in r->last. */
static int decode_to(ag_reader *r, int64_t idx) {
  if (r->last_idx == idx) return AG_OK;
  int rc;
restart:;
  /* Forward in the same GOP (or the next frame is the key frame we would seek to): decode on. A damaged file
   * decodes on only from the start. */
  int64_t k = r->damaged ? 0 : r->kf[idx];
  if (!(idx > r->cur && k <= r->cur + 1 && (!r->damaged || r->from_start))) {
    if ((rc = reposition(r, k))) return rc;
  }
  int retried = 0;
  int64_t target = r->pts[idx];
  /* With damage, concealment may draw on any decoded picture: decode every one, as a sequential run does. */
  r->skip_below = r->counting || r->damaged ? INT64_MIN : target;
  for (;;) {
    rc = decode_next(r);
    int64_t ts = 0, j = -1;
    if (rc == AG_OK) {
      if (r->frm->width != r->width || r->frm->height != r->height) {
        int w = r->frm->width, h = r->frm->height;
        av_frame_unref(r->frm);
        r->cur = LLONG_MIN / 2; /* state unknown: the next request repositions */
        return ag_fail(AG_E_FORMAT, "%s: frame size changes mid-stream (%dx%d, the stream is %dx%d)", r->path, w, h,
                       r->width, r->height);
      }
      if (r->counting) {
        j = r->cur + 1;
        ts = j < r->count ? r->pts[j] : INT64_MAX;
      } else {
        ts = frame_ts(r->frm);
        j = ts == AV_NOPTS_VALUE ? r->cur + 1 : find_pts(r, ts);
        if (ts == AV_NOPTS_VALUE) ts = j >= 0 && j < r->count ? r->pts[j] : INT64_MAX;
      }
      if (ts < target) { /* before the target (leading frames after a seek, or frames on the way) */
        if (j >= 0) r->cur = j;
        av_frame_unref(r->frm);
        continue;
      }
      if (ts == target) {
        if (r->run_damaged && !r->from_start && !r->damaged) {
          /* Damage on the way from the key frame: the decoder concealed it from other pictures than a
           * sequential decode had, so this frame may differ from it. Decode from the start instead. */
          av_frame_unref(r->frm);
          r->damaged = 1;
          goto restart;
        }
        r->cur = idx;
        av_frame_unref(r->last);
        av_frame_move_ref(r->last, r->frm);
        r->last_idx = idx;
        return AG_OK;
      }
      av_frame_unref(r->frm);
    } else if (rc != AG_E_EOF) {
      r->cur = LLONG_MIN / 2;
      return rc;
    }
    /* Past the target, or the end: the frame did not come out of this run. Try once from the start of the
     * file (a demuxer may have seeked imprecisely); then give up with a clear error. */
    if (!retried && !r->from_start) {
      retried = 1;
      if ((rc = reposition(r, 0))) return rc;
      continue;
    }
    r->cur = LLONG_MIN / 2;
    return ag_fail(AG_E_FORMAT, "%s: frame %lld (pts %lld) could not be decoded (%s)", r->path, (long long)idx,
                   (long long)target, rc == AG_E_EOF ? "the stream ended first" : "the decoder skipped it; the data is likely corrupt");
  }
}

/* ------------------------------------------------------------------ public API */

AG_API void ag_reader_close(ag_reader *r);

/* The open-time settings (AG_READER_KEY_* in av1gym.h); every error names its key. */
typedef struct {
  int32_t raw, width, height, fps_num, fps_den, threads, out_kind, bit_depth;
  const char *pixfmt;
} ReaderParams;

static int32_t read_params(AgConfig *c, ReaderParams *p) {
  static const char *const outputs[] = {"yuv420p", "rgb24", NULL}; /* OUT_YUV, OUT_RGB24 */
  int32_t rc;
  ag_config_begin(c);
  if ((rc = ag_config_int32(c, AG_READER_KEY_RAW, 0, 1, 0, &p->raw)) ||
      (rc = ag_config_int32(c, AG_READER_KEY_WIDTH, 1, 1 << 16, 0, &p->width)) ||
      (rc = ag_config_int32(c, AG_READER_KEY_HEIGHT, 1, 1 << 16, 0, &p->height)) ||
      (rc = ag_config_str(c, AG_READER_KEY_PIXEL_FORMAT, "yuv420p", &p->pixfmt)) ||
      (rc = ag_config_int32(c, AG_READER_KEY_FPS_NUM, 1, INT32_MAX, 0, &p->fps_num)) ||
      (rc = ag_config_int32(c, AG_READER_KEY_FPS_DEN, 1, INT32_MAX, 0, &p->fps_den)) ||
      (rc = ag_config_int32(c, AG_READER_KEY_THREADS, 1, 64, 1, &p->threads)) ||
      (rc = ag_config_choice(c, AG_READER_KEY_OUTPUT, outputs, 0, &p->out_kind)) ||
      (rc = ag_config_int32(c, AG_READER_KEY_BIT_DEPTH, 0, 8, 0, &p->bit_depth)) || (rc = ag_config_end(c, "the reader")))
    return rc;
  p->out_kind = p->out_kind == 0 ? OUT_YUV : OUT_RGB24;
  if ((p->fps_num > 0) != (p->fps_den > 0))
    return ag_fail(AG_E_INVALID, "options %s and %s go together", AG_READER_KEY_FPS_NUM, AG_READER_KEY_FPS_DEN);
  if (p->bit_depth != 0 && p->bit_depth != 8) return ag_fail(AG_E_INVALID, "option %s must be 0 or 8", AG_READER_KEY_BIT_DEPTH);
  return AG_OK;
}

AG_API ag_reader *ag_reader_open(const char *path, AgConfig *config) {
  ag_clear_error();
  ag_av_log_init();
  if (!path || !*path) {
    ag_fail(AG_E_INVALID, "empty path");
    return NULL;
  }
  ReaderParams prm;
  if (read_params(config, &prm) != AG_OK) return NULL;
  const int32_t threads = prm.threads;
  struct stat sb;
  if (stat(path, &sb) != 0) {
    ag_fail(AG_E_IO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  if (S_ISDIR(sb.st_mode)) {
    ag_fail(AG_E_IO, "%s is a directory, not a video file", path);
    return NULL;
  }
  if (!S_ISREG(sb.st_mode)) {
    ag_fail(AG_E_IO, "%s is not a regular file", path);
    return NULL;
  }
  if (access(path, R_OK) != 0) {
    ag_fail(AG_E_IO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  if (sb.st_size == 0) {
    ag_fail(AG_E_FORMAT, "%s is an empty file", path);
    return NULL;
  }
  ag_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path))) {
    free(r);
    ag_fail(AG_E_NOMEM, "out of memory");
    return NULL;
  }
  r->id = sb;
  r->fd = -1;
  r->si = -1;
  r->twin_of = r->twin = AV_PIX_FMT_NONE;
  r->last_idx = -1;
  r->threads = threads;
  r->fps_num = prm.fps_num;
  r->fps_den = prm.fps_den;
  start_call(r);
  int rc;
  if (prm.raw) {
    r->raw = 1;
    r->width = prm.width;
    r->height = prm.height;
    if (r->fps_num <= 0) {
      r->fps_num = 25;
      r->fps_den = 1;
    }
    rc = open_raw(r, prm.pixfmt, sb.st_size);
  } else {
    r->pkt = av_packet_alloc();
    r->frm = av_frame_alloc();
    r->last = av_frame_alloc();
    rc = !r->pkt || !r->frm || !r->last ? ag_fail(AG_E_NOMEM, "out of memory") : open_libav(r, threads);
  }
  if (rc == AG_OK) rc = choose_output(r, prm.out_kind, prm.bit_depth);
  r->deadline = 0;
  if (rc != AG_OK) {
    ag_reader_close(r);
    return NULL;
  }
  return r;
}

AG_API void ag_reader_close(ag_reader *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  close_demuxer(r);
  avcodec_free_context(&r->dec);
  av_packet_free(&r->pkt);
  av_frame_free(&r->frm);
  av_frame_free(&r->last);
  sws_freeContext(r->sws);
  av_freep(&r->sws_out[0]);
  av_free(r->rawbuf);
  av_free(r->split);
  free(r->pts);
  free(r->seek_ts);
  free(r->kf);
  free(r->key);
  free(r->path);
  free(r);
}

/* Integer metadata (AG_RI_* order). Returns how many were written. */
AG_API int32_t ag_reader_info(const ag_reader *r, int64_t *out, int32_t out_len) {
  if (!r) return ag_fail(AG_E_INVALID, "null reader");
  if (!out || out_len < AG_RI_COUNT) return ag_fail(AG_E_INVALID, "reader info holds %d values, needs %d", out_len, AG_RI_COUNT);
  out[AG_RI_WIDTH] = r->width;
  out[AG_RI_HEIGHT] = r->height;
  out[AG_RI_FPS_NUM] = r->fps_num;
  out[AG_RI_FPS_DEN] = r->fps_den;
  out[AG_RI_FRAMES] = r->count;
  out[AG_RI_TB_NUM] = r->tb_num;
  out[AG_RI_TB_DEN] = r->tb_den;
  out[AG_RI_OUT_DEPTH] = r->out_depth;
  out[AG_RI_SRC_DEPTH] = r->src_depth;
  out[AG_RI_COUNTING] = r->counting;
  return AG_RI_COUNT;
}

AG_API double ag_reader_duration(const ag_reader *r) { return r ? r->duration : 0; }

AG_API const char *ag_reader_codec(const ag_reader *r) { return r ? r->codec : ""; }

AG_API const char *ag_reader_pixfmt(const ag_reader *r) {
  const char *n = r ? av_get_pix_fmt_name(r->src_fmt) : NULL;
  return n ? n : "unknown";
}

/* Copies the per-frame pts (in the time base of ag_reader_info) and key flags; n must be the frame count. */
AG_API int32_t ag_reader_timestamps(const ag_reader *r, int64_t *pts, uint8_t *key, int64_t n) {
  if (!r || !pts || !key) return ag_fail(AG_E_INVALID, "null reader or buffer");
  if (n != r->count) return ag_fail(AG_E_INVALID, "buffers hold %lld entries, the file has %lld frames", (long long)n, (long long)r->count);
  if (r->raw) {
    for (int64_t i = 0; i < n; i++) {
      pts[i] = i;
      key[i] = 1;
    }
    return AG_OK;
  }
  memcpy(pts, r->pts, (size_t)n * sizeof *pts);
  memcpy(key, r->key, (size_t)n);
  return AG_OK;
}

/* Decodes frame idx into the caller's planes (byte strides and lengths; for RGB24 only plane 0). */
AG_API int32_t ag_reader_read(ag_reader *r, int64_t idx, uint8_t *p0, int64_t len0, int32_t stride0, uint8_t *p1,
                              int64_t len1, int32_t stride1, uint8_t *p2, int64_t len2, int32_t stride2) {
  if (!r) return ag_fail(AG_E_INVALID, "null reader");
  if (idx < 0 || idx >= r->count)
    return ag_fail(AG_E_RANGE, "frame %lld is outside the file (frames 0..%lld)", (long long)idx, (long long)r->count - 1);
  dst_planes d = {{p0, p1, p2}, {len0, len1, len2}, {stride0, stride1, stride2}};
  int rc = check_dst(r, &d);
  if (rc) return rc;
  if ((rc = check_unchanged(r))) return rc;
  if (r->raw) return read_raw(r, idx, &d);
  start_call(r);
  rc = decode_to(r, idx);
  if (rc == AG_OK) rc = write_out(r, r->last->data, r->last->linesize, r->last->format, &d);
  r->deadline = 0;
  return rc;
}
