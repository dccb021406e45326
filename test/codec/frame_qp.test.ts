/** Frame-level quantizer control (per-picture qp, per-layer qindex offsets) and the ROI map switch-off, checked in
 * the bitstream with FFmpeg's trace_headers. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Av1Encoder, type Av1Packet, type EncodeOptions, type EncoderOptions } from "../../src/codec/av1_encoder";
import { synthFrames } from "../../src/io/synth";
import { InvalidArgumentError } from "../../src/core/errors";
import { traceHeaders } from "../helpers/trace_headers";

const TMP = mkdtempSync(join(tmpdir(), "av1gym-frameqp-test-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const W = 256, H = 192, N_SB = 4 * 3;
const frames = [...synthFrames(W, H, 16, 5)];

function encode(name: string, opts: Partial<EncoderOptions>, per: (i: number) => EncodeOptions = () => ({})): { packets: Av1Packet[]; path: string } {
  const path = join(TMP, `${name}.ivf`);
  using enc = new Av1Encoder({ width: W, height: H, preset: 10, crf: 35, output: path, ...opts });
  const packets = frames.flatMap((f, i) => enc.encode(f, per(i)));
  return { packets, path };
}
const same = (a: Av1Packet[], b: Av1Packet[]) => a.length === b.length && a.every((p, i) => Buffer.compare(p.data, b[i]!.data) === 0);

describe("per-picture qp (frameQp)", () => {
  test("each frame header's base_q_idx follows the qp given for it", () => {
    const qps = frames.map((_, i) => [20, 44, 31, 63, 7][i % 5]!);
    const { packets, path } = encode("frameqp", { frameQp: true }, (i) => ({ frameQp: qps[i]! }));
    const trace = traceHeaders(path);
    expect(trace.length).toBe(frames.length);
    // SVT-AV1's qp-to-qindex table: 4 * qp, except 255 at 63.
    const want = qps.map((q) => (q === 63 ? 255 : 4 * q));
    expect(trace.map((t) => t.baseQIdx)).toEqual(want);
    expect(packets.map((p) => p.av1.qindex)).toEqual(want);
  });
  test("frames without a frameQp get the configured crf as a fixed qp", () => {
    const { path } = encode("frameqp-default", { frameQp: true, crf: 30 }, (i) => (i === 3 ? { frameQp: 50 } : {}));
    expect(traceHeaders(path).map((t) => t.baseQIdx)).toEqual(frames.map((_, i) => (i === 3 ? 200 : 120)));
  });
  test("bad uses are typed errors and leave the encoder usable", () => {
    using enc = new Av1Encoder({ width: W, height: H, frameQp: true });
    for (const q of [0, 64, 2.5, Number.NaN]) expect(() => enc.encode(frames[0]!, { frameQp: q })).toThrow(InvalidArgumentError);
    expect(enc.encode(frames[0]!, { frameQp: 30 })[0]!.av1.qindex).toBe(120);
    using plain = new Av1Encoder({ width: W, height: H });
    expect(() => plain.encode(frames[0]!, { frameQp: 30 })).toThrow(/frameQp: true/);
    expect(() => new Av1Encoder({ width: W, height: H, frameQp: true, cbr: 500 })).toThrow(InvalidArgumentError);
    expect(() => new Av1Encoder({ width: W, height: H, frameQp: true, layerQindexOffsets: [4] })).toThrow(/exclude/);
  });
});

describe("per-temporal-layer qindex offsets", () => {
  test("all-zero offsets encode exactly as the default; non-zero ones move each layer's base_q_idx", () => {
    const def = encode("layers-default", {});
    expect(same(encode("layers-zero", { layerQindexOffsets: [0, 0, 0], keyFrameQindexOffset: 0 }).packets, def.packets)).toBe(true);
    const d = traceHeaders(def.path).map((t) => t.baseQIdx!);
    // Low delay at preset 10: a key frame, then mini-GOPs of 4 (layers 2, 1, 2, 0). Each offset alone: the first
    // frame it applies to has the default's rate-control state, so its base_q_idx moves by exactly the offset.
    // (Later frames follow within a few steps: CRF's state reads the qindex of frames already coded; on 4.1 a key
    // frame's offset moves frame 3 by 1.)
    const cases: [Partial<EncoderOptions>, number, number][] = [
      [{ keyFrameQindexOffset: -8 }, 0, -8],
      [{ layerQindexOffsets: [0, 0, 12] }, 1, 12],
      [{ layerQindexOffsets: [0, -10, 0] }, 2, -10],
      [{ layerQindexOffsets: [-12, 0, 0] }, 4, -12],
    ];
    for (const [opts, frame, offset] of cases) {
      const m = traceHeaders(encode("layers-moved", opts).path).map((t) => t.baseQIdx!);
      expect(m.slice(0, frame)).toEqual(d.slice(0, frame)); // frames before it are untouched
      expect(m[frame]! - d[frame]!).toBe(offset);
    }
  });
});

describe("ROI map switch-off (no ROI tax for all-zero frames)", () => {
  test("all-zero offsets from the start send no map: the stream is the default's, byte for byte", () => {
    const zero = new Array(N_SB).fill(0);
    expect(same(encode("zeros", {}, () => ({ qpOffsets: zero })).packets, encode("none", {}).packets)).toBe(true);
  });
  test.skipIf(!Av1Encoder.roiSwitchOff)("after a map, an all-zero frame switches segmentation off; keepMap keeps it on", () => {
    const per = (keep: boolean) => (i: number) => ({ qpOffsets: new Array(N_SB).fill(i === 2 ? 8 : 0), keepMap: keep && i > 2 });
    const off = traceHeaders(encode("switch-off", {}, per(false)).path).map((t) => t.segmentation);
    const kept = traceHeaders(encode("keep-map", {}, per(true)).path).map((t) => t.segmentation);
    expect(off).toEqual(frames.map((_, i) => (i === 2 ? 1 : 0)));
    expect(kept).toEqual(frames.map((_, i) => (i >= 2 ? 1 : 0)));
  });
  test("the build script detected how SVT-AV1 was built (our Release build allows the switch-off)", () => {
    const flags = readFileSync(join(import.meta.dir, "..", "..", "lib", "build", "obj", "flags"), "utf8");
    expect(flags).toMatch(/AG_SVT_NDEBUG=[01]/);
    expect(Av1Encoder.roiSwitchOff).toBe(/AG_SVT_NDEBUG=1/.test(flags));
  });
});
