/* Codec strings read from the bitstream an encoder actually produced:
 *   H.264  avc1.PPCCLL                      RFC 6381 3.3: profile_idc, the constraint byte, level_idc
 *   HEVC   hvc1.[A-C]P.C.TL.BB[.BB...]     ISO/IEC 14496-15 Annex E: profile space+idc, compatibility flags
 *                                          (bit-reversed, hex), tier + level, constraint bytes (trailing
 *                                          zero bytes left out)
 *   AV1    av01.P.LLT.DD[.M.CCC.cp.tc.mc.F] AV1-ISOBMFF: profile, operating point 0's level and tier, bit
 *                                          depth; the optional part when the sequence header says anything
 *                                          other than 4:2:0 limited range without a colour description
 *   VP9    vp09.PP.LL.DD[.CC.cp.tc.mc.FF]   VP codec ISO-BMFF binding: profile and bit depth from a key
 *                                          frame's uncompressed header; VP9 does not code a level, so LL is
 *                                          the lowest level whose picture size and sample rate admit the
 *                                          stream (as libvpx's level table); the optional part as for AV1 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "codec/bits.h"
#include "codec/h26x.h"

static int put(char *out, int32_t cap, int n) {
  if (n < 0 || n >= cap) return ag_fail(AG_E_INVALID, "codec string buffer of %d bytes is too small", cap);
  return 1;
}

static int h264_string(const AgSps *s, char *out, int32_t cap) {
  return put(out, cap, snprintf(out, (size_t)cap, "avc1.%02X%02X%02X", s->profile_idc, s->constraints, s->level_idc));
}

static int hevc_string(const AgSps *s, char *out, int32_t cap) {
  uint32_t rev = 0;
  for (int j = 0; j < 32; j++) rev |= ((s->compat >> (31 - j)) & 1u) << j;
  static const char *space[] = {"", "A", "B", "C"};
  int n = snprintf(out, (size_t)cap, "hvc1.%s%d.%X.%c%d", space[s->profile_space & 3], s->profile_idc, rev,
                   s->tier ? 'H' : 'L', s->level_idc);
  int last = 5;
  while (last >= 0 && s->constraint[last] == 0) last--;
  for (int i = 0; i <= last && n >= 0 && n < cap; i++) n += snprintf(out + n, (size_t)(cap - n), ".%X", s->constraint[i]);
  return put(out, cap, n);
}

static int av1_string(const AgSeqHdr *s, char *out, int32_t cap) {
  int n = snprintf(out, (size_t)cap, "av01.%d.%02d%c.%02d", s->profile, s->level0, s->tier0 ? 'H' : 'M', s->bit_depth);
  int plain = !s->mono && s->ssx == 1 && s->ssy == 1 && s->csp == 0 && !s->color_described && !s->full_range;
  if (!plain && n >= 0 && n < cap)
    n += snprintf(out + n, (size_t)(cap - n), ".%d.%d%d%d.%02d.%02d.%02d.%d", s->mono, s->ssx, s->ssy,
                  s->ssx && s->ssy ? s->csp : 0, s->cp, s->tc, s->mc, s->full_range);
  return put(out, cap, n);
}

/* VP9 levels (Annex A of the VP9 bitstream spec): max luma picture size, max luma sample rate */
static int vp9_level(int w, int h, int32_t fps_num, int32_t fps_den) {
  static const struct {
    int level;
    double size, rate;
  } t[] = {{10, 36864, 829440},          {11, 73728, 2764800},        {20, 122880, 4608000},
           {21, 245760, 9216000},        {30, 552960, 20736000},      {31, 983040, 36864000},
           {40, 2228224, 83558400},      {41, 2228224, 160432128},    {50, 8912896, 311951360},
           {51, 8912896, 588251136},     {52, 8912896, 1176502272},   {60, 35651584, 1176502272},
           {61, 35651584, 2353004544.0}, {62, 35651584, 4706009088.0}};
  double size = (double)w * h, rate = fps_den > 0 && fps_num > 0 ? size * fps_num / fps_den : size;
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (size <= t[i].size && rate <= t[i].rate) return t[i].level;
  return 62;
}

/* VP9 uncompressed_header() of a key frame (6.2): profile, bit depth, color space, range, subsampling,
 * frame size. Returns 1, 0 when the frame is not a key frame, -1 when it is not VP9. */
static int vp9_string(const uint8_t *d, size_t n, int32_t fps_num, int32_t fps_den, char *out, int32_t cap) {
  Bits b = bits_init(d, n);
  if (f(&b, 2) != 2) return -1; /* frame_marker */
  int lo = (int)f(&b, 1), hi = (int)f(&b, 1), profile = hi << 1 | lo;
  if (profile == 3) f(&b, 1);
  if (f(&b, 1)) return 0;         /* show_existing_frame */
  if (f(&b, 1) != 0) return 0;    /* frame_type: 0 = KEY_FRAME */
  f(&b, 2);                       /* show_frame, error_resilient_mode */
  if (f(&b, 24) != 0x498342) return -1; /* frame_sync_code */
  int depth = profile >= 2 ? (f(&b, 1) ? 12 : 10) : 8;
  int cs = (int)f(&b, 3), range = 1, ssx = 1, ssy = 1;
  if (cs != 7) { /* not CS_RGB */
    range = (int)f(&b, 1);
    if (profile == 1 || profile == 3) {
      ssx = (int)f(&b, 1);
      ssy = (int)f(&b, 1);
      f(&b, 1);
    }
  } else {
    ssx = ssy = 0;
    if (profile == 1 || profile == 3) f(&b, 1);
  }
  int w = (int)f(&b, 16) + 1, h = (int)f(&b, 16) + 1;
  if (b.overrun) return -1;
  int level = vp9_level(w, h, fps_num, fps_den);
  int n_ = snprintf(out, (size_t)cap, "vp09.%02d.%02d.%02d", profile, level, depth);
  /* color_space -> matrix coefficients (ISO/IEC 23091-4): UNKNOWN, BT_601, BT_709, SMPTE_170, SMPTE_240,
   * BT_2020, RESERVED, SRGB */
  static const int mc[] = {2, 6, 1, 6, 7, 9, 2, 0};
  int chroma = ssx && ssy ? 0 : ssx ? 2 : 3; /* 4:2:0 (position not coded: "vertical"), 4:2:2, 4:4:4 */
  if (!(chroma == 0 && (cs == 0 || cs == 2) && !range) && n_ >= 0 && n_ < cap)
    n_ += snprintf(out + n_, (size_t)(cap - n_), ".%02d.02.02.%02d.%02d", chroma, mc[cs], range);
  return put(out, cap, n_);
}

int32_t ag_codec_string(const char *codec, const uint8_t *data, int32_t size, int32_t length_size, int32_t fps_num,
                        int32_t fps_den, char *out, int32_t cap) {
  ag_clear_error();
  if (!codec || !out || cap <= 0 || size < 0 || (size > 0 && !data) || length_size < 0 || length_size > 4)
    return ag_fail(AG_E_INVALID, "ag_codec_string: bad arguments");
  out[0] = 0;
  int hevc = strcmp(codec, "hevc") == 0;
  if (!hevc && strcmp(codec, "h264") != 0 && strcmp(codec, "av1") != 0 && strcmp(codec, "vp9") != 0)
    return ag_fail(AG_E_INVALID, "codec strings are read for h264, hevc, av1 and vp9, not %s", codec);
  if (size == 0) return 0;
  if (hevc || strcmp(codec, "h264") == 0) {
    AgSps s;
    int r;
    if (data[0] == 1) { /* an avcC / hvcC record: its SPS NAL units carry 16-bit lengths */
      size_t at = hevc ? 23 : 6;
      r = 0;
      if (hevc) /* arrays: type, count, then (length, NAL) pairs; find the SPS array */
        while (at + 3 <= (size_t)size && r == 0) {
          int type = data[at] & 0x3f, count = data[at + 1] << 8 | data[at + 2];
          at += 3;
          if (type == 33) {
            r = ag_sps_find(1, data + at, (size_t)size - at, 2, &s);
            break;
          }
          for (int i = 0; i < count && at + 2 <= (size_t)size; i++) at += 2 + (size_t)(data[at] << 8 | data[at + 1]);
        }
      else if ((size_t)size > at)
        r = ag_sps_find(0, data + at, (size_t)size - at, 2, &s);
    } else {
      r = ag_sps_find(hevc, data, (size_t)size, length_size, &s);
    }
    if (r < 0) return ag_fail(AG_E_FORMAT, "%s: the sequence parameter set is corrupt", codec);
    if (r == 0) return 0;
    return hevc ? hevc_string(&s, out, cap) : h264_string(&s, out, cap);
  }
  if (strcmp(codec, "av1") == 0) {
    AgSeqHdr seq;
    int q, tid;
    memset(&seq, 0, sizeof seq);
    if (ag_obu_parse_tu(&seq, data, (size_t)size, &q, &tid) != 0 && !seq.valid)
      return ag_fail(AG_E_FORMAT, "av1: the temporal unit is corrupt");
    return seq.valid ? av1_string(&seq, out, cap) : 0;
  }
  if (strcmp(codec, "vp9") == 0) {
    int r = vp9_string(data, (size_t)size, fps_num, fps_den, out, cap);
    if (r < 0) return ag_fail(AG_E_FORMAT, "vp9: not a VP9 frame");
    return r;
  }
  return ag_fail(AG_E_INVALID, "codec strings are read for h264, hevc, av1 and vp9, not %s", codec);
}
