/** The Packet type (timestamps in a time base), the Encoder interface and the IvfMuxer that takes packets. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Av1Encoder } from "../../src/codec/av1_encoder";
import type { Encoder, Packet } from "../../src/codec/packet";
import { IvfMuxer } from "../../src/io/ivf";
import type { Muxer } from "../../src/io/muxer";
import { synthFrames } from "../../src/io/synth";
import { InvalidArgumentError, StateError } from "../../src/core/errors";
import { allocI420 } from "../../src/core/frame";

const TMP = mkdtempSync(join(tmpdir(), "av1gym-packet-test-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const W = 192, H = 128;
const frames = [...synthFrames(W, H, 6, 3)];

/** Packet timestamps as ffprobe reads them from a file: [pts, pts_time] per packet. */
function probePackets(path: string): { pts: number; time: number }[] {
  const p = Bun.spawnSync(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,pts_time", "-of", "json", path]);
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return JSON.parse(p.stdout.toString()).packets.map((x: { pts: string; pts_time: string }) => ({ pts: Number(x.pts), time: Number(x.pts_time) }));
}

function encodeAll(enc: Encoder, pts?: number[]): Packet[] {
  const out: Packet[] = [];
  frames.forEach((f, i) => out.push(...enc.encode(f, pts ? { pts: pts[i] } : {})));
  out.push(...enc.flush());
  return out;
}

describe("Packet timestamps", () => {
  test("default time base is 1/fps: pts counts frames, dts = pts, duration 1", () => {
    using enc = new Av1Encoder({ width: W, height: H, preset: 12, fps: { num: 30000, den: 1001 } });
    expect(enc.timeBase).toEqual({ num: 1001, den: 30000 });
    const pk = encodeAll(enc);
    expect(pk.map((p) => p.pts)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const p of pk) {
      expect(p.dts).toBe(p.pts);
      expect(p.duration).toBe(1);
      expect(p.timeBase).toEqual({ num: 1001, den: 30000 });
    }
    expect(pk[0]!.isKey).toBe(true);
    expect(pk.slice(1).some((p) => p.isKey)).toBe(false);
  });

  test("a 1/90000 time base stamps frame i at i x 3600 (25 fps), random access included", () => {
    using enc = new Av1Encoder({ width: W, height: H, preset: 12, timeBase: { num: 1, den: 90000 }, predStructure: "random-access" });
    const pk = encodeAll(enc);
    expect(pk.map((p) => p.pts).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * 3600));
    expect(pk.every((p) => p.duration === 3600)).toBe(true);
  });

  test("explicit pts are kept; a pts that does not increase is refused and the encoder goes on", () => {
    using enc = new Av1Encoder({ width: W, height: H, preset: 12, timeBase: { num: 1, den: 1000 } });
    expect(enc.encode(frames[0]!, { pts: 10 })[0]!.pts).toBe(10);
    expect(() => enc.encode(frames[1]!, { pts: 10 })).toThrow(InvalidArgumentError);
    expect(() => enc.encode(frames[1]!, { pts: 10.5 })).toThrow(InvalidArgumentError);
    expect(enc.encode(frames[1]!, { pts: 55 })[0]!.pts).toBe(55);
  });
});

describe("IvfMuxer", () => {
  test("writes the encoder's packets with their time base; ffprobe reads the same times", () => {
    const path = join(TMP, "tb90k.ivf");
    using enc = new Av1Encoder({ width: W, height: H, preset: 12, timeBase: { num: 1, den: 90000 } });
    using mux: Muxer = new IvfMuxer(path);
    expect(mux.addVideo(enc)).toBe(0);
    for (const p of encodeAll(enc, [0, 3000, 6000, 9000, 12000, 15000])) mux.write(p);
    mux.close();
    const got = probePackets(path);
    expect(got.map((x) => x.pts)).toEqual([0, 3000, 6000, 9000, 12000, 15000]);
    expect(got[5]!.time).toBeCloseTo(15000 / 90000, 6);
  });

  test("packets in another time base are rescaled to the stream's", () => {
    const path = join(TMP, "rescaled.ivf");
    using mux = new IvfMuxer(path);
    mux.addVideo({ codec: "av1", width: W, height: H, timeBase: { num: 1, den: 1000 } });
    using enc = new Av1Encoder({ width: W, height: H, preset: 12, fps: { num: 25, den: 1 } });
    for (const p of encodeAll(enc)) mux.write(p); // 1/25 -> 1/1000: 40 ms a frame
    mux.close();
    expect(probePackets(path).map((x) => x.pts)).toEqual([0, 40, 80, 120, 160, 200]);
  });

  test("the encoder's output option is sugar for an IvfMuxer: the same bytes", async () => {
    const a = join(TMP, "sugar.ivf"), b = join(TMP, "explicit.ivf");
    {
      using enc = new Av1Encoder({ width: W, height: H, preset: 12, output: a });
      encodeAll(enc);
    }
    {
      using enc = new Av1Encoder({ width: W, height: H, preset: 12 });
      using mux = new IvfMuxer(b);
      mux.addVideo(enc);
      for (const p of encodeAll(enc)) mux.write(p);
    }
    expect(Buffer.compare(Buffer.from(await Bun.file(a).arrayBuffer()), Buffer.from(await Bun.file(b).arrayBuffer()))).toBe(0);
  });

  const SVT_APP = join(import.meta.dir, "..", "..", "lib", "build", "svt", "bin", "SvtAv1EncApp");
  test.skipIf(!existsSync(SVT_APP))("Av1Encoder + IvfMuxer write the same bytes as SvtAv1EncApp with the same settings", async () => {
    const n = frames.length;
    const yuv = new Uint8Array(((W * H * 3) / 2) * n);
    frames.forEach((f, i) => {
      const o = (i * W * H * 3) / 2;
      yuv.set(f.y, o);
      yuv.set(f.u, o + W * H);
      yuv.set(f.v, o + (W * H * 5) / 4);
    });
    await Bun.write(join(TMP, "app.yuv"), yuv);
    const app = Bun.spawnSync([
      SVT_APP, "-i", join(TMP, "app.yuv"), "-w", String(W), "-h", String(H), "--fps-num", "25", "--fps-denom", "1",
      "--preset", "10", "--crf", "35", "--pred-struct", "1", "--keyint", "-1", "--lp", "1", "-n", String(n),
      "--progress", "0", "-b", join(TMP, "app.ivf"),
    ], { env: { ...process.env, SVT_LOG: "1" } });
    expect(app.exitCode).toBe(0);
    {
      using enc = new Av1Encoder({ width: W, height: H, fps: { num: 25, den: 1 }, preset: 10, crf: 35, keyInt: -1, threads: 1 });
      using mux = new IvfMuxer(join(TMP, "ours.ivf"));
      mux.addVideo(enc);
      for (const p of encodeAll(enc)) mux.write(p);
    }
    const ours = Buffer.from(await Bun.file(join(TMP, "ours.ivf")).arrayBuffer());
    const theirs = Buffer.from(await Bun.file(join(TMP, "app.ivf")).arrayBuffer());
    expect(ours.length).toBe(theirs.length);
    expect(Buffer.compare(ours, theirs)).toBe(0);
  });

  test("misuse is a typed error", () => {
    using mux = new IvfMuxer(join(TMP, "misuse.ivf"));
    const pkt: Packet = { data: new Uint8Array(1), pts: 0, dts: 0, duration: 1, timeBase: { num: 1, den: 25 }, isKey: true };
    expect(() => mux.write(pkt)).toThrow(StateError);
    expect(() => mux.addVideo({ codec: "h264", width: W, height: H, timeBase: { num: 1, den: 25 } })).toThrow(InvalidArgumentError);
    mux.addVideo({ codec: "av1", width: W, height: H, timeBase: { num: 1, den: 25 } });
    expect(() => mux.addVideo({ codec: "av1", width: W, height: H, timeBase: { num: 1, den: 25 } })).toThrow(InvalidArgumentError);
    expect(() => mux.write(pkt, 1)).toThrow(InvalidArgumentError);
    mux.close();
    expect(() => mux.write(pkt)).toThrow(StateError);
  });
});

/** profile, level and tier of operating point 0 from a sequence header OBU (no timing info, as SVT-AV1 writes). */
function seqLevel(obu: Uint8Array): { profile: number; level: number; tier: number; timing: number } {
  let pos = 0;
  const start = (obu[0]! >> 2) & 1 ? 3 : 2; // header (+ extension) + 1-byte leb128 size
  const bit = () => (obu[start + (pos >> 3)]! >> (7 - (pos++ & 7))) & 1;
  const bits = (n: number) => Array.from({ length: n }, bit).reduce((a, b) => a * 2 + b, 0);
  const profile = bits(3);
  bits(1);
  if (bits(1)) return { profile, level: bits(5), tier: 0, timing: 0 }; // reduced still picture header
  const timing = bits(1);
  bits(1); // initial_display_delay_present
  bits(5); // operating points - 1
  bits(12); // idc
  const level = bits(5);
  return { profile, level, tier: level > 7 ? bits(1) : 0, timing };
}

describe("Encoder interface", () => {
  test("codecString (av01.P.LLT.DD) and extradata come from the sequence header SVT-AV1 wrote", () => {
    for (const bitDepth of [8, 10] as const) {
      using enc = new Av1Encoder({ width: W, height: H, preset: 12, bitDepth });
      const e: Encoder = enc; // Av1Encoder is an Encoder
      expect(e.codec).toBe("av1");
      const f = allocI420(W, H, bitDepth);
      f.y.fill(bitDepth === 8 ? 100 : 400);
      const [p] = enc.encode(f);
      const seq = enc.extradata!;
      expect((seq[0]! >> 3) & 15).toBe(1); // OBU_SEQUENCE_HEADER
      expect(Buffer.from(p!.data).indexOf(Buffer.from(seq))).toBeGreaterThanOrEqual(0);
      const h = seqLevel(seq);
      expect(h.timing).toBe(0);
      const want = `av01.${h.profile}.${String(h.level).padStart(2, "0")}${h.tier ? "H" : "M"}.${bitDepth === 8 ? "08" : "10"}`;
      expect(e.codecString).toBe(want);
    }
  });
});
