/**
 * A process-wide lock around creating and closing SVT-AV1 encoders, shared by every Worker of every
 * VectorEnv (a SharedArrayBuffer + Atomics).
 *
 * Why: SVT-AV1 2.3's svt_av1_enc_init() rewrites process-global tables (SIMD function pointers, block
 * geometry, ME tables) and is not thread-safe: two Workers opening encoders at the same moment crashed
 * (segfault at address 0) and printed 'Pointer "..." is set before!'. Encoding itself runs in parallel;
 * only open/close are serialized. (The proper home of this lock is lib/encoder.c: see notes/env.md.)
 */
let lock: Int32Array | null = null;
let shared: SharedArrayBuffer | null = null;

/** The lock's buffer, created on first use (main thread), to hand to Workers. */
export function encoderLockBuffer(): SharedArrayBuffer {
  if (!shared) {
    shared = new SharedArrayBuffer(4);
    lock = new Int32Array(shared);
  }
  return shared;
}

/** Installs the lock in this thread (a Worker calls this with the buffer from its init message). */
export function useEncoderLock(buf: SharedArrayBuffer): void {
  shared = buf;
  lock = new Int32Array(buf);
}

/** Runs fn holding the lock (no lock installed: runs it directly; one thread then opens encoders). */
export function withEncoderLock<T>(fn: () => T): T {
  const l = lock;
  if (!l) return fn();
  while (Atomics.compareExchange(l, 0, 0, 1) !== 0) Atomics.wait(l, 0, 1, 10);
  try {
    return fn();
  } finally {
    Atomics.store(l, 0, 0);
    Atomics.notify(l, 0, 1);
  }
}
