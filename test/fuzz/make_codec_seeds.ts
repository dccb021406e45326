// Writes the seeds of the SPS / codec-string harnesses (run once; the outputs are committed under
// test/fuzz/corpus/h26x and test/fuzz/corpus/codec_string): the first key frame of real encoders at a few
// profiles and bit depths, Annex B and length-prefixed, and the avcC/hvcC records the "avc" format builds.
// Byte 0 of every seed is the harness's selector (see fuzz_h26x.c and fuzz_codec_string.c).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VideoEncoder, type VideoEncoderOptions } from "../../src/codec/video_encoder";
import { allocI420 } from "../../src/core/frame";
import { synthFrames } from "../../src/io/synth";

const dir = join(import.meta.dir, "corpus");
for (const d of ["h26x", "codec_string"]) mkdirSync(join(dir, d), { recursive: true });

function firstKey(o: VideoEncoderOptions): { data: Uint8Array; extradata?: Uint8Array } {
  using e = new VideoEncoder({ latency: "low", ...o } as VideoEncoderOptions);
  const ten = o.inputFormat === "yuv420p10le";
  for (const f of synthFrames(o.width, o.height, 2, 1)) {
    let frame = f;
    if (ten) {
      const g = allocI420(f.width, f.height, 10);
      g.y.set(Array.from(f.y, (v) => v * 4)), g.u.set(Array.from(f.u, (v) => v * 4)), g.v.set(Array.from(f.v, (v) => v * 4));
      frame = g;
    }
    const key = [...e.encode(frame), ...e.flush()].find((p) => p.isKey);
    if (key) return { data: key.data, extradata: e.extradata };
  }
  throw new Error(`no key frame from ${o.codec}`);
}
const put = (d: string, name: string, sel: number, data: Uint8Array) => writeFileSync(join(dir, d, name), Buffer.concat([Buffer.from([sel]), data]));

// codec_string selector: bits 0-2 codec (h264, hevc, av1, vp9, ...), bits 3-5 length size; fps and cap follow
const cs = (codec: number, lengthSize: number) => codec | (lengthSize << 3);
const fpsCap = Buffer.from([30, 1, 96]); // fps 30/1, a 96-byte output buffer (what src/codec/codec_string.ts passes)

for (const [name, o] of [
  ["x264_baseline", { codec: "libx264", width: 64, height: 48, preset: "ultrafast", options: { profile: "baseline" } }],
  ["x264_high", { codec: "libx264", width: 64, height: 48, preset: "ultrafast" }],
  ["x264_high10", { codec: "libx264", width: 64, height: 48, preset: "ultrafast", inputFormat: "yuv420p10le" }],
  ["x265_main", { codec: "libx265", width: 64, height: 48, preset: "ultrafast" }],
  ["x265_main10", { codec: "libx265", width: 64, height: 48, preset: "ultrafast", inputFormat: "yuv420p10le" }],
] as [string, VideoEncoderOptions][]) {
  const hevc = o.codec === "libx265" ? 1 : 0;
  const annexb = firstKey(o).data;
  const avc = firstKey({ ...o, format: "avc" });
  // h26x selector: bit 0 hevc, bits 1-3 the length size of the SPS search, bits 4-7 the output capacity's slack
  put("h26x", `${name}_annexb`, hevc | (0 << 1) | (15 << 4), annexb);
  put("h26x", `${name}_avc4`, hevc | (4 << 1) | (15 << 4), avc.data);
  put("codec_string", `${name}_annexb`, cs(hevc, 0), Buffer.concat([fpsCap, annexb]));
  put("codec_string", `${name}_avc4`, cs(hevc, 4), Buffer.concat([fpsCap, avc.data]));
  put("codec_string", `${name}_record`, cs(hevc, 0), Buffer.concat([fpsCap, avc.extradata!]));
}
for (const [name, o] of [
  ["vp9_p0", { codec: "libvpx-vp9", width: 64, height: 48, preset: 8 }],
  ["vp9_p2", { codec: "libvpx-vp9", width: 64, height: 48, preset: 8, inputFormat: "yuv420p10le" }],
] as [string, VideoEncoderOptions][])
  put("codec_string", name, cs(3, 0), Buffer.concat([fpsCap, firstKey(o).data]));
put("codec_string", "svt_av1", cs(2, 0), Buffer.concat([fpsCap, readFileSync(join(dir, "obu", "svt_first_tu"))]));
