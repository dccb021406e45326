/**
 * Gymnasium-shaped spaces: what an action or an observation may be. Each has a `shape`, a `dtype`,
 * `sample()`, `seed(n)` and `contains(x)`. Multi-dimensional values are flat typed arrays in row-major order
 * with `shape` saying how to read them (as Gymnasium's numpy arrays would be laid out).
 *
 * As in Gymnasium, every space owns a generator: `sample()` draws from it, `seed(n)` makes it reproducible,
 * and until then it is seeded once, lazily, from the system's entropy (never from the clock: generators
 * seeded per call from Date.now() returned the same action for back-to-back calls). `sample(rng)` draws from
 * the caller's generator instead and leaves the space's own untouched.
 */
import { InvalidArgumentError } from "../core/errors";
import { Rng } from "../core/rng";

export type Dtype = "float32" | "float64" | "int8" | "uint8" | "int32";

export interface Space<T = unknown> {
  readonly kind: string;
  readonly shape: readonly number[];
  readonly dtype: Dtype | "dict";
  /** A random element: from `rng` when given, else from the space's own generator (see `seed`). */
  sample(rng?: Rng): T;
  /** Seeds the space's own generator (a safe integer; omitted: fresh entropy). Returns the seed used. */
  seed(seed?: number): number;
  contains(x: unknown): boolean;
}

/** A seed from the system's entropy (53 bits), for generators nobody seeded. */
export function entropySeed(): number {
  const w = crypto.getRandomValues(new Uint32Array(2));
  return (w[0]! & 0x1fffff) * 0x100000000 + w[1]!;
}

/** The generator every space owns: created on first use, replaced by `seed(n)`. */
abstract class SeededSpace<T> implements Space<T> {
  abstract readonly kind: string;
  abstract readonly shape: readonly number[];
  abstract readonly dtype: Dtype | "dict";
  abstract contains(x: unknown): boolean;
  protected abstract draw(rng: Rng): T;
  private own: Rng | null = null;

  sample(rng?: Rng): T {
    if (rng !== undefined && !(rng instanceof Rng)) throw new InvalidArgumentError(`${this.kind}.sample: rng must be an Rng, got ${typeof rng}`);
    return this.draw(rng ?? (this.own ??= new Rng(entropySeed())));
  }

  seed(seed?: number): number {
    const s = seed ?? entropySeed();
    this.own = new Rng(s); // Rng checks that s is a safe integer
    return s;
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new InvalidArgumentError(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
}

const FLOAT_CTORS = { float32: Float32Array, float64: Float64Array } as const;

/** A box of real numbers: every element between low[i] and high[i] (±Infinity allowed). */
/** The typed array a Box of dtype D holds. */
export type FloatArrayOf<D extends "float32" | "float64"> = D extends "float64" ? Float64Array : Float32Array;

export class Box<D extends "float32" | "float64" = "float32"> extends SeededSpace<FloatArrayOf<D>> {
  readonly kind = "Box";
  readonly shape: readonly number[];
  readonly dtype: D;
  readonly low: Float64Array;
  readonly high: Float64Array;

  constructor(opts: { low: number | ArrayLike<number>; high: number | ArrayLike<number>; shape: readonly number[]; dtype?: D }) {
    super();
    checkShape(opts.shape);
    this.shape = Object.freeze([...opts.shape]);
    this.dtype = opts.dtype ?? ("float32" as D);
    const n = shapeSize(this.shape);
    this.low = expand(opts.low, n, "low");
    this.high = expand(opts.high, n, "high");
    for (let i = 0; i < n; i++)
      if (!(this.low[i]! <= this.high[i]!)) throw new InvalidArgumentError(`Box: low[${i}]=${this.low[i]} > high[${i}]=${this.high[i]}`);
  }

  /** Uniform inside bounded dimensions; normal / shifted exponential where a side is unbounded. */
  protected draw(rng: Rng): FloatArrayOf<D> {
    const out = new FLOAT_CTORS[this.dtype](this.low.length) as FloatArrayOf<D>;
    for (let i = 0; i < out.length; i++) {
      const lo = this.low[i]!;
      const hi = this.high[i]!;
      const fl = Number.isFinite(lo);
      const fh = Number.isFinite(hi);
      if (fl && fh) out[i] = lo + (hi - lo) * rng.float();
      else if (fl) out[i] = lo - Math.log(1 - rng.float());
      else if (fh) out[i] = hi + Math.log(1 - rng.float());
      else out[i] = rng.normal();
      if (out[i]! > hi) out[i] = hi; // float32 rounding
      if (out[i]! < lo) out[i] = lo;
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!(x instanceof FLOAT_CTORS[this.dtype]) || x.length !== this.low.length) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (Number.isNaN(v) || v < this.low[i]! || v > this.high[i]!) return false;
    }
    return true;
  }
}

function expand(v: number | ArrayLike<number>, n: number, name: string): Float64Array {
  if (typeof v === "number") {
    if (Number.isNaN(v)) throw new InvalidArgumentError(`Box: ${name} is NaN`);
    return new Float64Array(n).fill(v);
  }
  if (v.length !== n) throw new InvalidArgumentError(`Box: ${name} has ${v.length} elements, shape needs ${n}`);
  return Float64Array.from(v);
}

/** One integer choice in [0, n). */
export class Discrete extends SeededSpace<number> {
  readonly kind = "Discrete";
  readonly shape: readonly number[] = Object.freeze([]);
  readonly dtype = "int32" as const;
  constructor(readonly n: number) {
    super();
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`Discrete: n must be a positive integer, got ${n}`);
  }
  protected draw(rng: Rng): number {
    return rng.int(this.n);
  }
  contains(x: unknown): boolean {
    return typeof x === "number" && Number.isInteger(x) && x >= 0 && x < this.n;
  }
}

/**
 * Several independent integer choices, element i in [0, nvec[i]); here one per superblock. Samples are
 * Int8Array (n <= 127); `contains` also accepts Uint8Array and plain integer arrays of the right length.
 */
export class MultiDiscrete extends SeededSpace<Int8Array> {
  readonly kind = "MultiDiscrete";
  readonly shape: readonly number[];
  readonly dtype = "int8" as const;
  readonly nvec: Int32Array;

  constructor(nvec: ArrayLike<number>, shape?: readonly number[]) {
    super();
    this.nvec = Int32Array.from(nvec);
    for (const n of this.nvec)
      if (n <= 0 || n > 127) throw new InvalidArgumentError(`MultiDiscrete: every n must be in 1..127, got ${n}`);
    this.shape = Object.freeze(shape ? [...shape] : [this.nvec.length]);
    checkShape(this.shape);
    if (shapeSize(this.shape) !== this.nvec.length)
      throw new InvalidArgumentError(`MultiDiscrete: shape ${JSON.stringify(shape)} does not hold ${this.nvec.length} elements`);
  }

  protected draw(rng: Rng): Int8Array {
    const out = new Int8Array(this.nvec.length);
    for (let i = 0; i < out.length; i++) out[i] = rng.int(this.nvec[i]!);
    return out;
  }

  contains(x: unknown): boolean {
    if (!(x instanceof Int8Array || x instanceof Uint8Array || Array.isArray(x))) return false;
    if (x.length !== this.nvec.length) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= this.nvec[i]!) return false;
    }
    return true;
  }
}

/** A record of named sub-spaces; values are plain objects with the same keys. Its own generator (when no rng
 * is passed) feeds every sub-space, so `seed(n)` on the Dict makes the whole sample reproducible. */
export class Dict<S extends Record<string, Space>> extends SeededSpace<{ [K in keyof S]: ReturnType<S[K]["sample"]> }> {
  readonly kind = "Dict";
  readonly shape: readonly number[] = Object.freeze([]);
  readonly dtype = "dict" as const;
  constructor(readonly spaces: S) {
    super();
  }

  protected draw(rng: Rng): { [K in keyof S]: ReturnType<S[K]["sample"]> } {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(this.spaces)) out[k] = this.spaces[k]!.sample(rng);
    return out as { [K in keyof S]: ReturnType<S[K]["sample"]> };
  }

  contains(x: unknown): boolean {
    if (x === null || typeof x !== "object") return false;
    const keys = Object.keys(this.spaces);
    if (Object.keys(x).length !== keys.length) return false;
    return keys.every((k) => k in x && this.spaces[k]!.contains((x as Record<string, unknown>)[k]));
  }
}
