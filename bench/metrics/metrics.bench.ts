/**
 * Metric throughput on the 640x272 clip: bikes_640x272_250f.mp4 (reference) against its x264 crf35 holdout
 * bitstream, 60 frames decoded into memory first so only the metric computation is timed.
 *
 * VMAF (default model, per-frame scores through VmafScorer) with 1 and 2 threads, against libvmaf 3.2.0's
 * published speed on this machine type (libvmaf is not installable here, so its numbers are fixed:
 * 146 frames/s with 1 thread, 280 with 2). PSNR and SSIM against FFmpeg's psnr / ssim filters measured in
 * the same run on the same frames (raw YUV inputs; FFmpeg's SSIM is its own 8x8-block variant, faster than
 * libvmaf's Gaussian float_ssim which ours reproduces). Best of N runs: the machine is shared.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadavg } from "node:os";
import { bestOf, HAVE_FFMPEG, HAVE_SHARED, MISSING, report, SHARED_DIR, skipped } from "../util";
import { VideoReader } from "../../src/io/reader";
import type { I420Frame } from "../../src/core/frame";
import { psnr, ssim, msSsim, metricsSimdActive } from "../../src/metrics/metrics";
import { VmafScorer } from "../../src/metrics/vmaf";

const N = 60;
const CLIP = "bikes_640x272 vs x264crf35";
if (!HAVE_SHARED) {
  // the clips and the VMAF model are in ../shared
  skipped(["vmaf_1thread", "vmaf_2threads", "psnr", "ssim", "ms_ssim"].map((bench) => ({ bench, clip: CLIP })), MISSING.shared);
  process.exit(0);
}

const REF = join(SHARED_DIR, "clips", "bikes_640x272_250f.mp4");
const DIS = join(SHARED_DIR, "vmaf", "holdout", "bikes_640x272_60f__x264crf35.mkv");
const MODEL = join(SHARED_DIR, "vmaf", "models", "vmaf_v0.6.1.json");
const PEER_SOURCE = "published libvmaf 3.2.0 on this machine type";

function load(path: string): I420Frame[] {
  const r = new VideoReader(path);
  const frames: I420Frame[] = [];
  for (const f of r.frames({ end: Math.min(N, r.frameCount) })) frames.push(f);
  r.close();
  return frames;
}

const ref = load(REF);
const dis = load(DIS);
const n = Math.min(ref.length, dis.length);
const { width, height } = ref[0]!;

function vmafRun(threads: number): number {
  const s = new VmafScorer({ width, height, models: MODEL, threads });
  const t0 = performance.now();
  let got = 0;
  for (let i = 0; i < n; i++) got += s.push(ref[i]!, dis[i]!).length;
  got += s.flush().length;
  const secs = (performance.now() - t0) / 1000;
  s.close();
  if (got !== n) throw new Error(`scored ${got} of ${n} frames`);
  return secs;
}

const runs = 7;
vmafRun(1); // warm up (page faults, model load)
const t1 = Math.min(...Array.from({ length: runs }, () => vmafRun(1)));
const t2 = Math.min(...Array.from({ length: runs }, () => vmafRun(2)));
const fps1 = n / t1, fps2 = n / t2;
const simd = metricsSimdActive();
// The machine is shared: the 1-minute load average shows how much of the second core was really free.
const load1 = Math.round(loadavg()[0]! * 100) / 100;
report({ bench: "vmaf_1thread", clip: CLIP, ours: fps1, peer: 146, unit: "fps", peer_source: PEER_SOURCE, simd, loadavg_1min: load1 });
report({ bench: "vmaf_2threads", clip: CLIP, ours: fps2, peer: 280, unit: "fps", peer_source: PEER_SOURCE, simd, scaling_vs_1thread: Math.round((fps2 / fps1) * 1000) / 1000, loadavg_1min: load1 });

// FFmpeg's psnr / ssim filters on the same frames as raw files
const dir = mkdtempSync(join(tmpdir(), "av1gym-mbench-"));
const raw = (frames: I420Frame[], p: string) => {
  const parts: Uint8Array[] = [];
  for (const f of frames.slice(0, n)) parts.push(f.y as Uint8Array, f.u as Uint8Array, f.v as Uint8Array);
  writeFileSync(p, Buffer.concat(parts));
};
raw(ref, join(dir, "ref.yuv"));
raw(dis, join(dir, "dis.yuv"));
function ffmpegFilter(filter: string): number {
  const args = ["-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${width}x${height}`, "-i", join(dir, "ref.yuv"),
    "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${width}x${height}`, "-i", join(dir, "dis.yuv"),
    "-lavfi", `[0:v][1:v]${filter}`, "-f", "null", "-"];
  const t0 = performance.now();
  const r = spawnSync("ffmpeg", args);
  const secs = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`ffmpeg ${filter} failed: ${r.stderr}`);
  return secs;
}
// FFmpeg's time includes its start-up and reading the raw files (a few ms of ~100+): reported as is.
const tPsnrFf = HAVE_FFMPEG ? await bestOf(3, () => ffmpegFilter("psnr")) : null;
const tSsimFf = HAVE_FFMPEG ? await bestOf(3, () => ffmpegFilter("ssim")) : null;
rmSync(dir, { recursive: true, force: true });

const tPsnr = await bestOf(5, () => {
  for (let i = 0; i < n; i++) psnr(ref[i]!, dis[i]!);
});
const tSsim = await bestOf(3, () => {
  for (let i = 0; i < n; i++) ssim(ref[i]!, dis[i]!);
});
const tMs = await bestOf(3, () => {
  for (let i = 0; i < n; i++) msSsim(ref[i]!, dis[i]!);
});
// Without the ffmpeg CLI ours is still measured; the line says the peer is missing.
const ffPeer = (t: number | null) => (t === null ? { peer: null, peer_missing: MISSING.ffmpeg } : { peer: n / t });
report({ bench: "psnr", clip: CLIP, ours: n / tPsnr, ...ffPeer(tPsnrFf), unit: "fps", peer_source: "ffmpeg 5.1 psnr filter on raw files (process time)" });
report({ bench: "ssim", clip: CLIP, ours: n / tSsim, ...ffPeer(tSsimFf), unit: "fps", peer_source: "ffmpeg 5.1 ssim filter on raw files (process time; 8x8 blocks, ours: libvmaf float_ssim)" });
report({ bench: "ms_ssim", clip: CLIP, ours: n / tMs, unit: "fps" });
