/**
 * Action checking and decoding. An action is one level index per superblock (row-major); each index picks
 * a qindex offset from `actionLevels`. Everything is checked before anything is encoded, so a bad action
 * leaves the episode exactly as it was.
 */
import { MAX_OFFSET_SEGMENTS } from "../codec/av1_encoder";
import { InvalidArgumentError } from "../core/errors";

/** Seven offsets -24..+24 in steps of 8 (qindex units, 0..255 scale). */
export const DEFAULT_ACTION_LEVELS: readonly number[] = Object.freeze([-24, -16, -8, 0, 8, 16, 24]);

/** AV1 segmentation allows 8 segments, so at most 8 distinct offsets per frame: the encoder's own limit. */
export const MAX_ACTION_LEVELS = MAX_OFFSET_SEGMENTS;

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array] as const;

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of ${(x as unknown as ArrayLike<number>).length}`;
  return typeof x;
}

/**
 * Checks `action` (integer array or Int8/Uint8/... typed array, one index per superblock) and writes the
 * level indices into `out` (length = number of superblocks). Throws InvalidArgumentError naming the first
 * problem; `out` may be partly written then, so pass a scratch buffer, not live state.
 */
export function decodeAction(action: unknown, nLevels: number, out: Int8Array, shape: readonly number[]): void {
  const n = out.length;
  const isIntArray = INTEGER_ARRAYS.some((C) => action instanceof C);
  if (!isIntArray && !Array.isArray(action)) {
    const floatHint = action instanceof Float32Array || action instanceof Float64Array ? " (float arrays are not accepted: indices must be integers)" : "";
    throw new InvalidArgumentError(
      `action must be an integer array or Int8Array/Uint8Array with one level index per superblock (${n} = ${shape.join("x")}), got ${describe(action)}${floatHint}`,
    );
  }
  const a = action as ArrayLike<unknown>;
  if (a.length !== n)
    throw new InvalidArgumentError(`action has ${a.length} elements; expected ${n} (one per superblock, ${shape.join("x")} row-major)`);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= nLevels) {
      const what = typeof v !== "number" ? `a ${typeof v}` : Number.isNaN(v) ? "NaN" : !Number.isInteger(v) ? `non-integer ${v}` : `${v}, out of range`;
      throw new InvalidArgumentError(`action[${i}] is ${what}; each element must be an integer level index in 0..${nLevels - 1}`);
    }
    out[i] = v;
  }
}

/** Level indices → qindex offsets for the encoder (Int16Array, reused). */
export function levelsToOffsets(indices: Int8Array, levels: readonly number[], out: Int16Array): Int16Array {
  for (let i = 0; i < indices.length; i++) out[i] = levels[indices[i]!]!;
  return out;
}
