/**
 * The rows a corpus run writes (JSON Lines). Frame rows keep the replaced system's per-frame schema exactly
 * (src, encoder, cq, enc_bytes, enc_time_ms, frame_index, vmaf, adm2, vif_scale0..3, motion2: same names,
 * same meaning: enc_bytes and enc_time_ms are the whole encode's bytes and time, repeated on each frame of
 * the cell), plus extras; each cell ends with one summary row (`type: "cell"`), or is one error row
 * (`type: "error"`). Every row carries `cell`, the id of its cell, so a file can be resumed and grouped.
 */
import type { PooledMetric } from "../metrics/vmaf";

/** The six VMAF features every frame row has (libvmaf's integer features, plain names as the replaced system). */
export const FEATURE_COLUMNS = ["adm2", "vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "motion2"] as const;

export interface FrameRow {
  type: "frame";
  cell: string;
  src: string;
  encoder: string;
  cq: number;
  enc_bytes: number;
  enc_time_ms: number;
  frame_index: number;
  vmaf: number;
  adm2: number;
  vif_scale0: number;
  vif_scale1: number;
  vif_scale2: number;
  vif_scale3: number;
  motion2: number;
  /** Extras: this frame's own bytes (all packets with its timestamp), its type and quantizer when known. */
  frame_bytes: number;
  frame_type?: string;
  qp?: number;
  /** Optional metrics asked for: psnr_y/psnr_cb/psnr_cr, float_ssim, float_ms_ssim, other models by name. */
  [metric: string]: unknown;
}

export interface CellRow {
  type: "cell";
  cell: string;
  src: string;
  encoder: string;
  cq: number;
  /** The encoder's native knob the value was given in (crf, qp, cq, global_quality ...). */
  knob: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  enc_bytes: number;
  enc_time_ms: number;
  bitrate_kbps: number;
  encode_fps: number;
  /** Pooled per-frame metrics (min, max, mean, harmonic mean). */
  pooled: Record<string, PooledMetric>;
  settings: Record<string, unknown>;
  versions: Record<string, string>;
}

export interface ErrorRow {
  type: "error";
  cell: string;
  src: string;
  encoder: string;
  cq: number;
  error: { name: string; code?: string; message: string };
}

export type Row = FrameRow | CellRow | ErrorRow;

/** Checks one parsed JSON value is a row; returns a message saying what is wrong, or null. */
export function rowProblem(v: unknown): string | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "not a JSON object";
  const r = v as Record<string, unknown>;
  if (typeof r.cell !== "string" || !r.cell) return "no `cell` id";
  if (typeof r.src !== "string" || typeof r.encoder !== "string") return "no `src`/`encoder`";
  if (typeof r.cq !== "number" || !Number.isFinite(r.cq)) return "`cq` is not a number";
  switch (r.type) {
    case "frame":
      for (const k of ["frame_index", "vmaf", "enc_bytes", ...FEATURE_COLUMNS])
        if (typeof r[k] !== "number") return `frame row without a numeric \`${k}\``;
      return null;
    case "cell":
      if (typeof r.bitrate_kbps !== "number" || typeof r.pooled !== "object" || r.pooled === null)
        return "cell row without `bitrate_kbps`/`pooled`";
      return null;
    case "error":
      return typeof r.error === "object" && r.error !== null ? null : "error row without `error`";
    default:
      return `unknown row type ${JSON.stringify(r.type)}`;
  }
}
