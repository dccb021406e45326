/**
 * The only place that loads the native libraries. Their symbols come from ./abi.ts (generated from
 * lib/include/av1gym.h); the rest of src/ calls `native().*` (or `metricsNative().*`) through the helpers here,
 * which turn C return codes into typed errors.
 *
 * Two libraries are built from lib/ (scripts/build-svt.sh): libav1gym.so, the whole C API, and
 * libav1gym_metrics.so, the same objects of lib/metrics and the libav-free part of lib/core, linked without libav
 * or SVT-AV1. The metric modules (src/metrics/) use only the second, so scoring raw or Y4M files never loads the
 * ~140 shared objects that libav and SVT-AV1 bring (measured: about 100 ms of start-up and 25 MB of RSS). Each
 * library keeps its own last-error state, so each has its own check helpers.
 */
import { dlopen, type FFIFunction, type Pointer } from "bun:ffi";
import { errorFromCode, NativeLibraryError } from "../core/errors";
// no node:fs or node:path here (nor on the rest of the scoring path): see src/core/paths.ts
import { joinPath, parentDir } from "../core/paths";
import { ABI_VERSION, SYMBOLS } from "./abi";

const ROOT = parentDir(import.meta.dir, 2);
export const LIBRARY_PATH = process.env.AV1GYM_LIB ?? joinPath(ROOT, "lib", "build", "libav1gym.so");
/** Beside LIBRARY_PATH (so AV1GYM_LIB pointing at the sanitized build takes its metrics library too). */
export const METRICS_LIBRARY_PATH = joinPath(parentDir(LIBRARY_PATH), "libav1gym_metrics.so");
const BUILD_HINT = "build it with `bash scripts/build-svt.sh` (or just `bun run test` / `bun run demo`, which build it)";

/** The functions of libav1gym_metrics.so (scripts/build-svt.sh links lib/metrics and core's error/file/samples/threads). */
const METRICS_NAMES = [
  "ag_last_error", "ag_last_error_code", "ag_abi_version", "ag_file_open", "ag_file_size", "ag_file_read",
  "ag_file_close", "ag_newer_source", "ag_metrics_set_simd", "ag_metrics_simd",
  "ag_psnr", "ag_ssim", "ag_ms_ssim", "ag_vmaf_new", "ag_vmaf_free", "ag_vmaf_features", "ag_vmaf_set_prev",
  "ag_vmaf_queue_depth", "ag_vmaf_submit", "ag_vmaf_collect",
  "ag_vmaf_model_new", "ag_vmaf_model_free", "ag_vmaf_model_predict",
] as const satisfies readonly (keyof typeof SYMBOLS)[];
export const METRICS_SYMBOLS = Object.fromEntries(METRICS_NAMES.map((n) => [n, SYMBOLS[n]])) as Pick<typeof SYMBOLS, (typeof METRICS_NAMES)[number]>;

/** The C sources a library is built from, as folders (and files) below lib/: a newer one makes it stale. */
const SOURCES = { full: ["."], metrics: ["core", "metrics", "include", "internal.h"] };
/** A NUL-terminated UTF-8 copy of `s`, for a `const char *` argument. */
export const cString = (s: string) => new TextEncoder().encode(`${s}\0`);

/** Why the loaded library at `path` is stale (a source in lib/ is newer), or null. Asked of the library itself
 * (lib/core/file.c), as listing folders here would need node:fs. */
function staleReason(path: string, newerSource: (dir: Uint8Array, rels: Uint8Array, ms: number, out: Uint8Array, len: number) => number, sources: string[]): string | null {
  if (process.env.AV1GYM_LIB) return null;
  const out = new Uint8Array(1024);
  // lastModified is whole ms: + 1 so that a source written in the build's last millisecond is not "newer"
  const built = Bun.file(path).lastModified + 1;
  if (newerSource(cString(joinPath(ROOT, "lib")), cString(sources.join(":")), built, out, out.length) <= 0) return null;
  return `the native library ${path} is older than lib/${new TextDecoder().decode(out.subarray(0, out.indexOf(0)))}`;
}

function load<S extends Record<string, FFIFunction>>(path: string, symbols: S, sources: string[]) {
  // Bun.file: a stat without node:fs (an empty file is no library either)
  if (Bun.file(path).size === 0) throw new NativeLibraryError(`the native library ${path} does not exist; ${BUILD_HINT}`);
  let lib;
  try {
    lib = dlopen(path, symbols);
  } catch (e) {
    throw new NativeLibraryError(`could not load ${path}: ${(e as Error).message}; ${BUILD_HINT}`, { cause: e });
  }
  const fns = lib.symbols as unknown as { ag_abi_version: () => number; ag_newer_source: Parameters<typeof staleReason>[1] };
  const abi = fns.ag_abi_version();
  const bad = abi !== ABI_VERSION ? `${path} has ABI ${abi}, this code expects ${ABI_VERSION}` : staleReason(path, fns.ag_newer_source, sources);
  if (bad) {
    lib.close();
    throw new NativeLibraryError(`${bad}; ${BUILD_HINT}`);
  }
  return lib;
}

const loadFull = () => load(LIBRARY_PATH, SYMBOLS, SOURCES.full);
const loadMetrics = () => load(METRICS_LIBRARY_PATH, METRICS_SYMBOLS, SOURCES.metrics);
let loaded: ReturnType<typeof loadFull> | undefined;
let loadedMetrics: ReturnType<typeof loadMetrics> | undefined;

/** The loaded library (loaded on first use, so importing av1gym never fails by itself). */
export function native(): ReturnType<typeof loadFull>["symbols"] {
  loaded ??= loadFull();
  return loaded.symbols;
}

/** The metrics-only library (loaded on first use; it does not load libav or SVT-AV1). */
export function metricsNative(): ReturnType<typeof loadMetrics>["symbols"] {
  loadedMetrics ??= loadMetrics();
  return loadedMetrics.symbols;
}

interface ErrorSource {
  ag_last_error(): unknown;
  ag_last_error_code(): number;
}

/** The check helpers over one library's per-thread last error. */
function checks(lib: () => ErrorSource) {
  const lastError = (): string => String(lib().ag_last_error());
  return {
    lastError,
    /** Throws the typed error for a negative return code; returns non-negative codes unchanged. */
    check(rc: number, context?: string): number {
      if (rc >= 0) return rc;
      const msg = lastError() || "unknown native error";
      throw errorFromCode(rc, context ? `${context}: ${msg}` : msg);
    },
    /** Throws the typed error left by a native call that returned a null handle. */
    checkHandle(h: Pointer | null, context?: string): Pointer {
      if (h) return h;
      const msg = lastError() || "unknown native error";
      const code = lib().ag_last_error_code();
      throw errorFromCode(code, context ? `${context}: ${msg}` : msg);
    },
  };
}

/** libav1gym.so's: the calling thread's last native error message, and the checks of its return codes. */
export const { lastError, check, checkHandle } = checks(native);
/** The same for libav1gym_metrics.so (its own last-error state). */
export const metricsChecks = checks(metricsNative);
