/**
 * `env-seed-config`: the replaced Python system's own Env configuration (issue 9): 352x288, 150 frames of a
 * real clip, preset 8, CBR 600 kb/s, low delay, random actions, MSE reward.
 *  - first episode: Env construction + reset + 150 steps in this fresh process (decode and analysis included);
 *  - warm steps/s: later episodes (best of RUNS), against the same frames through Av1Encoder alone with the
 *    same settings (the encoder's own speed, runs alternated with the Env's), so `ratio` is the share of its
 *    encoder's speed the Env keeps;
 *  - peak RSS of this process after the Env's episodes (before the encoder-alone runs);
 *  - steps per CPU-second (user+sys of the process, all threads; best warm episode), which a loaded machine
 *    disturbs far less than the wall-clock steps/s, beside the encoder alone's frames per CPU-second (best run):
 *    `cpu_ratio` is the share of its encoder's speed the Env keeps in CPU time;
 *  - the first episode's CPU seconds (construction included) beside its wall time.
 * The clip: ../shared's seeking_384x288 cropped to 352x288 with ffmpeg into /tmp (lossless Y4M). The seed's own
 * figures (SVT-AV1 3.0.2, measured by issue 9's author on this configuration, not in this run) are given beside.
 * This file runs alone in its process (bench/run.ts), so the RSS is the Env's, Bun's runtime included.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Av1Encoder, svtVersion } from "../../src/codec/av1_encoder";
import { Env, type EnvOptions } from "../../src/env/env";
import { VideoReader } from "../../src/io/reader";
import { Rng } from "../../src/core/rng";
import type { I420Frame } from "../../src/core/frame";
import { HAVE_SHARED, SHARED_DIR, report } from "../util";

const RUNS = Number(process.env.AV1GYM_BENCH_RUNS ?? 5);
const N = 150;
const SETTINGS = { preset: 8, cbr: 600, threads: 1 } as const;
const SEED_REFERENCE = { svt: "3.0.2", warm_steps_per_s: 114, first_episode_s: 2.9, rss_mb: 265 };

if (!HAVE_SHARED) {
  report({ bench: "env-seed-config", skipped: `${SHARED_DIR}/clips not found (needs a real 352x288 clip)`, ours: NaN, unit: "steps/s" });
  process.exit(0);
}
const tmp = mkdtempSync(join(tmpdir(), "av1gym-seed-config-"));
try {
  const clip = join(tmp, "seeking_352x288_150f.y4m");
  const crop = Bun.spawnSync(["ffmpeg", "-v", "error", "-i", join(SHARED_DIR, "clips", "seeking_384x288_150f.mp4"), "-vf", "crop=352:288", "-frames:v", String(N), "-pix_fmt", "yuv420p", clip]);
  if (crop.exitCode !== 0) {
    report({ bench: "env-seed-config", skipped: `ffmpeg could not crop the clip: ${crop.stderr.toString().slice(-200)}`, ours: NaN, unit: "steps/s" });
    process.exit(0);
  }
  const opts: EnvOptions = { source: clip, encoder: SETTINGS, reward: { distortion: "mse" } };
  const rng = new Rng(0);
  let cpuS = 0; // CPU seconds (user+sys, all threads) of the warm episodes: survives a loaded machine
  const episode = (env: Env): number => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    env.reset({ seed: 0 });
    for (;;) {
      const [, , te, tr] = env.step(env.actionSpace.sample(rng));
      if (te || tr) break;
    }
    const c = process.cpuUsage(c0);
    cpuS = (c.user + c.system) / 1e6;
    return (performance.now() - t0) / 1000;
  };

  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const env = new Env(opts);
  episode(env);
  const firstS = (performance.now() - t0) / 1000;
  const firstCpu = process.cpuUsage(c0);
  const warm = [episode(env)];
  const warmCpu = [cpuS];
  const rssMb = process.resourceUsage().maxRSS / 1024; // kB -> MB

  // The encoder alone: the same frames and settings, no reconstruction, no Env around it.
  const frames: I420Frame[] = [];
  {
    using r = new VideoReader(clip);
    for (let i = 0; i < N; i++) frames.push(r.frame(i));
  }
  const aloneCpu: number[] = [];
  const encoderAlone = (): number => {
    const t = performance.now();
    const c = process.cpuUsage();
    {
      using enc = new Av1Encoder({ ...SETTINGS, width: 352, height: 288, fps: { num: 25, den: 1 } });
      for (const f of frames) enc.encode(f);
    }
    const u = process.cpuUsage(c);
    aloneCpu.push((u.user + u.system) / 1e6);
    return (performance.now() - t) / 1000;
  };
  const alone: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    // alternate which goes first, so neither always follows the other
    if (r % 2) alone.push(encoderAlone()), warm.push(episode(env)), warmCpu.push(cpuS);
    else warm.push(episode(env)), warmCpu.push(cpuS), alone.push(encoderAlone());
  }
  env.close();
  const v = svtVersion();
  report({
    bench: "env-seed-config",
    clip: "seeking_352x288 (cropped)",
    settings: `${N} frames, preset ${SETTINGS.preset}, cbr ${SETTINGS.cbr} kb/s, low delay, 1 thread, random actions, mse reward`,
    svt: v.text,
    ours: N / Math.min(...warm),
    peer: N / Math.min(...alone),
    unit: "steps/s",
    peer_is: "Av1Encoder alone, same frames and settings (fps)",
    steps_per_cpu_s: Math.round((N / Math.min(...warmCpu)) * 10) / 10,
    peer_frames_per_cpu_s: Math.round((N / Math.min(...aloneCpu)) * 10) / 10,
    cpu_ratio: Math.round((Math.min(...aloneCpu) / Math.min(...warmCpu)) * 1000) / 1000,
    first_episode_s: Math.round(firstS * 1000) / 1000,
    first_episode_cpu_s: Math.round(((firstCpu.user + firstCpu.system) / 1e6) * 1000) / 1000,
    peak_rss_mb: Math.round(rssMb),
    seed_reference: SEED_REFERENCE,
    ratio_vs_seed_reference: Math.round((N / Math.min(...warm) / SEED_REFERENCE.warm_steps_per_s) * 1000) / 1000,
    load: loadavg()[0],
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
