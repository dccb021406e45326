import { VideoReader } from "av1gym";

// Anything libavformat opens: MP4, MKV, WebM, IVF, Y4M...
using reader = new VideoReader("clip.mp4", { threads: 2 });
const { width, height, fps, frameCount, duration, codec, pixelFormat, bitDepth } = reader.metadata;

for (const frame of reader) {            // sequential, I420: frame.y / frame.u / frame.v (+ strides)
  console.log(frame.index, frame.time, frame.pts);
}
for (const f of reader.frames({ start: 10, end: 20, reuse: true })) { /* one frame object, overwritten */ }

const f42 = reader.frame(42);            // exact random access (seek to the key frame, decode forward)
const near = reader.frameAt(1.5);        // the frame nearest to 1.5 s (OutOfRangeError if none within 1 frame)
const buf = reader.allocFrame();
reader.frame(43, buf);                   // decode into your own planes (no allocation)

// Raw video has no header: say what it is.
using raw = new VideoReader("clip.yuv", { width: 576, height: 324, pixelFormat: "yuv420p10le", fps: 25 });
raw.frame(0).y;                          // Uint16Array, 10-bit values

// RGB24 (libswscale), or 10-bit sources as 8-bit:
using rgb = new VideoReader("clip.mp4", { format: "rgb24" });
rgb.frame(0).data;                       // width*height*3 bytes, R G B
using eight = new VideoReader("clip10.mkv", { bitDepth: 8 });
