/**
 * VectorEnv: N Envs, each in its own Bun Worker (its own encoder and thread), stepped in parallel and
 * returned as one batch: observations stacked along a new first axis, rewards as a Float64Array,
 * terminated/truncated as boolean arrays, infos as an array.
 *
 * Autoreset is Gymnasium's "same-step" mode: when env i's episode ends during step(), it is reset in the
 * same call; the batch then holds the NEW episode's first observation for i, while reward, terminated,
 * truncated and infos[i] describe the step that ended the old one, and infos[i].finalObservation holds
 * the old episode's last observation (infos[i].resetInfo the new episode's reset info). No step is wasted
 * on a reset, and the caller never calls reset() per sub-environment.
 *
 * Options must be structured-cloneable: the source is a path or { synth }, the distortion a name.
 */
import { InvalidArgumentError, StateError } from "../../core/errors";
import { native } from "../../native/ffi";
import { decodeAction } from "../actions";
import type { EnvOptions, Observation, ResetInfo } from "../env";
import { FRAME_G, SB_F } from "../observation";
import { deserializeError, type AutoresetStepInfo, type Reply, type Request, type SpacesInfo } from "./protocol";
import { Box, Dict, MultiDiscrete } from "../spaces";

export interface VectorEnvOptions {
  /** Number of sub-environments (one Worker each). */
  numEnvs: number;
  /** Options of every sub-environment (see Env), or one per sub-environment (e.g. different clips of the
   * same size: all must have the same superblock grid and action levels). */
  env?: EnvOptions | EnvOptions[];
  /**
   * Pin worker i (and the encoder threads it starts) to CPU i mod (CPUs this process may use), so
   * sub-environments do not migrate between cores. Default off: on an idle 2-core machine it gained ~1%
   * (1.46x vs 1.44x for 2 workers), and on a shared machine a pinned worker cannot move off a busy core.
   */
  pin?: boolean;
}

export interface BatchObservation {
  /** [numEnvs, sbRows, sbCols, F]. */
  superblocks: Float32Array;
  /** [numEnvs, G]. */
  frame: Float32Array;
}

export type VectorStepResult = [
  obs: BatchObservation,
  rewards: Float64Array,
  terminated: boolean[],
  truncated: boolean[],
  infos: AutoresetStepInfo[],
];

type NoId<R> = R extends unknown ? Omit<R, "id"> : never;

class WorkerLink {
  private worker: Worker;
  private nextId = 1;
  private pending: { id: number; resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  dead: Error | null = null;

  constructor(readonly index: number) {
    this.worker = new Worker(new URL("./worker.ts", import.meta.url));
    this.worker.onmessage = (ev: MessageEvent<Reply>) => {
      const p = this.pending;
      if (!p || ev.data.id !== p.id) return;
      this.pending = null;
      if (ev.data.type === "error") p.reject(deserializeError(ev.data.error, `sub-environment ${this.index}`));
      else p.resolve(ev.data);
    };
    const fail = (why: string) => {
      this.dead = new StateError(`sub-environment ${this.index}'s worker ${why}`);
      const p = this.pending;
      this.pending = null;
      p?.reject(this.dead);
    };
    this.worker.onerror = (ev) => fail(`failed: ${(ev as ErrorEvent).message ?? "error"}`);
    this.worker.addEventListener("close", () => fail("exited"));
  }

  call<T extends Request["type"]>(req: Extract<NoId<Request>, { type: T }>, transfer: ArrayBuffer[] = []): Promise<Extract<Reply, { type: T }>> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending) return Promise.reject(new StateError(`sub-environment ${this.index} is busy (await the previous call)`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve: resolve as (r: Reply) => void, reject };
      this.worker.postMessage({ ...req, id } as Request, transfer);
    });
  }

  terminate(): void {
    this.dead ??= new StateError(`sub-environment ${this.index} is closed`);
    this.worker.terminate();
  }
}

export class VectorEnv {
  readonly numEnvs: number;
  readonly sbRows: number;
  readonly sbCols: number;
  readonly actionLevels: readonly number[];
  /** One sub-environment's spaces. */
  readonly singleActionSpace: MultiDiscrete;
  readonly singleObservationSpace: Dict<{ superblocks: Box; frame: Box }>;
  /** Batched spaces: [numEnvs, ...]. */
  readonly actionSpace: MultiDiscrete;
  readonly observationSpace: Dict<{ superblocks: Box; frame: Box }>;

  private links: WorkerLink[];
  private closed = false;
  private busy = false;
  private readonly nSb: number;

  private constructor(links: WorkerLink[], s: SpacesInfo) {
    this.links = links;
    this.numEnvs = links.length;
    this.sbRows = s.sbRows;
    this.sbCols = s.sbCols;
    this.nSb = s.sbRows * s.sbCols;
    this.actionLevels = Object.freeze([...s.actionLevels]);
    const n = this.numEnvs;
    this.singleActionSpace = new MultiDiscrete(new Array(this.nSb).fill(s.numLevels), [s.sbRows, s.sbCols]);
    this.singleObservationSpace = new Dict({
      superblocks: new Box({ low: s.sbLow, high: s.sbHigh, shape: [s.sbRows, s.sbCols, SB_F] }),
      frame: new Box({ low: s.frameLow, high: s.frameHigh, shape: [FRAME_G] }),
    });
    this.actionSpace = new MultiDiscrete(new Array(n * this.nSb).fill(s.numLevels), [n, s.sbRows, s.sbCols]);
    const rep = (a: Float64Array) => {
      const out = new Float64Array(a.length * n);
      for (let i = 0; i < n; i++) out.set(a, i * a.length);
      return out;
    };
    this.observationSpace = new Dict({
      superblocks: new Box({ low: rep(s.sbLow), high: rep(s.sbHigh), shape: [n, s.sbRows, s.sbCols, SB_F] }),
      frame: new Box({ low: rep(s.frameLow), high: rep(s.frameHigh), shape: [n, FRAME_G] }),
    });
  }

  /** Starts `numEnvs` workers, each with an Env built from `env`. Rejects (and stops them) if any fails. */
  static async create(options: VectorEnvOptions): Promise<VectorEnv> {
    const n = options?.numEnvs;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`numEnvs must be an integer in 1..64, got ${n}`);
    const perEnv = Array.isArray(options.env) ? options.env : new Array<EnvOptions>(n).fill(options.env ?? {});
    if (perEnv.length !== n) throw new InvalidArgumentError(`VectorEnv: env has ${perEnv.length} option objects for ${n} sub-environments`);
    try {
      structuredClone(perEnv);
    } catch {
      throw new InvalidArgumentError(
        "VectorEnv: env options must be structured-cloneable (a source path or { synth }, not a VideoReader; a distortion name, not an object)",
      );
    }
    const links = Array.from({ length: n }, (_, i) => new WorkerLink(i));
    try {
      const cpus = native().ag_env_cpu_count();
      const pin = options.pin ?? false;
      const replies = await Promise.all(
        links.map((l, i) => l.call({ type: "init", options: withEnvIndex(perEnv[i]!, i), cpu: pin ? i % cpus : null })),
      );
      const s0 = replies[0]!.spaces;
      replies.forEach((r, i) => {
        const s = r.spaces;
        if (s.sbRows !== s0.sbRows || s.sbCols !== s0.sbCols || s.actionLevels.join() !== s0.actionLevels.join())
          throw new InvalidArgumentError(
            `VectorEnv: sub-environment ${i} has ${s.sbCols}x${s.sbRows} superblocks and levels [${s.actionLevels}], sub-environment 0 ${s0.sbCols}x${s0.sbRows} and [${s0.actionLevels}]: batches need the same shapes`,
          );
      });
      return new VectorEnv(links, s0);
    } catch (e) {
      for (const l of links) l.terminate();
      throw e;
    }
  }

  /** Resets every sub-environment; with a seed, env i gets seed + i. */
  async reset(args: { seed?: number; options?: { start?: number; maxFrames?: number } } = {}): Promise<[BatchObservation, ResetInfo[]]> {
    this.enter();
    try {
      const { seed, options } = args ?? {};
      if (seed !== undefined && !Number.isSafeInteger(seed)) throw new InvalidArgumentError(`reset: seed must be a safe integer, got ${seed}`);
      const replies = await Promise.all(this.links.map((l, i) => l.call({ type: "reset", seed: seed === undefined ? undefined : seed + i, options })));
      return [this.stack(replies.map((r) => r.obs)), replies.map((r) => r.info)];
    } finally {
      this.busy = false;
    }
  }

  /**
   * Steps every sub-environment with its action: a flat integer array / Int8Array / Uint8Array of
   * numEnvs * sbRows * sbCols level indices (env-major), or an array of numEnvs per-env actions. All
   * actions are checked before any is sent, so an invalid one changes nothing.
   */
  async step(actions: ArrayLike<number> | ArrayLike<ArrayLike<number>>): Promise<VectorStepResult> {
    this.enter();
    try {
      const per = this.splitActions(actions);
      const replies = await Promise.all(this.links.map((l, i) => l.call({ type: "step", action: per[i]! }, [per[i]!.buffer as ArrayBuffer])));
      const rewards = new Float64Array(this.numEnvs);
      const terminated: boolean[] = [];
      const truncated: boolean[] = [];
      replies.forEach((r, i) => {
        rewards[i] = r.reward;
        terminated.push(r.terminated);
        truncated.push(r.truncated);
      });
      return [this.stack(replies.map((r) => r.obs)), rewards, terminated, truncated, replies.map((r) => r.info)];
    } finally {
      this.busy = false;
    }
  }

  /** Closes every sub-environment and stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.links.map((l) => l.call({ type: "close" })));
    for (const l of this.links) l.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private enter(): void {
    if (this.closed) throw new StateError("the VectorEnv is closed");
    if (this.busy) throw new StateError("the VectorEnv is busy: await the previous reset()/step() first");
    this.busy = true;
  }

  private splitActions(actions: unknown): Int8Array[] {
    const n = this.numEnvs;
    const nSb = this.nSb;
    const shape = [this.sbRows, this.sbCols];
    const L = this.actionLevels.length;
    if (Array.isArray(actions) && actions.length === n && actions.every((a) => typeof a === "object" && a !== null)) {
      return actions.map((a, i) => {
        const out = new Int8Array(nSb);
        try {
          decodeAction(a, L, out, shape);
        } catch (e) {
          throw new InvalidArgumentError(`actions[${i}]: ${(e as Error).message}`);
        }
        return out;
      });
    }
    const flat = new Int8Array(n * nSb);
    try {
      decodeAction(actions, L, flat, [n, ...shape]);
    } catch (e) {
      throw new InvalidArgumentError(`VectorEnv.step: ${(e as Error).message} (or pass an array of ${n} per-env actions)`);
    }
    return Array.from({ length: n }, (_, i) => flat.slice(i * nSb, (i + 1) * nSb));
  }

  private stack(obs: Observation[]): BatchObservation {
    const sbLen = this.nSb * SB_F;
    const superblocks = new Float32Array(this.numEnvs * sbLen);
    const frame = new Float32Array(this.numEnvs * FRAME_G);
    obs.forEach((o, i) => {
      superblocks.set(o.superblocks, i * sbLen);
      frame.set(o.frame, i * FRAME_G);
    });
    return { superblocks, frame };
  }
}

/** `{env}` in a recording path becomes the environment's index, so N workers write N files. */
function withEnvIndex(o: EnvOptions, i: number): EnvOptions {
  return typeof o?.record === "string" ? { ...o, record: o.record.replaceAll("{env}", String(i)) } : o;
}
