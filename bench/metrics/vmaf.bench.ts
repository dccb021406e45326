/**
 * VMAF side by side with libvmaf 3.2.0's `vmaf` tool (LIBVMAF_VMAF=/path/to/vmaf): the same raw yuv420p files,
 * the same model (vmaf_v0.6.1), both as command lines (ours: `av1gym vmaf`), alternating, medians, start-up
 * removed (N and 2N frames, see side_by_side.ts). Pairs: bikes 640x272 against its x264 crf35 holdout, and the
 * same pair upscaled to 1280x720 with ffmpeg. 1 and 2 threads; at each SIMD level: the best of both
 * (AVX-512 where the CPU has it) and AVX2 only (libvmaf --cpumask 48, ours --simd avx2). Also checks that the
 * per-frame scores agree (largest difference over every frame and feature of the two JSON outputs).
 */
import { rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { HAVE_FFMPEG, HAVE_SHARED, MISSING, report, ROOT, SHARED_DIR, skipped } from "../util";
import { LIBVMAF_VMAF, maxFrameDiff, median, PEER_ABSENT, rawPair, ROUNDS, run, sideBySide } from "./side_by_side";

const SIZES = [{ width: 640, height: 272 }, { width: 1280, height: 720 }];
if (!HAVE_SHARED || !HAVE_FFMPEG) {
  // the clips and the model are in ../shared; the raw files are made with the ffmpeg CLI
  const names = SIZES.flatMap((s) => [1, 2].map((t) => `vmaf_${s.width}x${s.height}_${t}thread${t > 1 ? "s" : ""}`));
  skipped(names.map((bench) => ({ bench })), HAVE_SHARED ? MISSING.ffmpeg : MISSING.shared);
  process.exit(0);
}

const MODEL = join(SHARED_DIR, "vmaf", "models", "vmaf_v0.6.1.json");
const REF = join(SHARED_DIR, "clips", "bikes_640x272_250f.mp4");
const DIS = join(SHARED_DIR, "vmaf", "holdout", "bikes_640x272_60f__x264crf35.mkv");
// N and 2N frames: the holdout's 60 frames, repeated so that 2N frames take about a CPU second (GNU time counts
// CPU time in 10 ms steps)
const SIZES_N: Record<number, number> = { 640: 100, 1280: 30 };
const CLI = join(ROOT, "src", "cli", "main.ts");
const SIMD_LEVEL = (() => {
  const r = Bun.spawnSync([process.execPath, "-e", `import { metricsSimdLevel } from ${JSON.stringify(join(ROOT, "src", "metrics", "metrics.ts"))}; console.log(metricsSimdLevel())`]);
  return r.stdout.toString().trim();
})();

type Party = "ours" | "peer";
const parties: Party[] = LIBVMAF_VMAF ? ["ours", "peer"] : ["ours"];

for (const size of SIZES) {
  const scaled = size.width !== 640;
  const N = SIZES_N[size.width]!;
  const pair = rawPair(REF, DIS, 60, scaled ? size : undefined, Math.ceil((2 * N) / 60));
  const clip = `bikes ${size.width}x${size.height} vs x264crf35${scaled ? " (ffmpeg-upscaled)" : ""}, raw yuv420p`;
  try {
    for (const level of SIMD_LEVEL === "avx512" ? ["avx512", "avx2"] : [SIMD_LEVEL]) {
      for (const threads of [1, 2]) {
        const cmd = (p: Party, frames: number, json?: string): string[] =>
          p === "ours"
            ? [process.execPath, CLI, "vmaf", "--ref", pair.ref, "--dis", pair.dis, "--width", String(size.width), "--height", String(size.height),
               "--frames", String(frames), "--threads", String(threads), "--model", MODEL, "--quiet", "--simd", level, ...(json ? ["--json", json] : [])]
            : [LIBVMAF_VMAF!, "-r", pair.ref, "-d", pair.dis, "-w", String(size.width), "-h", String(size.height), "-p", "420", "-b", "8",
               "-m", `path=${MODEL}`, "--threads", String(threads), "--frame_cnt", String(frames), "-q", "--json", "-o", json ?? "/dev/null",
               ...(level === "avx2" ? ["--cpumask", "48"] : [])];
        const m = sideBySide(parties, (p, frames) => cmd(p, frames), N);
        const line: Parameters<typeof report>[0] = {
          bench: `vmaf_${size.width}x${size.height}_${threads}thread${threads > 1 ? "s" : ""}_${level}`,
          clip, unit: "fps", ours: m.ours.fps, threads, simd: level, frames: `${N} and ${2 * N}`,
          ours_startup_ms: Math.round(m.ours.startupMs), ours_cpu_fps: Math.round(m.ours.cpuFps * 10) / 10 || null, ours_peak_rss_mb: Math.round(m.ours.rssMb * 10) / 10 || null,
          loadavg_1min: Math.round(loadavg()[0]! * 100) / 100, cpus: cpus().length,
        };
        if (LIBVMAF_VMAF) {
          const a = join(tmpdir(), `av1gym-vmafbench-ours-${process.pid}.json`), b = join(tmpdir(), `av1gym-vmafbench-peer-${process.pid}.json`);
          run(cmd("ours", 2 * N, a));
          run(cmd("peer", 2 * N, b));
          const d = maxFrameDiff(a, b);
          rmSync(a, { force: true }), rmSync(b, { force: true });
          Object.assign(line, {
            peer: m.peer.fps, peer_source: `libvmaf 3.2.0 vmaf tool${level === "avx2" ? " --cpumask 48 (AVX2)" : ""}, measured in this run`,
            peer_startup_ms: Math.round(m.peer.startupMs), peer_cpu_fps: Math.round(m.peer.cpuFps * 10) / 10 || null,
            cpu_ratio: Math.round((m.ours.cpuFps / m.peer.cpuFps) * 1000) / 1000 || null, peer_peak_rss_mb: Math.round(m.peer.rssMb * 10) / 10 || null,
            max_abs_diff: d.maxDiff, compared: `${d.frames} frames x ${d.metrics} metrics`,
          });
        } else Object.assign(line, { peer: null, peer_missing: PEER_ABSENT });
        report(line);
      }
    }
  } finally {
    pair.cleanup();
  }
}

// CLI start-up beyond Bun's own: Bun running an empty script, `av1gym --help` and `av1gym vmaf` on one frame,
// alternating (medians); the peer is libvmaf's tool on one frame. One frame of 640x272 costs a few ms on either
// side. Bun's own is an empty script file, not `bun -e ""`: that prints Bun's usage and exits without starting
// the JavaScript engine (7 ms and 5 MB, against 25 ms and 21 MB for any script).
{
  const pair = rawPair(REF, DIS, 1);
  const empty = join(tmpdir(), `av1gym-empty-${process.pid}.ts`);
  writeFileSync(empty, "");
  try {
    const one = (p: "bun" | "help" | "ours" | "peer"): string[] =>
      p === "bun" ? [process.execPath, empty]
      : p === "help" ? [process.execPath, CLI, "--help"]
      : p === "ours" ? [process.execPath, CLI, "vmaf", "--ref", pair.ref, "--dis", pair.dis, "--width", "640", "--height", "272", "--frames", "1", "--model", MODEL, "--quiet"]
      : [LIBVMAF_VMAF!, "-r", pair.ref, "-d", pair.dis, "-w", "640", "-h", "272", "-p", "420", "-b", "8", "-m", `path=${MODEL}`, "--frame_cnt", "1", "-q", "-o", "/dev/null"];
    const who: ("bun" | "help" | "ours" | "peer")[] = LIBVMAF_VMAF ? ["bun", "help", "ours", "peer"] : ["bun", "help", "ours"];
    const t: Record<string, number[]> = {}, rss: Record<string, number[]> = {};
    for (const w of who) (t[w] = []), (rss[w] = []);
    for (let r = 0; r < 3 * ROUNDS; r++)
      for (const w of [...who.slice(r % who.length), ...who.slice(0, r % who.length)]) {
        const res = run(one(w));
        t[w]!.push(res.wall * 1000);
        rss[w]!.push(res.maxRssMb);
      }
    const bun = median(t.bun!);
    const mb = (w: string) => Math.round(median(rss[w]!) * 10) / 10 || null;
    report({
      bench: "cli_startup_beyond_bun", clip: "one 640x272 frame", unit: "ms", ours: median(t.ours!) - bun,
      ours_whole_ms: Math.round(median(t.ours!)), help_ms: Math.round(median(t.help!) - bun), bun_ms: Math.round(bun),
      ours_peak_rss_mb: mb("ours"), bun_peak_rss_mb: mb("bun"),
      ...(LIBVMAF_VMAF ? { peer: median(t.peer!), peer_peak_rss_mb: mb("peer"), peer_source: "libvmaf 3.2.0 vmaf tool, one frame, whole process" } : { peer: null, peer_missing: PEER_ABSENT }),
      bun_source: "Bun running an empty script file",
      loadavg_1min: Math.round(loadavg()[0]! * 100) / 100,
    });
  } finally {
    pair.cleanup();
    rmSync(empty, { force: true });
  }
}
