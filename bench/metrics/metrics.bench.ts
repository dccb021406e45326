/**
 * PSNR / SSIM / MS-SSIM throughput on the 640x272 clip: bikes_640x272_250f.mp4 (reference) against its x264
 * crf35 holdout bitstream, 60 frames decoded into memory first so only the metric computation is timed (VMAF
 * is in vmaf.bench.ts).
 *
 * SSIM and MS-SSIM against libvmaf's own float_ssim / float_ms_ssim (ours reproduces them) when LIBVMAF_VMAF
 * names libvmaf's `vmaf` tool: its marginal speed on the same frames as raw files (N and 2N frames, start-up
 * removed), alternating with ours. PSNR and SSIM also against FFmpeg's psnr / ssim filters (process time;
 * FFmpeg's SSIM is its own 8x8-block variant). Best of N runs for the in-process timings: the machine is shared.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bestOf, HAVE_FFMPEG, HAVE_SHARED, MISSING, report, SHARED_DIR, skipped, time } from "../util";
import { LIBVMAF_VMAF, median, PEER_ABSENT, ROUNDS, sideBySide } from "./side_by_side";
import { VideoReader } from "../../src/io/reader";
import type { I420Frame } from "../../src/core/frame";
import { psnr, ssim, msSsim, metricsSimdLevel } from "../../src/metrics/metrics";

const N = 60;
const CLIP = "bikes_640x272 vs x264crf35";
if (!HAVE_SHARED) {
  // the clips are in ../shared
  skipped(["ssim_vs_libvmaf", "ms_ssim_vs_libvmaf", "psnr", "ssim"].map((bench) => ({ bench, clip: CLIP })), MISSING.shared);
  process.exit(0);
}

const REF = join(SHARED_DIR, "clips", "bikes_640x272_250f.mp4");
const DIS = join(SHARED_DIR, "vmaf", "holdout", "bikes_640x272_60f__x264crf35.mkv");
const MODEL = join(SHARED_DIR, "vmaf", "models", "vmaf_v0.6.1.json");

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

// libvmaf's float_ssim / float_ms_ssim on the same raw files (marginal, start-up removed), alternating with ours
const half = Math.floor(n / 2);
const libvmafFeature = (feature: string) => (frames: number) => [LIBVMAF_VMAF!, "-r", join(dir, "ref.yuv"), "-d", join(dir, "dis.yuv"),
  "-w", String(width), "-h", String(height), "-p", "420", "-b", "8", "--feature", feature, "-n", "--frame_cnt", String(frames), "-q", "-o", "/dev/null"];
// ours in CPU seconds of this (single-threaded) process, as the peer's marginal CPU time: the steadier figures on a busy machine
const oursPerFrame = (fn: (a: I420Frame, b: I420Frame) => number) => () => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(ref[i]!, dis[i]!);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
const simd = metricsSimdLevel();
for (const [name, fn, feature] of [["ssim", ssim, "float_ssim"], ["ms_ssim", msSsim, "float_ms_ssim"]] as const) {
  const ours: number[] = [];
  let peerFps: number | undefined;
  if (LIBVMAF_VMAF) {
    // one ours timing between each peer round
    const peer: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(oursPerFrame(fn)());
      const m = sideBySide(["peer"], (_p, frames) => libvmafFeature(feature)(frames), half, 1).peer;
      peer.push(Number.isNaN(m.cpuFps) ? m.fps : m.cpuFps);
    }
    peerFps = median(peer);
  } else for (let r = 0; r < ROUNDS; r++) ours.push(oursPerFrame(fn)());
  report({
    bench: `${name}_vs_libvmaf`, clip: CLIP, ours: n / median(ours), unit: "fps", per: "CPU second", simd,
    ...(peerFps !== undefined ? { peer: peerFps, peer_source: `libvmaf 3.2.0 vmaf tool --feature ${feature}, marginal CPU time (start-up removed; wall time without GNU time), measured in this run` } : { peer: null, peer_missing: PEER_ABSENT }),
  });
}
rmSync(dir, { recursive: true, force: true });

const tPsnr = await bestOf(5, () => {
  for (let i = 0; i < n; i++) psnr(ref[i]!, dis[i]!);
});
const tSsim = await bestOf(3, () => {
  for (let i = 0; i < n; i++) ssim(ref[i]!, dis[i]!);
});
// Without the ffmpeg CLI ours is still measured; the line says the peer is missing.
const ffPeer = (t: number | null) => (t === null ? { peer: null, peer_missing: MISSING.ffmpeg } : { peer: n / t });
report({ bench: "psnr", clip: CLIP, ours: n / tPsnr, ...ffPeer(tPsnrFf), unit: "fps", peer_source: "ffmpeg 5.1 psnr filter on raw files (process time)" });
report({ bench: "ssim", clip: CLIP, ours: n / tSsim, ...ffPeer(tSsimFf), unit: "fps", peer_source: "ffmpeg 5.1 ssim filter on raw files (process time; 8x8 blocks, ours: libvmaf float_ssim)" });
