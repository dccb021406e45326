/* H.264 / HEVC parameter sets (lib/codec/h26x.c): NAL unit walking, the SPS/VPS fields codec strings and
 * avcC/hvcC need, and the Annex B -> length-prefixed conversion the "avc" format uses. Internal. */
#ifndef AG_CODEC_H26X_H
#define AG_CODEC_H26X_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int found;
  /* H.264 */
  int profile_idc, constraints, level_idc;
  /* HEVC profile_tier_level(), general part */
  int profile_space, tier, compat_valid;
  uint32_t compat;        /* general_profile_compatibility_flag[0..31], flag 0 in the most significant bit */
  uint8_t constraint[6];  /* the 48 bits after the compatibility flags */
  int max_sub_layers, temporal_id_nested;
  /* both */
  int chroma_format_idc, bit_depth_luma, bit_depth_chroma, width, height;
} AgSps;

/* Next NAL unit of an Annex B stream (length_size 0) or of a length-prefixed one (length_size 1..4).
 * Returns 1 with nal and len set (header included, start code or length excluded), 0 at the end, -1 when
 * a length runs past the data. */
int ag_nal_next(const uint8_t *d, size_t n, size_t *at, int length_size, const uint8_t **nal, size_t *len);
/* NAL unit type (H.264: 5 bits; HEVC: 6 bits). */
int ag_nal_type(int hevc, const uint8_t *nal);
/* Parses the first SPS in data (Annex B or length-prefixed). 1 found, 0 none, -1 corrupt. */
int ag_sps_find(int hevc, const uint8_t *data, size_t size, int length_size, AgSps *out);
/* Annex B access unit -> 4-byte big-endian length prefixes; returns the new size (<= size + 4 * NALs), or -1
 * when cap is too small. */
int64_t ag_annexb_to_avc(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
/* avcC / hvcC from Annex B parameter sets; returns the size written, -1 when a parameter set is missing or
 * cap is too small. */
int64_t ag_avcc_build(const uint8_t *annexb, size_t n, uint8_t *out, size_t cap);
int64_t ag_hvcc_build(const uint8_t *annexb, size_t n, uint8_t *out, size_t cap);

#endif
