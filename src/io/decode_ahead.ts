/**
 * VideoReader.frames({ ahead: N }): frames decoded on another thread (a Worker with its own reader of the same
 * file) into a ring of N frames in shared memory, handed to the caller in order. The caller's work on frame i
 * overlaps the decoding of frames i+1..i+N, so a loop costs about max(decode, consume) a frame, not their sum.
 */
import { FormatError } from "../core/errors";
import type { FrameOf, ReaderFormat, VideoReader } from "./reader";
import { CONTROL_BYTES, FAILED, MESSAGE_LENGTH, MESSAGE_OFFSET, RELEASED, WRITTEN, type AheadJob, type AheadStats } from "./decode_ahead_protocol";

export function* decodeAhead<F extends ReaderFormat>(
  reader: VideoReader<F>,
  job: Omit<AheadJob, "ring" | "control">,
  reuse: boolean,
  stats: AheadStats,
): Generator<FrameOf<F>, void, undefined> {
  const n = job.end - job.start;
  if (n === 0) return;
  const slots = Math.min(job.slots, n);
  const ring = new SharedArrayBuffer(slots * job.frameBytes);
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const ctl = new Int32Array(control, 0, 4);
  const views = Array.from({ length: slots }, (_, k) => reader.frameOnShared(ring, k * job.frameBytes));
  const worker = new Worker(new URL("./decode_ahead_worker.ts", import.meta.url));
  worker.postMessage({ ...job, slots, ring, control } satisfies AheadJob);
  try {
    for (let k = 0; k < n; k++) {
      let written = Atomics.load(ctl, WRITTEN);
      if (written <= k) {
        const t0 = performance.now();
        while ((written = Atomics.load(ctl, WRITTEN)) <= k) {
          if (Atomics.load(ctl, FAILED) === 1) {
            const len = Atomics.load(ctl, MESSAGE_LENGTH);
            const msg = new TextDecoder().decode(new Uint8Array(control, MESSAGE_OFFSET, len).slice());
            throw new FormatError(`decoding ahead of frame ${job.start + k} of ${job.path} failed: ${msg}`);
          }
          Atomics.wait(ctl, WRITTEN, written, 100);
        }
        stats.waitedMs += performance.now() - t0;
      }
      stats.decoded = written;
      stats.maxDepth = Math.max(stats.maxDepth, written - k);
      const slot = views[k % slots]!;
      reader.stampFrame(slot, job.start + k);
      let out: FrameOf<F>;
      if (reuse) out = slot;
      else {
        out = reader.allocFrame();
        copyFrame(slot, out);
      }
      stats.delivered++;
      yield out;
      // The caller is done with frame k (it asked for the next one, or stopped): its slot is free again.
      Atomics.store(ctl, RELEASED, k + 1);
      Atomics.notify(ctl, RELEASED);
    }
  } finally {
    Atomics.store(ctl, FAILED, 2); // tells a waiting worker the consumer is gone
    Atomics.notify(ctl, RELEASED);
    worker.terminate();
  }
}

function copyFrame<F extends ReaderFormat>(src: FrameOf<F>, dst: FrameOf<F>): void {
  const s = src as unknown as Record<string, unknown>, d = dst as unknown as Record<string, unknown>;
  for (const k of ["data", "y", "u", "v"]) if (s[k]) (d[k] as Uint8Array).set(s[k] as Uint8Array);
  for (const k of ["index", "pts", "time", "timeBase"]) d[k] = s[k]; // timing, as stamped
}
