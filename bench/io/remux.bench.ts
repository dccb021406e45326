/**
 * remux and concat (stream copy) against the ffmpeg CLI doing the same (`ffmpeg -c copy`, `ffmpeg -f concat
 * -c copy`) on the same files, in the same run, alternating ours/peer, best of 3. A 20 s 640x480 H.264 + AAC
 * clip, made with the ffmpeg CLI. Wall time (the CLI's includes its start-up, as a user running it pays it)
 * and CPU time (ours: this process; the CLI's: its rusage), which load disturbs less; `load` is the load
 * average when the line was measured.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concat, remux } from "../../src/io/remux";
import { HAVE_FFMPEG, MISSING, report, skipped } from "../util";

const BENCHES = [{ bench: "remux-mp4-to-mkv" }, { bench: "concat-3-mp4" }, { bench: "concat-per-input-cpu" }];
const load = () => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
/** Runs the ffmpeg CLI; its wall and CPU seconds. */
const ff = (...args: string[]) => {
  const t0 = performance.now();
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", ...args], { stderr: "pipe" });
  const wall = (performance.now() - t0) / 1000;
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return { wall, cpu: Number(p.resourceUsage.cpuTime.total) / 1e6 };
};
/** Runs fn in this process; its wall and CPU seconds. */
const ours = (fn: () => unknown) => {
  const c0 = process.cpuUsage(), t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
};
const best = (a: { wall: number; cpu: number }[]) => ({ wall: Math.min(...a.map((x) => x.wall)), cpu: Math.min(...a.map((x) => x.cpu)) });

if (!HAVE_FFMPEG) skipped(BENCHES, MISSING.ffmpeg);
else {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-remux-bench-"));
  try {
    const src = join(dir, "src.mp4");
    ff("-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-t", "20", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-c:a", "aac", src);
    const o: { wall: number; cpu: number }[] = [], p: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < 3; i++) {
      o.push(ours(() => remux(src, join(dir, `o${i}.mkv`))));
      p.push(ff("-i", src, "-map", "0", "-c", "copy", join(dir, `p${i}.mkv`)));
    }
    let a = best(o), b = best(p);
    report({ bench: "remux-mp4-to-mkv", ours: a.wall, peer: b.wall, unit: "s", ours_cpu_s: a.cpu, peer_cpu_s: b.cpu, load: load(), peer_name: "ffmpeg -c copy" });

    const list = join(dir, "list.txt");
    writeFileSync(list, [src, src, src].map((f) => `file '${f}'`).join("\n"));
    o.length = 0;
    p.length = 0;
    for (let i = 0; i < 3; i++) {
      o.push(ours(() => concat([src, src, src], join(dir, `oc${i}.mp4`))));
      p.push(ff("-f", "concat", "-safe", "0", "-i", list, "-c", "copy", join(dir, `pc${i}.mp4`)));
    }
    a = best(o);
    b = best(p);
    report({ bench: "concat-3-mp4", ours: a.wall, peer: b.wall, unit: "s", ours_cpu_s: a.cpu, peer_cpu_s: b.cpu, load: load(), peer_name: "ffmpeg -f concat -c copy" });

    // Throughput without either side's start-up: the CPU cost of 21 more inputs (24 files minus 3), which is
    // what copying the packets costs.
    const list24 = join(dir, "list24.txt");
    writeFileSync(list24, Array(24).fill(`file '${src}'`).join("\n"));
    o.length = 0;
    p.length = 0;
    for (let i = 0; i < 3; i++) {
      o.push(ours(() => concat(Array(24).fill(src), join(dir, `o24c${i}.mp4`))));
      p.push(ff("-f", "concat", "-safe", "0", "-i", list24, "-c", "copy", join(dir, `p24c${i}.mp4`)));
    }
    const a24 = best(o), b24 = best(p);
    report({
      bench: "concat-per-input-cpu", ours: (a24.cpu - a.cpu) / 21, peer: (b24.cpu - b.cpu) / 21, unit: "s", load: load(), peer_name: "ffmpeg -f concat -c copy",
      note: "CPU seconds per input file: concatenating 24 copies of the 20 s clip minus 3 copies, divided by 21 (start-up cancels out), best of 3 each",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
