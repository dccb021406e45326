/**
 * Decode-ahead: a consumer that works 2 ms per frame over the 720x480 clip (150 frames). Sequential decoding
 * costs decode + consume; frames({ ahead: 8 }) should cost about max(decode, consume). Best of 3 each,
 * alternating.
 */
import { join } from "node:path";
import { VideoReader } from "../../src/io/reader";
import { HAVE_SHARED, MISSING, SHARED_DIR, report, skipped, time } from "../util";

const CONSUME_MS = 2;
if (!HAVE_SHARED) skipped([{ bench: "reader-decode-ahead" }], MISSING.shared);
else {
  const path = join(SHARED_DIR, "clips", "seeking_720x480_150f.mp4");
  using r = new VideoReader(path);
  const consume = () => Bun.sleepSync(CONSUME_MS);
  let seq = Infinity, ahead = Infinity, decodeOnly = Infinity;
  for (let i = 0; i < 3; i++) {
    decodeOnly = Math.min(decodeOnly, await time(() => { for (const _ of r.frames({ reuse: true })); }));
    seq = Math.min(seq, await time(() => { for (const _ of r.frames({ reuse: true })) consume(); }));
    ahead = Math.min(ahead, await time(() => { for (const _ of r.frames({ reuse: true, ahead: 8 })) consume(); }));
  }
  const consumeOnly = (r.frameCount * CONSUME_MS) / 1000;
  report({
    bench: "reader-decode-ahead", clip: "seeking_720x480_150f", ours: ahead, peer: seq, unit: "s",
    decode_s: decodeOnly, consume_s: consumeOnly, ideal_s: Math.max(decodeOnly, consumeOnly),
  });
}
