/* Stream copy with libavformat: probe (video and audio streams, container, duration, bit rate), remux (another
 * container, the same packets) and concat (several files joined into one, the same packets).
 *
 * Outputs are written to "<path>.part" and renamed when complete, so a failure never leaves a truncated file
 * at the requested path. Packets whose timestamps are unset (raw Annex B input) get them from the stream's
 * frame rate; libavformat inserts the bitstream filters a container needs (Annex B <-> length-prefixed). Every
 * libav return is checked; an interrupt callback bounds each file in time, so a corrupt input cannot hang. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/pixdesc.h>

#include "internal.h"

#define AG_REMUX_SECONDS 300.0 /* longest one remux/concat may take before libav I/O is interrupted */

typedef struct {
  double deadline;
} Deadline;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int interrupted(void *opaque) { return now_s() > ((Deadline *)opaque)->deadline; }

static int32_t av_fail(int32_t code, int rc, const char *what, const char *path) {
  char msg[160];
  av_strerror(rc, msg, sizeof msg);
  return ag_fail(code, "%s %s: %s", what, path, msg);
}

static int32_t open_input(AVFormatContext **ic, const char *path, Deadline *dl) {
  *ic = avformat_alloc_context();
  if (!*ic) return ag_fail(AG_E_NOMEM, "out of memory");
  (*ic)->interrupt_callback.callback = interrupted;
  (*ic)->interrupt_callback.opaque = dl;
  int rc = avformat_open_input(ic, path, NULL, NULL);
  if (rc < 0) return av_fail(rc == AVERROR(ENOENT) || rc == AVERROR(EACCES) ? AG_E_IO : AG_E_FORMAT, rc, "cannot open", path);
  rc = avformat_find_stream_info(*ic, NULL);
  if (rc < 0) return av_fail(AG_E_FORMAT, rc, "cannot read the streams of", path);
  return AG_OK;
}

/* ------------------------------------------------------------------ probe */

/* Appends printf output to a bounded buffer, counting what would have been written. */
typedef struct {
  char *buf;
  size_t cap, len;
} Out;

static void put(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *dst = o->len < o->cap ? o->buf + o->len : NULL;
  size_t room = o->len < o->cap ? o->cap - o->len : 0;
  int n = vsnprintf(dst, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

/* A JSON string value (names from libav are plain ASCII; anything else is escaped). */
static void put_str(Out *o, const char *s) {
  put(o, "\"");
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') put(o, "\\%c", c);
    else if (c < 0x20) put(o, "\\u%04x", c);
    else put(o, "%c", c);
  }
  put(o, "\"");
}

static double q2d_or(AVRational r, double def) { return r.num > 0 && r.den > 0 ? av_q2d(r) : def; }

/* Writes the file's description as JSON into json (NUL-terminated when it fits). Returns the JSON's length:
 * call again with a buffer that large (+1) when it is >= cap. */
int32_t ag_probe(const char *path, char *json, int32_t cap) {
  ag_clear_error();
  ag_av_log_init();
  if (!path || !*path) return ag_fail(AG_E_INVALID, "probe: empty path");
  if (cap < 0 || (cap > 0 && !json)) return ag_fail(AG_E_INVALID, "probe: bad output buffer");
  Deadline dl = {now_s() + 30.0};
  AVFormatContext *ic = NULL;
  int32_t rc = open_input(&ic, path, &dl);
  if (rc != AG_OK) {
    avformat_close_input(&ic);
    return rc;
  }
  Out o = {json, (size_t)cap, 0};
  put(&o, "{\"container\":");
  put_str(&o, ic->iformat->name);
  put(&o, ",\"duration\":%.6f,\"bitRate\":%lld,\"streams\":[",
      ic->duration > 0 ? ic->duration / (double)AV_TIME_BASE : 0.0, (long long)(ic->bit_rate > 0 ? ic->bit_rate : 0));
  int first = 1;
  for (unsigned i = 0; i < ic->nb_streams; i++) {
    AVStream *st = ic->streams[i];
    AVCodecParameters *p = st->codecpar;
    if (p->codec_type != AVMEDIA_TYPE_VIDEO && p->codec_type != AVMEDIA_TYPE_AUDIO) continue;
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) continue; /* cover art is not a video stream */
    put(&o, "%s{\"index\":%u,\"type\":\"%s\",\"codec\":", first ? "" : ",", i,
        p->codec_type == AVMEDIA_TYPE_VIDEO ? "video" : "audio");
    first = 0;
    put_str(&o, avcodec_get_name(p->codec_id));
    const char *profile = avcodec_profile_name(p->codec_id, p->profile);
    if (profile) {
      put(&o, ",\"profile\":");
      put_str(&o, profile);
    }
    double dur = st->duration > 0 ? st->duration * av_q2d(st->time_base) : 0.0;
    put(&o, ",\"duration\":%.6f,\"bitRate\":%lld,\"timeBase\":[%d,%d]", dur, (long long)(p->bit_rate > 0 ? p->bit_rate : 0),
        st->time_base.num, st->time_base.den);
    if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
      const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)p->format);
      AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
      put(&o, ",\"width\":%d,\"height\":%d,\"pixelFormat\":", p->width, p->height);
      put_str(&o, d ? d->name : "unknown");
      put(&o, ",\"bitDepth\":%d,\"fps\":%.6f,\"frameRate\":[%d,%d],\"frames\":%lld", d ? d->comp[0].depth : 0,
          q2d_or(fr, 0.0), fr.num, fr.den, (long long)(st->nb_frames > 0 ? st->nb_frames : 0));
    } else {
      char layout[128] = "";
      if (p->ch_layout.nb_channels > 0) av_channel_layout_describe(&p->ch_layout, layout, sizeof layout);
      const char *sf = av_get_sample_fmt_name((enum AVSampleFormat)p->format);
      int bits = p->bits_per_raw_sample > 0 ? p->bits_per_raw_sample
                 : p->bits_per_coded_sample > 0 ? p->bits_per_coded_sample
                 : av_get_bytes_per_sample((enum AVSampleFormat)p->format) * 8;
      put(&o, ",\"channels\":%d,\"sampleRate\":%d,\"bitDepth\":%d,\"channelLayout\":", p->ch_layout.nb_channels,
          p->sample_rate, bits);
      put_str(&o, layout);
      put(&o, ",\"sampleFormat\":");
      put_str(&o, sf ? sf : "unknown");
    }
    put(&o, "}");
  }
  put(&o, "]}");
  avformat_close_input(&ic);
  if (o.len > INT32_MAX - 1) return ag_fail(AG_E_FORMAT, "probe: description too large");
  return (int32_t)o.len;
}

/* ------------------------------------------------------------------ remux and concat */

typedef struct {
  AVFormatContext *ic;
  int *map;             /* input stream -> output stream, -1 = dropped */
  int64_t *next_dts;    /* per input stream: a timestamp for packets that have none (raw streams) */
} Input;

static void close_input(Input *in) {
  avformat_close_input(&in->ic);
  free(in->map);
  free(in->next_dts);
  in->map = NULL;
  in->next_dts = NULL;
}

static int copies(const AVStream *st) {
  const AVCodecParameters *p = st->codecpar;
  return (p->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) ||
         p->codec_type == AVMEDIA_TYPE_AUDIO;
}

/* Why two streams cannot be joined by a stream copy, or NULL when they can. */
static const char *mismatch(const AVStream *a, const AVStream *b) {
  const AVCodecParameters *p = a->codecpar, *q = b->codecpar;
  if (p->codec_type != q->codec_type) return "stream type";
  if (p->codec_id != q->codec_id) return "codec";
  if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
    if (p->width != q->width || p->height != q->height) return "frame size";
    if (p->format != q->format) return "pixel format";
  } else {
    if (p->sample_rate != q->sample_rate) return "sample rate";
    if (p->ch_layout.nb_channels != q->ch_layout.nb_channels) return "channel count";
    if (p->format != q->format) return "sample format";
  }
  if (av_cmp_q(a->time_base, b->time_base) != 0) return "time base";
  if (p->extradata_size != q->extradata_size ||
      (p->extradata_size > 0 && memcmp(p->extradata, q->extradata, (size_t)p->extradata_size) != 0))
    return "codec parameters (extradata: parameter sets or sequence header)";
  return NULL;
}

static const char *type_name(const AVStream *st) {
  return st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO ? "video" : "audio";
}

/* A frame's duration in stream time base units, from the frame rate (raw video) or the audio frame size. */
static int64_t default_duration(const AVStream *st) {
  const AVCodecParameters *p = st->codecpar;
  if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fr.num <= 0 || fr.den <= 0) fr = (AVRational){25, 1};
    int64_t d = av_rescale_q(1, av_inv_q(fr), st->time_base);
    return d > 0 ? d : 1;
  }
  if (p->frame_size > 0 && p->sample_rate > 0)
    return av_rescale_q(p->frame_size, (AVRational){1, p->sample_rate}, st->time_base);
  return 1;
}

/* Copies inputs[0..n-1] (same stream layout each) into one output, packet for packet. */
static int32_t stream_copy(const char *const *paths, int32_t n, const char *out_path, const char *format,
                           int64_t *packets_out) {
  ag_clear_error();
  ag_av_log_init();
  if (!paths || n < 1) return ag_fail(AG_E_INVALID, "no input files");
  if (!out_path || !*out_path) return ag_fail(AG_E_INVALID, "empty output path");
  for (int32_t k = 0; k < n; k++)
    if (!paths[k] || !*paths[k]) return ag_fail(AG_E_INVALID, "input %d: empty path", k);
  Deadline dl = {now_s() + AG_REMUX_SECONDS};
  Input *ins = calloc((size_t)n, sizeof *ins);
  if (!ins) return ag_fail(AG_E_NOMEM, "out of memory");
  AVFormatContext *oc = NULL;
  AVPacket *pkt = av_packet_alloc();
  char *part = NULL;
  int32_t rc = AG_OK;
  int opened = 0, header = 0;
  int64_t *last_dts = NULL, *offset = NULL, *end = NULL;
  if (!pkt) {
    rc = ag_fail(AG_E_NOMEM, "out of memory");
    goto done;
  }
  for (int32_t k = 0; k < n; k++) {
    if ((rc = open_input(&ins[k].ic, paths[k], &dl)) != AG_OK) goto done;
    unsigned ns = ins[k].ic->nb_streams;
    ins[k].map = malloc(sizeof(int) * (ns ? ns : 1));
    ins[k].next_dts = calloc(ns ? ns : 1, sizeof(int64_t));
    if (!ins[k].map || !ins[k].next_dts) {
      rc = ag_fail(AG_E_NOMEM, "out of memory");
      goto done;
    }
  }
  /* The output's streams are the first input's video and audio streams; every other input must match them. */
  int nout = 0;
  for (unsigned i = 0; i < ins[0].ic->nb_streams; i++) ins[0].map[i] = copies(ins[0].ic->streams[i]) ? nout++ : -1;
  if (nout == 0) {
    rc = ag_fail(AG_E_FORMAT, "%s has no video or audio stream", paths[0]);
    goto done;
  }
  for (int32_t k = 1; k < n; k++) {
    int m = 0;
    for (unsigned i = 0; i < ins[k].ic->nb_streams; i++) {
      AVStream *st = ins[k].ic->streams[i];
      if (!copies(st)) {
        ins[k].map[i] = -1;
        continue;
      }
      if (m >= nout) {
        rc = ag_fail(AG_E_FORMAT, "cannot join %s: it has more video/audio streams than %s", paths[k], paths[0]);
        goto done;
      }
      /* the m-th copied stream of input 0 */
      AVStream *ref = NULL;
      for (unsigned j = 0; j < ins[0].ic->nb_streams; j++)
        if (ins[0].map[j] == m) ref = ins[0].ic->streams[j];
      const char *why = mismatch(ref, st);
      if (why) {
        rc = ag_fail(AG_E_FORMAT, "cannot join %s to %s by stream copy: the %s streams differ in %s (join with reencode)",
                     paths[k], paths[0], type_name(st), why);
        goto done;
      }
      ins[k].map[i] = m++;
    }
    if (m != nout) {
      rc = ag_fail(AG_E_FORMAT, "cannot join %s: it has fewer video/audio streams than %s", paths[k], paths[0]);
      goto done;
    }
  }

  int err = avformat_alloc_output_context2(&oc, NULL, format && *format ? format : NULL, out_path);
  if (err < 0 || !oc) {
    rc = ag_fail(AG_E_INVALID, "no container for %s%s%s (name one with format, e.g. \"mp4\")", out_path,
                 format && *format ? " as " : "", format && *format ? format : "");
    goto done;
  }
  /* A raw video container (.h264, .hevc, .ivf, .obu: no audio codec) takes the first video stream alone. */
  if (oc->oformat->audio_codec == AV_CODEC_ID_NONE) {
    int kept = 0;
    for (int32_t k = 0; k < n; k++) {
      int video_seen = 0, m = 0;
      for (unsigned i = 0; i < ins[k].ic->nb_streams; i++) {
        if (ins[k].map[i] < 0) continue;
        int keep = ins[k].ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !video_seen;
        video_seen |= keep;
        ins[k].map[i] = keep ? m++ : -1;
      }
      kept = m;
    }
    if (kept == 0) {
      rc = ag_fail(AG_E_FORMAT, "the %s container holds video only and %s has none", oc->oformat->name, paths[0]);
      goto done;
    }
    nout = kept;
  }
  for (unsigned i = 0; i < ins[0].ic->nb_streams; i++) {
    if (ins[0].map[i] < 0) continue;
    AVStream *is = ins[0].ic->streams[i];
    if (avformat_query_codec(oc->oformat, is->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
      rc = ag_fail(AG_E_FORMAT, "the %s container cannot hold %s (%s stream %u of %s)", oc->oformat->name,
                   avcodec_get_name(is->codecpar->codec_id), type_name(is), i, paths[0]);
      goto done;
    }
    AVStream *os = avformat_new_stream(oc, NULL);
    if (!os || avcodec_parameters_copy(os->codecpar, is->codecpar) < 0) {
      rc = ag_fail(AG_E_NOMEM, "out of memory");
      goto done;
    }
    os->codecpar->codec_tag = 0; /* let the output container choose its own tag */
    os->time_base = is->time_base;
    os->avg_frame_rate = is->avg_frame_rate;
    os->r_frame_rate = is->r_frame_rate;
    os->disposition = is->disposition;
    av_dict_copy(&os->metadata, is->metadata, 0);
  }
  size_t plen = strlen(out_path) + 6;
  part = malloc(plen);
  if (!part) {
    rc = ag_fail(AG_E_NOMEM, "out of memory");
    goto done;
  }
  snprintf(part, plen, "%s.part", out_path);
  /* The muxer re-opens its own URL for a second pass (MP4 faststart): that is the .part file. */
  av_free(oc->url);
  oc->url = av_strdup(part);
  if (!oc->url) {
    rc = ag_fail(AG_E_NOMEM, "out of memory");
    goto done;
  }
  if (!(oc->oformat->flags & AVFMT_NOFILE)) {
    err = avio_open2(&oc->pb, part, AVIO_FLAG_WRITE, &oc->interrupt_callback, NULL);
    if (err < 0) {
      rc = av_fail(AG_E_IO, err, "cannot write", out_path);
      goto done;
    }
    opened = 1;
  }
  AVDictionary *mopts = NULL;
  if (!strcmp(oc->oformat->name, "mp4") || !strcmp(oc->oformat->name, "mov")) av_dict_set(&mopts, "movflags", "+faststart", 0);
  err = avformat_write_header(oc, &mopts);
  av_dict_free(&mopts);
  if (err < 0) {
    rc = av_fail(AG_E_FORMAT, err, "cannot start", out_path);
    goto done;
  }
  header = 1;

  last_dts = malloc(sizeof(int64_t) * (size_t)nout);
  offset = calloc((size_t)nout, sizeof(int64_t));
  end = calloc((size_t)nout, sizeof(int64_t));
  if (!last_dts || !offset || !end) {
    rc = ag_fail(AG_E_NOMEM, "out of memory");
    goto done;
  }
  for (int s = 0; s < nout; s++) last_dts[s] = INT64_MIN;
  int64_t packets = 0;
  for (int32_t k = 0; k < n; k++) {
    Input *in = &ins[k];
    /* Each input starts where the previous one ended, per stream (in output time base units). */
    int64_t *first = malloc(sizeof(int64_t) * in->ic->nb_streams);
    if (!first) {
      rc = ag_fail(AG_E_NOMEM, "out of memory");
      goto done;
    }
    for (unsigned i = 0; i < in->ic->nb_streams; i++) first[i] = AV_NOPTS_VALUE;
    for (;;) {
      err = av_read_frame(in->ic, pkt);
      if (err == AVERROR_EOF) break;
      if (err < 0) {
        free(first);
        rc = av_fail(AG_E_FORMAT, err, interrupted(&dl) ? "time limit reached reading" : "cannot read", paths[k]);
        goto done;
      }
      int si = pkt->stream_index;
      int so = si >= 0 && (unsigned)si < in->ic->nb_streams ? in->map[si] : -1;
      if (so < 0) {
        av_packet_unref(pkt);
        continue;
      }
      AVStream *is = in->ic->streams[si], *os = oc->streams[so];
      int64_t dur = pkt->duration > 0 ? pkt->duration : default_duration(is);
      if (pkt->dts == AV_NOPTS_VALUE && pkt->pts == AV_NOPTS_VALUE) { /* raw streams: count frames */
        pkt->dts = pkt->pts = in->next_dts[si];
      } else if (pkt->dts == AV_NOPTS_VALUE) pkt->dts = pkt->pts;
      else if (pkt->pts == AV_NOPTS_VALUE) pkt->pts = pkt->dts;
      in->next_dts[si] = pkt->dts + dur;
      pkt->duration = dur;
      /* The first file keeps its timestamps as they are; each later one starts (its stream's start time, or
       * its first packet) where the output stream ended. */
      if (first[si] == AV_NOPTS_VALUE) first[si] = k == 0 ? 0 : is->start_time != AV_NOPTS_VALUE ? is->start_time : pkt->dts;
      pkt->pts -= first[si];
      pkt->dts -= first[si];
      av_packet_rescale_ts(pkt, is->time_base, os->time_base);
      pkt->pts += offset[so];
      pkt->dts += offset[so];
      /* Strictly increasing DTS per stream, as every muxer requires (a damaged input cannot break the output). */
      if (last_dts[so] != INT64_MIN && pkt->dts <= last_dts[so]) {
        int64_t shift = last_dts[so] + 1 - pkt->dts;
        pkt->dts += shift;
        if (pkt->pts < pkt->dts) pkt->pts = pkt->dts;
      }
      last_dts[so] = pkt->dts;
      int64_t e = pkt->pts + (pkt->duration > 0 ? pkt->duration : 1);
      if (e > end[so]) end[so] = e;
      pkt->stream_index = so;
      pkt->pos = -1;
      err = av_interleaved_write_frame(oc, pkt);
      av_packet_unref(pkt);
      if (err < 0) {
        free(first);
        rc = av_fail(AG_E_IO, err, "cannot write", out_path);
        goto done;
      }
      packets++;
    }
    free(first);
    /* The next input continues each stream where it ended: timestamps stay continuous (no gap, no overlap)
     * per stream; audio and video can drift apart by their difference in length at each join (under a frame
     * for files cut at frame boundaries), which is what a stream copy can do without re-encoding. */
    for (int s = 0; s < nout; s++) offset[s] = end[s];
  }
  header = 0; /* the trailer is written once, whether it succeeds or not */
  err = av_write_trailer(oc);
  if (err < 0) {
    rc = av_fail(AG_E_IO, err, "cannot finish", out_path);
    goto done;
  }
  if (opened) {
    err = avio_closep(&oc->pb);
    opened = 0;
    if (err < 0) {
      rc = av_fail(AG_E_IO, err, "cannot finish", out_path);
      goto done;
    }
  }
  if (rename(part, out_path) != 0) {
    rc = ag_fail(AG_E_IO, "cannot write %s: %s", out_path, strerror(errno));
    goto done;
  }
  if (packets_out) *packets_out = packets;
done:
  if (oc) {
    if (header) av_write_trailer(oc);
    if (opened) avio_closep(&oc->pb);
    avformat_free_context(oc);
    if (rc != AG_OK && part) remove(part);
  }
  for (int32_t k = 0; k < n; k++) close_input(&ins[k]);
  free(ins);
  free(part);
  free(last_dts);
  free(offset);
  free(end);
  av_packet_free(&pkt);
  return rc;
}

int32_t ag_remux(const char *in, const char *out, const char *format, int64_t *packets) {
  const char *paths[1] = {in};
  return stream_copy(paths, 1, out, format, packets);
}

int32_t ag_concat(const char *const *inputs, int32_t n, const char *out, const char *format, int64_t *packets) {
  return stream_copy(inputs, n, out, format, packets);
}
