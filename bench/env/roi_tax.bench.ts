/**
 * The ROI tax: what SVT-AV1 charges for a ROI map whose offsets are all zero (segmentation stays on: segment
 * ids per block, per-segment loop-filter data, no EncDec bypass), before and after the shim's switch-off.
 * Per clip (first 60 frames, preset 10, low delay, CRF 27/35/43/51), in bytes per frame and PSNR-Y BD-rate:
 *  - "zero-map": every frame sent with an all-zero map (what every frame after a first map cost before the
 *    fix) against the default (no map);
 *  - "after-map": a +8 map on frame 0 only, then all-zero frames: kept in force (before) against switched
 *    off (after, the shim's default where the SVT-AV1 build allows it).
 * No timing: these are compression numbers, so the machine's load does not change them.
 */
import { Av1Encoder, svtVersion } from "../../src/codec/av1_encoder";
import type { I420Frame } from "../../src/core/frame";
import { VideoReader } from "../../src/io/reader";
import { bdRate } from "../../src/metrics/bdrate";
import { HAVE_SHARED, SHARED_DIR } from "../util";
import { join } from "node:path";

const CLIPS = ["bikes_640x272_250f.mp4", "carphone_176x144_120f.mp4", "seeking_384x288_150f.mp4", "seeking_720x480_150f.mp4"];
const N = Number(process.env.AV1GYM_TAX_FRAMES ?? 60);
const RATES = [27, 35, 43, 51];

if (!HAVE_SHARED) {
  console.error(`[bench] ${SHARED_DIR} not found: the ROI tax is measured on real clips only; skipped`);
  process.exit(0);
}

type Mode = "default" | "zero-map" | "after-map-kept" | "after-map-off";
function encode(frames: I420Frame[], crf: number, mode: Mode): { bytes: number; psnr: number } {
  const { width, height } = frames[0]!;
  using enc = new Av1Encoder({ width, height, preset: 10, crf, recon: true });
  const n = enc.sbRows * enc.sbCols;
  let bytes = 0, psnr = 0;
  frames.forEach((f, i) => {
    const opts =
      mode === "default" ? {}
      : mode === "zero-map" ? { qpOffsets: new Array(n).fill(0), keepMap: true }
      : { qpOffsets: new Array(n).fill(i === 0 ? 8 : 0), keepMap: mode === "after-map-kept" };
    const [p] = enc.encode(f, opts);
    bytes += p!.data.length;
    psnr += p!.recon!.psnr.y;
  });
  return { bytes, psnr: psnr / frames.length };
}

const summary: Record<string, number[]> = { zeroMapBd: [], zeroMapBytes: [], afterBd: [], afterBytes: [] };
for (const name of CLIPS) {
  using reader = new VideoReader(join(SHARED_DIR, "clips", name));
  const frames = [...reader.frames({ start: 0, end: N })];
  const runs = Object.fromEntries(
    (["default", "zero-map", "after-map-kept", "after-map-off"] as Mode[]).map((m) => [m, RATES.map((crf) => encode(frames, crf, m))]),
  ) as Record<Mode, { bytes: number; psnr: number }[]>;
  const curve = (m: Mode) => runs[m].map((r) => ({ rate: r.bytes, quality: r.psnr }));
  const perFrame = (a: Mode, b: Mode) => runs[a].reduce((s, r, i) => s + r.bytes - runs[b][i]!.bytes, 0) / (RATES.length * N);
  const line = {
    bench: "roi-tax",
    clip: name.replace(/\.\w+$/, ""),
    svt: svtVersion().text,
    frames: N,
    crf: RATES,
    switch_off: Av1Encoder.roiSwitchOff,
    zero_map_bytes_per_frame: perFrame("zero-map", "default"),
    zero_map_bytes_pct: (100 * runs["zero-map"].reduce((s, r) => s + r.bytes, 0)) / runs.default.reduce((s, r) => s + r.bytes, 0) - 100,
    zero_map_bdrate_psnr_y: bdRate(curve("default"), curve("zero-map")),
    after_map_kept_vs_off_bytes_per_frame: perFrame("after-map-kept", "after-map-off"),
    after_map_kept_vs_off_bdrate_psnr_y: bdRate(curve("after-map-off"), curve("after-map-kept")),
    unit: "bytes/frame, %",
  };
  summary.zeroMapBd!.push(line.zero_map_bdrate_psnr_y);
  summary.zeroMapBytes!.push(line.zero_map_bytes_per_frame);
  summary.afterBd!.push(line.after_map_kept_vs_off_bdrate_psnr_y);
  summary.afterBytes!.push(line.after_map_kept_vs_off_bytes_per_frame);
  console.log(JSON.stringify(line, (_k, v) => (typeof v === "number" ? Math.round(v * 1000) / 1000 : v)));
}
const avg = (a: number[]) => Math.round((a.reduce((x, y) => x + y, 0) / a.length) * 1000) / 1000;
console.log(
  JSON.stringify({
    bench: "roi-tax-average",
    svt: svtVersion().text,
    switch_off: Av1Encoder.roiSwitchOff,
    clips: CLIPS.length,
    zero_map_bytes_per_frame: avg(summary.zeroMapBytes!),
    zero_map_bdrate_psnr_y: avg(summary.zeroMapBd!),
    after_map_kept_vs_off_bytes_per_frame: avg(summary.afterBytes!),
    after_map_kept_vs_off_bdrate_psnr_y: avg(summary.afterBd!),
    unit: "bytes/frame, %",
  }),
);
