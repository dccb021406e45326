/**
 * VideoEncoder (libavcodec) against the ffmpeg CLI with the same encoder, the same options (the CLI gets the
 * encoder's own `nativeOptions`, the set the byte-identity test checks for x264) and the same frames:
 * libx264 (veryfast, crf 23, 1 thread, low latency), libvpx-vp9 and libaom-av1 in realtime mode. And the
 * cost of VideoWriter's MP4 muxing over encoding alone.
 *
 * Timing: ours = the encode loop over frames already in memory (encoder open); the CLI = its own `-benchmark`
 * rtime (the transcode loop: reading the raw file from the page cache, encoding, `-f null`), which excludes
 * its start-up as ours excludes the encoder's open. Best of RUNS, ours and the CLI alternating (shared cores).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { VideoEncoder, type VideoEncoderOptions } from "../../src/codec/video_encoder";
import { VideoWriter } from "../../src/io/writer";
import { VideoReader } from "../../src/io/reader";
import { synthFrames } from "../../src/io/synth";
import type { I420Frame } from "../../src/core/frame";
import { HAVE_FFMPEG, HAVE_SHARED, MISSING, SHARED_DIR, report, skipped } from "../util";

const RUNS = 3;
const tmp = mkdtempSync(join(tmpdir(), "av1gym-lavc-bench-"));

/** The bikes clip (first n frames) in memory and as raw yuv420p for the CLI; synthetic without ../shared. */
function loadFrames(n: number): { clip: string; frames: I420Frame[]; yuv: string; w: number; h: number } {
  let frames: I420Frame[], clip: string;
  if (HAVE_SHARED) {
    clip = "bikes_640x272";
    using r = new VideoReader(join(SHARED_DIR, "clips", "bikes_640x272_250f.mp4"));
    frames = [...r.frames({ start: 0, end: n })];
  } else {
    clip = "synth_640x272";
    frames = [...synthFrames(640, 272, n, 1)];
  }
  const yuv = join(tmp, "clip.yuv");
  writeFileSync(yuv, Buffer.concat(frames.flatMap((f) => [Buffer.from(f.y), Buffer.from(f.u), Buffer.from(f.v)])));
  return { clip, frames, yuv, w: frames[0]!.width, h: frames[0]!.height };
}

function cliSeconds(codec: string, nativeOptions: Record<string, string>, yuv: string, w: number, h: number, muxer = "null"): number {
  const args = Object.entries(nativeOptions).flatMap(([k, v]) => [`-${k}`, v]);
  const p = Bun.spawnSync(["ffmpeg", "-hide_banner", "-benchmark", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${w}x${h}`, "-r", "25", "-i", yuv, "-c:v", codec, ...args, "-f", muxer, "-"]);
  const m = /bench: utime=[\d.]+s stime=[\d.]+s rtime=([\d.]+)s/.exec(p.stderr.toString());
  if (p.exitCode !== 0 || !m) throw new Error(`ffmpeg ${codec} failed: ${p.stderr.toString().slice(-400)}`);
  return Number(m[1]);
}

const CASES: [string, Partial<VideoEncoderOptions>][] = [
  ["libx264", { preset: "veryfast", quality: { crf: 23 } }],
  ["libvpx-vp9", { preset: 8, quality: { crf: 35 } }],
  ["libaom-av1", { preset: 8, quality: { crf: 35 } }],
];

if (!HAVE_FFMPEG) {
  skipped(CASES.map(([c]) => ({ bench: `video_encoder_${c}_fps` })), MISSING.ffmpeg);
} else {
  const N = 120;
  const { clip, frames, yuv, w, h } = loadFrames(N);
  const load = loadavg()[0]!.toFixed(1);
  for (const [codec, extra] of CASES) {
    const opts = { codec, width: w, height: h, fps: { num: 25, den: 1 }, threads: 1, latency: "low", ...extra } as VideoEncoderOptions;
    let ours = Infinity, peer = Infinity, native: Record<string, string> = {};
    for (let run = 0; run < RUNS; run++) {
      using enc = new VideoEncoder(opts);
      native = { ...enc.nativeOptions };
      const t0 = performance.now();
      for (const f of frames) enc.encode(f);
      enc.flush();
      ours = Math.min(ours, (performance.now() - t0) / 1000);
      peer = Math.min(peer, cliSeconds(codec, native, yuv, w, h));
    }
    report({ bench: `video_encoder_${codec}_fps`, clip, ours: N / ours, peer: N / peer, unit: "fps", peer_is: "ffmpeg CLI -benchmark rtime, same options", frames: N, load1: load });
  }

  // VideoWriter to MP4 against the same encoder alone: the muxing overhead, in %.
  const opts = { codec: "libx264", width: w, height: h, fps: { num: 25, den: 1 }, threads: 1, latency: "low", preset: "veryfast", quality: { crf: 23 } } as const;
  let enc = Infinity, mux = Infinity;
  for (let run = 0; run < RUNS + 2; run++) {
    {
      using e = new VideoEncoder({ ...opts, format: "avc" });
      const t0 = performance.now();
      for (const f of frames) e.encode(f);
      e.flush();
      enc = Math.min(enc, performance.now() - t0);
    }
    {
      const t0 = performance.now();
      const wr = new VideoWriter(join(tmp, "out.mp4"), opts);
      for (const f of frames) wr.write(f);
      wr.close();
      mux = Math.min(mux, performance.now() - t0);
    }
  }
  report({ bench: "video_writer_mp4_overhead", clip, ours: mux / N, peer: enc / N, unit: "ms/frame", overhead_pct: Math.round((mux / enc - 1) * 1000) / 10, note: "writer (open + encode + mux + faststart) vs encode only", load1: load });
}
rmSync(tmp, { recursive: true, force: true });
