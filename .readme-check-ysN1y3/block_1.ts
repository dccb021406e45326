import { VideoEncoder, synthFrames } from "av1gym";

using enc = new VideoEncoder({
  codec: "libx264", width: 640, height: 480, fps: { num: 30, den: 1 },
  inputFormat: "yuv420p",              // or nv12, rgb24, rgba, yuv420p10le (libswscale converts when needed)
  quality: { crf: 23 },                // or bitrateKbps: 1500
  preset: "veryfast", threads: 1, gop: 250, latency: "normal",
  options: { "x264-params": "aq-mode=2" }, // any AVOption; an unknown or rejected one is an error naming it
});
for (const frame of synthFrames(640, 480, 60, 1)) {
  for (const p of enc.encode(frame)) console.log(p.pts, p.dts, p.isKey, p.data.length); // timeBase = 1/fps
}
enc.flush();
console.log(enc.codecString, enc.nativeQuality, enc.encodedPixelFormat);
