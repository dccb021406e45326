import { describe, expect, test } from "bun:test";
import { Av1Encoder } from "../../src/codec/av1_encoder";
import { VideoDecoder } from "../../src/codec/decoder";
import { synthFrames } from "../../src/io/synth";
import { FormatError, InvalidArgumentError, StateError } from "../../src/core/errors";

describe("VideoDecoder", () => {
  test("decodes our SVT-AV1 packets to exactly the encoder's reconstruction", () => {
    using enc = new Av1Encoder({ width: 128, height: 96, preset: 12, recon: true, crf: 40 });
    using dec = new VideoDecoder({ codec: "av1", width: 128, height: 96 });
    let n = 0;
    for (const frame of synthFrames(128, 96, 6, 3)) {
      for (const p of enc.encode(frame)) {
        const out = dec.decode(p.data, p.pts);
        for (const d of out) {
          expect(d.pts).toBe(p.pts);
          expect(Buffer.compare(Buffer.from(d.frame.y as Uint8Array), Buffer.from(p.recon!.frame.y as Uint8Array))).toBe(0);
          expect(Buffer.compare(Buffer.from(d.frame.v as Uint8Array), Buffer.from(p.recon!.frame.v as Uint8Array))).toBe(0);
          n++;
        }
      }
    }
    n += dec.flush().length;
    expect(n).toBe(6);
    expect(() => dec.decode(new Uint8Array([1, 2, 3]))).toThrow(StateError);
  });

  test("bad input is a typed error, not a crash", () => {
    expect(() => new VideoDecoder({ codec: "no-such-codec", width: 64, height: 64 })).toThrow(FormatError);
    expect(() => new VideoDecoder({ codec: "av1", width: 0, height: 64 })).toThrow(InvalidArgumentError);
    const dec = new VideoDecoder({ codec: "h264", width: 64, height: 64 });
    // garbage is either refused or yields nothing; it never crashes
    try { dec.decode(new Uint8Array(100).fill(7)); } catch (e) { expect(e).toBeInstanceOf(FormatError); }
    dec.close();
    dec.close();
    expect(() => dec.flush()).toThrow(StateError);
  });
});
