/* Any libavcodec video encoder behind one handle: settings by name (the shim's own "ag:" keys, everything else
 * an AVOption of the codec context or the encoder's private context, an unknown or rejected one an error that
 * names it), input conversion with libswscale when the encoder does not take the caller's pixel format,
 * hardware device/frame contexts for the hardware encoders, forced key frames, and H.264/HEVC in Annex B or
 * length-prefixed ("avc") form with avcC/hvcC extradata.
 *
 * libavcodec's libsvtav1 wrapper is refused by name: bookworm's libavcodec links SVT-AV1 1.4 while this
 * library links SVT-AV1 2.3 under the same symbol names, so in this process that wrapper could call 2.3
 * functions with 1.4 structures. AV1 goes through lib/codec/svt.c instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "internal.h"
#include "codec/h26x.h"

struct AgLavc {
  const AVCodec *codec;
  AVCodecContext *ctx;
  char name[64];
  int opened, flushed, avc, h26x; /* h26x: 0 other, 1 H.264, 2 HEVC */
  int width, height, global_header;
  AVRational fps;
  enum AVPixelFormat in_fmt, sw_fmt;
  AVBufferRef *device, *frames_ctx;
  struct SwsContext *sws;
  AVFrame *frame, *hw_frame;
  AVPacket *pkt;
  AVPacket **queue;
  int qhead, qlen, qcap;
  uint8_t *extradata;
  int extradata_size;
};

static int fail_av(int code, int averr, const char *what, const char *log) {
  char e[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(averr, e, sizeof e);
  int has_log = log && *log;
  return ag_fail(code, "%s: %s%s%s%s", what, e, has_log ? " (" : "", has_log ? log : "", has_log ? ")" : "");
}

static int is_hw_format(enum AVPixelFormat f) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
  return d && (d->flags & AV_PIX_FMT_FLAG_HWACCEL);
}

/* The device type a hardware encoder needs (by its name's suffix); NONE for software and v4l2m2m. */
static enum AVHWDeviceType device_type_for(const char *name) {
  static const struct {
    const char *suffix;
    enum AVHWDeviceType type;
  } t[] = {{"_nvenc", AV_HWDEVICE_TYPE_CUDA},
           {"_vaapi", AV_HWDEVICE_TYPE_VAAPI},
           {"_qsv", AV_HWDEVICE_TYPE_QSV},
           {"_videotoolbox", AV_HWDEVICE_TYPE_VIDEOTOOLBOX}};
  size_t n = strlen(name);
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    size_t m = strlen(t[i].suffix);
    if (n > m && strcmp(name + n - m, t[i].suffix) == 0) return t[i].type;
  }
  return AV_HWDEVICE_TYPE_NONE;
}

AgLavc *ag_lavc_new(const char *encoder) {
  ag_clear_error();
  ag_av_log_init();
  if (!encoder || !*encoder) {
    ag_fail(AG_E_INVALID, "no encoder name");
    return NULL;
  }
  if (strcmp(encoder, "libsvtav1") == 0) {
    ag_fail(AG_E_INVALID, "libsvtav1 is never opened in this process (libavcodec's links SVT-AV1 1.4, av1gym's 2.3, same "
                          "symbol names): AV1 goes through av1gym's own SVT-AV1 session");
    return NULL;
  }
  const AVCodec *c = avcodec_find_encoder_by_name(encoder);
  if (!c) {
    ag_fail(AG_E_INVALID, "unknown encoder '%s' (not in this libavcodec)", encoder);
    return NULL;
  }
  if (c->type != AVMEDIA_TYPE_VIDEO) {
    ag_fail(AG_E_INVALID, "'%s' is not a video encoder", encoder);
    return NULL;
  }
  AgLavc *e = calloc(1, sizeof *e);
  if (!e || !(e->ctx = avcodec_alloc_context3(c)) || !(e->pkt = av_packet_alloc())) {
    if (e) avcodec_free_context(&e->ctx);
    free(e);
    ag_fail(AG_E_NOMEM, "out of memory");
    return NULL;
  }
  e->codec = c;
  snprintf(e->name, sizeof e->name, "%s", encoder);
  e->in_fmt = AV_PIX_FMT_YUV420P;
  e->fps = (AVRational){25, 1};
  e->h26x = c->id == AV_CODEC_ID_H264 ? 1 : c->id == AV_CODEC_ID_HEVC ? 2 : 0;
  return e;
}

static int parse_int(const char *v, int lo, int hi, int *out) {
  char *end;
  long x = strtol(v, &end, 10);
  if (!*v || *end || x < lo || x > hi) return -1;
  *out = (int)x;
  return 0;
}

int ag_lavc_set(AgLavc *e, const char *key, const char *value) {
  ag_clear_error();
  if (!e || !key || !value) return ag_fail(AG_E_INVALID, "ag_lavc_set: null argument");
  if (e->opened) return ag_fail(AG_E_STATE, "%s: option %s set after open", e->name, key);
  if (strncmp(key, "ag:", 3) == 0) {
    const char *k = key + 3;
    int ok = 0;
    if (!strcmp(k, "width")) ok = parse_int(value, 1, 16384, &e->width) == 0;
    else if (!strcmp(k, "height")) ok = parse_int(value, 1, 16384, &e->height) == 0;
    else if (!strcmp(k, "global_header")) ok = parse_int(value, 0, 1, &e->global_header) == 0;
    else if (!strcmp(k, "fps")) {
      int n, d;
      ok = sscanf(value, "%d/%d", &n, &d) == 2 && n > 0 && d > 0;
      if (ok) e->fps = (AVRational){n, d};
    } else if (!strcmp(k, "input")) {
      enum AVPixelFormat f = av_get_pix_fmt(value);
      ok = f != AV_PIX_FMT_NONE && !is_hw_format(f);
      if (ok) e->in_fmt = f;
    } else if (!strcmp(k, "format")) {
      ok = !strcmp(value, "annexb") || !strcmp(value, "avc");
      if (ok) e->avc = !strcmp(value, "avc");
      if (ok && e->avc && !e->h26x) return ag_fail(AG_E_INVALID, "%s: format \"avc\" is for H.264/HEVC encoders", e->name);
    } else {
      return ag_fail(AG_E_INVALID, "%s: unknown setting '%s'", e->name, key);
    }
    return ok ? AG_OK : ag_fail(AG_E_INVALID, "%s: bad value '%s' for %s", e->name, value, key);
  }
  ag_avlog_capture_begin();
  int r = av_opt_set(e->ctx, key, value, AV_OPT_SEARCH_CHILDREN);
  const char *log = ag_avlog_capture_end();
  if (r == AVERROR_OPTION_NOT_FOUND) return ag_fail(AG_E_INVALID, "%s has no option '%s'", e->name, key);
  if (r < 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s rejected option %s=%s", e->name, key, value);
    return fail_av(AG_E_INVALID, r, msg, log);
  }
  return AG_OK;
}

/* The software format frames reach the encoder in: the caller's when the encoder takes it, else the first
 * one of the encoder's list with the same bit depth (4:2:0 preferred), else the encoder's first. */
static enum AVPixelFormat pick_sw_format(const AVCodec *c, enum AVPixelFormat in, int *hw) {
  *hw = 0;
  const enum AVPixelFormat *l = c->pix_fmts;
  if (!l) return in;
  int n_sw = 0;
  for (int i = 0; l[i] != AV_PIX_FMT_NONE; i++) {
    if (l[i] == in) return in;
    n_sw += !is_hw_format(l[i]);
  }
  const AVPixFmtDescriptor *din = av_pix_fmt_desc_get(in);
  int deep = din && din->comp[0].depth > 8;
  if (n_sw == 0) { /* hardware frames only: upload from NV12 / P010 */
    *hw = 1;
    return deep ? AV_PIX_FMT_P010LE : AV_PIX_FMT_NV12;
  }
  const enum AVPixelFormat pref[] = {deep ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P,
                                     deep ? AV_PIX_FMT_P010LE : AV_PIX_FMT_NV12, AV_PIX_FMT_YUV420P, AV_PIX_FMT_NV12};
  for (size_t p = 0; p < sizeof pref / sizeof pref[0]; p++)
    for (int i = 0; l[i] != AV_PIX_FMT_NONE; i++)
      if (l[i] == pref[p]) return l[i];
  for (int i = 0; l[i] != AV_PIX_FMT_NONE; i++)
    if (!is_hw_format(l[i])) return l[i];
  return in;
}

static int open_device(AgLavc *e, int need_frames) {
  enum AVHWDeviceType t = device_type_for(e->name);
  if (t == AV_HWDEVICE_TYPE_NONE) {
    if (!need_frames) return AG_OK;
    return ag_fail(AG_E_ENCODER, "%s takes hardware frames but no device type is known for it", e->name);
  }
  ag_avlog_capture_begin();
  int r = av_hwdevice_ctx_create(&e->device, t, NULL, NULL, 0);
  const char *log = ag_avlog_capture_end();
  if (r < 0) {
    char what[160];
    /* libva reports through its own logger, not libav's: say what it would have found */
    int dri = (t == AV_HWDEVICE_TYPE_VAAPI || t == AV_HWDEVICE_TYPE_QSV) && access("/dev/dri", F_OK) != 0;
    snprintf(what, sizeof what, "%s: no %s device context%s", e->name, av_hwdevice_get_type_name(t),
             dri ? " (this machine has no /dev/dri render node)" : "");
    return fail_av(AG_E_ENCODER, r, what, log);
  }
  if (!need_frames) {
    e->ctx->hw_device_ctx = av_buffer_ref(e->device);
    return AG_OK;
  }
  e->frames_ctx = av_hwframe_ctx_alloc(e->device);
  if (!e->frames_ctx) return ag_fail(AG_E_NOMEM, "out of memory");
  AVHWFramesContext *fc = (AVHWFramesContext *)e->frames_ctx->data;
  const enum AVPixelFormat *l = e->codec->pix_fmts;
  fc->format = l[0];
  for (int i = 0; l[i] != AV_PIX_FMT_NONE; i++)
    if (is_hw_format(l[i])) {
      fc->format = l[i];
      break;
    }
  fc->sw_format = e->sw_fmt;
  fc->width = e->width;
  fc->height = e->height;
  fc->initial_pool_size = 4;
  ag_avlog_capture_begin();
  r = av_hwframe_ctx_init(e->frames_ctx);
  log = ag_avlog_capture_end();
  if (r < 0) return fail_av(AG_E_ENCODER, r, "hardware frame pool", log);
  e->ctx->pix_fmt = fc->format;
  e->ctx->hw_frames_ctx = av_buffer_ref(e->frames_ctx);
  return (e->hw_frame = av_frame_alloc()) ? AG_OK : ag_fail(AG_E_NOMEM, "out of memory");
}

int ag_lavc_open(AgLavc *e) {
  ag_clear_error();
  if (!e) return ag_fail(AG_E_INVALID, "null encoder");
  if (e->opened) return ag_fail(AG_E_STATE, "%s is already open", e->name);
  if (e->width <= 0 || e->height <= 0) return ag_fail(AG_E_INVALID, "%s: width and height are required", e->name);
  int hw;
  e->sw_fmt = pick_sw_format(e->codec, e->in_fmt, &hw);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(e->sw_fmt), *din = av_pix_fmt_desc_get(e->in_fmt);
  int mask_w = (1 << d->log2_chroma_w) - 1, mask_h = (1 << d->log2_chroma_h) - 1;
  int in_mask_w = (1 << din->log2_chroma_w) - 1, in_mask_h = (1 << din->log2_chroma_h) - 1;
  if ((e->width & (mask_w | in_mask_w)) || (e->height & (mask_h | in_mask_h)))
    return ag_fail(AG_E_INVALID, "%s: %dx%d has an odd dimension, which %s (4:2:0) cannot hold; pad or crop by one", e->name,
                   e->width, e->height, (e->width & mask_w) || (e->height & mask_h) ? d->name : din->name);
  AVCodecContext *c = e->ctx;
  c->width = e->width;
  c->height = e->height;
  c->time_base = av_inv_q(e->fps);
  c->framerate = e->fps;
  c->pix_fmt = e->sw_fmt;
  if (e->avc || e->global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (e->codec->capabilities & AV_CODEC_CAP_EXPERIMENTAL) c->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
  if (open_device(e, hw) != AG_OK) return ag_last_error_code();
  ag_avlog_capture_begin();
  int r = avcodec_open2(c, e->codec, NULL);
  const char *log = ag_avlog_capture_end();
  if (r < 0) {
    char what[96];
    snprintf(what, sizeof what, "%s could not be opened", e->name);
    return fail_av(r == AVERROR(EINVAL) || r == AVERROR(ERANGE) ? AG_E_INVALID : AG_E_ENCODER, r, what, log);
  }
  e->opened = 1;
  if (c->extradata_size > 0) {
    int cap = c->extradata_size + 64;
    e->extradata = av_malloc((size_t)cap);
    if (!e->extradata) return ag_fail(AG_E_NOMEM, "out of memory");
    if (e->avc) {
      int64_t n = e->h26x == 1 ? ag_avcc_build(c->extradata, (size_t)c->extradata_size, e->extradata, (size_t)cap)
                               : ag_hvcc_build(c->extradata, (size_t)c->extradata_size, e->extradata, (size_t)cap);
      if (n < 0) return ag_fail(AG_E_FORMAT, "%s: its global header has no usable SPS/PPS for an avcC/hvcC box", e->name);
      e->extradata_size = (int)n;
    } else {
      memcpy(e->extradata, c->extradata, (size_t)c->extradata_size);
      e->extradata_size = c->extradata_size;
    }
  } else if (e->avc) {
    return ag_fail(AG_E_ENCODER, "%s gave no global header for the \"avc\" format", e->name);
  }
  if (e->in_fmt != e->sw_fmt) {
    e->sws = sws_getContext(e->width, e->height, e->in_fmt, e->width, e->height, e->sw_fmt, SWS_BICUBIC, NULL, NULL, NULL);
    if (!e->sws) return ag_fail(AG_E_INVALID, "%s: no conversion from %s to %s", e->name, din->name, d->name);
    /* RGB -> YUV with the matrix and range the stream declares (BT.601 limited unless set) */
    int cs = c->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : c->colorspace == AVCOL_SPC_BT2020_NCL ? SWS_CS_BT2020 : SWS_CS_ITU601;
    const int *coef = sws_getCoefficients(cs);
    sws_setColorspaceDetails(e->sws, coef, (din->flags & AV_PIX_FMT_FLAG_RGB) ? 1 : c->color_range == AVCOL_RANGE_JPEG, coef,
                             c->color_range == AVCOL_RANGE_JPEG, 0, 1 << 16, 1 << 16);
  }
  e->frame = av_frame_alloc();
  if (!e->frame) return ag_fail(AG_E_NOMEM, "out of memory");
  e->frame->format = e->sw_fmt;
  e->frame->width = e->width;
  e->frame->height = e->height;
  if (av_frame_get_buffer(e->frame, 0) < 0) return ag_fail(AG_E_NOMEM, "out of memory");
  return AG_OK;
}

static int enqueue(AgLavc *e, AVPacket *p) {
  if (e->qlen == e->qcap) {
    int cap = e->qcap ? e->qcap * 2 : 8;
    AVPacket **q = malloc(sizeof *q * (size_t)cap);
    if (!q) return ag_fail(AG_E_NOMEM, "out of memory");
    for (int i = 0; i < e->qlen; i++) q[i] = e->queue[(e->qhead + i) % e->qcap];
    free(e->queue);
    e->queue = q;
    e->qcap = cap;
    e->qhead = 0;
  }
  AVPacket *out = av_packet_alloc();
  if (!out) return ag_fail(AG_E_NOMEM, "out of memory");
  if (e->avc) { /* start codes -> 4-byte lengths (at most one more byte per NAL unit) */
    size_t cap = (size_t)p->size + (size_t)p->size / 3 + 16;
    if (av_new_packet(out, (int)cap) < 0) {
      av_packet_free(&out);
      return ag_fail(AG_E_NOMEM, "out of memory");
    }
    int64_t n = ag_annexb_to_avc(p->data, (size_t)p->size, out->data, cap);
    if (n < 0) {
      av_packet_free(&out);
      return ag_fail(AG_E_FORMAT, "%s: a packet is not Annex B", e->name);
    }
    av_shrink_packet(out, (int)n);
    av_packet_copy_props(out, p);
    av_packet_unref(p);
  } else {
    av_packet_move_ref(out, p);
  }
  e->queue[(e->qhead + e->qlen++) % e->qcap] = out;
  return AG_OK;
}

static int drain(AgLavc *e) {
  for (;;) {
    int r = avcodec_receive_packet(e->ctx, e->pkt);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return e->qlen;
    if (r < 0) return fail_av(AG_E_ENCODER, r, e->name, NULL);
    if (enqueue(e, e->pkt) != AG_OK) return ag_last_error_code();
  }
}

/* Bytes a plane of fmt needs: the minimum row size and the rows. */
static void plane_geometry(enum AVPixelFormat fmt, int w, int h, int plane, int *row, int *rows) {
  int ls[4];
  av_image_fill_linesizes(ls, fmt, w);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
  *row = ls[plane];
  *rows = plane == 0 || plane == 3 ? h : AV_CEIL_RSHIFT(h, d->log2_chroma_h);
}

int ag_lavc_encode(AgLavc *e, const uint8_t *p0, int64_t l0, int32_t s0, const uint8_t *p1, int64_t l1, int32_t s1,
                   const uint8_t *p2, int64_t l2, int32_t s2, int64_t pts, int32_t flags) {
  ag_clear_error();
  if (!e) return ag_fail(AG_E_INVALID, "null encoder");
  if (!e->opened) return ag_fail(AG_E_STATE, "%s is not open", e->name);
  if (e->flushed) return ag_fail(AG_E_STATE, "%s: the stream was flushed", e->name);
  const uint8_t *src[4] = {p0, p1, p2, NULL};
  const int64_t len[3] = {l0, l1, l2};
  int stride[4] = {s0, s1, s2, 0};
  int np = av_pix_fmt_count_planes(e->in_fmt);
  for (int i = 0; i < np; i++) {
    int row, rows;
    plane_geometry(e->in_fmt, e->width, e->height, i, &row, &rows);
    if (!src[i] || stride[i] < row || len[i] < (int64_t)stride[i] * (rows - 1) + row)
      return ag_fail(AG_E_INVALID, "%s: plane %d of a %dx%d %s frame needs rows of %d bytes x %d (stride %d, %lld bytes given)",
                     e->name, i, e->width, e->height, av_get_pix_fmt_name(e->in_fmt), row, rows, stride[i], (long long)len[i]);
  }
  AVFrame *f = e->frame;
  if (av_frame_make_writable(f) < 0) return ag_fail(AG_E_NOMEM, "out of memory");
  if (e->sws)
    sws_scale(e->sws, src, stride, 0, e->height, f->data, f->linesize);
  else
    av_image_copy(f->data, f->linesize, src, stride, e->in_fmt, e->width, e->height);
  f->pts = pts;
  f->pict_type = (flags & 1) ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  f->key_frame = flags & 1;
  AVFrame *send = f;
  if (e->hw_frame) {
    av_frame_unref(e->hw_frame);
    int r = av_hwframe_get_buffer(e->frames_ctx, e->hw_frame, 0);
    if (r >= 0) r = av_hwframe_transfer_data(e->hw_frame, f, 0);
    if (r < 0) return fail_av(AG_E_ENCODER, r, "upload to the hardware frame", NULL);
    av_frame_copy_props(e->hw_frame, f);
    send = e->hw_frame;
  }
  ag_avlog_capture_begin();
  int r = avcodec_send_frame(e->ctx, send);
  const char *log = ag_avlog_capture_end();
  if (r < 0) return fail_av(AG_E_ENCODER, r, e->name, log);
  return drain(e);
}

int ag_lavc_flush(AgLavc *e) {
  ag_clear_error();
  if (!e || !e->opened) return ag_fail(AG_E_STATE, "encoder is not open");
  if (!e->flushed) {
    e->flushed = 1;
    int r = avcodec_send_frame(e->ctx, NULL);
    if (r < 0 && r != AVERROR_EOF) return fail_av(AG_E_ENCODER, r, e->name, NULL);
  }
  return drain(e);
}

/* info[AG_LP_*]: size, pts, dts, duration (time base 1/fps), key flag. 1 = filled, 0 = queue empty. */
int ag_lavc_next_packet(AgLavc *e, double *info, int32_t n) {
  if (!e || !info || n < AG_LP_COUNT) return ag_fail(AG_E_INVALID, "ag_lavc_next_packet: needs %d doubles", AG_LP_COUNT);
  if (!e->qlen) return 0;
  AVPacket *p = e->queue[e->qhead];
  info[AG_LP_SIZE] = p->size;
  info[AG_LP_PTS] = (double)p->pts;
  info[AG_LP_DTS] = (double)(p->dts == AV_NOPTS_VALUE ? p->pts : p->dts);
  info[AG_LP_DURATION] = (double)(p->duration > 0 ? p->duration : 1);
  info[AG_LP_KEY] = (p->flags & AV_PKT_FLAG_KEY) ? 1 : 0;
  return 1;
}

int ag_lavc_take_packet(AgLavc *e, uint8_t *dst, int32_t cap) {
  if (!e || !e->qlen) return ag_fail(AG_E_STATE, "no packet queued");
  AVPacket *p = e->queue[e->qhead];
  if (!dst || cap < p->size) return ag_fail(AG_E_INVALID, "packet of %d bytes does not fit in %d", p->size, cap);
  memcpy(dst, p->data, (size_t)p->size);
  av_packet_free(&p);
  e->qhead = (e->qhead + 1) % e->qcap;
  e->qlen--;
  return AG_OK;
}

int32_t ag_lavc_extradata(AgLavc *e, uint8_t *dst, int32_t cap) {
  if (!e) return ag_fail(AG_E_INVALID, "null encoder");
  if (dst && cap >= e->extradata_size && e->extradata_size) memcpy(dst, e->extradata, (size_t)e->extradata_size);
  return e->extradata_size;
}

/* "h264", "hevc", "av1", "vp9"... (libavcodec's codec name), and the pixel format frames are encoded in. */
const char *ag_lavc_codec(AgLavc *e) { return e ? avcodec_get_name(e->codec->id) : ""; }
const char *ag_lavc_pix_fmt(AgLavc *e) {
  return e && e->opened ? av_get_pix_fmt_name(e->sw_fmt) : "";
}

int32_t ag_lavc_has_encoder(const char *name) { return name && avcodec_find_encoder_by_name(name) ? 1 : 0; }

void ag_lavc_close(AgLavc *e) {
  if (!e) return;
  while (e->qlen) {
    av_packet_free(&e->queue[e->qhead]);
    e->qhead = (e->qhead + 1) % e->qcap;
    e->qlen--;
  }
  free(e->queue);
  avcodec_free_context(&e->ctx);
  av_frame_free(&e->frame);
  av_frame_free(&e->hw_frame);
  av_buffer_unref(&e->frames_ctx);
  av_buffer_unref(&e->device);
  av_packet_free(&e->pkt);
  sws_freeContext(e->sws);
  av_free(e->extradata);
  free(e);
}
