/**
 * NativeHandle: the base of every object that owns native memory (encoders, readers, muxers, VMAF contexts
 * and models). `close()` is idempotent and frees the native side (and any JSCallback the object registered
 * with C); `[Symbol.dispose]` makes `using` work; a method called after close throws StateError; and an
 * object the user forgot to close is freed when it is garbage-collected.
 *
 * The finalizer holds only the pointer, the free function and the callbacks, never the object: a callback
 * whose closure captured its owner would keep the owner alive forever (so an encoder with a delta-QP hook
 * was never collected, keeping SVT-AV1's threads and its preset lock). Callbacks must therefore close over
 * a separate state object, not over the handle.
 */
import type { JSCallback, Pointer } from "bun:ffi";
import { StateError } from "../core/errors";

interface Held {
  ptr: Pointer;
  free: (ptr: Pointer) => unknown;
  callbacks: JSCallback[];
}

function release(h: Held): unknown {
  // The native side first: it may still hold a callback's pointer until it is freed.
  const rc = h.free(h.ptr);
  for (const cb of h.callbacks) cb.close();
  h.callbacks.length = 0;
  return rc;
}

const registry = new FinalizationRegistry<Held>((h) => {
  try {
    release(h);
  } catch {
    // a finalizer has nobody to report to
  }
});

export abstract class NativeHandle implements Disposable {
  #held: Held | null;
  readonly #what: string;

  /** `what` names the object in errors ("Av1Encoder"); `free` releases `ptr` (its result is close()'s). */
  protected constructor(what: string, ptr: Pointer, free: (ptr: Pointer) => unknown) {
    this.#what = what;
    this.#held = { ptr, free, callbacks: [] };
    registry.register(this, this.#held, this);
  }

  /** The native pointer; StateError naming the call when closed. */
  protected handle(call: string): Pointer {
    if (!this.#held) throw new StateError(`${this.#what}.${call}: the ${this.#what} is closed`);
    return this.#held.ptr;
  }

  /** Ties a JSCallback's life to this handle: closed after the native side is freed. */
  protected adoptCallback(cb: JSCallback): void {
    if (!this.#held) {
      cb.close();
      throw new StateError(`${this.#what}: the ${this.#what} is closed`);
    }
    this.#held.callbacks.push(cb);
  }

  get closed(): boolean {
    return this.#held === null;
  }

  /** Frees the native side now; later calls do nothing. Returns what the free function returned. */
  protected closeHandle(): unknown {
    const h = this.#held;
    if (!h) return undefined;
    this.#held = null;
    registry.unregister(this);
    return release(h);
  }

  close(): void {
    this.closeHandle();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
