/**
 * Child process for the kill test: writes an MP4 (fragmented every 5 frames, or not) frame by frame until it is
 * killed, printing the frame count after each frame so the parent knows how far it got.
 * argv: <path> <fragmented: 1|0>
 */
import { VideoWriter } from "../../src/io/writer";
import { synthFrames } from "../../src/io/synth";

const [path, frag] = process.argv.slice(2) as [string, string];
const w = new VideoWriter(path, { codec: "libx264", width: 160, height: 96, fps: { num: 25, den: 1 }, latency: "low", preset: "ultrafast", fragmented: frag === "1" ? { frames: 5 } : false });
let n = 0;
for (;;) {
  for (const f of synthFrames(160, 96, 50, 1 + (n % 7))) {
    w.write(f);
    n++;
    process.stdout.write(`${n}\n`);
  }
}
