/** SyncVectorEnv: the in-process batch. Same results as the Worker VectorEnv (one autoreset), any wrappers. */
import { expect, setDefaultTimeout, test } from "bun:test";
import { InvalidArgumentError, StateError } from "../../src/core/errors";
import { Rng } from "../../src/core/rng";
import { Env } from "../../src/env/env";
import { PSNR, type Distortion } from "../../src/env/reward";
import { SUPERBLOCK_FEATURES } from "../../src/env/observation";
import { SyncVectorEnv } from "../../src/env/vector/sync_vector_env";
import { VectorEnv } from "../../src/env/vector/vector_env";
import { ClipObservation } from "../../src/env/wrappers/clip_observation";
import { TimeLimit } from "../../src/env/wrappers/time_limit";

setDefaultTimeout(60_000); // Workers and encoders on a loaded 2-core machine

const OPTS = { source: { synth: { width: 128, height: 128, frames: 8 } }, encoder: { preset: 12 }, maxFrames: 3, randomStart: true } as const;
const F = SUPERBLOCK_FEATURES.length;

test("equals the Worker VectorEnv step for step, across autoresets (same seeds, same actions)", async () => {
  using sync = new SyncVectorEnv({ numEnvs: 2, env: OPTS });
  const workers = await VectorEnv.create({ numEnvs: 2, env: OPTS });
  try {
    expect(sync.actionSpace.shape).toEqual(workers.actionSpace.shape);
    expect(sync.observationSpace.spaces.superblocks.high).toEqual(workers.observationSpace.spaces.superblocks.high);
    const [so, sinfo] = sync.reset({ seed: 11 });
    const [wo, winfo] = await workers.reset({ seed: 11 });
    expect(so).toEqual(wo);
    expect(sinfo).toEqual(winfo);
    const rng = new Rng(5);
    let ends = 0;
    for (let k = 0; k < 7; k++) {
      const act = sync.actionSpace.sample(rng);
      const [o1, r1, te1, tr1, i1] = sync.step(act);
      const [o2, r2, te2, tr2, i2] = await workers.step(act);
      expect(o1).toEqual(o2);
      expect(r1).toEqual(r2);
      expect([te1, tr1]).toEqual([te2, tr2]);
      expect(sync.observationSpace.contains(o1)).toBe(true);
      for (let i = 0; i < 2; i++) {
        expect(i1[i]!.bytes).toBe(i2[i]!.bytes);
        expect(i1[i]!.finalObservation).toEqual(i2[i]!.finalObservation);
        expect(i1[i]!.resetInfo).toEqual(i2[i]!.resetInfo);
        if (i1[i]!.finalObservation) ends++;
      }
    }
    expect(ends).toBe(4); // 3-frame episodes over 7 steps: two autoresets per env
  } finally {
    await workers.close();
  }
});

test("batches wrapped Envs and options Workers cannot take (a Distortion object); equals the single envs", () => {
  const counted: Distortion = { ...PSNR, name: "psnr-object" };
  const make = () => new TimeLimit(new ClipObservation(new Env({ ...OPTS, maxFrames: undefined, randomStart: false, reward: { distortion: counted } }), 0.75), 2);
  using batch = new SyncVectorEnv({ envs: [make, make] });
  const singles = [make(), make()];
  try {
    expect(Math.max(...batch.observationSpace.spaces.superblocks.high)).toBe(Math.fround(0.75));
    const [obs] = batch.reset({ seed: 3 });
    singles.forEach((e, i) => expect(obs.superblocks.subarray(i * 4 * F, (i + 1) * 4 * F)).toEqual(e.reset({ seed: 3 + i })[0].superblocks));
    for (let k = 0; k < 3; k++) {
      const act = new Int8Array(8).fill(k + 1);
      const [o, r, , tr, infos] = batch.step(act);
      singles.forEach((e, i) => {
        const [so, sr, , str] = e.step(act.subarray(i * 4, i * 4 + 4));
        expect(r[i]).toBe(sr);
        expect(tr[i]).toBe(str);
        // TimeLimit of 2 steps: the second step truncates and the batch holds the next episode's first observation.
        const expected = str ? e.reset()[0] : so;
        if (str) expect(infos[i]!.finalObservation!.superblocks).toEqual(so.superblocks);
        expect(o.superblocks.subarray(i * 4 * F, (i + 1) * 4 * F)).toEqual(expected.superblocks);
      });
    }
    expect(batch.observationSpace.contains(batch.reset()[0])).toBe(true);
  } finally {
    for (const e of singles) e.close();
  }
});

test("errors: mismatched shapes and non-Env environments are refused (nothing left open); bad actions change nothing; close", () => {
  const made: Env[] = [];
  const track = (o: object) => () => {
    const e = new Env(o);
    made.push(e);
    return e;
  };
  expect(() => new SyncVectorEnv({ envs: [track(OPTS), track({ ...OPTS, source: { synth: { width: 256, height: 128, frames: 8 } } })] })).toThrow("same shapes");
  expect(made.every((e) => e.isClosed)).toBe(true);
  const notAnEnv = { actionSpace: made[0]!.actionSpace, observationSpace: made[0]!.observationSpace, reset: () => [null, {}], step: () => [null, 0, false, false, {}], close() {} };
  expect(() => new SyncVectorEnv({ envs: [() => notAnEnv as never] })).toThrow(InvalidArgumentError);
  expect(() => new SyncVectorEnv({ numEnvs: 0 })).toThrow(InvalidArgumentError);

  const v = new SyncVectorEnv({ numEnvs: 2, env: OPTS });
  const twin = new SyncVectorEnv({ numEnvs: 2, env: OPTS });
  v.reset({ seed: 1 });
  twin.reset({ seed: 1 });
  expect(() => v.step([0, 1, 2])).toThrow(InvalidArgumentError);
  expect(() => v.step([[0, 0, 0, 0], [0, 9, 0, 0]])).toThrow(InvalidArgumentError);
  expect(v.step([[1, 2, 3, 4], [6, 5, 4, 3]])[1]).toEqual(twin.step(new Int8Array([1, 2, 3, 4, 6, 5, 4, 3]))[1]);
  v.close();
  v.close();
  twin.close();
  expect(v.isClosed).toBe(true);
  expect(v.envs.every((e) => (e as Env).isClosed)).toBe(true);
  expect(() => v.reset()).toThrow(StateError);
});
