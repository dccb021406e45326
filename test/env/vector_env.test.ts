/** VectorEnv: N Envs in Bun Workers, batched, same-step autoreset. Compared against single Envs. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Env } from "../../src/env/env";
import { FRAME_FEATURES, SUPERBLOCK_FEATURES } from "../../src/env/observation";
import { Rng } from "../../src/core/rng";
import { VectorEnv } from "../../src/env/vector/vector_env";
import { InvalidArgumentError, StateError } from "../../src/core/errors";
import { VideoReader } from "../../src/io/reader";
import { rejection } from "../helpers/rejection";

setDefaultTimeout(60_000); // Workers and encoders on a loaded 2-core machine

const OPTS = { source: { synth: { width: 128, height: 128, frames: 8 } }, encoder: { preset: 12 }, maxFrames: 3, randomStart: true } as const;
const F = SUPERBLOCK_FEATURES.length;
const G = FRAME_FEATURES.length;

describe("VectorEnv", () => {
  let venv: VectorEnv;
  beforeAll(async () => {
    venv = await VectorEnv.create({ numEnvs: 2, env: OPTS });
  });
  afterAll(async () => {
    await venv.close();
  });

  test("spaces are batched single spaces", () => {
    expect(venv.numEnvs).toBe(2);
    expect(venv.actionSpace.shape).toEqual([2, 2, 2]);
    expect(venv.singleActionSpace.shape).toEqual([2, 2]);
    expect(venv.observationSpace.spaces.superblocks.shape).toEqual([2, 2, 2, F]);
    expect(venv.observationSpace.spaces.frame.shape).toEqual([2, G]);
  });

  test("batched results equal single Envs seeded seed + i, across episodes (same-step autoreset)", async () => {
    const singles = [new Env(OPTS), new Env(OPTS)];
    try {
      const [obs, infos] = await venv.reset({ seed: 40 });
      expect(venv.observationSpace.contains(obs)).toBe(true);
      const sObs = singles.map((e, i) => e.reset({ seed: 40 + i }));
      expect(infos.map((x) => x.start)).toEqual(sObs.map((x) => x[1].start));
      expect(obs.superblocks).toEqual(Float32Array.from([...sObs[0]![0].superblocks, ...sObs[1]![0].superblocks]));
      const rng = new Rng(3);
      let ends = 0;
      for (let k = 0; k < 7; k++) {
        const act = venv.actionSpace.sample(rng);
        const [o, r, te, tr, inf] = await venv.step(act);
        expect(r).toBeInstanceOf(Float64Array);
        expect(o.frame.length).toBe(2 * G);
        expect(venv.observationSpace.contains(o)).toBe(true);
        for (let i = 0; i < 2; i++) {
          const [so, sr, ste, str, sinf] = singles[i]!.step(act.subarray(i * 4, i * 4 + 4));
          expect(r[i]).toBe(sr);
          expect([te[i], tr[i]]).toEqual([ste, str]);
          expect(inf[i]!.bytes).toBe(sinf.bytes);
          let expectObs = so;
          if (ste || str) {
            ends++;
            // Same-step autoreset: the final observation is in info, the batch holds the new episode's first.
            expect(inf[i]!.finalObservation!.superblocks).toEqual(so.superblocks);
            const [ro, rinfo] = singles[i]!.reset();
            expect(inf[i]!.resetInfo!.start).toBe(rinfo.start);
            expectObs = ro;
          } else expect(inf[i]!.finalObservation).toBeUndefined();
          expect(o.superblocks.subarray(i * 4 * F, (i + 1) * 4 * F)).toEqual(expectObs.superblocks);
          expect(o.frame.subarray(i * G, (i + 1) * G)).toEqual(expectObs.frame);
        }
      }
      expect(ends).toBe(4); // 7 steps of 3-frame episodes: two ends per env
    } finally {
      for (const e of singles) e.close();
    }
  });

  test("actions as an array of per-env actions; invalid actions change nothing", async () => {
    await venv.reset({ seed: 1 });
    const twin = await VectorEnv.create({ numEnvs: 2, env: OPTS });
    try {
      await twin.reset({ seed: 1 });
      await expect(venv.step([0, 1, 2])).rejects.toThrow(InvalidArgumentError);
      await expect(venv.step([[0, 0, 0, 0], [0, 9, 0, 0]])).rejects.toThrow(InvalidArgumentError);
      await expect(venv.step(new Float32Array(8) as never)).rejects.toThrow(InvalidArgumentError);
      const [, r1] = await venv.step([new Int8Array([1, 2, 3, 4]), new Uint8Array([6, 5, 4, 3])]);
      const [, r2] = await twin.step(new Int8Array([1, 2, 3, 4, 6, 5, 4, 3]));
      expect(r1).toEqual(r2);
    } finally {
      await twin.close();
    }
  });

  test("overlapping calls are a StateError", async () => {
    await venv.reset({ seed: 2 });
    const p = venv.step(new Int8Array(8));
    await expect(venv.step(new Int8Array(8))).rejects.toThrow(StateError);
    await p;
  });
});

describe("VectorEnv lifecycle and errors", () => {
  test("one option object per sub-environment: different clips of the same size", async () => {
    const a = { ...OPTS, source: { synth: { width: 128, height: 128, frames: 8, seed: 1 } } };
    const b = { ...OPTS, source: { synth: { width: 128, height: 128, frames: 8, seed: 2 } } };
    const v = await VectorEnv.create({ numEnvs: 2, env: [a, b] });
    try {
      const [obs] = await v.reset({ seed: 0 });
      const single = new Env(b);
      const [o1] = single.reset({ seed: 1 });
      single.close();
      expect(obs.superblocks.subarray(4 * F)).toEqual(o1.superblocks);
      expect(obs.superblocks.subarray(0, 4 * F)).not.toEqual(o1.superblocks);
    } finally {
      await v.close();
    }
  });

  test("close is idempotent; calls after close are StateError", async () => {
    const v = await VectorEnv.create({ numEnvs: 1, env: OPTS });
    expect(await rejection(v.step([new Int8Array(4)]))).toBeInstanceOf(StateError); // before reset (from the worker)
    await v.reset();
    await v.close();
    await v.close();
    expect(v.isClosed).toBe(true);
    await expect(v.reset()).rejects.toThrow(StateError);
  });

  test("bad options are InvalidArgumentError (from the main thread or from a worker)", async () => {
    await expect(VectorEnv.create({ numEnvs: 0 })).rejects.toThrow(InvalidArgumentError);
    expect(await rejection(VectorEnv.create({ numEnvs: 2, env: { actionLevels: [1, 1] } }))).toBeInstanceOf(InvalidArgumentError);
    await expect(VectorEnv.create({ numEnvs: 2, env: [OPTS] })).rejects.toThrow(InvalidArgumentError);
    const other = { ...OPTS, source: { synth: { width: 256, height: 128, frames: 8 } } };
    const mismatch = await rejection(VectorEnv.create({ numEnvs: 2, env: [OPTS, other] }));
    expect(mismatch).toBeInstanceOf(InvalidArgumentError);
    expect((mismatch as Error).message).toContain("same shapes");
    const reader = { metadata: {}, frame: () => 0 } as unknown as VideoReader;
    await expect(VectorEnv.create({ numEnvs: 1, env: { source: reader } })).rejects.toThrow(InvalidArgumentError);
  });
});

test("pinned workers give the same results", async () => {
  const a = await VectorEnv.create({ numEnvs: 2, env: OPTS, pin: true });
  const b = await VectorEnv.create({ numEnvs: 2, env: OPTS });
  try {
    await a.reset({ seed: 5 });
    await b.reset({ seed: 5 });
    for (let k = 0; k < 4; k++) {
      const act = new Int8Array(8).fill(k);
      const [oa, ra] = await a.step(act);
      const [ob, rb] = await b.step(act);
      expect(ra).toEqual(rb);
      expect(oa.superblocks).toEqual(ob.superblocks);
    }
  } finally {
    await a.close();
    await b.close();
  }
});
