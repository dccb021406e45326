/**
 * Typed errors. Every error av1gym throws is an `Av1GymError` with a `code`; subclasses exist where a caller
 * would branch on them. Codes mirror the C shim's return codes (lib/av1gym.h).
 */

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

/** Native return codes (lib/av1gym.h). */
export const AG = {
  OK: 0,
  E_INVALID: -1,
  E_IO: -2,
  E_FORMAT: -3,
  E_RANGE: -4,
  E_ENCODER: -5,
  E_NOMEM: -6,
  E_CALLBACK: -7,
  E_STATE: -8,
  E_EOF: -9,
} as const;

/** Turns a negative native return code and its message into the matching typed error. */
export function errorFromCode(code: number, message: string): Av1GymError {
  switch (code) {
    case AG.E_INVALID:
      return new InvalidArgumentError(message);
    case AG.E_IO:
      return new FileError(message);
    case AG.E_FORMAT:
      return new FormatError(message);
    case AG.E_RANGE:
      return new OutOfRangeError(message);
    case AG.E_ENCODER:
      return new EncoderError(message);
    case AG.E_NOMEM:
      return new Av1GymError("NO_MEMORY", message);
    case AG.E_CALLBACK:
      return new CallbackError(message);
    case AG.E_STATE:
      return new StateError(message);
    default:
      return new Av1GymError("FORMAT", `${message} (native code ${code})`);
  }
}

/** `step()` was called after the episode ended (terminated or truncated): call `reset()` first. */
export class EpisodeEndedError extends Av1GymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("END_OF_EPISODE", message, options);
  }
}

/** `checkEnv` found an environment breaking the contract; `problems` lists every finding. */
export class EnvCheckError extends Av1GymError {
  constructor(readonly problems: readonly string[]) {
    super("ENV_CHECK", `the environment breaks the Env contract:\n- ${problems.join("\n- ")}`);
  }
}
