/* Internal declarations shared by the metric files (lib/metrics/). Not part of the
 * exported API: the exported functions are declared in av1gym.h (block "metrics").
 *
 * The VMAF feature code reimplements what libvmaf 3.2.0 computes for its integer features (VIF, ADM,
 * motion) so the numbers match it; where it follows libvmaf's structure closely the file says so.
 * libvmaf is Copyright 2016-2020 Netflix, Inc., BSD-2-Clause-Patent licensed. */
#ifndef AG_METRIC_INTERNAL_H
#define AG_METRIC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the AVX2 kernels are used (CPU supports them and not disabled by ag_metrics_set_simd(0)). */
int agm_use_avx2(void);
/* 1 when the AVX-512 kernels are used: AVX512 F/BW/DQ/VL/CD and VNNI, and ag_metrics_set_simd() allows them
 * (level 2). Where they are used, the AVX2 ones are too for what has no AVX-512 version. */
int agm_use_avx512(void);

/* Mirror an index into [0, n): -i -> i and n-1+i -> n-1-i (no repeated edge), clamped for tiny n. */
static inline int agm_mirror(int i, int n) {
  if (n <= 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
  }
  return i;
}

/* A zeroed block for planes that live and die together (lib/metrics/plane_block.c): huge pages where the kernel
 * gives them on request. *mapped: what agm_plane_block_free needs back. NULL without memory. */
void *agm_plane_block(size_t bytes, size_t *mapped);
void agm_plane_block_free(void *p, size_t mapped);

/* ---- VIF (lib/metrics/vmaf_vif.c) ---- */
typedef struct AgmVif AgmVif;
typedef struct {
  int64_t num_log, num_log1, den_log, num_non_log, den_non_log;
} AgmVifAcc; /* integer sums of one scale (num_log1: gain limit 1) */
/* planes: agm_vif_bytes(w, h) bytes on a 64-byte boundary (the decimated images), the caller's. */
size_t agm_vif_bytes(int w, int h);
AgmVif *agm_vif_new(int w, int h, int nthreads, void *planes);
void agm_vif_free(AgmVif *v);
/* Scale-0 rows [y0, y1) with thread tid's scratch; luma planes as packed uint16 (w x h). */
void agm_vif_stripe(AgmVif *v, int tid, const uint16_t *ref, const uint16_t *dis, int bpc, int y0, int y1,
                    AgmVifAcc *acc, int want_egl1);
/* Scales 1..3 (subsampling included). */
void agm_vif_rest(AgmVif *v, int tid, const uint16_t *ref, const uint16_t *dis, int bpc, AgmVifAcc acc[3], int want_egl1);
/* vif_scale0..3 for gain limit 100 (out) and 1 (out_egl1, may be NULL). */
void agm_vif_finish(const AgmVifAcc acc[4], double out[4], double *out_egl1);
/* AVX-512 (vmaf_vif_avx512.c). s: the 8 row-buffer streams (mu1, mu2, xx/yy/xy high and low halves, offset
 * 16-bit, margins mirrored); r, d: the 18 tap rows (the 18th tap is 0). Both return the first column not
 * done (a multiple of 32); the caller does the rest portably. */
int agm_vif_vertical_s0_8bit_avx512(int16_t *const *s, const uint16_t *const *r, const uint16_t *const *d,
                                    const uint16_t *filt, int w);
/* Vertical pass at scales 1-2 (fw 9 or 5 tap rows r, d of samples up to 16 bits). */
int agm_vif_vertical_s12_avx512(int16_t *const *s, const uint16_t *const *r, const uint16_t *const *d, const uint16_t *filt,
                                int fw, int w);
/* One output row of the low-pass-and-decimate step into scales 1-2 (fw 9 or 5 rows r, d; shift sh of the
 * vertical pass); m1, m2: offset-16 row buffers with margins. Returns the first output column not done (-1:
 * nothing done, fw unsupported). */
int agm_vif_decimate_row_avx512(const uint16_t *const *r, const uint16_t *const *d, const uint16_t *filt, int fw, int w, int sh,
                                int16_t *m1, int16_t *m2, uint16_t *oref, uint16_t *odis);
/* Horizontal pass (taps < 2^15, fw <= 17, filt zero-padded to an even count) fused with the statistic. */
int agm_vif_hstat_avx512(int16_t *const *s, const uint16_t *filt, int fw, int w, const uint16_t *log2_table,
                         AgmVifAcc *acc, int want_egl1);
/* All of it on one thread (scratch 0). */
void agm_vif_compute(AgmVif *v, const uint16_t *ref, const uint16_t *dis, int bpc, double out[4], double *out_egl1);

/* ---- ADM (lib/metrics/vmaf_adm.c) ---- */
typedef struct AgmAdm AgmAdm;
/* planes: agm_adm_bytes(w, h) bytes on a 64-byte boundary, the caller's (kept until agm_adm_free). */
size_t agm_adm_bytes(int w, int h);
AgmAdm *agm_adm_new(int w, int h, void *planes);
void agm_adm_free(AgmAdm *a);
/* out: adm2, adm_scale0..3 (5 doubles); out_egl1 (NULL to skip): the same with gain limit 1. */
void agm_adm_compute(AgmAdm *a, const uint16_t *ref, const uint16_t *dis, int bpc, double out[5], double *out_egl1);
/* AVX-512 cube sums of csf_den over n values of one band row, added to *sum (scale 0: (uint16)|x|^3; scales 1..3:
 * (((|x|^2 + add_sq) >> shift_sq) |x| + add_cub) >> shift_cub). Returns how many values were done. */
int agm_adm_cube_row_avx512(const int32_t *p, int n, int scale, int shift_sq, uint64_t add_sq, int shift_cub, uint64_t add_cub,
                            uint64_t *sum);
/* Fixed-point parameters of one scale's contrast masking (adm_cm in vmaf_adm.c). */
typedef struct {
  int scale;
  int32_t i_rf16[3];
  uint32_t i_rf32[3];
  int sh_sub[3], sh_sq[3], sh_cub[3];
  int64_t add_sq[3], add_cub[3];
} AgmCmParams;
/* The H/V/D rows the masking sums of one row read: CSF(a)/30 of the rows above, at and below (mirrored at the
 * borders), CSF(a) and r of the row. */
typedef struct {
  const int32_t *f_up[3], *f_mid[3], *f_down[3], *csf_a[3], *r[3];
} AgmCmRows;
/* AVX-512 masking sums of one row, columns [j0, j1) with both neighbours inside, 8 a step, added to in[3];
 * returns the first column not done. */
int agm_adm_cm_row_avx512(const AgmCmRows *rw, int j0, int j1, const AgmCmParams *p, int64_t in[3]);
/* AVX-512 decoupling (vmaf_adm_avx512.c): 16 pixels at scale 0, 8 at scales 1..3, from element off of the
 * H/V/D bands o (reference) and t (distorted) into r (restored) and a (additive). 0: not done (overflow risk). */
int agm_adm_decouple16_s0_avx512(const int32_t *const *o, const int32_t *const *t, int32_t *const *r, int32_t *const *a,
                                 size_t off, const int32_t *div_lookup, int egl);
int agm_adm_decouple8_s123_avx512(const int32_t *const *o, const int32_t *const *t, int32_t *const *r, int32_t *const *a,
                                  size_t off, const int32_t *div_lookup, int egl);

/* ---- motion (lib/metrics/vmaf_motion.c) ---- */
/* libvmaf 3.2 motion score between two reference luma planes (blur of the difference, mean |.|). */
double agm_motion_score(const uint16_t *prev, const uint16_t *cur, int w, int h, int bpc, int32_t *row_buf);
/* Parts shared by the motion kernels: the 5 mirrored tap rows of output row i; the portable vertical pass of
 * columns [j0, w) into row (returns the OR of the values: 0 when the row is all zero); the portable
 * horizontal pass's sum of |.| over the columns outside [skip0, skip1), modulo 2^32 as libvmaf's row sum. */
void agm_motion_tap_rows(const uint16_t *prev, const uint16_t *cur, int w, int h, int i, const uint16_t *p[5], const uint16_t *c[5]);
int32_t agm_motion_vertical_c(const uint16_t *const p[5], const uint16_t *const c[5], int w, int bpc, int j0, int32_t *row);
uint32_t agm_motion_hsad_c(const int32_t *row, int w, int skip0, int skip1);
/* AVX-512 (vmaf_motion_avx512.c, bpc <= 12): the sum of |blurred difference| over the frame. */
uint64_t agm_motion_sad_avx512(const uint16_t *prev, const uint16_t *cur, int w, int h, int bpc, int32_t *row_buf);

#endif
