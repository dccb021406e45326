/**
 * Typed errors. Every error av1gym throws is an `Av1GymError` with a `code`; subclasses exist where a caller
 * would branch on them. `errorFromCode` is the one table from the C shim's status codes (AG_E_* in
 * lib/include/av1gym.h, generated into src/native/abi.ts) to these classes.
 */
import { AG } from "../native/abi";

export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "IO"
  | "FORMAT"
  | "RANGE"
  | "ENCODER"
  | "NO_MEMORY"
  | "CALLBACK"
  | "STATE"
  | "NATIVE_LIBRARY"
  | "END_OF_STREAM"
  | "INTERNAL"
  | "END_OF_EPISODE"
  | "ENV_CHECK";

export class Av1GymError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option object or argument is invalid (wrong shape, type, range, NaN...). Nothing was changed. */
export class InvalidArgumentError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", message, options);
  }
}

/** A path does not exist, is a directory, or cannot be read or written. */
export class FileError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("IO", message, options);
  }
}

/** The data is corrupt, truncated or in a format that cannot be handled. */
export class FormatError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("FORMAT", message, options);
  }
}

/** A frame index or timestamp lies outside the file. */
export class OutOfRangeError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RANGE", message, options);
  }
}

/** One timestamp `framesAt` could not serve: what was asked, and the nearest frame the file has. */
export interface TimestampProblem {
  /** Position of the timestamp in the query list. */
  query: number;
  requested: number;
  /** Time (s) of the nearest frame, when the request was a number at all. */
  nearest?: number;
  reason: string;
}

/** Some requested timestamps have no frame within the tolerance; `problems` lists every one of them. */
export class FrameTimestampError extends OutOfRangeError {
  readonly problems: readonly TimestampProblem[];
  constructor(problems: TimestampProblem[], toleranceS: number) {
    const shown = problems.slice(0, 10).map((p) => `#${p.query} ${p.requested} s: ${p.reason}`);
    super(
      `${problems.length} timestamp(s) have no frame within ${toleranceS} s: ${shown.join("; ")}${problems.length > 10 ? `; and ${problems.length - 10} more (see .problems)` : ""}`,
    );
    this.problems = problems;
  }
}

/** SVT-AV1 (or libavcodec) refused a configuration or failed to encode. */
export class EncoderError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ENCODER", message, options);
  }
}

/** A user callback (e.g. the delta-QP hook) threw; the original error is the `cause`. */
export class CallbackError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CALLBACK", message, options);
  }
}

/** The object is closed, or the call is not valid in its current state. */
export class StateError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STATE", message, options);
  }
}

/** The native library is missing, stale or could not be loaded. The message says how to build it. */
export class NativeLibraryError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NATIVE_LIBRARY", message, options);
  }
}

/** Out of memory in the native library. */
export class OutOfMemoryError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NO_MEMORY", message, options);
  }
}

/** There is no more data (a stream or file ended where more was asked for). */
export class EndOfStreamError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("END_OF_STREAM", message, options);
  }
}

/** A status the native library should never return (a bug in av1gym, or a library built from another header). */
export class InternalError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INTERNAL", message, options);
  }
}

type ErrorClass = new (message: string, options?: { cause?: unknown }) => Av1GymError;

/** C status code (AG_E_*) -> error class: the only such table. */
const NATIVE_ERRORS: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [AG.E_INVALID, InvalidArgumentError],
  [AG.E_IO, FileError],
  [AG.E_FORMAT, FormatError],
  [AG.E_RANGE, OutOfRangeError],
  [AG.E_ENCODER, EncoderError],
  [AG.E_NOMEM, OutOfMemoryError],
  [AG.E_CALLBACK, CallbackError],
  [AG.E_STATE, StateError],
  [AG.E_EOF, EndOfStreamError],
]);

/** Turns a negative native return code and its message into the matching typed error. */
export function errorFromCode(code: number, message: string): Av1GymError {
  const Cls = NATIVE_ERRORS.get(code);
  return Cls ? new Cls(message) : new InternalError(`${message} (unknown native status ${code})`);
}

/** `step()` was called after the episode ended (terminated or truncated): call `reset()` first. */
export class EpisodeEndedError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("END_OF_EPISODE", message, options);
  }
}

/** Why a Bjøntegaard delta could not be computed (src/metrics/bdrate.ts). */
export type BdRateFailure = "too-few-points" | "non-monotonic" | "too-little-overlap" | "invalid-point";

/** bdRate / bdMetric were given curves they cannot compare; `reason` says which check failed. */
export class BdRateError extends InvalidArgumentError {
  readonly reason: BdRateFailure;
  constructor(reason: BdRateFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** `checkEnv` found an environment breaking the contract; `problems` lists every finding. */
export class EnvCheckError extends Av1GymError {
  constructor(readonly problems: readonly string[]) {
    super("ENV_CHECK", `the environment breaks the Env contract:\n- ${problems.join("\n- ")}`);
  }
}
