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
import { existsSync, statSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { errorFromCode, NativeLibraryError } from "../core/errors";
import { ABI_VERSION, SYMBOLS } from "./abi";

const ROOT = resolve(import.meta.dir, "..", "..");
export const LIBRARY_PATH = process.env.AV1GYM_LIB ?? join(ROOT, "lib", "build", "libav1gym.so");
/** Beside LIBRARY_PATH (so AV1GYM_LIB pointing at the sanitized build takes its metrics library too). */
export const METRICS_LIBRARY_PATH = join(dirname(LIBRARY_PATH), "libav1gym_metrics.so");
const BUILD_HINT = "build it with `bash scripts/build-svt.sh` (or just `bun run test` / `bun run demo`, which build it)";

/** The functions of libav1gym_metrics.so (scripts/build-svt.sh links lib/metrics and core's error/samples/threads). */
const METRICS_NAMES = [
  "ag_last_error", "ag_last_error_code", "ag_abi_version", "ag_metrics_set_simd", "ag_metrics_simd",
  "ag_psnr", "ag_ssim", "ag_ms_ssim", "ag_vmaf_new", "ag_vmaf_free", "ag_vmaf_features", "ag_vmaf_set_prev",
  "ag_vmaf_queue_depth", "ag_vmaf_submit", "ag_vmaf_collect",
  "ag_vmaf_model_new", "ag_vmaf_model_free", "ag_vmaf_model_predict",
] as const satisfies readonly (keyof typeof SYMBOLS)[];
export const METRICS_SYMBOLS = Object.fromEntries(METRICS_NAMES.map((n) => [n, SYMBOLS[n]])) as Pick<typeof SYMBOLS, (typeof METRICS_NAMES)[number]>;

/** The C sources a library is built from, as folders (and files) below lib/: a newer one makes it stale. */
const SOURCES = { full: ["."], metrics: ["core", "metrics", "include", "internal.h"] };

function staleReason(path: string, sources: string[]): string | null {
  if (!existsSync(path)) return `the native library ${path} does not exist`;
  if (process.env.AV1GYM_LIB) return null;
  const built = statSync(path).mtimeMs;
  const libDir = join(ROOT, "lib");
  const newer = (rel: string): string | null => {
    const full = join(libDir, rel);
    const st = statSync(full);
    if (!st.isDirectory()) return (rel.endsWith(".c") || rel.endsWith(".h")) && st.mtimeMs > built ? rel : null;
    for (const f of readdirSync(full)) {
      if (rel === "." && f === "build") continue; // the build output, not a source
      const hit = newer(rel === "." ? f : join(rel, f));
      if (hit) return hit;
    }
    return null;
  };
  for (const s of sources) {
    const hit = existsSync(join(libDir, s)) ? newer(s) : null;
    if (hit) return `the native library ${path} is older than lib/${hit}`;
  }
  return null;
}

function load<S extends Record<string, FFIFunction>>(path: string, symbols: S, sources: string[]) {
  const stale = staleReason(path, sources);
  if (stale) throw new NativeLibraryError(`${stale}; ${BUILD_HINT}`);
  let lib;
  try {
    lib = dlopen(path, symbols);
  } catch (e) {
    throw new NativeLibraryError(`could not load ${path}: ${(e as Error).message}; ${BUILD_HINT}`, { cause: e });
  }
  const abi = (lib.symbols as unknown as { ag_abi_version: () => number }).ag_abi_version();
  if (abi !== ABI_VERSION) {
    lib.close();
    throw new NativeLibraryError(`${path} has ABI ${abi}, this code expects ${ABI_VERSION}; ${BUILD_HINT}`);
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
