/**
 * StreamingEncoder on this 2-core machine: 2 cameras, 640x480 RGB at 30 fps paced in real time for 10 s,
 * with libx264 (veryfast) and with our SVT-AV1 session (preset 12). Reports frames dropped, feed() cost
 * (median), and CPU per encoded frame against encoding the same frames through VideoEncoder directly (the
 * queueing's cost; target < 5 %).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamingEncoder } from "../../src/codec/streaming";
import { VideoEncoder } from "../../src/codec/video_encoder";
import { SynthSource } from "../../src/io/synth";
import { allocI420 } from "../../src/core/frame";
import { report } from "../util";

const W = 640, H = 480, FPS = 30, SECONDS = 10, CAMS = 2;
// Moving content, precomputed so the loop only feeds: HWC RGB for libx264 (as cameras give it), I420 for
// SVT-AV1 (which takes YUV only: RGB would add a conversion the direct path does not have).
const synth = new SynthSource(W, H, 1);
const yuv = Array.from({ length: 60 }, (_, t) => synth.frame(t, allocI420(W, H)));
const rgb = yuv.map((f) => {
  const out = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = (f.y as Uint8Array)[i]!;
  return out;
});
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

for (const [codec, preset] of [["libx264", "veryfast"], ["av1", 12]] as const) {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-stream-bench-"));
  try {
    const n = SECONDS * FPS;
    const feedUs: number[] = [];
    const cpu0 = cpuMs();
    const rec = new StreamingEncoder({ codec, preset, fps: { num: FPS, den: 1 }, queue: 30 });
    rec.startEpisode(["cam0", "cam1"], dir);
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < CAMS; c++) {
        const t = performance.now();
        const k = (i + c * 7) % yuv.length;
        rec.feed(`cam${c}`, codec === "av1" ? yuv[k]! : { data: rgb[k]!, width: W, height: H, channels: 3 });
        feedUs.push((performance.now() - t) * 1000);
      }
      const wait = start + ((i + 1) * 1000) / FPS - performance.now();
      if (wait > 0) await Bun.sleep(wait);
    }
    const res = await rec.finishEpisode();
    await rec.close();
    const streamCpu = cpuMs() - cpu0;
    const encoded = Object.values(res).reduce((a, r) => a + r.frames, 0);
    const dropped = Object.values(res).reduce((a, r) => a + r.dropped, 0);
    // the same frames through VideoEncoder directly, on this thread
    const cpu1 = cpuMs();
    for (let c = 0; c < CAMS; c++) {
      const enc = new VideoEncoder({ codec, width: W, height: H, fps: { num: FPS, den: 1 }, preset, inputFormat: codec === "av1" ? "yuv420p" : "rgb24", latency: "low", quality: { crf: 23 } });
      for (let i = 0; i < n; i++) {
        const k = (i + c * 7) % yuv.length;
        enc.encode(codec === "av1" ? yuv[k]! : { width: W, height: H, data: rgb[k]!, stride: W * 3 });
      }
      enc.flush();
      enc.close();
    }
    const directCpu = cpuMs() - cpu1;
    feedUs.sort((a, b) => a - b);
    report({
      bench: "streaming-encoder", codec, cameras: CAMS, fps: FPS, seconds: SECONDS, dropped, encoded,
      ours: streamCpu / encoded, peer: directCpu / (CAMS * n), unit: "ms/frame",
      feed_median_us: Math.round(feedUs[feedUs.length >> 1]!), feed_p99_us: Math.round(feedUs[Math.floor(feedUs.length * 0.99)]!),
      note: "ours: CPU per frame through StreamingEncoder; peer: CPU per frame through VideoEncoder directly",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
