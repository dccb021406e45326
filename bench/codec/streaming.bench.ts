/**
 * StreamingEncoder on this 2-core machine: 2 cameras, 640x480 at 30 fps paced in real time, with libx264
 * (veryfast, RGB frames as cameras give them) and with our SVT-AV1 session (preset 12, I420 frames: SVT takes
 * YUV only, and VideoEncoder has no RGB path for it to compare with).
 *
 * What is compared, so that only the queueing differs: the same frames, the same real-time loop, the same
 * encoder settings (threads 1, low latency, crf 23) and the same MP4 muxing, once through StreamingEncoder and
 * once through VideoWriter (VideoEncoder + the muxer) called on the loop's own thread. CPU is the whole
 * process's (process.cpuUsage: every thread, the workers' included), in alternating pairs in one run. Workers are started
 * by a warm-up episode first: they live across episodes, so their start-up (reported apart) is paid once per
 * recorder, not per episode.
 *
 * Lines: per codec, CPU per frame (ours: StreamingEncoder with policy "block", so that both sides encode every
 * frame; peer: direct; overhead_pct is the queueing's cost, target < 5 %), frames dropped over 10 s of real-time
 * recording with policy "drop", and feed()'s wall time there next to one plain copy of the same frame made in
 * the same loop (feed() should cost about one copy).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamingEncoder, type FeedFrame } from "../../src/codec/streaming";
import { VideoWriter } from "../../src/io/writer";
import type { InputFrame } from "../../src/codec/video_encoder";
import { SynthSource } from "../../src/io/synth";
import { allocI420, type I420Frame } from "../../src/core/frame";
import { report } from "../util";

const W = 640, H = 480, FPS = 30, CAMS = 2, LIVE_S = 10;
// CPU per frame: PAIRS episodes of PAIR_S seconds on each side, the order alternating. This VM's CPU time for
// the same work drifts by 10-20 % from one few-second span to the next (the host), so one or two long rounds
// say little. The median of 12 short pairs still moved by up to 7 points between idle runs (BENCH_PAIRS=40: steadier).
const PAIRS = Number(process.env.BENCH_PAIRS ?? 12), PAIR_S = 3;
// Each codec in a process of its own (this file runs itself once per codec), so that one codec's run leaves
// nothing behind (workers, memory, threads) that the other's is measured with: SVT-AV1's overhead was +6.7 %
// measured in the process after x264's run and -6.9 % in a process of its own (40 pairs each).
const CODECS = [["libx264", "veryfast"], ["av1", 12]] as const;
const ONLY = process.env.AV1GYM_BENCH_STREAM_CODEC;
if (ONLY === undefined) {
  for (const [codec] of CODECS) {
    const proc = Bun.spawn([process.execPath, "run", import.meta.path], { env: { ...process.env, AV1GYM_BENCH_STREAM_CODEC: codec }, stdout: "inherit", stderr: "inherit" });
    if ((await proc.exited) !== 0) process.exit(1);
  }
  process.exit(0);
}

const KEYS = Array.from({ length: CAMS }, (_, c) => `cam${c}`);
// Moving content, precomputed so the loop only feeds.
const synth = new SynthSource(W, H, 1);
const yuv = Array.from({ length: 60 }, (_, t) => synth.frame(t, allocI420(W, H)));
const rgb = yuv.map((f) => {
  const out = new Uint8Array(W * H * 3), y = f.y as Uint8Array, u = f.u as Uint8Array, v = f.v as Uint8Array;
  for (let r = 0; r < H; r++)
    for (let x = 0; x < W; x++) {
      const i = r * W + x, c = (r >> 1) * (W >> 1) + (x >> 1);
      out[3 * i] = y[i]!;
      out[3 * i + 1] = u[c]!;
      out[3 * i + 2] = v[c]!;
    }
  return out;
});
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const load = () => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const pct = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * q))]!;

/** Calls tick(i) for each of n frame times of a real-time 30 fps loop. */
async function paced(n: number, tick: (i: number) => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    tick(i);
    const wait = start + ((i + 1) * 1000) / FPS - performance.now();
    if (wait > 0) await Bun.sleep(wait);
  }
}

for (const [codec, preset] of CODECS.filter(([c]) => c === ONLY)) {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-stream-bench-"));
  try {
    const asFeed = (k: number): FeedFrame => (codec === "av1" ? yuv[k]! : { data: rgb[k]!, width: W, height: H, channels: 3 });
    const asInput = (k: number): InputFrame => (codec === "av1" ? yuv[k]! : { width: W, height: H, data: rgb[k]!, stride: W * 3 });
    const frameOf = (i: number, c: number) => (i + c * 7) % yuv.length;
    const settings = { codec, preset, fps: { num: FPS, den: 1 }, quality: { crf: 23 } } as const;
    const n = LIVE_S * FPS;

    const warm = async (rec: StreamingEncoder) => {
      rec.startEpisode(KEYS, join(dir, "warm"));
      await paced(FPS, (i) => KEYS.forEach((k, c) => rec.feed(k, asFeed(frameOf(i, c)))));
      await rec.finishEpisode();
    };

    // Real time: policy "drop", one episode of LIVE_S seconds; drops and feed() times.
    const live = new StreamingEncoder({ ...settings, queue: 30 });
    const c0 = cpuMs();
    await warm(live);
    const warmCpu = cpuMs() - c0; // worker start-up + 1 s of recording
    const feedUs: number[] = [], copyUs: number[] = [];
    live.startEpisode(KEYS, join(dir, "live"));
    await paced(n, (i) =>
      KEYS.forEach((k, c) => {
        const t0 = performance.now();
        live.feed(k, asFeed(frameOf(i, c)));
        feedUs.push((performance.now() - t0) * 1000);
      }),
    );
    const res = await live.finishEpisode();
    await live.close();
    let dropped = 0, encoded = 0;
    for (const r of Object.values(res)) (dropped += r.dropped), (encoded += r.frames);
    // one plain copy of the same frames into a buffer, timed the same way in the same kind of loop
    const scratch = new Uint8Array(codec === "av1" ? (W * H * 3) / 2 : W * H * 3);
    await paced(FPS, (i) =>
      KEYS.forEach((_, c) => {
        const k = frameOf(i, c), t0 = performance.now();
        if (codec === "av1") {
          const f = yuv[k] as I420Frame;
          scratch.set(f.y as Uint8Array, 0);
          scratch.set(f.u as Uint8Array, W * H);
          scratch.set(f.v as Uint8Array, (W * H * 5) / 4);
        } else scratch.set(rgb[k]!);
        copyUs.push((performance.now() - t0) * 1000);
      }),
    );

    // CPU per frame: policy "block", so that every frame is encoded on both sides even when other processes
    // slow the encoders (a dropped frame would change what the encoder sees, and so its cost per frame).
    const direct = async (round: number, frames: number, offset = 0) => {
      const writers = KEYS.map((k) => new VideoWriter(join(dir, `direct${round}-${k}.mp4`), { ...settings, width: W, height: H, inputFormat: codec === "av1" ? "yuv420p" : "rgb24", latency: "low" }));
      await paced(frames, (i) => writers.forEach((w, c) => w.write(asInput(frameOf(i + offset, c)))));
      writers.forEach((w) => w.close());
    };
    const rec = new StreamingEncoder({ ...settings, queue: 30, policy: "block" });
    await warm(rec);
    await direct(-1, FPS); // the same warm-up for the direct path (encoder libraries loaded, code compiled)
    const m = PAIR_S * FPS;
    const streamed = async (round: number) => {
      rec.startEpisode(KEYS, join(dir, `ep${round}`));
      await paced(m, (i) => KEYS.forEach((k, c) => rec.feed(k, asFeed(frameOf(i + round, c)))));
      await rec.finishEpisode();
    };
    const cpuOf = async (f: () => Promise<void>) => {
      const t = cpuMs();
      await f();
      return (cpuMs() - t) / (CAMS * m);
    };
    const streamCpu: number[] = [], directCpu: number[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      if (pair % 2 === 0) {
        streamCpu.push(await cpuOf(() => streamed(pair)));
        directCpu.push(await cpuOf(() => direct(pair, m, pair)));
      } else {
        directCpu.push(await cpuOf(() => direct(pair, m, pair)));
        streamCpu.push(await cpuOf(() => streamed(pair)));
      }
    }
    await rec.close();
    const pairPct = streamCpu.map((s, r) => Math.round((s / directCpu[r]! - 1) * 1000) / 10);
    const ours = median(streamCpu), peer = median(directCpu);
    report({
      bench: "streaming-cpu-per-frame", codec, preset, cameras: CAMS, size: `${W}x${H}`, fps: FPS,
      ours, peer, unit: "ms/frame", load: load(), overhead_pct: median(pairPct),
      pairs: pairPct, pair_seconds: PAIR_S,
      note: "process CPU per frame (every thread), StreamingEncoder with policy block (ours) vs VideoWriter on the loop's thread (peer), the same frames, settings and real-time loop; ours/peer: medians; overhead_pct: the median of the per-pair overheads (pairs: each, the order alternating)",
    });
    report({
      bench: "streaming-realtime", codec, preset, cameras: CAMS, size: `${W}x${H}`, fps: FPS, seconds: LIVE_S,
      ours: dropped, unit: "frames dropped", load: load(), encoded, expected: CAMS * n, policy: "drop",
    });
    report({
      bench: "streaming-feed", codec, frame: codec === "av1" ? "I420" : "RGB HWC u8",
      ours: median(feedUs), peer: median(copyUs), unit: "us", load: load(), ours_p99: Math.round(pct(feedUs, 0.99)), peer_p99: Math.round(pct(copyUs, 0.99)),
      startup_cpu_ms: Math.round(warmCpu - FPS * CAMS * peer),
      note: "median wall time of feed() vs one plain copy of the same frame in the same loop; startup_cpu_ms: the workers' start-up CPU (warm-up episode minus its frames at the direct rate)",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
