/**
 * The only place that loads the native library and lists its symbols. Each concern (reader, encoder,
 * metrics) has its own block in `symbols`; the rest of src/ calls `native.symbols.*` through the helpers
 * here, which turn C return codes into typed errors.
 */
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { existsSync, statSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { errorFromCode, NativeLibraryError } from "../core/errors";

/** Must equal AG_ABI_VERSION in lib/core/error.c. */
const ABI_VERSION = 1;

const ROOT = resolve(import.meta.dir, "..", "..");
export const LIBRARY_PATH = process.env.AV1GYM_LIB ?? join(ROOT, "lib", "build", "libav1gym.so");
const BUILD_HINT = "build it with `bash scripts/build-svt.sh` (or just `bun run test` / `bun run demo`, which build it)";

// Short names for the symbol table below.
const { ptr, i32, u32, i64, u64, f64, f32, cstring, bool, void: void_ } = FFIType;

const symbols = {
  // --- common (lib/core/error.c) ---
  ag_last_error: { args: [], returns: cstring },
  ag_abi_version: { args: [], returns: i32 },
  ag_last_error_code: { args: [], returns: i32 },
  // --- end common ---

  // --- reader (lib/io/reader.c) ---
  ag_reader_open: { args: [ptr, i32, i32, ptr, i32, i32, i32, i32, i32, i32], returns: ptr },
  ag_reader_close: { args: [ptr], returns: void_ },
  ag_reader_info: { args: [ptr, ptr, i32], returns: i32 },
  ag_reader_duration: { args: [ptr], returns: f64 },
  ag_reader_codec: { args: [ptr], returns: cstring },
  ag_reader_pixfmt: { args: [ptr], returns: cstring },
  ag_reader_timestamps: { args: [ptr, ptr, ptr, i64], returns: i32 },
  ag_reader_read: { args: [ptr, i64, ptr, i64, i32, ptr, i64, i32, ptr, i64, i32], returns: i32 },
  // --- end reader ---

  // --- encoder (lib/codec/svt.c, lib/analysis/analysis.c, lib/io/ivf.c) ---
  ag_ivf_open: { args: [ptr, i32, i32, i32, i32], returns: ptr },
  ag_ivf_write: { args: [ptr, ptr, i32, f64], returns: i32 },
  ag_ivf_close: { args: [ptr], returns: i32 },
  ag_analysis_features: { args: [], returns: i32 },
  ag_analyze_frame: { args: [ptr, i32, ptr, i32, i32, i32, i32, ptr, i32], returns: i32 },
  ag_frame_sse: {
    args: [ptr, i32, ptr, i32, ptr, i32, ptr, i32, ptr, i32, ptr, i32, i32, i32, i32, ptr, ptr, i32],
    returns: i32,
  },
  ag_encoder_open: { args: [ptr, i32, ptr], returns: ptr },
  ag_encoder_set_buffers: { args: [ptr, ptr, i32, ptr, i32], returns: i32 },
  ag_encoder_set_hook: { args: [ptr, ptr], returns: i32 },
  ag_encoder_set_analysis: { args: [ptr, i32], returns: i32 },
  ag_encoder_encode: { args: [ptr, ptr, i32, ptr, i32, ptr, i32, i32], returns: i32 },
  ag_encoder_flush: { args: [ptr], returns: i32 },
  ag_encoder_next_packet: { args: [ptr, ptr], returns: i32 },
  ag_encoder_take_packet: { args: [ptr, ptr, i32, ptr, ptr, ptr], returns: i32 },
  ag_encoder_frames_sent: { args: [ptr], returns: i32 },
  ag_encoder_timing: { args: [ptr, ptr], returns: i32 },
  ag_encoder_close: { args: [ptr], returns: void_ },
  ag_svt_version: { args: [], returns: i32 },
  // --- end encoder ---

  // --- env (lib/core/threads.c) ---
  ag_env_pin_thread: { args: [i32], returns: i32 },
  ag_env_unpin_thread: { args: [], returns: i32 },
  ag_env_cpu_count: { args: [], returns: i32 },
  // --- end env ---

  // --- metrics (lib/metrics_*.c) ---
  ag_metrics_set_simd: { args: [i32], returns: void_ },
  ag_metrics_simd: { args: [], returns: i32 },
  ag_psnr: { args: [ptr, i32, ptr, i32, ptr, i32, ptr, i32, ptr, i32, ptr, i32, i32, i32, i32, ptr], returns: i32 },
  ag_ssim: { args: [ptr, i32, ptr, i32, i32, i32, i32, ptr], returns: i32 },
  ag_ms_ssim: { args: [ptr, i32, ptr, i32, i32, i32, i32, ptr], returns: i32 },
  ag_vmaf_new: { args: [i32, i32, i32, i32], returns: ptr },
  ag_vmaf_free: { args: [ptr], returns: void_ },
  ag_vmaf_features: { args: [ptr, ptr, i32, ptr, i32, i32, ptr], returns: i32 },
  ag_vmaf_set_prev: { args: [ptr, ptr, i32], returns: i32 },
  ag_vmaf_model_new: { args: [i32, ptr, ptr, f64, f64, ptr, ptr, f64, f64], returns: ptr },
  ag_vmaf_model_free: { args: [ptr], returns: void_ },
  ag_vmaf_model_predict: { args: [ptr, ptr], returns: f64 },
  // --- end metrics ---
} as const;

function staleReason(): string | null {
  if (!existsSync(LIBRARY_PATH)) return `the native library ${LIBRARY_PATH} does not exist`;
  if (process.env.AV1GYM_LIB) return null;
  const built = statSync(LIBRARY_PATH).mtimeMs;
  const libDir = join(ROOT, "lib");
  // Every C source and header below lib/ (build output aside), as the build collects them.
  for (const f of readdirSync(libDir, { recursive: true }) as string[]) {
    if (f.startsWith("build")) continue;
    if ((f.endsWith(".c") || f.endsWith(".h")) && statSync(join(libDir, f)).mtimeMs > built) {
      return `the native library ${LIBRARY_PATH} is older than lib/${f}`;
    }
  }
  return null;
}

function load() {
  const stale = staleReason();
  if (stale) throw new NativeLibraryError(`${stale}; ${BUILD_HINT}`);
  let lib;
  try {
    lib = dlopen(LIBRARY_PATH, symbols);
  } catch (e) {
    throw new NativeLibraryError(`could not load ${LIBRARY_PATH}: ${(e as Error).message}; ${BUILD_HINT}`, { cause: e });
  }
  const abi = lib.symbols.ag_abi_version();
  if (abi !== ABI_VERSION) {
    lib.close();
    throw new NativeLibraryError(`${LIBRARY_PATH} has ABI ${abi}, this code expects ${ABI_VERSION}; ${BUILD_HINT}`);
  }
  return lib;
}

let loaded: ReturnType<typeof load> | undefined;

/** The loaded library (loaded on first use, so importing av1gym never fails by itself). */
export function native(): ReturnType<typeof load>["symbols"] {
  loaded ??= load();
  return loaded.symbols;
}

/** The calling thread's last native error message. */
export function lastError(): string {
  return String(native().ag_last_error());
}

/** Throws the typed error for a negative return code; returns non-negative codes unchanged. */
export function check(rc: number, context?: string): number {
  if (rc >= 0) return rc;
  const msg = lastError() || "unknown native error";
  throw errorFromCode(rc, context ? `${context}: ${msg}` : msg);
}

/** Throws the typed error left by a native call that returned a null handle. */
export function checkHandle(h: Pointer | null, context?: string): Pointer {
  if (h) return h;
  const msg = lastError() || "unknown native error";
  const code = native().ag_last_error_code();
  throw errorFromCode(code, context ? `${context}: ${msg}` : msg);
}

