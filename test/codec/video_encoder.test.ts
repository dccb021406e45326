import { describe, expect, test, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VideoEncoder, type VideoEncoderOptions } from "../../src/codec/video_encoder";
import { synthFrames } from "../../src/io/synth";
import { InvalidArgumentError, StateError, EncoderError } from "../../src/core/errors";
import type { I420Frame } from "../../src/core/frame";
import type { Packet } from "../../src/codec/packet";
import { nalTypesPerPacket, probe } from "../helpers/media";

const W = 160, H = 96;
let dir = "";
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "av1gym-lavc-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n frames with a hard scene cut in the middle (two unrelated synthetic sequences). */
function cutFrames(n: number): I420Frame[] {
  const half = n >> 1;
  return [...synthFrames(W, H, half, 1), ...synthFrames(W, H, n - half, 77)];
}

const concat = (ps: Packet[]) => Buffer.concat(ps.map((p) => p.data));
const ext: Record<string, string> = { h264: "h264", hevc: "hevc", av1: "obu", vp9: "ivf" };

/** Writes the packets as a raw stream ffprobe reads (IVF for VP9, via its key-frame flags). */
function writeRaw(codec: string, ps: Packet[], name: string): string {
  const path = join(dir, `${name}.${ext[codec]}`);
  if (codec !== "vp9") {
    writeFileSync(path, concat(ps));
    return path;
  }
  const head = Buffer.alloc(32);
  head.write("DKIF", 0);
  head.writeUInt16LE(32, 6);
  head.write("VP90", 8);
  head.writeUInt16LE(W, 12);
  head.writeUInt16LE(H, 14);
  head.writeUInt32LE(30, 16);
  head.writeUInt32LE(1, 20);
  head.writeUInt32LE(ps.length, 24);
  const parts = [head];
  ps.forEach((p, i) => {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(p.data.length, 0);
    h.writeBigUInt64LE(BigInt(i), 4);
    parts.push(h, Buffer.from(p.data));
  });
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

const LOW_LATENCY: VideoEncoderOptions["codec"][] = ["libx264", "libx265", "libaom-av1", "libvpx-vp9", "av1"];
const fast = (codec: VideoEncoderOptions["codec"]): Partial<VideoEncoderOptions> =>
  codec === "libx264" || codec === "libx265" ? { preset: "ultrafast" } : codec === "av1" ? { preset: 12 } : codec === "librav1e" ? { preset: 10 } : { preset: 8 };

describe("VideoEncoder: low latency and key frames, every software encoder", () => {
  for (const codec of LOW_LATENCY) {
    test(`${codec}: one packet per frame in the same call; key frames exactly where forced (none at the scene cut)`, () => {
      using enc = new VideoEncoder({ codec, width: W, height: H, latency: "low", quality: { crf: 32 }, ...fast(codec) });
      const frames = cutFrames(16);
      const all: Packet[] = [];
      frames.forEach((f, i) => {
        const ps = enc.encode(f, { keyFrame: i === 11 });
        expect(ps.length).toBe(1);
        expect(ps[0]!.pts).toBe(i);
        all.push(...ps);
      });
      expect(enc.flush()).toEqual([]);
      expect(all.map((p, i) => (p.isKey ? i : -1)).filter((i) => i >= 0)).toEqual([0, 11]);
      // An independent reader agrees: the stream decodes, and its key frames are 0 and 11 only.
      const path = writeRaw(enc.codec, all, `keys-${codec}`);
      const pr = probe(path);
      expect(pr.frames).toBe(16);
      expect(pr.keyFrames).toEqual([0, 11]);
      expect(enc.codecString).not.toBe("");
      if (enc.codec === "h264" || enc.codec === "hevc") {
        // Annex B: every key packet is an IDR carrying its parameter sets in-band.
        const nals = nalTypesPerPacket(path);
        const [sps, idr] = enc.codec === "h264" ? [[7], [5]] : [[32, 33], [19, 20]];
        for (const k of [0, 11]) {
          for (const t of sps) expect(nals[k]).toContain(t);
          expect(nals[k]!.some((t) => idr.includes(t))).toBe(true);
        }
        expect(nals.filter((n) => n.some((t) => idr.includes(t))).length).toBe(2);
      }
    }, 120_000);
  }

  test("librav1e: low latency is refused with the reason; normal latency encodes every frame", () => {
    expect(() => new VideoEncoder({ codec: "librav1e", width: W, height: H, latency: "low" })).toThrow(/rav1e 0.5.1 holds 4 frames back/);
    using enc = new VideoEncoder({ codec: "librav1e", width: W, height: H, quality: { crf: 40 }, preset: 10 });
    const out: Packet[] = [];
    for (const f of synthFrames(W, H, 8, 3)) out.push(...enc.encode(f));
    out.push(...enc.flush());
    expect(out.length).toBe(8);
    expect(probe(writeRaw("av1", out, "rav1e")).frames).toBe(8);
    expect(enc.codecString).toMatch(/^av01\.0\.\d\dM\.08/);
  }, 120_000);
});

describe("VideoEncoder: x264 matches the ffmpeg CLI byte for byte", () => {
  test("1 thread, veryfast, crf 23, low latency: identical Annex B stream", () => {
    const frames = [...synthFrames(W, H, 20, 5)];
    using enc = new VideoEncoder({ codec: "libx264", width: W, height: H, fps: { num: 25, den: 1 }, preset: "veryfast", quality: { crf: 23 }, threads: 1, latency: "low" });
    const ours = concat(frames.flatMap((f) => enc.encode(f)).concat(enc.flush()));
    const yuv = join(dir, "in.yuv");
    writeFileSync(yuv, Buffer.concat(frames.flatMap((f) => [Buffer.from(f.y), Buffer.from(f.u), Buffer.from(f.v)])));
    // The same options on the command line, taken from the encoder's own record of what it passed.
    const args = Object.entries(enc.nativeOptions).flatMap(([k, v]) => [`-${k}`, v]);
    const out = join(dir, "cli.h264");
    const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${W}x${H}`, "-r", "25", "-i", yuv, "-c:v", "libx264", ...args, "-f", "h264", out]);
    expect(p.stderr.toString()).toBe("");
    const cli = readFileSync(out);
    expect(ours.length).toBe(cli.length);
    expect(Buffer.compare(ours, cli)).toBe(0);
  }, 120_000);
});

describe("VideoEncoder: formats and options", () => {
  test('format "avc": 4-byte lengths, avcC extradata, codec string before the first frame', () => {
    using enc = new VideoEncoder({ codec: "libx264", width: W, height: H, format: "avc", latency: "low", preset: "ultrafast" });
    expect(enc.extradata![0]).toBe(1); // avcC configurationVersion
    expect(enc.codecString).toMatch(/^avc1\.[0-9A-F]{6}$/);
    expect(enc.codecString.slice(5)).toBe(Buffer.from(enc.extradata!.subarray(1, 4)).toString("hex").toUpperCase());
    const [p] = enc.encode([...synthFrames(W, H, 1, 1)][0]!);
    const len = new DataView(p!.data.buffer).getUint32(0);
    expect(len).toBeLessThan(p!.data.length);
    expect(p!.data[0] === 0 && p!.data[1] === 0 && p!.data[2] === 1).toBe(false);
  });

  test("inputs: nv12, rgb24 and rgba are converted; yuv420p10le gives a 10-bit stream", () => {
    const n = W * H;
    // A flat colour in RGB: after BT.601 limited-range conversion and a decode it comes back close.
    const rgb = new Uint8Array(n * 3), rgba = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      rgb.set([200, 100, 50], i * 3);
      rgba.set([200, 100, 50, 255], i * 4);
    }
    for (const [fmt, frame] of [["rgb24", { width: W, height: H, data: rgb, stride: W * 3 }], ["rgba", { width: W, height: H, data: rgba, stride: W * 4 }]] as const) {
      using enc = new VideoEncoder({ codec: "libx264", width: W, height: H, inputFormat: fmt, latency: "low", quality: { crf: 10 }, preset: "ultrafast" });
      expect(enc.encodedPixelFormat).toBe("yuv420p");
      const path = writeRaw("h264", enc.encode(frame), `rgb-${fmt}`);
      const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
      const px = p.stdout.subarray((n >> 1) * 3, (n >> 1) * 3 + 3);
      expect(Math.abs(px[0]! - 200) + Math.abs(px[1]! - 100) + Math.abs(px[2]! - 50)).toBeLessThan(12);
    }
    const f = [...synthFrames(W, H, 1, 2)][0]!;
    const uv = new Uint8Array(n / 2);
    for (let i = 0; i < n / 4; i++) {
      uv[2 * i] = f.u[i]!;
      uv[2 * i + 1] = f.v[i]!;
    }
    using nv = new VideoEncoder({ codec: "libx264", width: W, height: H, inputFormat: "nv12", latency: "low", preset: "ultrafast" });
    expect(nv.encodedPixelFormat).toBe("nv12"); // x264 takes NV12 as is
    expect(nv.encode({ width: W, height: H, y: f.y as Uint8Array, uv, strideY: W, strideUV: W }).length).toBe(1);
    const deep = { width: W, height: H, bitDepth: 10, y: new Uint16Array(n).fill(512), u: new Uint16Array(n / 4).fill(512), v: new Uint16Array(n / 4).fill(512), strideY: W, strideU: W / 2, strideV: W / 2 };
    using hi = new VideoEncoder({ codec: "libx264", width: W, height: H, inputFormat: "yuv420p10le", latency: "low", preset: "ultrafast" });
    hi.encode(deep);
    expect(hi.codecString).toMatch(/^avc1\.6E/); // High 10 (profile_idc 110)
  });

  test("bad input: typed errors that name the problem", () => {
    const f = [...synthFrames(W, H, 1, 1)][0]!;
    expect(() => new VideoEncoder({ codec: "libfoo" as never, width: W, height: H })).toThrow(InvalidArgumentError);
    expect(() => new VideoEncoder({ codec: "libx264", width: W, height: H, options: { "no-such-option": "1" } })).toThrow(/libx264 has no option 'no-such-option'/);
    expect(() => new VideoEncoder({ codec: "libx264", width: W, height: H, options: { preset: "warp9" } })).toThrow(/preset/);
    expect(() => new VideoEncoder({ codec: "libvpx-vp9", width: W, height: H, options: { "cpu-used": "99" } })).toThrow(/cpu-used=99/);
    expect(() => new VideoEncoder({ codec: "libx264", width: 161, height: H })).toThrow(/odd dimension/);
    expect(() => new VideoEncoder({ codec: "libx264", width: W, height: H, quality: { crf: 20 }, bitrateKbps: 500 })).toThrow(InvalidArgumentError);
    expect(() => new VideoEncoder({ codec: "libvpx-vp9", width: W, height: H, format: "avc" })).toThrow(/avc/);
    using enc = new VideoEncoder({ codec: "libx264", width: W, height: H, latency: "low", preset: "ultrafast" });
    expect(() => enc.encode([...synthFrames(W + 2, H, 1, 1)][0]!)).toThrow(/expected 160x96|opened for 160x96/);
    expect(() => enc.encode({ width: W, height: H, data: new Uint8Array(W * H * 3), stride: W * 3 })).toThrow(/I420/);
    expect(() => enc.encode({ ...f, y: f.y.subarray(0, 100) })).toThrow(InvalidArgumentError);
    expect(enc.encode(f).length).toBe(1); // still usable
    enc.close();
    enc.close();
    expect(() => enc.encode(f)).toThrow(StateError);
    expect(() => enc.flush()).toThrow(StateError);
  });

  test("libavcodec's libsvtav1 is never opened in this process", async () => {
    // The C side refuses it even when asked directly (the zod schema does not list it).
    const { native } = await import("../../src/native/ffi");
    expect(native().ag_lavc_new(Buffer.from("libsvtav1\0"))).toBeNull();
    expect(String(native().ag_last_error())).toMatch(/never opened in this process/);
    using av1 = new VideoEncoder({ codec: "av1", width: W, height: H, latency: "low", preset: 12 });
    expect(av1.encoderName).toBe("svt-av1");
    expect(EncoderError).toBeDefined();
  });
});
