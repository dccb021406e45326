/* H.264 (ITU-T H.264 7.3.2.1) and HEVC (ITU-T H.265 7.3.2.2, 7.3.3) sequence parameter sets: just the fields
 * that codec strings (RFC 6381, ISO/IEC 14496-15 Annex E) and avcC/hvcC boxes need. Also the Annex B ->
 * length-prefixed conversion: libx264 and libx265 always emit start codes, even with global headers. */
#include <string.h>

#include "codec/bits.h"
#include "codec/h26x.h"

int ag_nal_next(const uint8_t *d, size_t n, size_t *at, int length_size, const uint8_t **nal, size_t *len) {
  size_t i = *at;
  if (length_size > 0) {
    if (i + (size_t)length_size > n) return 0;
    size_t l = 0;
    for (int k = 0; k < length_size; k++) l = (l << 8) | d[i + (size_t)k];
    i += (size_t)length_size;
    if (l > n - i) return -1;
    *nal = d + i;
    *len = l;
    *at = i + l;
    return 1;
  }
  /* skip to just after the next 00 00 01 */
  while (i + 3 <= n && !(d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)) i++;
  if (i + 3 > n) {
    *at = n;
    return 0;
  }
  size_t start = i + 3, j = start;
  while (j + 3 <= n && !(d[j] == 0 && d[j + 1] == 0 && (d[j + 2] == 1 || d[j + 2] == 0))) j++;
  if (j + 3 > n) j = n;
  size_t end = j;
  while (end > start && d[end - 1] == 0) end--; /* trailing_zero_8bits / the next 4-byte start code */
  *nal = d + start;
  *len = end - start;
  *at = j;
  return end > start ? 1 : ag_nal_next(d, n, at, 0, nal, len);
}

int ag_nal_type(int hevc, const uint8_t *nal) { return hevc ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f; }

/* RBSP of a NAL unit's start, emulation-prevention bytes removed (the fields we read sit in the first bytes). */
static size_t unescape(const uint8_t *nal, size_t len, uint8_t *out, size_t cap) {
  size_t o = 0, zeros = 0;
  for (size_t i = 0; i < len && o < cap; i++) {
    if (zeros >= 2 && nal[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = nal[i] == 0 ? zeros + 1 : 0;
    out[o++] = nal[i];
  }
  return o;
}

static int h264_high(int profile_idc) {
  static const int hp[] = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135};
  for (size_t i = 0; i < sizeof hp / sizeof hp[0]; i++)
    if (hp[i] == profile_idc) return 1;
  return 0;
}

static int parse_h264_sps(const uint8_t *rbsp, size_t n, AgSps *s) {
  Bits b = bits_init(rbsp + 1, n - 1); /* after the one-byte NAL header */
  s->profile_idc = (int)f(&b, 8);
  s->constraints = (int)f(&b, 8);
  s->level_idc = (int)f(&b, 8);
  ue(&b); /* seq_parameter_set_id */
  s->chroma_format_idc = 1;
  s->bit_depth_luma = s->bit_depth_chroma = 8;
  if (h264_high(s->profile_idc)) {
    uint32_t chroma = ue(&b);
    if (chroma == 3) f(&b, 1);
    uint32_t luma = ue(&b), cdepth = ue(&b);
    /* 7.4.2.1.1: chroma_format_idc 0..3, bit_depth_*_minus8 0..6; checked before any arithmetic, since ue()
     * reaches 2^32 - 2 and the avcC record stores these in 2- and 3-bit fields */
    if (chroma > 3 || luma > 6 || cdepth > 6) return -1;
    s->chroma_format_idc = (int)chroma;
    s->bit_depth_luma = (int)luma + 8;
    s->bit_depth_chroma = (int)cdepth + 8;
  }
  return b.overrun ? -1 : 1;
}

/* profile_tier_level(1, max_sub_layers_minus1) */
static void hevc_ptl(Bits *b, int max_sub_layers_minus1, AgSps *s) {
  s->profile_space = (int)f(b, 2);
  s->tier = (int)f(b, 1);
  s->profile_idc = (int)f(b, 5);
  s->compat = f(b, 32);
  s->compat_valid = 1;
  for (int i = 0; i < 6; i++) s->constraint[i] = (uint8_t)f(b, 8);
  s->level_idc = (int)f(b, 8);
  int prof[8] = {0}, lev[8] = {0};
  for (int i = 0; i < max_sub_layers_minus1; i++) {
    prof[i] = (int)f(b, 1);
    lev[i] = (int)f(b, 1);
  }
  if (max_sub_layers_minus1 > 0)
    for (int i = max_sub_layers_minus1; i < 8; i++) f(b, 2);
  for (int i = 0; i < max_sub_layers_minus1; i++) {
    if (prof[i]) {
      f(b, 32);
      f(b, 32);
      f(b, 24);
    }
    if (lev[i]) f(b, 8);
  }
}

static int parse_hevc_sps(const uint8_t *rbsp, size_t n, AgSps *s) {
  Bits b = bits_init(rbsp + 2, n - 2); /* after the two-byte NAL header */
  f(&b, 4);                            /* sps_video_parameter_set_id */
  int msl = (int)f(&b, 3);
  s->max_sub_layers = msl + 1;
  s->temporal_id_nested = (int)f(&b, 1);
  hevc_ptl(&b, msl, s);
  ue(&b); /* sps_seq_parameter_set_id */
  uint32_t chroma = ue(&b);
  if (chroma == 3) f(&b, 1);
  uint32_t width = ue(&b), height = ue(&b);
  if (f(&b, 1)) /* conformance_window_flag */
    for (int i = 0; i < 4; i++) ue(&b);
  uint32_t luma = ue(&b), cdepth = ue(&b);
  /* 7.4.3.2.1: chroma_format_idc 0..3, bit_depth_*_minus8 0..8, picture sizes that fit the int fields;
   * checked before any arithmetic (ue() reaches 2^32 - 2; hvcC stores these in 2- and 3-bit fields) */
  if (chroma > 3 || luma > 8 || cdepth > 8 || width > INT32_MAX || height > INT32_MAX) return -1;
  s->chroma_format_idc = (int)chroma;
  s->width = (int)width;
  s->height = (int)height;
  s->bit_depth_luma = (int)luma + 8;
  s->bit_depth_chroma = (int)cdepth + 8;
  return b.overrun ? -1 : 1;
}

int ag_sps_find(int hevc, const uint8_t *data, size_t size, int length_size, AgSps *out) {
  memset(out, 0, sizeof *out);
  size_t at = 0, len;
  const uint8_t *nal;
  int r;
  while ((r = ag_nal_next(data, size, &at, length_size, &nal, &len)) == 1) {
    if (len < 3 || ag_nal_type(hevc, nal) != (hevc ? 33 : 7)) continue;
    uint8_t rbsp[256];
    size_t m = unescape(nal, len, rbsp, sizeof rbsp);
    int ok = hevc ? parse_hevc_sps(rbsp, m, out) : parse_h264_sps(rbsp, m, out);
    out->found = ok == 1;
    return ok;
  }
  return r < 0 ? -1 : 0;
}

int64_t ag_annexb_to_avc(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  size_t at = 0, len, o = 0;
  const uint8_t *nal;
  while (ag_nal_next(in, n, &at, 0, &nal, &len) == 1) {
    if (o + 4 + len > cap) return -1;
    out[o++] = (uint8_t)(len >> 24);
    out[o++] = (uint8_t)(len >> 16);
    out[o++] = (uint8_t)(len >> 8);
    out[o++] = (uint8_t)len;
    memcpy(out + o, nal, len);
    o += len;
  }
  return (int64_t)o;
}

/* Appends the NAL units of one type with 16-bit lengths; returns how many, -1 when out of room. */
static int put_nals(int hevc, const uint8_t *annexb, size_t n, int type, uint8_t *out, size_t cap, size_t *o) {
  size_t at = 0, len;
  const uint8_t *nal;
  int count = 0;
  while (ag_nal_next(annexb, n, &at, 0, &nal, &len) == 1) {
    if (ag_nal_type(hevc, nal) != type) continue;
    if (len > 0xffff || *o + 2 + len > cap) return -1;
    out[(*o)++] = (uint8_t)(len >> 8);
    out[(*o)++] = (uint8_t)len;
    memcpy(out + *o, nal, len);
    *o += len;
    count++;
  }
  return count;
}

/* ISO/IEC 14496-15 5.3.3.1 AVCDecoderConfigurationRecord */
int64_t ag_avcc_build(const uint8_t *annexb, size_t n, uint8_t *out, size_t cap) {
  AgSps s;
  if (ag_sps_find(0, annexb, n, 0, &s) != 1 || cap < 7) return -1;
  size_t o = 0;
  out[o++] = 1;
  out[o++] = (uint8_t)s.profile_idc;
  out[o++] = (uint8_t)s.constraints;
  out[o++] = (uint8_t)s.level_idc;
  out[o++] = 0xfc | 3; /* 4-byte lengths */
  size_t count_at = o++;
  int sps = put_nals(0, annexb, n, 7, out, cap, &o);
  if (sps < 1 || sps > 31 || o + 1 > cap) return -1;
  out[count_at] = (uint8_t)(0xe0 | sps);
  count_at = o++;
  int pps = put_nals(0, annexb, n, 8, out, cap, &o);
  if (pps < 1 || pps > 255) return -1;
  out[count_at] = (uint8_t)pps;
  if (h264_high(s.profile_idc)) {
    if (o + 4 > cap) return -1;
    out[o++] = (uint8_t)(0xfc | s.chroma_format_idc);
    out[o++] = (uint8_t)(0xf8 | (s.bit_depth_luma - 8));
    out[o++] = (uint8_t)(0xf8 | (s.bit_depth_chroma - 8));
    out[o++] = 0; /* numOfSequenceParameterSetExt */
  }
  return (int64_t)o;
}

/* ISO/IEC 14496-15 8.3.3.1 HEVCDecoderConfigurationRecord (VPS, SPS, PPS and prefix SEI arrays) */
int64_t ag_hvcc_build(const uint8_t *annexb, size_t n, uint8_t *out, size_t cap) {
  AgSps s;
  if (ag_sps_find(1, annexb, n, 0, &s) != 1 || cap < 23) return -1;
  size_t o = 0;
  out[o++] = 1;
  out[o++] = (uint8_t)(s.profile_space << 6 | s.tier << 5 | s.profile_idc);
  for (int i = 3; i >= 0; i--) out[o++] = (uint8_t)(s.compat >> (8 * i));
  for (int i = 0; i < 6; i++) out[o++] = s.constraint[i];
  out[o++] = (uint8_t)s.level_idc;
  out[o++] = 0xf0; /* min_spatial_segmentation_idc 0 (not signalled) */
  out[o++] = 0x00;
  out[o++] = 0xfc;                               /* parallelismType 0: unknown */
  out[o++] = (uint8_t)(0xfc | s.chroma_format_idc);
  out[o++] = (uint8_t)(0xf8 | (s.bit_depth_luma - 8));
  out[o++] = (uint8_t)(0xf8 | (s.bit_depth_chroma - 8));
  out[o++] = 0; /* avgFrameRate: unspecified */
  out[o++] = 0;
  out[o++] = (uint8_t)(s.max_sub_layers << 3 | s.temporal_id_nested << 2 | 3); /* 4-byte lengths */
  size_t arrays_at = o++;
  int arrays = 0;
  static const int types[] = {32, 33, 34, 39}; /* VPS, SPS, PPS, prefix SEI */
  for (int t = 0; t < 4; t++) {
    if (o + 3 > cap) return -1;
    size_t head = o;
    o += 3;
    int k = put_nals(1, annexb, n, types[t], out, cap, &o);
    if (k < 0 || k > 0xffff) return -1; /* numNalus is 16 bits */
    if (k == 0) {
      if (t < 3) return -1; /* VPS, SPS and PPS are required */
      o = head;
      continue;
    }
    out[head] = (uint8_t)(0x80 | types[t]); /* array_completeness 1 */
    out[head + 1] = (uint8_t)(k >> 8);
    out[head + 2] = (uint8_t)k;
    arrays++;
  }
  out[arrays_at] = (uint8_t)arrays;
  return (int64_t)o;
}
