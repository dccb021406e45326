/**
 * What differs between SVT-AV1 versions for us (README "SVT-AV1 versions"): run it against each build (2.3, 3.x,
 * 4.x; `AV1GYM_LIB=<libav1gym.so built against it>`) and compare the lines, which name the version.
 *  - `svt-preset`: Av1Encoder at presets 8, 10 and 12 (low delay, CRF 35, 1 thread, no reconstruction): frames per
 *    CPU-second (user+sys of the whole process, SVT's threads included: survives a loaded machine) and frames
 *    per wall-second with the load average beside it, best of RUNS each; and the PSNR-Y and rate of the same
 *    encode (a separate pass with reconstruction on; deterministic, so the same on any machine);
 *  - `svt-roi-path`: the cost per frame of the ROI-map path at preset 10, against the same frames with nothing
 *    sent ("plain"), in bytes and in CPU time:
 *      "zero-offsets": `qpOffsets` all zero on every frame (what an agent sends when it asks for nothing; the
 *        shim sends no map for it, so 0 bytes where the build allows the switch-off: Av1Encoder.roiSwitchOff);
 *      "zero-map-kept": the same with `keepMap`: an all-zero map really sent with every frame (SVT's own ROI
 *        path: segmentation on, the "ROI tax");
 *      "hook": an `onDeltaQ` hook that leaves the offsets at zero (the per-superblock analysis and the call
 *        from C into JS on every frame);
 *    the modes run round-robin, RUNS rounds, and each mode's least CPU time counts.
 * Clip: the first 100 frames of ../shared's bikes_640x272 (synthetic content without ../shared).
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { Av1Encoder, svtVersion, type EncodeOptions } from "../../src/codec/av1_encoder";
import { VideoReader } from "../../src/io/reader";
import { SynthSource } from "../../src/io/synth";
import type { I420Frame } from "../../src/core/frame";
import { HAVE_SHARED, SHARED_DIR, report } from "../util";

const RUNS = Number(process.env.AV1GYM_BENCH_RUNS ?? 3);
const N = 100;
const CRF = 35;
const W = 640, H = 272;
const svt = svtVersion().text;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

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

type Mode = "plain" | "zero-offsets" | "zero-map-kept" | "hook";
interface Run { cpu: number; wall: number; bytes: number }

/** One encode of the N frames (encoder opened outside the timing): CPU seconds, wall seconds, bytes. */
function encodeLoop(preset: number, mode: Mode = "plain"): Run {
  using enc = new Av1Encoder({ width: W, height: H, preset, crf: CRF, threads: 1 });
  const zero = new Int16Array(enc.sbRows * enc.sbCols);
  const opts: EncodeOptions = mode === "zero-offsets" ? { qpOffsets: zero } : mode === "zero-map-kept" ? { qpOffsets: zero, keepMap: true } : {};
  if (mode === "hook") enc.onDeltaQ(() => undefined);
  let bytes = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const f of frames) for (const p of enc.encode(f, opts)) bytes += p.data.length;
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, wall, bytes };
}

for (const preset of [8, 10, 12]) {
  let cpu = Infinity, wall = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const run = encodeLoop(preset);
    cpu = Math.min(cpu, run.cpu);
    wall = Math.min(wall, run.wall);
  }
  let sse = 0, bytes = 0;
  {
    using enc = new Av1Encoder({ width: W, height: H, preset, crf: CRF, threads: 1, recon: true });
    for (const f of frames) for (const p of enc.encode(f)) (sse += p.recon!.sse.y), (bytes += p.data.length);
  }
  const psnrY = 10 * Math.log10((255 * 255 * W * H * N) / sse);
  report({
    bench: "svt-preset", svt, clip, settings: `preset ${preset}, crf ${CRF}, low delay, 1 thread, ${N} frames`,
    ours: N / cpu, unit: "frames/CPU-s", wall_fps: r3(N / wall), psnr_y: Math.round(psnrY * 100) / 100,
    kbps: Math.round((bytes * 8 * 25) / N / 10) / 100, load: loadavg()[0],
  });
}

const modes: Mode[] = ["plain", "zero-offsets", "zero-map-kept", "hook"];
const best = new Map<Mode, Run>();
for (let r = 0; r < RUNS; r++) {
  // round-robin, starting one further each round, so no mode always follows the same one
  for (let k = 0; k < modes.length; k++) {
    const m = modes[(k + r) % modes.length]!;
    const run = encodeLoop(10, m);
    const b = best.get(m);
    best.set(m, { cpu: Math.min(run.cpu, b?.cpu ?? Infinity), wall: Math.min(run.wall, b?.wall ?? Infinity), bytes: run.bytes });
  }
}
const plain = best.get("plain")!;
for (const m of modes.slice(1)) {
  const b = best.get(m)!;
  report({
    bench: "svt-roi-path", svt, clip, mode: m, switch_off: Av1Encoder.roiSwitchOff,
    settings: `preset 10, crf ${CRF}, low delay, 1 thread, ${N} frames; against the same frames with nothing sent`,
    ours: ((b.cpu - plain.cpu) / N) * 1000, unit: "CPU ms/frame extra",
    bytes_per_frame_extra: r3((b.bytes - plain.bytes) / N), plain_cpu_ms_per_frame: r3((plain.cpu / N) * 1000),
    load: loadavg()[0],
  });
}
