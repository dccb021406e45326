/**
 * What differs between SVT-AV1 versions for us (README "SVT-AV1 versions"): run it against each build (2.3, 3.x,
 * 4.x) and compare the lines, which name the version.
 *  - `svt-preset`: Av1Encoder fps at presets 8, 10 and 12 (low delay, CRF 35, 1 thread, no reconstruction; best
 *    of RUNS), with the PSNR-Y and rate of the same encode (a separate pass with reconstruction on);
 *  - `svt-roi-path`: the cost of the ROI-map path per frame at preset 10: the same frames with per-frame ROI
 *    events carrying an all-zero map (after one frame with a one-block +1 map, so the path is on) against no
 *    events at all, runs alternated.
 * Clip: the first 100 frames of ../shared's bikes_640x272 (synthetic content without ../shared).
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { Av1Encoder, svtVersion } from "../../src/codec/av1_encoder";
import { VideoReader } from "../../src/io/reader";
import { SynthSource } from "../../src/io/synth";
import type { I420Frame } from "../../src/core/frame";
import { HAVE_SHARED, SHARED_DIR, report } from "../util";

const RUNS = Number(process.env.AV1GYM_BENCH_RUNS ?? 3);
const N = 100;
const CRF = 35;
const W = 640, H = 272;
const svt = svtVersion().text;

const frames: I420Frame[] = [];
let clip = "bikes_640x272";
if (HAVE_SHARED) {
  using r = new VideoReader(join(SHARED_DIR, "clips", "bikes_640x272_250f.mp4"), { bitDepth: 8 });
  for (let i = 0; i < N; i++) frames.push(r.frame(i));
} else {
  clip = "synth_640x272";
  const s = new SynthSource(W, H, 1);
  for (let i = 0; i < N; i++) frames.push(s.frame(i));
}
const nSb = Math.ceil(W / 64) * Math.ceil(H / 64);

/** Seconds for the encode loop (encoder open outside the timing); offsets per frame when given. */
function encodeLoop(preset: number, offsets?: (i: number) => Int16Array): number {
  using enc = new Av1Encoder({ width: W, height: H, preset, crf: CRF, threads: 1 });
  const t0 = performance.now();
  frames.forEach((f, i) => enc.encode(f, offsets ? { qpOffsets: offsets(i) } : {}));
  return (performance.now() - t0) / 1000;
}

for (const preset of [8, 10, 12]) {
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) best = Math.min(best, encodeLoop(preset));
  let sse = 0, bytes = 0;
  {
    using enc = new Av1Encoder({ width: W, height: H, preset, crf: CRF, threads: 1, recon: true });
    for (const f of frames) for (const p of enc.encode(f)) (sse += p.recon!.sse.y), (bytes += p.data.length);
  }
  const psnrY = 10 * Math.log10((255 * 255 * W * H * N) / sse);
  report({
    bench: "svt-preset", svt, clip, settings: `preset ${preset}, crf ${CRF}, low delay, 1 thread, ${N} frames`,
    ours: N / best, unit: "fps", psnr_y: Math.round(psnrY * 100) / 100, kbps: Math.round((bytes * 8 * 25) / N / 10) / 100, load: loadavg()[0],
  });
}

const zero = new Int16Array(nSb);
const first = new Int16Array(nSb);
first[0] = 1;
let plain = Infinity, roi = Infinity;
for (let r = 0; r < RUNS; r++) {
  const runs = [() => (plain = Math.min(plain, encodeLoop(10))), () => (roi = Math.min(roi, encodeLoop(10, (i) => (i === 0 ? first : zero))))];
  runs[r % 2]!();
  runs[(r + 1) % 2]!();
}
report({
  bench: "svt-roi-path", svt, clip, settings: `preset 10, crf ${CRF}, low delay, 1 thread, ${N} frames; all-zero ROI events vs none`,
  ours: ((roi - plain) / N) * 1000, unit: "ms/frame extra", roi_fps: Math.round((N / roi) * 10) / 10, plain_fps: Math.round((N / plain) * 10) / 10, load: loadavg()[0],
});
