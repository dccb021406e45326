/** Child of hw_probe.test.ts: probes, encodes three frames with codec "auto", prints JSON. */
import { probeEncoders } from "../../src/codec/hw_probe";
import { VideoEncoder } from "../../src/codec/video_encoder";
import { synthFrames } from "../../src/io/synth";

const results = probeEncoders({ width: 320, height: 240 });
const again = probeEncoders({ width: 320, height: 240 });
const enc = new VideoEncoder({ codec: "auto", width: 320, height: 240, latency: "low" });
let packets = 0;
for (const f of synthFrames(320, 240, 3, 1)) packets += enc.encode(f).length;
enc.close();
console.log(JSON.stringify({ results, cached: results.every((r, i) => r === again[i]), auto: enc.encoderName, packets }));
