/**
 * Side-by-side timing of two command lines on the same inputs (ours and libvmaf's `vmaf` tool): runs alternate
 * (the order rotates every round), medians are taken, and start-up is removed by timing N and 2N frames:
 * marginal speed = N / (t(2N) - t(N)), start-up = t(N) - N / speed. Peak RSS comes from the 2N runs. With GNU time
 * the same is done with each run's CPU time (user + system, all threads): on a shared, busy machine that is
 * the steadier figure, while wall time is what a user waits for (and what shows the threads' gain).
 *
 * The peer is libvmaf's `vmaf` tool named by LIBVMAF_VMAF (build libvmaf yourself; nothing here builds it).
 * Without it the bench lines say the peer is absent; no peer figure is ever written into the code.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const LIBVMAF_VMAF = process.env.LIBVMAF_VMAF && existsSync(process.env.LIBVMAF_VMAF) ? process.env.LIBVMAF_VMAF : undefined;
export const PEER_ABSENT = "libvmaf absent: set LIBVMAF_VMAF=/path/to/vmaf (libvmaf's tool) to measure it side by side";
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

export interface Run {
  wall: number;
  /** user + system CPU seconds, or NaN when GNU time is missing */
  cpu: number;
  /** peak RSS in MB, or NaN when GNU time is missing */
  maxRssMb: number;
}

// Peak RSS through GNU time: the rusage Bun reports for a child also counts the copy of Bun it was forked from
// (`true` shows ~24 MB), so it cannot tell a 10 MB process from a 70 MB one.
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/** Runs a command to completion; wall seconds and peak RSS. Throws on failure. */
export function run(cmd: string[]): Run {
  const full = GNU_TIME ? [GNU_TIME, "-f", "cpu_s=%U+%S maxrss_kb=%M", ...cmd] : cmd;
  const t0 = performance.now();
  const r = Bun.spawnSync(full, { stdout: "pipe", stderr: "pipe" });
  const wall = (performance.now() - t0) / 1000;
  const err = r.stderr.toString();
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${r.exitCode}): ${err.slice(0, 500)}`);
  const m = /cpu_s=([\d.]+)\+([\d.]+) maxrss_kb=(\d+)\s*$/.exec(err);
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, maxRssMb: m ? Number(m[3]) / 1024 : NaN };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface Marginal {
  /** frames per second of wall time, start-up removed */
  fps: number;
  startupMs: number;
  /** frames per CPU second (all threads), start-up removed: far less sensitive to other load than wall time */
  cpuFps: number;
  rssMb: number;
}

/**
 * Times each party's command for n and 2n frames, `rounds` times, alternating parties and rotating the order.
 * cmd(party, frames) gives the command line.
 */
export function sideBySide<P extends string>(parties: P[], cmd: (party: P, frames: number) => string[], n: number, rounds = ROUNDS): Record<P, Marginal> {
  const t: Record<string, { n: number[]; n2: number[]; cn: number[]; cn2: number[]; rss: number[] }> = {};
  for (const p of parties) t[p] = { n: [], n2: [], cn: [], cn2: [], rss: [] };
  for (let r = 0; r < rounds; r++) {
    const jobs: [P, number][] = [];
    for (const p of parties) jobs.push([p, n], [p, 2 * n]);
    const k = r % jobs.length; // rotate the order so no party always runs first
    for (const [p, frames] of [...jobs.slice(k), ...jobs.slice(0, k)]) {
      const res = run(cmd(p, frames));
      if (frames === n) t[p]!.n.push(res.wall), t[p]!.cn.push(res.cpu);
      else t[p]!.n2.push(res.wall), t[p]!.cn2.push(res.cpu), t[p]!.rss.push(res.maxRssMb);
    }
  }
  const out = {} as Record<P, Marginal>;
  for (const p of parties) {
    const tn = median(t[p]!.n), t2n = median(t[p]!.n2);
    // a 2N run no slower than the N run (other load swamped the difference) gives no figure (NaN: null in JSON)
    const per = (t2n - tn) / n, cpuPer = (median(t[p]!.cn2) - median(t[p]!.cn)) / n;
    out[p] = {
      fps: per > 0 ? 1 / per : NaN, startupMs: per > 0 ? Math.max(0, tn - n * per) * 1000 : NaN,
      cpuFps: cpuPer > 0 ? 1 / cpuPer : NaN, rssMb: median(t[p]!.rss),
    };
  }
  return out;
}

/**
 * Raw yuv420p files of a pair, made with the ffmpeg CLI (optionally scaled) from their first `frames` frames and
 * repeated `loops` times (long runs keep CPU-time granularity small), in a temp dir removed by cleanup().
 */
export function rawPair(ref: string, dis: string, frames: number, size?: { width: number; height: number }, loops = 1) {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-vmafbench-"));
  const conv = (src: string, dst: string) => {
    const args = ["-v", "error", "-y", "-i", src, "-frames:v", String(frames)];
    if (size) args.push("-vf", `scale=${size.width}:${size.height}`);
    args.push("-f", "rawvideo", "-pix_fmt", "yuv420p", dst);
    const r = spawnSync("ffmpeg", args);
    if (r.status !== 0) throw new Error(`ffmpeg failed on ${src}: ${r.stderr}`);
    if (loops > 1) {
      const once = readFileSync(dst);
      writeFileSync(dst, Buffer.concat(Array.from({ length: loops }, () => once)));
    }
  };
  const pair = { ref: join(dir, "ref.yuv"), dis: join(dir, "dis.yuv"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  conv(ref, pair.ref);
  conv(dis, pair.dis);
  return pair;
}

/** Largest |a - b| over every frame and every metric the two libvmaf-layout JSON files share. */
export function maxFrameDiff(jsonA: string, jsonB: string): { maxDiff: number; frames: number; metrics: number } {
  const frames = (p: string) => (JSON.parse(readFileSync(p, "utf8")).frames as { frameNum: number; metrics: Record<string, number> }[]);
  const a = frames(jsonA), b = frames(jsonB);
  if (a.length !== b.length) throw new Error(`${jsonA} has ${a.length} frames, ${jsonB} ${b.length}`);
  let maxDiff = 0;
  const shared = new Set<string>();
  a.forEach((fa, i) => {
    for (const [k, v] of Object.entries(fa.metrics)) {
      const w = b[i]!.metrics[k];
      if (w === undefined) continue;
      shared.add(k);
      maxDiff = Math.max(maxDiff, Math.abs(v - w));
    }
  });
  return { maxDiff, frames: a.length, metrics: shared.size };
}
