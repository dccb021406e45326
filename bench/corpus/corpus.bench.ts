/**
 * The quality corpus against the replaced system's pipeline, in the same run.
 * Grid: 2 sources (bikes 640x272 and carphone 176x144, first 60 frames as raw yuv420p) x 2 single-threaded
 * encoders (libx264 veryfast, libvpx-vp9 realtime cpu-used 8) x 4 crf points.
 * - corpus-vs-pipeline: runCorpus (jobs 1: encode, decode, score in-process) vs, per cell, the replaced
 *   pipeline: `ffmpeg` encode to a file, `ffmpeg` decode to raw, `av1gym vmaf` on the raw files.
 * - corpus-jobs: jobs 2 vs jobs 1.
 * - corpus-queue-workers: the grid on BullMQ/Redis with 2 single-job workers vs 1 (needs redis-server);
 *   corpus-queue-overhead: (1 queued worker - local jobs 1) / cells, in ms per cell.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { VideoReader } from "../../src/io/reader";
import { runCorpus } from "../../src/corpus/runner";
import { runCorpusQueued } from "../../src/corpus/queue";
import { corpusEncoderNames } from "../../src/corpus/encoders";
import { HAVE_FFMPEG, HAVE_SHARED, MISSING, SHARED_DIR, report, skipped, time } from "../util";
import { REDIS_SERVER, startRedis } from "../../test/helpers/redis";

const FRAMES = 60;
const CQ = [23, 31, 39, 47];
const CLIPS = [
  { name: "bikes", file: "bikes_640x272_250f.mp4", w: 640, h: 272 },
  { name: "carphone", file: "carphone_176x144_120f.mp4", w: 176, h: 144 },
];
const ENCODERS = [
  { name: "libx264", options: { preset: "veryfast", threads: 1 }, cli: (crf: number) => ["-c:v", "libx264", "-preset", "veryfast", "-crf", String(crf), "-threads", "1"], ext: "mp4" },
  { name: "libvpx-vp9", options: { preset: 8, threads: 1 }, cli: (crf: number) => ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-crf", String(crf), "-b:v", "0", "-threads", "1"], ext: "webm" },
];
const BENCHES = ["corpus-vs-pipeline", "corpus-jobs", "corpus-queue-workers", "corpus-queue-overhead"].map((bench) => ({ bench }));
const CLI = resolve(import.meta.dir, "..", "..", "src", "cli", "main.ts");

function run(cmd: string[]): void {
  const p = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr.toString().slice(-500)}`);
}

if (!HAVE_SHARED) skipped(BENCHES, MISSING.shared);
else if (!HAVE_FFMPEG) skipped(BENCHES, MISSING.ffmpeg);
else if (!ENCODERS.every((e) => corpusEncoderNames().includes(e.name))) skipped(BENCHES, "libavcodec encoders are not available to the corpus");
else {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-corpus-bench-"));
  try {
    // The sources as raw files, decoded once (both sides read the same raw input).
    const sources = CLIPS.map((c) => {
      const path = join(dir, `${c.name}.yuv`);
      const r = new VideoReader(join(SHARED_DIR, "clips", c.file));
      const parts: Uint8Array[] = [];
      for (const f of r.frames({ start: 0, end: FRAMES })) parts.push(f.y as Uint8Array, f.u as Uint8Array, f.v as Uint8Array);
      r.close();
      writeFileSync(path, Buffer.concat(parts));
      return { ...c, path };
    });
    const spec = {
      sources: sources.map((s) => ({ path: s.path, width: s.w, height: s.h, pixelFormat: "yuv420p", fps: 25 })),
      encoders: ENCODERS.map((e) => ({ name: e.name, options: e.options })),
      cq: CQ,
      frames: FRAMES,
    };
    const cells = sources.length * ENCODERS.length * CQ.length;
    const local = async (jobs: number) => {
      const out = join(dir, `local-${jobs}-${Math.random()}.jsonl`);
      return time(() => runCorpus({ ...spec, out, jobs }));
    };
    const pipeline = () =>
      time(() => {
        for (const s of sources)
          for (const e of ENCODERS)
            for (const crf of CQ) {
              const enc = join(dir, `p.${e.ext}`), dis = join(dir, "p.yuv");
              run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${s.w}x${s.h}`, "-r", "25", "-i", s.path, ...e.cli(crf), enc]);
              run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", enc, "-f", "rawvideo", "-pix_fmt", "yuv420p", dis]);
              run(["bun", CLI, "vmaf", "--ref", s.path, "--dis", dis, "--width", String(s.w), "--height", String(s.h), "--json", join(dir, "p.json"), "--quiet"]);
            }
      });
    // Alternate ours and the peer, twice each; the best of each.
    let ours = Infinity, peer = Infinity;
    for (let i = 0; i < 2; i++) {
      ours = Math.min(ours, await local(1));
      peer = Math.min(peer, await pipeline());
    }
    report({ bench: "corpus-vs-pipeline", ours, peer, unit: "s", cells, frames: FRAMES, peer_name: "ffmpeg encode + ffmpeg decode + av1gym vmaf per cell" });
    let two = Infinity;
    for (let i = 0; i < 2; i++) two = Math.min(two, await local(2));
    report({ bench: "corpus-jobs", ours: ours / two, unit: "x", jobs: 2, jobs1_s: ours, jobs2_s: two, target: 1.6 });

    if (!REDIS_SERVER) skipped(BENCHES.slice(2), "redis-server not installed");
    else {
      const redis = await startRedis();
      try {
        const queued = async (workers: number) => {
          const name = `bench-${workers}-${Math.random()}`;
          const procs = Array.from({ length: workers }, () =>
            Bun.spawn(["bun", CLI, "corpus", "worker", "--queue", redis.url, "--queue-name", name], { stdout: "ignore", stderr: "ignore" }),
          );
          try {
            return await time(() => runCorpusQueued({ ...spec, out: join(dir, `${name}.jsonl`), queue: { url: redis.url, name } }));
          } finally {
            for (const p of procs) p.kill("SIGTERM");
            await Promise.all(procs.map((p) => p.exited));
          }
        };
        let one = Infinity, twoW = Infinity;
        for (let i = 0; i < 2; i++) {
          one = Math.min(one, await queued(1));
          twoW = Math.min(twoW, await queued(2));
        }
        report({ bench: "corpus-queue-workers", ours: one / twoW, unit: "x", workers: 2, one_worker_s: one, two_workers_s: twoW, target: 1.6 });
        report({ bench: "corpus-queue-overhead", ours: ((one - ours) / cells) * 1000, unit: "ms/cell", queued_1_worker_s: one, local_jobs1_s: ours, target: 20 });
      } finally {
        await redis.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
