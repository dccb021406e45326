/* Packet decoder: compressed packets in (from any Encoder), planar 4:2:0 frames out, through libavcodec.
 *
 * Why it exists: the corpus scores what a decoder shows, so every encode is decoded back in-process instead
 * of being written to a file and read again. Decoders are looked up by codec name ("h264", "hevc", "vp9",
 * "av1"...) and the first decoder libavcodec registers for that codec is used (for AV1 on Debian that is
 * libdav1d or the native one; decoders are not the SVT-AV1 wrapper, which only encodes).
 * Output: yuv420p (8-bit) or yuv420p16 planes for deeper content, converted with libswscale when the decoder
 * gives another layout; a frame whose size differs from the one declared at open is refused (AG_E_FORMAT). */
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "internal.h"

struct AgDecoder {
  AVCodecContext *ctx;
  AVPacket *pkt;
  AVFrame *frame;
  struct SwsContext *sws;
  int width, height, bit_depth;
  int drained;
};

AgDecoder *ag_decoder_open(const char *codec_name, const uint8_t *extradata, int32_t extradata_len, int32_t width,
                           int32_t height, int32_t bit_depth, int32_t threads) {
  ag_av_log_init();
  if (!codec_name) return ag_fail(AG_E_INVALID, "decoder: codec name is NULL"), NULL;
  if (width < 1 || height < 1 || width > 16384 || height > 16384)
    return ag_fail(AG_E_INVALID, "decoder: size %dx%d is out of range", width, height), NULL;
  if (bit_depth != 8 && bit_depth != 10 && bit_depth != 12)
    return ag_fail(AG_E_INVALID, "decoder: bit depth %d (8, 10 or 12)", bit_depth), NULL;
  if (extradata_len < 0 || (extradata_len > 0 && !extradata))
    return ag_fail(AG_E_INVALID, "decoder: bad extradata"), NULL;
  const AVCodecDescriptor *desc = avcodec_descriptor_get_by_name(codec_name);
  const AVCodec *codec = desc ? avcodec_find_decoder(desc->id) : avcodec_find_decoder_by_name(codec_name);
  if (!codec) return ag_fail(AG_E_FORMAT, "decoder: libavcodec has no decoder for \"%s\"", codec_name), NULL;
  AgDecoder *d = calloc(1, sizeof *d);
  if (!d) return ag_fail(AG_E_NOMEM, "decoder: out of memory"), NULL;
  d->width = width;
  d->height = height;
  d->bit_depth = bit_depth;
  d->ctx = avcodec_alloc_context3(codec);
  d->pkt = av_packet_alloc();
  d->frame = av_frame_alloc();
  if (!d->ctx || !d->pkt || !d->frame) goto nomem;
  d->ctx->width = width;
  d->ctx->height = height;
  d->ctx->thread_count = threads > 0 ? threads : 1;
  if (extradata_len > 0) {
    d->ctx->extradata = av_mallocz((size_t)extradata_len + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!d->ctx->extradata) goto nomem;
    memcpy(d->ctx->extradata, extradata, (size_t)extradata_len);
    d->ctx->extradata_size = extradata_len;
  }
  int rc = avcodec_open2(d->ctx, codec, NULL);
  if (rc < 0) {
    char msg[128];
    av_strerror(rc, msg, sizeof msg);
    ag_fail(AG_E_FORMAT, "decoder: %s would not open: %s", codec->name, msg);
    ag_decoder_close(d);
    return NULL;
  }
  return d;
nomem:
  ag_decoder_close(d);
  return ag_fail(AG_E_NOMEM, "decoder: out of memory"), NULL;
}

int32_t ag_decoder_send(AgDecoder *d, const uint8_t *data, int32_t size, int64_t pts) {
  if (!d) return ag_fail(AG_E_INVALID, "decoder: NULL handle");
  if (d->drained) return ag_fail(AG_E_STATE, "decoder: packets sent after the end of the stream");
  int rc;
  if (size == 0) {  /* end of stream: drain */
    d->drained = 1;
    rc = avcodec_send_packet(d->ctx, NULL);
  } else {
    if (size < 0 || !data) return ag_fail(AG_E_INVALID, "decoder: bad packet");
    av_packet_unref(d->pkt);
    if (av_new_packet(d->pkt, size) < 0) return ag_fail(AG_E_NOMEM, "decoder: out of memory");
    memcpy(d->pkt->data, data, (size_t)size);
    d->pkt->pts = pts;
    d->pkt->dts = AV_NOPTS_VALUE;
    rc = avcodec_send_packet(d->ctx, d->pkt);
  }
  if (rc == AVERROR(EAGAIN)) return ag_fail(AG_E_STATE, "decoder: receive the pending frames before sending more");
  if (rc < 0 && rc != AVERROR_EOF) {
    char msg[128];
    av_strerror(rc, msg, sizeof msg);
    return ag_fail(AG_E_FORMAT, "decoder: the packet could not be decoded: %s", msg);
  }
  return AG_OK;
}

/* Writes the next decoded frame into the caller's planes (strides in bytes, lengths in bytes; 16-bit samples
 * when the decoder was opened with bit_depth > 8). Returns AG_OK with *pts_out set, or AG_E_EOF when no frame
 * is ready (send more, or the stream is drained). */
int32_t ag_decoder_receive(AgDecoder *d, uint8_t *y, int32_t sy, int64_t ylen, uint8_t *u, int32_t su, int64_t ulen,
                           uint8_t *v, int32_t sv, int64_t vlen, int64_t *pts_out) {
  if (!d || !y || !u || !v || !pts_out) return ag_fail(AG_E_INVALID, "decoder: NULL argument");
  int bps = d->bit_depth > 8 ? 2 : 1;
  int cw = (d->width + 1) / 2, ch = (d->height + 1) / 2;
  if (sy < d->width * bps || su < cw * bps || sv < cw * bps || ylen < (int64_t)sy * (d->height - 1) + d->width * bps ||
      ulen < (int64_t)su * (ch - 1) + cw * bps || vlen < (int64_t)sv * (ch - 1) + cw * bps)
    return ag_fail(AG_E_INVALID, "decoder: output planes are too small for %dx%d", d->width, d->height);
  int rc = avcodec_receive_frame(d->ctx, d->frame);
  if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return AG_E_EOF;
  if (rc < 0) {
    char msg[128];
    av_strerror(rc, msg, sizeof msg);
    return ag_fail(AG_E_FORMAT, "decoder: %s", msg);
  }
  AVFrame *f = d->frame;
  if (f->width != d->width || f->height != d->height) {
    int w = f->width, h = f->height;
    av_frame_unref(f);
    return ag_fail(AG_E_FORMAT, "decoder: a %dx%d frame in a stream declared %dx%d", w, h, d->width, d->height);
  }
  enum AVPixelFormat want = bps == 2 ? AV_PIX_FMT_YUV420P16LE : AV_PIX_FMT_YUV420P;
  enum AVPixelFormat have = (enum AVPixelFormat)f->format;
  const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(have);
  if (!desc) {
    av_frame_unref(f);
    return ag_fail(AG_E_FORMAT, "decoder: unknown decoded pixel format");
  }
  int src_depth = desc->comp[0].depth;
  int direct = (bps == 1 && have == AV_PIX_FMT_YUV420P) ||
               (bps == 2 && src_depth == d->bit_depth && desc->log2_chroma_w == 1 && desc->log2_chroma_h == 1 &&
                desc->nb_components == 3 && !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_BE)) &&
                (desc->flags & AV_PIX_FMT_FLAG_PLANAR));
  uint8_t *dst[4] = {y, u, v, NULL};
  int ds[4] = {sy, su, sv, 0};
  if (direct) {
    /* Same layout (10-bit little-endian planar keeps its value range: no rescale to 16 bits). */
    int rows[3] = {d->height, ch, ch}, widths[3] = {d->width * bps, cw * bps, cw * bps};
    for (int p = 0; p < 3; p++)
      for (int r = 0; r < rows[p]; r++)
        memcpy(dst[p] + (size_t)r * ds[p], f->data[p] + (size_t)r * f->linesize[p], (size_t)widths[p]);
  } else {
    if (bps == 2) {
      av_frame_unref(f);
      return ag_fail(AG_E_FORMAT, "decoder: decoded %s is not %d-bit 4:2:0", desc->name, d->bit_depth);
    }
    d->sws = sws_getCachedContext(d->sws, d->width, d->height, have, d->width, d->height, want,
                                  SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!d->sws) {
      av_frame_unref(f);
      return ag_fail(AG_E_FORMAT, "decoder: cannot convert %s to yuv420p", desc->name);
    }
    sws_scale(d->sws, (const uint8_t *const *)f->data, f->linesize, 0, d->height, dst, ds);
  }
  *pts_out = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
  av_frame_unref(f);
  return AG_OK;
}

void ag_decoder_close(AgDecoder *d) {
  if (!d) return;
  avcodec_free_context(&d->ctx);
  av_packet_free(&d->pkt);
  av_frame_free(&d->frame);
  sws_freeContext(d->sws);
  free(d);
}
