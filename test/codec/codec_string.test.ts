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
import { VideoWriter } from "../../src/io/writer";
import { synthFrames } from "../../src/io/synth";
import { firstFields, traceFields } from "../helpers/media";

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

  test("bad data: FormatError for a corrupt VP9 frame, empty string without parameter sets, typed error for an unknown codec", () => {
    expect(() => codecStringOf("vp9", new Uint8Array([0xff, 0xff, 0xff]))).toThrow(FormatError);
    expect(codecStringOf("h264", new Uint8Array([0, 0, 1, 0x65, 0x88]))).toBe("");
    expect(codecStringOf("av1", new Uint8Array(0))).toBe("");
    expect(() => codecStringOf("mpeg2" as never, new Uint8Array(4))).toThrow(InvalidArgumentError);
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
