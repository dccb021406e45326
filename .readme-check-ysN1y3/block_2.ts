import { VideoEncoder, type Nv12Frame } from "av1gym";

const width = 640, height = 480;
using enc = new VideoEncoder({
  codec: "libx264", width, height, fps: { num: 30, den: 1 }, inputFormat: "nv12",
  latency: "low", format: "annexb", quality: { crf: 23 }, preset: "veryfast", threads: 1,
});
const frame: Nv12Frame = { width, height, y: new Uint8Array(width * height), uv: new Uint8Array(width * height / 2),
                           strideY: width, strideUV: width };
const [au] = enc.encode(frame, { keyFrame: true });   // exactly one packet, from this call
console.log(enc.codecString);                          // e.g. "avc1.64001E" (profile, constraints, level)
enc.flush();                                           // [] in low latency: nothing is held back
