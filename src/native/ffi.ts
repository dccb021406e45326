/**
 * The only place that loads the native library. Its symbols come from ./abi.ts (generated from
 * lib/include/av1gym.h); the rest of src/ calls `native().*` through the helpers here, which turn C return
 * codes into typed errors.
 */
import { dlopen, type Pointer } from "bun:ffi";
import { existsSync, statSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { errorFromCode, NativeLibraryError } from "../core/errors";
import { ABI_VERSION, SYMBOLS } from "./abi";

const ROOT = resolve(import.meta.dir, "..", "..");
export const LIBRARY_PATH = process.env.AV1GYM_LIB ?? join(ROOT, "lib", "build", "libav1gym.so");
const BUILD_HINT = "build it with `bash scripts/build-svt.sh` (or just `bun run test` / `bun run demo`, which build it)";

// The symbol table is generated from the public header (scripts/gen-abi.ts -> ./abi.ts), so a signature
// cannot differ between C and TS; the ABI version check below catches a library built from another header.
const symbols = SYMBOLS;

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

