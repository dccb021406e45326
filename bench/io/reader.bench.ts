/**
 * VideoReader speed against the ffmpeg CLI (same libavcodec, same machine, same run).
 * - Sequential decode to I420: ours (open + every frame into reused planes + close) vs the process time of
 *   `ffmpeg -threads 1 -i X -an -f null -` (demux + decode, no output conversion). Best of 3 each.
 *   Then ours with threads: 2 vs ffmpeg -threads 2.
 * - Random access: 50 seeded random exact frames of a generated 720p H.264 clip with a 250-frame GOP.
 *   Peer: one `ffmpeg -ss <t> -i X -frames:v 1 -f null -` per index. With -ss before -i, ffmpeg seeks to
 *   the key frame before t and decodes forward, dropping frames until t (accurate_seek, on by default): the
 *   same exact seek-and-decode work as ours, plus process start-up, which we measure and report separately
 *   (a run with -frames:v 1 at t=0). The naive cost (decode from the start for every index) is printed for
 *   context, computed from the measured sequential speed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VideoReader } from "../../src/io/reader";
import { HAVE_FFMPEG, HAVE_SHARED, MISSING, SHARED_DIR, bestOf, report, skipped, time } from "../util";

function ffmpeg(args: string[]): void {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", ...args], { stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${p.stderr.toString()}`);
}

function oursSequential(path: string, threads: number): number {
  const r = new VideoReader(path, { threads });
  let n = 0;
  for (const _f of r.frames({ reuse: true })) n++;
  r.close();
  return n;
}

function seededIndices(n: number, count: number, seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % count;
  });
}

const GENERATED = "testsrc2_1280x720_gop250.mp4";
const SHARED_CLIPS = HAVE_SHARED ? ["bikes_640x272_250f.mp4", "seeking_720x480_150f.mp4"] : [];
if (!HAVE_FFMPEG) {
  // the ffmpeg CLI is every measurement's peer here, and makes the generated clip
  const sequential = [GENERATED, ...SHARED_CLIPS].flatMap((clip) =>
    ["reader.sequential_i420", "reader.sequential_i420_threads2"].map((bench) => ({ bench, clip })));
  skipped([...sequential, { bench: "reader.random_access_exact", clip: GENERATED }], MISSING.ffmpeg);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "av1gym-reader-bench-"));
try {
  const long720 = join(dir, GENERATED);
  ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-t", "12", "-c:v", "libx264", "-g", "250", "-bf", "2", "-pix_fmt", "yuv420p", "-y", long720]);

  const clips: [string, string][] = [[GENERATED, long720], ...SHARED_CLIPS.map((c): [string, string] => [c, join(SHARED_DIR, "clips", c)])];

  // ffmpeg's process start-up (load, probe, first frame): subtracted in peerFpsMinusStartup for a fairer
  // comparison on short clips (the headline ratio keeps the whole process time, as the brief defines it).
  const startupOf = async (path: string) => bestOf(3, () => ffmpeg(["-threads", "1", "-i", path, "-frames:v", "1", "-an", "-f", "null", "-"]));
  let seqFps720 = 0;
  for (const [name, path] of clips) {
    const startup = await startupOf(path);
    const frames = oursSequential(path, 1); // warm-up (page cache, lazy library load)
    for (const threads of [1, 2]) {
      // Best of 5, ours and the peer alternating so both see the same load on the shared machine.
      let ours = Infinity;
      let peer = Infinity;
      for (let k = 0; k < 5; k++) {
        ours = Math.min(ours, await time(() => oursSequential(path, threads)));
        peer = Math.min(peer, await time(() => ffmpeg(["-threads", String(threads), "-i", path, "-an", "-f", "null", "-"])));
      }
      if (name === clips[0][0] && threads === 1) seqFps720 = frames / ours;
      // Only meaningful when start-up is a small part of the run (a noisy start-up sample can exceed it).
      const peerMinus = peer - startup > 0.25 * peer ? frames / (peer - startup) : NaN;
      report({
        bench: threads === 1 ? "reader.sequential_i420" : "reader.sequential_i420_threads2",
        clip: name,
        ours: frames / ours,
        peer: frames / peer,
        unit: "fps",
        threads,
        frames,
        peerFpsMinusStartup: Number.isNaN(peerMinus) ? undefined : Math.round(peerMinus),
        ratioVsPeerMinusStartup: Number.isNaN(peerMinus) ? undefined : Math.round((frames / ours / peerMinus) * 1000) / 1000,
      });
    }
  }

  // Random access: exact frames at seeded random indices.
  const r = new VideoReader(long720);
  const count = r.frameCount;
  const idx = seededIndices(50, count, 2024);
  const fps = r.fps;
  const into = r.allocFrame();
  r.close();
  // Interleaved (ours for index i, then the peer for index i) so both see the same load on a shared machine.
  // Ours keeps one reader across the 50 requests, as a user would (a later frame in the same GOP decodes on).
  const rr = new VideoReader(long720);
  let oursS = 0;
  let peerS = 0;
  for (const i of idx) {
    oursS += await time(() => rr.frame(i, into));
    // The timestamp of frame i is i / fps (testsrc2 is CFR starting at 0); -ss picks the frame at that time.
    peerS += await time(() => ffmpeg(["-threads", "1", "-ss", (i / fps).toFixed(6), "-i", long720, "-frames:v", "1", "-an", "-f", "null", "-"]));
  }
  rr.close();
  const startup = await startupOf(long720);
  const naiveMs = (idx.reduce((s, i) => s + i + 1, 0) / idx.length / seqFps720) * 1000;
  report({
    bench: "reader.random_access_exact",
    clip: GENERATED,
    ours: (oursS * 1000) / idx.length,
    peer: (peerS * 1000) / idx.length,
    unit: "ms/frame",
    frames: idx.length,
    gop: 250,
    peerProcessStartupMs: Math.round(startup * 1000 * 10) / 10,
    naiveDecodeFromStartMs: Math.round(naiveMs * 10) / 10,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
