/**
 * One corpus cell, in-process: read the source, encode it, decode the packets back, score every decoded
 * frame against its source frame with VmafScorer, and return the cell's rows (frame rows, then a summary
 * row). Nothing touches the disk unless `keepEncodes` asks for the bitstream. Any failure becomes one error
 * row for the cell: the run goes on.
 */
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { Av1GymError, FormatError } from "../core/errors";
import type { I420Frame } from "../core/frame";
import { VideoReader } from "../io/reader";
import { VideoDecoder } from "../codec/decoder";
import { LavfMuxer } from "../io/writer";
import type { Encoder, Packet } from "../codec/packet";
import { VmafScorer, poolFrames, type VmafFrameResult } from "../metrics/vmaf";
import { defaultModelPath } from "../metrics/vmaf_model";
import { corpusEncoder } from "./encoders";
import { AV1GYM_VERSION, type CellSpec } from "./grid";
import { FEATURE_COLUMNS, type CellRow, type ErrorRow, type FrameRow, type Row } from "./schema";

export interface CellOptions {
  /** Directory to write each cell's bitstream to (`<cell id>.ivf|webm|mp4`); none by default. */
  keepEncodes?: string;
}

const FEATURE_SOURCE: Record<(typeof FEATURE_COLUMNS)[number], string> = {
  adm2: "integer_adm2",
  vif_scale0: "integer_vif_scale0",
  vif_scale1: "integer_vif_scale1",
  vif_scale2: "integer_vif_scale2",
  vif_scale3: "integer_vif_scale3",
  motion2: "integer_motion2",
};
// Extra metrics copied to frame rows under libvmaf's names.
const EXTRA_METRICS = ["psnr_y", "psnr_cb", "psnr_cr", "float_ssim", "float_ms_ssim"];

export function errorRow(cell: CellSpec, e: unknown): ErrorRow {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    type: "error",
    cell: cell.id,
    src: cell.source.path,
    encoder: cell.encoder.label ?? cell.encoder.name,
    cq: cell.value,
    error: { name: err.name, ...(err instanceof Av1GymError ? { code: err.code } : {}), message: err.message },
  };
}

/** Runs one cell; never throws (a failure is the cell's error row). */
export function runCell(cell: CellSpec, options: CellOptions = {}): Row[] {
  try {
    return scoreCell(cell, options);
  } catch (e) {
    return [errorRow(cell, e)];
  }
}

function scoreCell(cell: CellSpec, options: CellOptions): Row[] {
  const src = cell.source;
  using reader = new VideoReader(src.path, {
    ...(src.width !== undefined ? { width: src.width, height: src.height, pixelFormat: src.pixelFormat ?? "yuv420p", fps: src.fps ?? 25 } : {}),
  });
  const md = reader.metadata;
  const n = Math.min(cell.frames ?? md.frameCount, md.frameCount);
  if (n < 1) throw new FormatError(`source ${src.path} has no frames`);
  const bitDepth = md.bitDepth > 8 ? 10 : 8;
  const info = corpusEncoder(cell.encoder.name);
  const fps = md.frameRate;
  const { encoder, settings } = info.open({ width: md.width, height: md.height, fps, bitDepth, value: cell.value, options: cell.encoder.options });
  try {
    using decoder = new VideoDecoder({ codec: encoder.codec, width: md.width, height: md.height, bitDepth, extradata: encoder.extradata });
    using scorer = new VmafScorer({
      width: md.width, height: md.height, bitDepth,
      models: [defaultModelPath(), ...cell.metrics.models],
      psnr: cell.metrics.psnr, ssim: cell.metrics.ssim, msSsim: cell.metrics.msSsim,
    });
    const ivf = options.keepEncodes ? keepWriter(options.keepEncodes, cell, encoder) : null;
    // Frame i is sent with pts = i frame durations; a packet's (and its decoded frame's) pts gives i back.
    const tb = encoder.timeBase;
    const frameDuration = (fps.den * tb.den) / (fps.num * tb.num);
    const indexOf = (pts: number) => Math.round(pts / frameDuration);
    const pending = new Map<number, I420Frame>(); // source frames waiting for their decoded picture
    const frameBytes = new Float64Array(n);
    const frameType: (string | undefined)[] = new Array(n);
    const frameQp: (number | undefined)[] = new Array(n);
    const results: VmafFrameResult[] = [];
    let nextScored = 0;
    let encBytes = 0;
    let encMs = 0;

    const score = (decoded: { frame: I420Frame; pts: number }[]) => {
      for (const d of decoded) {
        const k = indexOf(d.pts);
        const ref = pending.get(k);
        if (k !== nextScored || !ref)
          throw new FormatError(`the decoder showed frame ${k} where frame ${nextScored} was due (frames lost or reordered)`);
        pending.delete(k);
        nextScored++;
        results.push(...scorer.push(ref, d.frame));
      }
    };
    const take = (packets: Packet[]) => {
      for (const p of packets) {
        const k = indexOf(p.pts);
        if (!(k >= 0 && k < n)) throw new FormatError(`the encoder returned a packet for frame ${k} of ${n}`);
        encBytes += p.data.length;
        frameBytes[k]! += p.data.length;
        // A frame shown from an earlier hidden one keeps the type and qindex of the frame that coded it.
        const type = p.av1?.frameType ?? (p.isKey ? "KEY" : undefined);
        if (type !== "SHOW_EXISTING" || frameType[k] === undefined) {
          frameType[k] = type;
          frameQp[k] = p.av1?.qindex;
        }
        ivf?.write(p);
        score(decoder.decode(p.data, p.pts));
      }
    };

    let i = 0;
    for (const frame of reader.frames({ start: 0, end: n })) {
      pending.set(i, frame);
      const t0 = performance.now();
      const packets = encoder.encode(frame, { pts: i * frameDuration });
      encMs += performance.now() - t0;
      take(packets);
      i++;
    }
    const t0 = performance.now();
    const tail = encoder.flush();
    encMs += performance.now() - t0;
    take(tail);
    score(decoder.flush());
    results.push(...scorer.flush());
    ivf?.close();
    if (nextScored !== n) throw new FormatError(`only ${nextScored} of ${n} frames came back from the decoder`);

    const base = { cell: cell.id, src: src.path, encoder: cell.encoder.label ?? cell.encoder.name, cq: cell.value };
    const rows: Row[] = results.map((r, k): FrameRow => {
      const row: FrameRow = {
        type: "frame", ...base, enc_bytes: encBytes, enc_time_ms: round3(encMs), frame_index: k, vmaf: r.vmaf,
        adm2: 0, vif_scale0: 0, vif_scale1: 0, vif_scale2: 0, vif_scale3: 0, motion2: 0,
        frame_bytes: frameBytes[k]!,
        ...(frameType[k] !== undefined ? { frame_type: frameType[k] } : {}),
        ...(frameQp[k] !== undefined ? { qp: frameQp[k] } : {}),
      };
      for (const c of FEATURE_COLUMNS) row[c] = r.metrics[FEATURE_SOURCE[c]]!;
      for (const m of EXTRA_METRICS) if (r.metrics[m] !== undefined) row[m] = r.metrics[m];
      for (const model of scorer.models.slice(1)) row[model.name] = r.metrics[model.name];
      return row;
    });
    const seconds = (n * fps.den) / fps.num;
    const summary: CellRow = {
      type: "cell", ...base, knob: info.knob, frames: n, width: md.width, height: md.height, fps: fps.num / fps.den,
      enc_bytes: encBytes, enc_time_ms: round3(encMs),
      bitrate_kbps: (encBytes * 8) / seconds / 1000,
      encode_fps: n / (encMs / 1000),
      pooled: poolFrames(results.map((r) => ({ ...r, metrics: { vmaf: r.vmaf, ...r.metrics } }))),
      settings,
      versions: { av1gym: AV1GYM_VERSION, bun: Bun.version },
    };
    rows.push(summary);
    return rows;
  } finally {
    encoder.close();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

// The container each codec's kept encode is written in (libavformat, through LavfMuxer).
const KEEP_EXTENSION: Record<string, string> = { av1: "ivf", vp9: "webm", h264: "mp4", hevc: "mp4" };

function keepWriter(dir: string, cell: CellSpec, encoder: Encoder): LavfMuxer {
  mkdirSync(dir, { recursive: true });
  const m = new LavfMuxer(join(dir, `${cell.id}.${KEEP_EXTENSION[encoder.codec] ?? "mkv"}`));
  m.addVideo(encoder);
  return m;
}
