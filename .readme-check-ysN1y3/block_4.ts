import { VideoWriter, LavfMuxer, VideoEncoder, encodeImages, synthFrames } from "av1gym";

// Frames in, a file out. The container comes from the extension (.mp4 with faststart, .mkv, .webm, .ivf,
// .h264/.hevc raw Annex B, .obu) or `format`; fragmented MP4 flushes every N frames.
using w = new VideoWriter("out.mp4", { codec: "libx264", width: 640, height: 480, fps: { num: 30, den: 1 },
                                      quality: { crf: 23 }, fragmented: { frames: 30 } });
for (const f of synthFrames(640, 480, 90, 1)) w.write(f);
w.close();

// Packets of any Encoder, muxed directly.
using enc = new VideoEncoder({ codec: "av1", width: 640, height: 480, latency: "low" });
using mux = new LavfMuxer("out.mkv");
mux.addVideo(enc);
for (const f of synthFrames(640, 480, 30, 2)) for (const p of enc.encode(f)) mux.write(p);
for (const p of enc.flush()) mux.write(p);
mux.close();

// A directory, a %d pattern or a glob of PNG/JPEG frames, in frame-number order.
encodeImages("frames/img_%04d.png", "frames.webm", { codec: "libvpx-vp9", fps: { num: 24, den: 1 } });
