/* libavformat muxer for one video stream: MP4 (faststart, or fragmented every N frames), Matroska, WebM, IVF,
 * raw Annex B (.h264/.hevc) and raw OBU (.obu), the container taken from the extension unless named.
 *
 * A file is either complete or clearly absent: a non-fragmented file is written under "<path>.part" and
 * renamed onto <path> only once its trailer is written, so a crash or an abort leaves no truncated file at
 * <path>. A fragmented MP4 is written in place, its moov first and one moof+mdat per N frames flushed to
 * the file as it completes, so a process killed mid-write leaves every completed fragment playable.
 *
 * The codec/container pairing is checked before any file is created. The header waits for the first
 * packet, so a stream without extradata (an SVT-AV1 session's, or Annex B H.264/HEVC) gets it from there:
 * the sequence header OBU, or the parameter-set NAL units (libavformat builds av1C/avcC/hvcC from them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "internal.h"
#include "codec/h26x.h"

struct AgMux {
  AVFormatContext *oc;
  AVStream *st;
  AVDictionary *opts;
  AVPacket *pkt;
  char *path, *tmp; /* tmp: where the file is written (== path when fragmented) */
  enum AVCodecID codec;
  AVRational tb;
  int fragment_frames, faststart, header_written, since_fragment, failed;
  int64_t packets, last_dts;
};

static int fail_av(int code, int averr, const char *what, const char *path) {
  char e[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(averr, e, sizeof e);
  const char *log = ag_avlog_capture_end();
  return ag_fail(code, "%s %s: %s%s%s%s", what, path, e, *log ? " (" : "", log, *log ? ")" : "");
}

static void free_mux(AgMux *m) {
  if (!m) return;
  if (m->oc) {
    if (m->oc->pb) avio_closep(&m->oc->pb);
    avformat_free_context(m->oc);
  }
  av_dict_free(&m->opts);
  av_packet_free(&m->pkt);
  free(m->path);
  if (m->tmp != m->path) free(m->tmp);
  free(m);
}

/* Opens the muxer for path (format: a libavformat muxer name, or NULL/"" to take it from the extension). No
 * file is created yet. fragment_frames > 0: fragmented MP4 with a fragment every that many frames. */
AgMux *ag_mux_open(const char *path, const char *format, int32_t fragment_frames, int32_t faststart) {
  ag_clear_error();
  ag_av_log_init();
  if (!path || !*path) {
    ag_fail(AG_E_INVALID, "empty output path");
    return NULL;
  }
  if (fragment_frames < 0) {
    ag_fail(AG_E_INVALID, "fragment size %d must be positive", fragment_frames);
    return NULL;
  }
  const AVOutputFormat *of = av_guess_format(format && *format ? format : NULL, format && *format ? NULL : path, NULL);
  if (!of) {
    if (format && *format) ag_fail(AG_E_INVALID, "unknown container format '%s'", format);
    else ag_fail(AG_E_INVALID, "%s: no container for this extension (use .mp4, .mkv, .webm, .ivf, .h264, .hevc, .obu or name a format)", path);
    return NULL;
  }
  int is_mp4 = !strcmp(of->name, "mp4") || !strcmp(of->name, "mov");
  if (fragment_frames > 0 && !is_mp4) {
    ag_fail(AG_E_INVALID, "%s: fragmented output is for MP4/MOV, not %s", path, of->name);
    return NULL;
  }
  /* The directory must exist and be writable, before anything else happens. */
  char *dir = strdup(path);
  if (!dir) {
    ag_fail(AG_E_NOMEM, "out of memory");
    return NULL;
  }
  char *slash = strrchr(dir, '/');
  if (slash) *(slash == dir ? slash + 1 : slash) = 0;
  struct stat sb;
  int dir_ok = slash ? stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) : 1;
  int dir_w = dir_ok && access(slash ? dir : ".", W_OK) == 0;
  if (!dir_ok || !dir_w) {
    ag_fail(AG_E_IO, "%s: the directory %s %s", path, slash ? dir : ".", !dir_ok ? "does not exist" : "is not writable");
    free(dir);
    return NULL;
  }
  free(dir);
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    ag_fail(AG_E_IO, "%s is a directory", path);
    return NULL;
  }
  AgMux *m = calloc(1, sizeof *m);
  if (!m || !(m->path = strdup(path)) || !(m->pkt = av_packet_alloc())) {
    free_mux(m);
    ag_fail(AG_E_NOMEM, "out of memory");
    return NULL;
  }
  if (fragment_frames > 0) {
    m->tmp = m->path;
  } else {
    size_t n = strlen(path) + 6;
    if (!(m->tmp = malloc(n))) {
      free_mux(m);
      ag_fail(AG_E_NOMEM, "out of memory");
      return NULL;
    }
    snprintf(m->tmp, n, "%s.part", path);
  }
  if (avformat_alloc_output_context2(&m->oc, of, NULL, m->tmp) < 0 || !m->oc) {
    free_mux(m);
    ag_fail(AG_E_NOMEM, "out of memory");
    return NULL;
  }
  m->fragment_frames = fragment_frames;
  m->faststart = faststart && is_mp4 && !fragment_frames;
  if (is_mp4)
    av_dict_set(&m->opts, "movflags", fragment_frames ? "+frag_custom+empty_moov+default_base_moof" : m->faststart ? "+faststart" : "", 0);
  return m;
}

/* The container format's name ("mp4", "matroska", "webm", "ivf", "h264", "hevc", "obu"...). */
const char *ag_mux_format(AgMux *m) { return m && m->oc ? m->oc->oformat->name : ""; }

/* Declares the video stream: codec by libavcodec name ("h264", "hevc", "av1", "vp9"...), size, the time base
 * packets' timestamps are in, the frame rate, and extradata (optional). Checks that the container can hold
 * the codec, then creates the file. */
int32_t ag_mux_add_video(AgMux *m, const char *codec, int32_t width, int32_t height, int32_t tb_num, int32_t tb_den,
                         int32_t fps_num, int32_t fps_den, const uint8_t *extradata, int32_t extradata_size) {
  ag_clear_error();
  if (!m || !m->oc) return ag_fail(AG_E_STATE, "muxer is closed");
  if (m->st) return ag_fail(AG_E_STATE, "%s: a video stream was already added", m->path);
  const AVCodecDescriptor *d = codec ? avcodec_descriptor_get_by_name(codec) : NULL;
  if (!d || d->type != AVMEDIA_TYPE_VIDEO) return ag_fail(AG_E_INVALID, "unknown video codec '%s'", codec ? codec : "(null)");
  if (width <= 0 || height <= 0 || tb_num <= 0 || tb_den <= 0 || fps_num <= 0 || fps_den <= 0 || extradata_size < 0)
    return ag_fail(AG_E_INVALID, "%s: bad stream geometry or timing", m->path);
  const AVOutputFormat *of = m->oc->oformat;
  int q = avformat_query_codec(of, d->id, FF_COMPLIANCE_NORMAL);
  if (q == 0 || (q < 0 && of->video_codec != d->id))
    return ag_fail(AG_E_INVALID, "%s: the %s container cannot hold %s video", m->path, of->name, d->name);
  AVStream *st = avformat_new_stream(m->oc, NULL);
  if (!st) return ag_fail(AG_E_NOMEM, "out of memory");
  st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
  st->codecpar->codec_id = d->id;
  st->codecpar->width = width;
  st->codecpar->height = height;
  st->time_base = (AVRational){tb_num, tb_den};
  st->avg_frame_rate = st->r_frame_rate = (AVRational){fps_num, fps_den};
  if (extradata_size > 0) {
    st->codecpar->extradata = av_mallocz((size_t)extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!st->codecpar->extradata) return ag_fail(AG_E_NOMEM, "out of memory");
    memcpy(st->codecpar->extradata, extradata, (size_t)extradata_size);
    st->codecpar->extradata_size = extradata_size;
  }
  m->st = st;
  m->codec = d->id;
  m->tb = st->time_base;
  ag_avlog_capture_begin();
  int r = avio_open(&m->oc->pb, m->tmp, AVIO_FLAG_WRITE);
  if (r < 0) return fail_av(AG_E_IO, r, "cannot create", m->tmp);
  ag_avlog_capture_end();
  return AG_OK;
}

/* Stream properties some containers record (MP4's vpcC/colr, Matroska's Colour): "pix_fmt", "color_range",
 * "color_space", "color_primaries", "color_trc" by their libav names. After add_video, before the first write. */
int32_t ag_mux_set_stream(AgMux *m, const char *key, const char *value) {
  ag_clear_error();
  if (!m || !m->st) return ag_fail(AG_E_STATE, "add the video stream first");
  if (m->header_written) return ag_fail(AG_E_STATE, "%s: stream properties are fixed once packets are written", m->path);
  if (!key || !value) return ag_fail(AG_E_INVALID, "null key or value");
  AVCodecParameters *par = m->st->codecpar;
  int v = -1;
  if (!strcmp(key, "pix_fmt")) {
    if ((v = av_get_pix_fmt(value)) >= 0) par->format = v;
  } else if (!strcmp(key, "color_range")) {
    if ((v = av_color_range_from_name(value)) >= 0) par->color_range = v;
  } else if (!strcmp(key, "color_space")) {
    if ((v = av_color_space_from_name(value)) >= 0) par->color_space = v;
  } else if (!strcmp(key, "color_primaries")) {
    if ((v = av_color_primaries_from_name(value)) >= 0) par->color_primaries = v;
  } else if (!strcmp(key, "color_trc")) {
    if ((v = av_color_transfer_from_name(value)) >= 0) par->color_trc = v;
  } else {
    return ag_fail(AG_E_INVALID, "%s: unknown stream property '%s'", m->path, key);
  }
  return v >= 0 ? AG_OK : ag_fail(AG_E_INVALID, "%s: bad value '%s' for %s", m->path, value, key);
}

/* Extradata taken from the first packet when none was given: AV1's sequence header OBU, or H.264/HEVC's
 * parameter sets from an Annex B access unit. */
static int extradata_from_packet(AgMux *m, const uint8_t *data, int32_t size) {
  AVCodecParameters *par = m->st->codecpar;
  if (par->extradata_size > 0) return AG_OK;
  uint8_t *x = av_mallocz((size_t)size + AV_INPUT_BUFFER_PADDING_SIZE);
  if (!x) return ag_fail(AG_E_NOMEM, "out of memory");
  size_t n = 0;
  if (m->codec == AV_CODEC_ID_AV1) {
    size_t at = 0;
    while (at < (size_t)size) {
      size_t start = at;
      uint8_t h = data[at++];
      int type = (h >> 3) & 15;
      if ((h >> 2) & 1) at++;
      uint64_t len = 0;
      if (!((h >> 1) & 1)) break; /* OBUs without size fields: leave extradata to the container */
      for (int i = 0; i < 8 && at < (size_t)size; i++) {
        uint8_t b = data[at++];
        len |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) break;
      }
      if (len > (uint64_t)size - at) break;
      at += (size_t)len;
      if (type == 1) { /* OBU_SEQUENCE_HEADER */
        memcpy(x, data + start, at - start);
        n = at - start;
        break;
      }
    }
  } else if ((m->codec == AV_CODEC_ID_H264 || m->codec == AV_CODEC_ID_HEVC) && size > 4 && data[0] == 0 && data[1] == 0 &&
             (data[2] == 1 || (data[2] == 0 && data[3] == 1))) {
    int hevc = m->codec == AV_CODEC_ID_HEVC;
    size_t at = 0, len;
    const uint8_t *nal;
    while (ag_nal_next(data, (size_t)size, &at, 0, &nal, &len) == 1) {
      int t = ag_nal_type(hevc, nal);
      if (hevc ? (t >= 32 && t <= 34) : (t == 7 || t == 8)) {
        memcpy(x + n, "\0\0\0\1", 4);
        memcpy(x + n + 4, nal, len);
        n += 4 + len;
      }
    }
  }
  if (!n) {
    av_free(x);
    if (m->codec == AV_CODEC_ID_H264 || m->codec == AV_CODEC_ID_HEVC)
      if (!strcmp(m->oc->oformat->name, "mp4") || !strcmp(m->oc->oformat->name, "mov") || !strcmp(m->oc->oformat->name, "matroska"))
        return ag_fail(AG_E_FORMAT, "%s: the first packet carries no parameter sets and no extradata was given", m->path);
    return AG_OK;
  }
  par->extradata = x;
  par->extradata_size = (int)n;
  return AG_OK;
}

static int flush_fragment(AgMux *m) {
  ag_avlog_capture_begin();
  int r = av_write_frame(m->oc, NULL); /* frag_custom: ends the fragment here */
  if (r < 0) return fail_av(AG_E_IO, r, "cannot write a fragment to", m->path);
  ag_avlog_capture_end();
  avio_flush(m->oc->pb);
  m->since_fragment = 0;
  return AG_OK;
}

/* One packet, timestamps in the time base given to add_video. */
int32_t ag_mux_write(AgMux *m, const uint8_t *data, int32_t size, int64_t pts, int64_t dts, int64_t duration, int32_t key) {
  ag_clear_error();
  if (!m || !m->oc) return ag_fail(AG_E_STATE, "muxer is closed");
  if (!m->st) return ag_fail(AG_E_STATE, "%s: add the video stream first", m->path);
  if (m->failed) return ag_fail(AG_E_STATE, "%s: an earlier write failed", m->path);
  if (size <= 0 || !data) return ag_fail(AG_E_INVALID, "%s: empty packet", m->path);
  if (m->packets > 0 && dts <= m->last_dts)
    return ag_fail(AG_E_INVALID, "%s: packet dts %lld does not follow %lld", m->path, (long long)dts, (long long)m->last_dts);
  if (!m->header_written) {
    if (extradata_from_packet(m, data, size) != AG_OK) return ag_last_error_code();
    ag_avlog_capture_begin();
    int r = avformat_write_header(m->oc, &m->opts);
    if (r < 0) {
      m->failed = 1;
      return fail_av(AG_E_FORMAT, r, "cannot write the header of", m->path);
    }
    ag_avlog_capture_end();
    m->header_written = 1;
  }
  AVPacket *p = m->pkt;
  av_packet_unref(p);
  if (av_new_packet(p, size) < 0) return ag_fail(AG_E_NOMEM, "out of memory");
  memcpy(p->data, data, (size_t)size);
  p->pts = pts;
  p->dts = dts;
  p->duration = duration > 0 ? duration : 0;
  p->flags = key ? AV_PKT_FLAG_KEY : 0;
  p->stream_index = 0;
  av_packet_rescale_ts(p, m->tb, m->st->time_base);
  ag_avlog_capture_begin();
  int r = av_write_frame(m->oc, p);
  if (r < 0) {
    m->failed = 1;
    return fail_av(AG_E_IO, r, "cannot write to", m->path);
  }
  ag_avlog_capture_end();
  m->packets++;
  m->last_dts = dts;
  if (m->fragment_frames > 0 && ++m->since_fragment >= m->fragment_frames) return flush_fragment(m);
  return AG_OK;
}

int64_t ag_mux_packets(AgMux *m) { return m ? m->packets : 0; }

/* Removes the partial file: what close does when the stream is incomplete, and abort always. */
static void discard(AgMux *m) {
  if (m->oc && m->oc->pb) avio_closep(&m->oc->pb);
  if (m->st) unlink(m->tmp);
}

/* Finishes the file (trailer, faststart pass, rename onto the path); frees m. With no packet written there is
 * no file: AG_E_STATE. */
int32_t ag_mux_close(AgMux *m) {
  ag_clear_error();
  if (!m) return AG_OK;
  int rc = AG_OK;
  if (!m->st) {
    rc = AG_OK; /* nothing was created */
  } else if (!m->header_written || m->failed) {
    discard(m);
    rc = m->failed ? ag_fail(AG_E_IO, "%s: an earlier write failed; the file was removed", m->path)
                   : ag_fail(AG_E_STATE, "%s: no packet was written; no file was created", m->path);
  } else {
    ag_avlog_capture_begin();
    int r = av_write_trailer(m->oc);
    if (r < 0) {
      discard(m);
      rc = fail_av(AG_E_IO, r, "cannot finish", m->path);
    } else {
      ag_avlog_capture_end();
      r = avio_closep(&m->oc->pb);
      if (r < 0) {
        unlink(m->tmp);
        rc = fail_av(AG_E_IO, r, "cannot close", m->path);
      } else if (m->tmp != m->path && rename(m->tmp, m->path) != 0) {
        rc = ag_fail(AG_E_IO, "cannot rename %s to %s: %s", m->tmp, m->path, strerror(errno));
        unlink(m->tmp);
      }
    }
  }
  free_mux(m);
  return rc;
}

/* Drops the output: no file is left at the path (a fragmented MP4 is removed too); frees m. */
void ag_mux_abort(AgMux *m) {
  if (!m) return;
  discard(m);
  free_mux(m);
}
