/* Just enough of an AV1 OBU parser (spec sections 5.3, 5.5, 5.9) to read each packet's base_q_idx (the
 * frame's base qindex; SVT-AV1 only reports (base_q_idx + 2) >> 2) and the OBU temporal id. It reads the
 * sequence header, then the uncompressed frame header up to quantization_params(). Frame sizes taken
 * from a reference (found_ref) are assumed equal to the sequence maximum: SVT-AV1 does not resize here. */
#include <string.h>

#include "internal.h"
#include "codec/bits.h"

static uint32_t uvlc(Bits *b) {
  int lz = 0;
  while (!f(b, 1)) {
    if (b->overrun || ++lz >= 32) return 0;
  }
  return lz ? f(b, lz) + ((1u << lz) - 1) : 0;
}

static uint32_t ns(Bits *b, uint32_t n) {
  int w = 0;
  for (uint32_t x = n; x; x >>= 1) w++; /* FloorLog2(n) + 1 */
  uint32_t m = (1u << w) - n, v = f(b, w - 1);
  if (v < m) return v;
  return (v << 1) - m + f(b, 1);
}

static int tile_log2(int blk, int target) {
  int k = 0;
  while ((blk << k) < target) k++;
  return k;
}

/* 5.5.2 color_config(): what the codec string (av01.P.LLT.DD.M.CCC.cp.tc.mc.F) reports */
static void color_config(AgSeqHdr *s, Bits *b) {
  int high = (int)f(b, 1);
  s->bit_depth = s->profile == 2 && high ? (f(b, 1) ? 12 : 10) : high ? 10 : 8;
  s->mono = s->profile == 1 ? 0 : (int)f(b, 1);
  s->color_described = (int)f(b, 1);
  s->cp = s->tc = s->mc = 2; /* CP/TC/MC_UNSPECIFIED */
  if (s->color_described) {
    s->cp = (int)f(b, 8);
    s->tc = (int)f(b, 8);
    s->mc = (int)f(b, 8);
  }
  s->csp = 0;
  if (s->mono) {
    s->full_range = (int)f(b, 1);
    s->ssx = s->ssy = 1;
    return;
  }
  if (s->cp == 1 && s->tc == 13 && s->mc == 0) { /* sRGB */
    s->full_range = 1;
    s->ssx = s->ssy = 0;
  } else {
    s->full_range = (int)f(b, 1);
    if (s->profile == 0) {
      s->ssx = s->ssy = 1;
    } else if (s->profile == 1) {
      s->ssx = s->ssy = 0;
    } else if (s->bit_depth == 12) {
      s->ssx = (int)f(b, 1);
      s->ssy = s->ssx ? (int)f(b, 1) : 0;
    } else {
      s->ssx = 1;
      s->ssy = 0;
    }
    if (s->ssx && s->ssy) s->csp = (int)f(b, 2);
  }
  f(b, 1); /* separate_uv_delta_q */
}

/* 5.5: the fields the frame header parse and the codec string depend on */
static int parse_seq(AgSeqHdr *s, Bits *b) {
  memset(s, 0, sizeof *s);
  s->profile = (int)f(b, 3);
  s->still = (int)f(b, 1);
  s->reduced = (int)f(b, 1);
  if (s->reduced) {
    s->level0 = (int)f(b, 5);
  } else {
    if (f(b, 1)) { /* timing_info_present_flag */
      f(b, 32);
      f(b, 32);
      s->equal_picture_interval = (int)f(b, 1);
      if (s->equal_picture_interval) uvlc(b);
      s->decoder_model_info_present = (int)f(b, 1);
      if (s->decoder_model_info_present) {
        s->buffer_delay_length = (int)f(b, 5) + 1;
        f(b, 32);
        s->buffer_removal_time_length = (int)f(b, 5) + 1;
        s->frame_presentation_time_length = (int)f(b, 5) + 1;
      }
    }
    int initial_display_delay_present = (int)f(b, 1);
    s->op_count = (int)f(b, 5) + 1;
    for (int i = 0; i < s->op_count; i++) {
      uint32_t idc = f(b, 12);
      uint32_t level = f(b, 5), tier = level > 7 ? f(b, 1) : 0;
      if (i == 0) {
        s->level0 = (int)level;
        s->tier0 = (int)tier;
      }
      int model = 0;
      if (s->decoder_model_info_present) {
        model = (int)f(b, 1);
        if (model) {
          f(b, s->buffer_delay_length);
          f(b, s->buffer_delay_length);
          f(b, 1);
        }
      }
      if (initial_display_delay_present && f(b, 1)) f(b, 4);
      if (i < 32) {
        s->op_idc[i] = idc;
        s->op_model[i] = (uint8_t)model;
      }
    }
  }
  int wbits = (int)f(b, 4) + 1, hbits = (int)f(b, 4) + 1;
  s->wbits = wbits;
  s->hbits = hbits;
  s->max_w = (int)f(b, wbits) + 1;
  s->max_h = (int)f(b, hbits) + 1;
  if (!s->reduced) s->frame_id_numbers_present = (int)f(b, 1);
  if (s->frame_id_numbers_present) {
    s->delta_frame_id_length = (int)f(b, 4) + 2;
    s->frame_id_length = (int)f(b, 3) + 1 + s->delta_frame_id_length;
  }
  s->use_128 = (int)f(b, 1);
  f(b, 1); /* enable_filter_intra */
  f(b, 1); /* enable_intra_edge_filter */
  s->force_sct = 2;
  s->force_int_mv = 2;
  if (!s->reduced) {
    f(b, 4); /* interintra, masked compound, warped motion, dual filter */
    s->enable_order_hint = (int)f(b, 1);
    if (s->enable_order_hint) {
      f(b, 1); /* jnt_comp */
      s->enable_ref_frame_mvs = (int)f(b, 1);
    }
    if (!f(b, 1)) s->force_sct = (int)f(b, 1); /* seq_choose_screen_content_tools */
    if (s->force_sct > 0) {
      if (!f(b, 1)) s->force_int_mv = (int)f(b, 1); /* seq_choose_integer_mv */
    } else {
      s->force_int_mv = 2;
    }
    if (s->enable_order_hint) s->order_hint_bits = (int)f(b, 3) + 1;
  }
  s->enable_superres = (int)f(b, 1);
  f(b, 1); /* enable_cdef */
  f(b, 1); /* enable_restoration */
  color_config(s, b);
  s->valid = !b->overrun;
  return s->valid ? 0 : -1;
}

/* frame_size() + superres_params(): sets *fw (coded width) and *uw (upscaled width), *fh */
static void frame_size(const AgSeqHdr *s, Bits *b, int override, int *fw, int *uw, int *fh) {
  if (override) {
    *uw = (int)f(b, s->wbits) + 1;
    *fh = (int)f(b, s->hbits) + 1;
  } else {
    *uw = s->max_w;
    *fh = s->max_h;
  }
  *fw = *uw;
  if (s->enable_superres && f(b, 1)) {
    int denom = (int)f(b, 3) + 9;
    *fw = (*uw * 8 + denom / 2) / denom;
  }
}

static void render_size(Bits *b) {
  if (f(b, 1)) {
    f(b, 16);
    f(b, 16);
  }
}

/* 5.9.2 up to quantization_params(): returns base_q_idx, -2 for show_existing_frame, -1 on error */
static int parse_frame_header(const AgSeqHdr *s, Bits *b, int temporal_id, int spatial_id) {
  int frame_type = 0, show_frame = 1, error_res = 0, intra = 1;
  if (!s->reduced) {
    if (f(b, 1)) return -2; /* show_existing_frame */
    frame_type = (int)f(b, 2);
    intra = frame_type == 0 || frame_type == 2;
    show_frame = (int)f(b, 1);
    if (show_frame && s->decoder_model_info_present && !s->equal_picture_interval) f(b, s->frame_presentation_time_length);
    if (!show_frame) f(b, 1); /* showable_frame */
    error_res = (frame_type == 3 || (frame_type == 0 && show_frame)) ? 1 : (int)f(b, 1);
  }
  int disable_cdf_update = (int)f(b, 1);
  int sct = s->force_sct == 2 ? (int)f(b, 1) : s->force_sct;
  int int_mv = 0;
  if (sct) int_mv = s->force_int_mv == 2 ? (int)f(b, 1) : s->force_int_mv;
  if (intra) int_mv = 1;
  if (s->frame_id_numbers_present) f(b, s->frame_id_length);
  int override = frame_type == 3 ? 1 : s->reduced ? 0 : (int)f(b, 1);
  f(b, s->order_hint_bits);
  int primary_ref_none = intra || error_res;
  if (!primary_ref_none) f(b, 3);
  if (s->decoder_model_info_present && f(b, 1)) { /* buffer_removal_time_present_flag */
    for (int op = 0; op < s->op_count && op < 32; op++)
      if (s->op_model[op]) {
        uint32_t idc = s->op_idc[op];
        if (idc == 0 || (((idc >> temporal_id) & 1) && ((idc >> (spatial_id + 8)) & 1))) f(b, s->buffer_removal_time_length);
      }
  }
  int refresh = (frame_type == 3 || (frame_type == 0 && show_frame)) ? 0xff : (int)f(b, 8);
  if ((!intra || refresh != 0xff) && error_res && s->enable_order_hint)
    for (int i = 0; i < 8; i++) f(b, s->order_hint_bits);
  int fw = s->max_w, uw = s->max_w, fh = s->max_h;
  if (intra) {
    frame_size(s, b, override, &fw, &uw, &fh);
    render_size(b);
    if (sct && uw == fw) f(b, 1); /* allow_intrabc */
  } else {
    int short_sig = s->enable_order_hint ? (int)f(b, 1) : 0;
    if (short_sig) {
      f(b, 3);
      f(b, 3);
    }
    for (int i = 0; i < 7; i++) {
      if (!short_sig) f(b, 3);
      if (s->frame_id_numbers_present) f(b, s->delta_frame_id_length);
    }
    if (override && !error_res) {
      int found = 0;
      for (int i = 0; i < 7 && !found; i++) found = (int)f(b, 1);
      if (found) {
        uw = fw = s->max_w; /* the reference's size: no resizing in our sessions */
        fh = s->max_h;
        if (s->enable_superres && f(b, 1)) {
          int denom = (int)f(b, 3) + 9;
          fw = (uw * 8 + denom / 2) / denom;
        }
      } else {
        frame_size(s, b, override, &fw, &uw, &fh);
        render_size(b);
      }
    } else {
      frame_size(s, b, override, &fw, &uw, &fh);
      render_size(b);
    }
    if (!int_mv) f(b, 1); /* allow_high_precision_mv */
    if (!f(b, 1)) f(b, 2); /* is_filter_switchable, interpolation_filter */
    f(b, 1);               /* is_motion_mode_switchable */
    if (!error_res && s->enable_ref_frame_mvs) f(b, 1);
  }
  if (!(s->reduced || disable_cdf_update)) f(b, 1); /* disable_frame_end_update_cdf */
  /* tile_info() */
  const int mi_cols = 2 * ((fw + 7) >> 3), mi_rows = 2 * ((fh + 7) >> 3);
  const int sb_cols = s->use_128 ? (mi_cols + 31) >> 5 : (mi_cols + 15) >> 4;
  const int sb_rows = s->use_128 ? (mi_rows + 31) >> 5 : (mi_rows + 15) >> 4;
  const int sb_size = (s->use_128 ? 5 : 4) + 2;
  const int max_tile_width_sb = 4096 >> sb_size;
  int max_tile_area_sb = (4096 * 2304) >> (2 * sb_size);
  const int min_log2_cols = tile_log2(max_tile_width_sb, sb_cols);
  const int max_log2_cols = tile_log2(1, sb_cols < 64 ? sb_cols : 64);
  const int max_log2_rows = tile_log2(1, sb_rows < 64 ? sb_rows : 64);
  const int min_log2_tiles = tile_log2(max_tile_area_sb, sb_rows * sb_cols) > min_log2_cols
                                 ? tile_log2(max_tile_area_sb, sb_rows * sb_cols)
                                 : min_log2_cols;
  int cols_log2, rows_log2;
  if (f(b, 1)) { /* uniform_tile_spacing_flag */
    cols_log2 = min_log2_cols;
    while (cols_log2 < max_log2_cols && f(b, 1)) cols_log2++;
    rows_log2 = min_log2_tiles - cols_log2 > 0 ? min_log2_tiles - cols_log2 : 0;
    while (rows_log2 < max_log2_rows && f(b, 1)) rows_log2++;
  } else {
    int widest = 0, start = 0, i = 0;
    for (; start < sb_cols && !b->overrun; i++) {
      int maxw = sb_cols - start < max_tile_width_sb ? sb_cols - start : max_tile_width_sb;
      int size = (int)ns(b, (uint32_t)maxw) + 1;
      if (size > widest) widest = size;
      start += size;
    }
    cols_log2 = tile_log2(1, i);
    max_tile_area_sb = min_log2_tiles > 0 ? (sb_rows * sb_cols) >> (min_log2_tiles + 1) : sb_rows * sb_cols;
    int max_h = widest ? max_tile_area_sb / widest : 1;
    if (max_h < 1) max_h = 1;
    start = 0;
    i = 0;
    for (; start < sb_rows && !b->overrun; i++) {
      int maxhh = sb_rows - start < max_h ? sb_rows - start : max_h;
      start += (int)ns(b, (uint32_t)maxhh) + 1;
    }
    rows_log2 = tile_log2(1, i);
  }
  if (cols_log2 > 0 || rows_log2 > 0) {
    f(b, rows_log2 + cols_log2);
    f(b, 2);
  }
  int q = (int)f(b, 8); /* quantization_params(): base_q_idx */
  return b->overrun ? -1 : q;
}

static int leb128(const uint8_t *p, size_t n, size_t *at, uint64_t *out) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    if (*at >= n) return -1;
    uint8_t byte = p[(*at)++];
    v |= (uint64_t)(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

int32_t ag_obu_parse_tu(AgSeqHdr *seq, const uint8_t *data, size_t size, int32_t *base_q_idx, int32_t *temporal_id) {
  size_t at = 0;
  *base_q_idx = -1;
  *temporal_id = -1;
  while (at < size) {
    uint8_t h = data[at++];
    int type = (h >> 3) & 15, ext = (h >> 2) & 1, has_size = (h >> 1) & 1;
    int tid = 0, sid = 0;
    if (ext) {
      if (at >= size) return -1;
      tid = data[at] >> 5;
      sid = (data[at] >> 3) & 3;
      at++;
    }
    uint64_t len = size - at;
    if (has_size && leb128(data, size, &at, &len) != 0) return -1;
    if (len > size - at) return -1;
    Bits b = {data + at, (size_t)len * 8, 0, 0};
    if (type == 1) { /* OBU_SEQUENCE_HEADER */
      parse_seq(seq, &b);
    } else if ((type == 3 || type == 6) && seq->valid) { /* OBU_FRAME_HEADER, OBU_FRAME */
      int q = parse_frame_header(seq, &b, tid, sid);
      if (q == -2 && *base_q_idx == -1) *base_q_idx = -2; /* show_existing_frame only (so far) */
      if (q >= 0) {
        *base_q_idx = q;
        *temporal_id = ext ? tid : -1;
      }
    }
    at += (size_t)len;
  }
  return 0;
}
