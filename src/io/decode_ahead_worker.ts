/**
 * Decode-ahead: a Worker that opens the reader's file again and decodes frames start..end-1, in order, into
 * a ring of `slots` frames in shared memory, never more than `slots` ahead of the consumer (the main thread's
 * VideoReader.frames({ ahead })). Control block (Int32): 0 = frames written, 1 = frames released by the
 * consumer, 2 = failed; the failure message follows at byte 16.
 */
import { VideoReader, type ReaderOptions } from "./reader";
import { WRITTEN, RELEASED, FAILED, MESSAGE_OFFSET, type AheadJob } from "./decode_ahead_protocol";

declare const self: Worker;

self.onmessage = (ev: MessageEvent<AheadJob>) => {
  const job = ev.data;
  const ctl = new Int32Array(job.control, 0, 4);
  let reader: VideoReader<"yuv420p" | "rgb24"> | null = null;
  try {
    reader = new VideoReader(job.path, job.options as ReaderOptions & { format?: "yuv420p" | "rgb24" });
    const slots = Array.from({ length: job.slots }, (_, k) => reader!.frameOnShared(job.ring, k * job.frameBytes));
    for (let i = job.start, n = 0; i < job.end; i++, n++) {
      // wait for a free slot: at most `slots` frames written and not yet released
      for (;;) {
        const released = Atomics.load(ctl, RELEASED);
        if (n - released < job.slots) break;
        Atomics.wait(ctl, RELEASED, released, 1000);
        if (Atomics.load(ctl, FAILED) === 2) return; // the consumer stopped
      }
      reader.frame(i, slots[n % job.slots]!);
      Atomics.store(ctl, WRITTEN, n + 1);
      Atomics.notify(ctl, WRITTEN);
    }
  } catch (e) {
    const msg = new TextEncoder().encode(`${(e as Error).name}: ${(e as Error).message}`).subarray(0, 1000);
    new Uint8Array(job.control, MESSAGE_OFFSET, msg.length).set(msg);
    Atomics.store(ctl, 3, msg.length);
    Atomics.store(ctl, FAILED, 1);
    Atomics.notify(ctl, WRITTEN);
  } finally {
    reader?.close();
  }
};
