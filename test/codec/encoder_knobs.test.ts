import { describe, expect, test } from "bun:test";
import { HARDWARE_ENCODERS, KEY_FRAMES, LOW_LATENCY, QUALITY_KNOBS, SOFTWARE_ENCODERS, mergeOptions, qualityOptions } from "../../src/codec/encoder_knobs";
import { avOptionsFor, VideoEncoderOptions } from "../../src/codec/video_encoder";
import { InvalidArgumentError } from "../../src/core/errors";

describe("the quality knob, per encoder", () => {
  test("crf maps onto each encoder's own rate control", () => {
    expect(qualityOptions("libx264", 23)).toEqual({ crf: "23" });
    expect(qualityOptions("libx265", 28)).toEqual({ crf: "28" });
    expect(qualityOptions("libaom-av1", 30)).toEqual({ crf: "30", b: "0" }); // -crf 30 -b:v 0
    expect(qualityOptions("libvpx-vp9", 31)).toEqual({ crf: "31", b: "0" });
    expect(qualityOptions("librav1e", 63)).toEqual({ qp: "255" });
    expect(qualityOptions("h264_nvenc", 25)).toEqual({ rc: "constqp", qp: "25" });
    expect(qualityOptions("hevc_qsv", 25)).toEqual({ global_quality: "25" });
    expect(qualityOptions("h264_vaapi", 25)).toEqual({ rc_mode: "CQP", qp: "25" });
    // VideoToolbox: q:v = 100 - 2 * crf, i.e. global_quality = q * FF_QP2LAMBDA with the qscale flag
    expect(qualityOptions("h264_videotoolbox", 20)).toEqual({ flags: "+qscale", global_quality: String(60 * 118) });
    expect(() => qualityOptions("h264_v4l2m2m", 20)).toThrow(InvalidArgumentError);
  });

  test("every encoder has an entry in every table, and the native knob is named", () => {
    for (const e of [...SOFTWARE_ENCODERS, ...HARDWARE_ENCODERS]) {
      expect(e in QUALITY_KNOBS && e in LOW_LATENCY && e in KEY_FRAMES).toBe(true);
      if (QUALITY_KNOBS[e]) expect(QUALITY_KNOBS[e]!.native.length).toBeGreaterThan(1);
    }
  });

  test("option sets merge with later ones winning and -params strings joined", () => {
    expect(mergeOptions({ a: "1", "x265-params": "scenecut=0" }, { a: "2", "x265-params": "log-level=error" })).toEqual({ a: "2", "x265-params": "scenecut=0:log-level=error" });
    const o = VideoEncoderOptions.parse({ codec: "libx264", width: 640, height: 480, latency: "low", quality: { crf: 20 }, preset: "fast", options: { crf: "18" } });
    const av = avOptionsFor("libx264", o);
    expect(av).toMatchObject({ crf: "18", preset: "fast", tune: "zerolatency", bf: "0", "forced-idr": "1", sc_threshold: "0", colorspace: "smpte170m", color_range: "tv", threads: "1" });
    const hd = avOptionsFor("libx264", VideoEncoderOptions.parse({ codec: "libx264", width: 1280, height: 720, bitrateKbps: 800 }));
    expect(hd).toMatchObject({ b: "800k", colorspace: "bt709" });
    expect(hd.crf).toBeUndefined();
  });
});
