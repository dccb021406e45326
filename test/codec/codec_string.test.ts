/**
 * Codec strings against headers parsed independently (ffmpeg's trace_headers), for several profiles, levels and
 * bit depths of each codec, straight from the encoders' own streams.
 */
import { describe, expect, test, beforeAll, afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VideoEncoder, type VideoEncoderOptions } from "../../src/codec/video_encoder";
import { codecStringOf } from "../../src/codec/codec_string";
import { FormatError, InvalidArgumentError } from "../../src/core/errors";
import { allocI420 } from "../../src/core/frame";
import { LavfMuxer, VideoWriter } from "../../src/io/writer";
import { Av1Encoder } from "../../src/codec/av1_encoder";
import { synthFrames } from "../../src/io/synth";
import { firstFields, traceFields } from "../helpers/media";
import { cString } from "../../src/native/config";
import { native } from "../../src/native/ffi";
import { AG } from "../../src/native/abi";

let dir = "";
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "av1gym-cs-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Encodes a few frames to a file the trace filter reads, returning the encoder's codec string and the path. */
function encode(o: VideoEncoderOptions, ext: string, frames = 3): { cs: string; path: string } {
  const path = join(dir, `${o.codec}-${Math.random().toString(36).slice(2)}.${ext}`);
  const w = new VideoWriter(path, { latency: "low", ...o });
  const depth = o.inputFormat === "yuv420p10le" ? 10 : 8;
  for (const f of synthFrames(o.width, o.height, frames, 1)) w.write(depth === 8 ? f : to10(f));
  const cs = w.encoder.codecString;
  w.close();
  return { cs, path };
}

function to10(f: ReturnType<typeof allocI420>) {
  const g = allocI420(f.width, f.height, 10);
  g.y.set(Array.from(f.y, (v) => v * 4));
  g.u.set(Array.from(f.u, (v) => v * 4));
  g.v.set(Array.from(f.v, (v) => v * 4));
  return g;
}

/** MSB-first bits, ue(v) Exp-Golomb, rbsp_trailing_bits on done(). */
class BitWriter {
  bits: number[] = [];
  u(v: number, n: number) {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }
  ue(v: number) {
    const len = Math.floor(Math.log2(v + 1));
    return this.u(0, len).u(v + 1, len + 1);
  }
  done(): number[] {
    this.bits.push(1);
    while (this.bits.length % 8) this.bits.push(0);
    return Array.from({ length: this.bits.length / 8 }, (_, i) => this.bits.slice(8 * i, 8 * i + 8).reduce((a, b) => a * 2 + b, 0));
  }
}
/** Emulation prevention (H.264 7.4.1): 00 00 0x (x <= 3) -> 00 00 03 0x. */
function escape(b: number[]): number[] {
  const out: number[] = [];
  let zeros = 0;
  for (const v of b) {
    if (zeros >= 2 && v <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(v);
    zeros = v === 0 ? zeros + 1 : 0;
  }
  return out;
}

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");

describe("codec strings read from the produced bitstream", () => {
  const h264: [string, Partial<VideoEncoderOptions>, number, number][] = [
    ["baseline", { options: { profile: "baseline" } }, 320, 240],
    ["main", { options: { profile: "main" } }, 640, 360],
    ["high", {}, 1280, 720],
    ["high10", { inputFormat: "yuv420p10le" }, 320, 240],
  ];
  for (const [name, extra, w, h] of h264)
    test(`H.264 ${name} ${w}x${h}: avc1.PPCCLL from the SPS`, () => {
      const { cs, path } = encode({ codec: "libx264", width: w, height: h, preset: "ultrafast", ...extra } as VideoEncoderOptions, "h264", 1);
      const t = traceFields(path);
      const s = firstFields(t, ["profile_idc", "level_idc", ...[0, 1, 2, 3, 4, 5].map((i) => `constraint_set${i}_flag`)]);
      let c = 0;
      for (let i = 0; i < 6; i++) c |= s[`constraint_set${i}_flag`]! << (7 - i);
      expect(cs).toBe(`avc1.${hex(s.profile_idc!)}${hex(c)}${hex(s.level_idc!)}`);
    }, 60_000);

  for (const [name, extra, w, h] of [["main", {}, 320, 240], ["main10", { inputFormat: "yuv420p10le" }, 640, 360], ["main 720p", {}, 1280, 720]] as const)
    test(`HEVC ${name} ${w}x${h}: hvc1 from profile_tier_level`, () => {
      const { cs, path } = encode({ codec: "libx265", width: w, height: h, preset: "ultrafast", ...extra } as VideoEncoderOptions, "hevc", 1);
      const t = traceFields(path);
      const s = firstFields(t, ["general_profile_space", "general_tier_flag", "general_profile_idc", "general_level_idc", "general_progressive_source_flag", "general_interlaced_source_flag", "general_non_packed_constraint_flag", "general_frame_only_constraint_flag"]);
      let compat = 0;
      const seen = new Set<string>();
      for (const [k, v] of t) {
        const m = /^general_profile_compatibility_flag\[(\d+)\]$/.exec(k);
        if (m && !seen.has(k)) {
          seen.add(k);
          compat |= v << Number(m[1]); // reversed bit order: flag j is bit j
        }
      }
      const b0 = (s.general_progressive_source_flag! << 7) | (s.general_interlaced_source_flag! << 6) | (s.general_non_packed_constraint_flag! << 5) | (s.general_frame_only_constraint_flag! << 4);
      const space = ["", "A", "B", "C"][s.general_profile_space!];
      expect(cs).toBe(`hvc1.${space}${s.general_profile_idc}.${compat.toString(16).toUpperCase()}.${s.general_tier_flag ? "H" : "L"}${s.general_level_idc}${b0 ? "." + b0.toString(16).toUpperCase() : ""}`);
    }, 60_000);

  const av1Fields = ["seq_profile", "seq_level_idx[0]", "seq_tier[0]", "high_bitdepth", "twelve_bit", "mono_chrome", "color_description_present_flag", "color_primaries", "transfer_characteristics", "matrix_coefficients", "color_range", "chroma_sample_position"];
  for (const [name, o, w, h] of [
    ["libaom 8-bit", { codec: "libaom-av1", preset: 8 }, 320, 240],
    ["libaom 10-bit", { codec: "libaom-av1", preset: 8, inputFormat: "yuv420p10le" }, 640, 360],
    ["SVT-AV1 8-bit", { codec: "av1", preset: 12 }, 320, 240],
    ["SVT-AV1 10-bit", { codec: "av1", preset: 12, inputFormat: "yuv420p10le" }, 1280, 720],
  ] as const)
    test(`AV1 ${name} ${w}x${h}: av01 from the sequence header`, () => {
      const { cs, path } = encode({ ...o, width: w, height: h } as VideoEncoderOptions, "obu", 1);
      const s = firstFields(traceFields(path), av1Fields);
      const depth = s.high_bitdepth ? (s.seq_profile === 2 && s.twelve_bit ? 12 : 10) : 8;
      let want = `av01.${s.seq_profile}.${String(s["seq_level_idx[0]"]).padStart(2, "0")}${s["seq_tier[0]"] ? "H" : "M"}.${String(depth).padStart(2, "0")}`;
      if (s.color_description_present_flag || s.color_range || s.mono_chrome)
        want += `.${s.mono_chrome ?? 0}.11${s.chroma_sample_position ?? 0}.${[s.color_primaries ?? 2, s.transfer_characteristics ?? 2, s.matrix_coefficients ?? 2].map((v) => String(v).padStart(2, "0")).join(".")}.${s.color_range}`;
      expect(cs).toBe(want);
    }, 60_000);

  test("Av1Encoder (the SVT session itself): its codecString and codecStringOf its packets agree with the sequence header", () => {
    const path = join(dir, "svt-direct.obu");
    using enc = new Av1Encoder({ width: 640, height: 360, preset: 12 });
    using mux = new LavfMuxer(path);
    mux.addVideo(enc);
    let first: Uint8Array | null = null;
    for (const f of synthFrames(640, 360, 2, 1))
      for (const p of enc.encode(f)) {
        first ??= p.data;
        mux.write(p);
      }
    mux.close();
    const s = firstFields(traceFields(path), ["seq_profile", "seq_level_idx[0]", "seq_tier[0]", "high_bitdepth"]);
    const want = `av01.${s.seq_profile}.${String(s["seq_level_idx[0]"]).padStart(2, "0")}${s["seq_tier[0]"] ? "H" : "M"}.${s.high_bitdepth ? "10" : "08"}`;
    expect(enc.codecString).toBe(want);
    expect(codecStringOf("av1", first!)).toBe(want);
  }, 60_000);

  // VP9 codes no level: the expected one is VP9's level table applied to the size and 30 fps.
  for (const [name, extra, w, h, level] of [
    ["profile 0", {}, 320, 240, "20"],
    ["profile 2 (10-bit)", { inputFormat: "yuv420p10le" }, 640, 360, "21"],
    ["profile 0 720p", {}, 1280, 720, "31"],
  ] as const)
    test(`VP9 ${name} ${w}x${h}: vp09 from the key frame header`, () => {
      const { cs, path } = encode({ codec: "libvpx-vp9", width: w, height: h, preset: 8, ...extra } as VideoEncoderOptions, "ivf", 1);
      const s = firstFields(traceFields(path), ["profile_low_bit", "profile_high_bit", "ten_or_twelve_bit", "color_space", "color_range"]);
      const profile = (s.profile_high_bit! << 1) | s.profile_low_bit!;
      const depth = profile >= 2 ? (s.ten_or_twelve_bit ? 12 : 10) : 8;
      const short = `vp09.${String(profile).padStart(2, "0")}.${level}.${String(depth).padStart(2, "0")}`;
      expect(s.color_space).toBe(h <= 576 ? 3 : 2); // CS_SMPTE_170 (our BT.601 default for SD), CS_BT_709 above
      // The optional part when the colour is not the binding's default (BT.709, limited): matrix 6 = SMPTE 170M.
      expect(cs).toBe(h <= 576 ? `${short}.00.02.02.06.00` : short);
    }, 60_000);

  // Found by fuzz_h26x: an SPS whose chroma format or bit depth is out of the standard's range was read (the
  // bit depth as ue() + 8, a signed overflow for 2^31 - 1) and produced a codec string; it is corrupt.
  test("an SPS with an out-of-range chroma format or bit depth is a FormatError, an in-range one a string", () => {
    const sps = (hevc: boolean, chroma: number, depth: number) => {
      const w = new BitWriter();
      if (hevc) {
        w.u(0x4201, 16).u(0, 4).u(0, 3).u(1, 1); // NAL header (type 33), vps id, max_sub_layers_minus1 0, nesting
        w.u(0, 2).u(0, 1).u(1, 5).u(0x60000000, 32).u(0, 24).u(0, 24).u(93, 8); // profile_tier_level: Main, L3.1
        w.ue(0).ue(chroma).ue(64).ue(48).u(0, 1).ue(depth).ue(depth); // id, chroma, size, no window, depths
      } else {
        w.u(0x67, 8).u(100, 8).u(0, 8).u(30, 8); // NAL header (type 7), High, constraints, level 3.0
        w.ue(0).ue(chroma);
        if (chroma === 3) w.u(0, 1);
        w.ue(depth).ue(depth);
      }
      return new Uint8Array([0, 0, 0, 1, ...escape(w.done())]);
    };
    expect(codecStringOf("h264", sps(false, 1, 2))).toBe("avc1.64001E");
    expect(codecStringOf("hevc", sps(true, 1, 2))).toBe("hvc1.1.6.L93");
    for (const [chroma, depth] of [[1, 7], [4, 0], [1, 0x7fffffff]])
      expect(() => codecStringOf("h264", sps(false, chroma, depth))).toThrow(FormatError);
    for (const [chroma, depth] of [[1, 9], [4, 0], [1, 0x7fffffff]])
      expect(() => codecStringOf("hevc", sps(true, chroma, depth))).toThrow(FormatError);
  });

  test("bad data: FormatError for a corrupt VP9 frame, empty string without parameter sets, typed error for an unknown codec", () => {
    expect(() => codecStringOf("vp9", new Uint8Array([0xff, 0xff, 0xff]))).toThrow(FormatError);
    expect(codecStringOf("h264", new Uint8Array([0, 0, 1, 0x65, 0x88]))).toBe("");
    expect(codecStringOf("av1", new Uint8Array(0))).toBe("");
    expect(() => codecStringOf("mpeg2" as never, new Uint8Array(4))).toThrow(InvalidArgumentError);
    // the native side refuses an unknown codec even without data (found by fuzz_codec_string: it returned "none")
    expect(native().ag_codec_string(cString("mpeg2"), null, 0, 0, 30, 1, new Uint8Array(8), 8)).toBe(AG.E_INVALID);
    // Random bytes never crash the parsers.
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      const b = new Uint8Array(1 + (i % 64)).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      for (const c of ["h264", "hevc", "av1", "vp9"] as const) {
        try {
          codecStringOf(c, b);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }
    }
  });
});
