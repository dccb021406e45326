/** The Env's rate control (the encoder-settings vocabulary of Av1Encoder, CBR included) and episodes
 * written to files (recordTo / the record option). */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Env } from "../../src/env/env";
import { FRAME_FEATURES } from "../../src/env/observation";
import { DEFAULT_ACTION_LEVELS } from "../../src/env/actions";
import { Av1Encoder } from "../../src/codec/av1_encoder";
import { IvfWriter } from "../../src/io/ivf";
import { SynthSource } from "../../src/io/synth";
import { allocI420 } from "../../src/core/frame";
import { Rng } from "../../src/core/rng";
import { FileError, InvalidArgumentError, StateError } from "../../src/core/errors";
import { decodeToYuv, ffprobeFrames } from "../helpers/ffmpeg";

setDefaultTimeout(120_000); // real encodes on a loaded 2-core machine

const TMP = mkdtempSync(join(tmpdir(), "av1gym-env-record-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const SYNTH = { synth: { width: 192, height: 128, frames: 12, seed: 5, fps: 25 } } as const;
const FAST = { preset: 12 } as const;
const RATE = FRAME_FEATURES.indexOf("rate_setting");

/** Plays an episode with seeded random actions; returns the bytes of each frame. */
function play(env: Env, seed = 1): number[] {
  const rng = new Rng(seed);
  env.reset({ seed });
  const bytes: number[] = [];
  for (;;) {
    const [, , te, tr, info] = env.step(env.actionSpace.sample(rng));
    bytes.push(info.bytes);
    if (te || tr) return bytes;
  }
}

describe("Env rate control: Av1Encoder's vocabulary", () => {
  test("cbr: a higher target gives proportionally more bytes, and rate_setting is the target bits per pixel", () => {
    const sizes = [100, 400].map((kbps) => {
      using env = new Env({ source: SYNTH, encoder: { ...FAST, cbr: kbps } });
      const [obs] = env.reset({ seed: 0 });
      // 192x128 at 25 fps: kbps * 1000 / 25 / (192 * 128) bits per pixel per frame
      expect(obs.frame[RATE]!).toBeCloseTo((kbps * 1000) / 25 / (192 * 128), 6);
      return play(env).reduce((a, b) => a + b, 0);
    });
    expect(sizes[1]! / sizes[0]!).toBeGreaterThan(2);
  });

  test("cbr: superblock actions are ignored by SVT-AV1 (same bitstream as zero offsets)", () => {
    const stream = (random: boolean) => {
      using env = new Env({ source: SYNTH, encoder: { ...FAST, cbr: 300 } });
      env.reset({ seed: 0 });
      const rng = new Rng(7);
      const zero = DEFAULT_ACTION_LEVELS.indexOf(0);
      const out: number[] = [];
      for (;;) {
        const action = env.actionSpace.sample(rng);
        if (!random) action.fill(zero);
        const [, , te, tr, info] = env.step(action);
        out.push(info.bytes);
        if (te || tr) return out;
      }
    };
    // If this starts failing, SVT-AV1 applies ROI maps under cbr: drop the Env's warning (env.ts) with it.
    expect(stream(true)).toEqual(stream(false));
  });

  test("cbr: the Env says so with one process warning, however many Envs (fresh process)", () => {
    const script = `
      import { Env } from ${JSON.stringify(join(import.meta.dir, "../../src/env/env"))};
      const seen = [];
      process.on("warning", (w) => seen.push(w.code));
      for (const cbr of [200, 300]) new Env({ source: ${JSON.stringify(SYNTH)}, encoder: { preset: 12, cbr } }).close();
      new Env({ source: ${JSON.stringify(SYNTH)}, encoder: { preset: 12, crf: 35 } }).close();
      setTimeout(() => console.log(JSON.stringify(seen)), 0);`;
    const r = Bun.spawnSync(["bun", "-e", script], { stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toEqual(["AV1GYM_CBR_IGNORES_SUPERBLOCK_ACTIONS"]);
    expect(r.stderr.toString()).toContain("ignores per-superblock QP offsets under cbr");
  });

  test("vbr and two rate controls are refused with the reason (SVT-AV1 has no VBR in low delay)", () => {
    expect(() => new Env({ source: SYNTH, encoder: { vbr: 500, keyInt: 50 } })).toThrow(InvalidArgumentError);
    expect(() => new Env({ source: SYNTH, encoder: { vbr: 500, keyInt: 50 } })).toThrow("no VBR with low-delay prediction");
    expect(() => new Env({ source: SYNTH, encoder: { crf: 30, cbr: 500 } })).toThrow("give one rate control");
    expect(() => new Env({ source: SYNTH, encoder: { cbr: 0 } })).toThrow("cbr (kb/s) must be at least 1");
  });

  test("the same settings object drives Av1Encoder and the Env to the same bitstream (zero offsets)", () => {
    const settings = { preset: 12, cbr: 300, keyInt: 8 };
    const path = join(TMP, "env-cbr.ivf");
    using env = new Env({ source: SYNTH, encoder: settings, record: path });
    env.reset({ seed: 0 });
    const zero = new Int8Array(env.sbRows * env.sbCols).fill(env.actionLevels.indexOf(0));
    for (let t = 0; t < 12; t++) env.step(zero);
    // The same frames through Av1Encoder with the same settings object, written by IvfWriter.
    const direct = join(TMP, "encoder-cbr.ivf");
    {
      using enc = new Av1Encoder({ ...settings, width: 192, height: 128 });
      using out = new IvfWriter(direct, { width: 192, height: 128, fps: { num: 25, den: 1 } });
      const synth = new SynthSource(192, 128, 5);
      const frame = allocI420(192, 128);
      for (let i = 0; i < 12; i++) {
        synth.frame(i, frame);
        for (const p of enc.encode(frame)) out.write(p.data, p.pts);
      }
    }
    expect(Buffer.compare(readFileSync(path), readFileSync(direct))).toBe(0);
  });
});

describe("episodes written to files", () => {
  test("recordTo: each episode is a playable IVF, complete at its end, with {episode} numbering", () => {
    using env = new Env({ source: SYNTH, encoder: FAST, maxFrames: 5 });
    env.recordTo(join(TMP, "ep{episode}.ivf"));
    const [, info0] = env.reset({ seed: 0 });
    expect(info0.recordPath).toBe(join(TMP, "ep0.ivf"));
    expect(env.recordingPath).toBe(join(TMP, "ep0.ivf"));
    const rng = new Rng(0);
    for (let t = 0; t < 5; t++) env.step(env.actionSpace.sample(rng));
    expect(env.recordingPath).toBeNull(); // the episode ended: its file is complete
    expect(ffprobeFrames(join(TMP, "ep0.ivf"))).toEqual({ codec: "av1", frames: 5, width: 192, height: 128 });
    expect(decodeToYuv(join(TMP, "ep0.ivf")).length).toBe(5 * 192 * 128 * 1.5);
    // A reset mid-episode completes that file with the frames encoded so far.
    env.reset({ seed: 1 });
    env.step(env.actionSpace.sample(rng));
    env.step(env.actionSpace.sample(rng));
    const [, info2] = env.reset({ seed: 2 });
    expect(ffprobeFrames(join(TMP, "ep1.ivf")).frames).toBe(2);
    expect(info2.recordPath).toBe(join(TMP, "ep2.ivf"));
    env.step(env.actionSpace.sample(rng));
    env.close(); // close completes the last one
    expect(ffprobeFrames(join(TMP, "ep2.ivf")).frames).toBe(1);
  });

  test("recordTo .mp4/.mkv (libavformat): each episode a playable file with the IVF's frames, complete at reset()/close()", () => {
    const decoded: Record<string, Uint8Array> = {};
    for (const ext of ["ivf", "mp4", "mkv"]) {
      using env = new Env({ source: SYNTH, encoder: FAST, maxFrames: 6 });
      env.recordTo(join(TMP, `lavf{episode}.${ext}`));
      const [, info0] = env.reset({ seed: 0 });
      expect(info0.recordPath).toBe(join(TMP, `lavf0.${ext}`));
      const rng = new Rng(7);
      for (let t = 0; t < 4; t++) env.step(env.actionSpace.sample(rng));
      // mid-episode the path holds no file yet (libavformat writes "<path>.part" and renames it at the end)
      if (ext !== "ivf") expect(existsSync(join(TMP, `lavf0.${ext}`))).toBe(false);
      env.reset({ seed: 1 }); // completes episode 0 with its 4 frames
      env.step(env.actionSpace.sample(rng));
      env.close(); // completes episode 1 with 1 frame
      expect(ffprobeFrames(join(TMP, `lavf0.${ext}`))).toEqual({ codec: "av1", frames: 4, width: 192, height: 128 });
      expect(ffprobeFrames(join(TMP, `lavf1.${ext}`)).frames).toBe(1);
      expect(existsSync(join(TMP, `lavf0.${ext}.part`))).toBe(false);
      decoded[ext] = decodeToYuv(join(TMP, `lavf0.${ext}`));
    }
    // The same seeded episode in each container decodes to the same pictures.
    expect(decoded.ivf!.length).toBe(4 * 192 * 128 * 1.5);
    expect(Buffer.compare(decoded.mp4!, decoded.ivf!)).toBe(0);
    expect(Buffer.compare(decoded.mkv!, decoded.ivf!)).toBe(0);
    // An episode that ends before its first step leaves no MP4 (it could not be played), and no error.
    using env = new Env({ source: SYNTH, encoder: FAST, maxFrames: 2, record: join(TMP, "empty{episode}.mp4") });
    env.reset({ seed: 0 });
    env.reset({ seed: 1 });
    env.step(env.actionSpace.sample(new Rng(0)));
    env.close();
    expect(existsSync(join(TMP, "empty0.mp4"))).toBe(false);
    expect(existsSync(join(TMP, "empty0.mp4.part"))).toBe(false);
    expect(ffprobeFrames(join(TMP, "empty1.mp4")).frames).toBe(1);
  });

  test("the recorded bytes are the episode's bitstream (the hash the Env reports covers the same packets)", () => {
    const path = join(TMP, "hash.ivf");
    using env = new Env({ source: SYNTH, encoder: FAST, record: path });
    const bytes = play(env, 3);
    const file = readFileSync(path);
    // IVF: 32-byte file header, then per frame a 12-byte header and the temporal unit
    expect(file.length).toBe(32 + bytes.reduce((a, b) => a + 12 + b, 0));
    expect(file.readUInt32LE(24)).toBe(bytes.length);
  });

  test("recordTo after reset applies to that episode when no step was taken, else from the next reset; null stops", () => {
    using env = new Env({ source: SYNTH, encoder: FAST, maxFrames: 3 });
    env.reset({ seed: 0 });
    env.recordTo(join(TMP, "late.ivf"));
    expect(env.recordingPath).toBe(join(TMP, "late.ivf"));
    env.step(new Int8Array(env.sbRows * env.sbCols));
    env.recordTo(join(TMP, "next.ivf"));
    expect(env.recordingPath).toBe(join(TMP, "late.ivf")); // this episode keeps its file
    env.step(new Int8Array(env.sbRows * env.sbCols));
    env.recordTo(null); // stops now: late.ivf is complete with two frames
    expect(env.recordingPath).toBeNull();
    expect(ffprobeFrames(join(TMP, "late.ivf")).frames).toBe(2);
    const [, info] = env.reset({ seed: 1 });
    expect(info.recordPath).toBeUndefined();
    expect(existsSync(join(TMP, "next.ivf"))).toBe(false);
  });

  test("bad recording paths are typed errors, and the Env goes on", () => {
    using env = new Env({ source: SYNTH, encoder: FAST, maxFrames: 2 });
    expect(() => env.recordTo(join(TMP, "no-such-dir", "x.ivf"))).toThrow(FileError);
    expect(() => env.recordTo(join(TMP, "x.avi"))).toThrow(InvalidArgumentError);
    expect(() => env.recordTo(join(TMP, "x.avi"))).toThrow(".ivf, .mp4, .mkv or .webm");
    expect(() => env.recordTo("" as string)).toThrow(InvalidArgumentError);
    expect(() => new Env({ source: SYNTH, record: join(TMP, "none", "y.ivf") })).toThrow(FileError);
    env.reset({ seed: 0 });
    expect(env.recordingPath).toBeNull();
    env.step(new Int8Array(env.sbRows * env.sbCols));
    env.close();
    expect(() => env.recordTo(join(TMP, "z.ivf"))).toThrow(StateError);
  });

  test("a file that cannot be created makes reset() throw FileError and leaves no episode half-started", () => {
    using env = new Env({ source: SYNTH, encoder: FAST, maxFrames: 2 });
    const dir = join(TMP, "gone");
    mkdirSync(dir);
    env.recordTo(join(dir, "a.ivf"));
    rmdirSync(dir);
    expect(() => env.reset({ seed: 0 })).toThrow(FileError);
    expect(() => env.step(new Int8Array(env.sbRows * env.sbCols))).toThrow(StateError);
    mkdirSync(dir);
    const [, info] = env.reset({ seed: 0 });
    expect(info.recordPath).toBe(join(dir, "a.ivf"));
  });
});
