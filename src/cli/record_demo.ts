/**
 * `av1gym record-demo`: what the robot-learning recorder does, end to end. Two generated cameras (640x480,
 * 30 fps, paced in real time) are recorded by a StreamingEncoder for --seconds (default 10), the episode is
 * finished; a second episode follows; each camera's two episodes are joined by stream copy (concat); the
 * drop counts and the joined file's probe are printed.
 */
import { parseArgs } from "node:util";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamingEncoder } from "../codec/streaming";
import { SynthSource } from "../io/synth";
import { concat, probe } from "../io/remux";
import { allocI420 } from "../core/frame";

export async function recordDemoCommand(argv: string[]): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: { seconds: { type: "string" }, codec: { type: "string" }, dir: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (a.help) {
    console.log("usage: av1gym record-demo [--seconds S] [--codec libx264|av1|...] [--dir DIR]");
    return 0;
  }
  const seconds = Number(a.seconds ?? 10);
  if (!(seconds > 0 && seconds <= 600)) {
    console.error("av1gym record-demo: --seconds must be in (0, 600]");
    return 2;
  }
  const codec = a.codec ?? "libx264";
  const dir = a.dir ?? mkdtempSync(join(tmpdir(), "av1gym-record-"));
  const W = 640, H = 480, FPS = 30;
  const cams = ["front", "wrist"];
  const sources = cams.map((_, k) => new SynthSource(W, H, k + 1));
  const frame = allocI420(W, H);
  await using rec = new StreamingEncoder({ codec, preset: codec === "av1" ? 12 : "veryfast", fps: { num: FPS, den: 1 }, stats: false });
  const episodes: Record<string, string>[] = [];
  let t = 0;
  for (const ep of [1, 2]) {
    rec.startEpisode(cams, join(dir, `episode${ep}`));
    const n = Math.round(seconds * FPS), start = performance.now();
    let feedMs = 0;
    for (let i = 0; i < n; i++, t++) {
      for (let k = 0; k < cams.length; k++) {
        sources[k]!.frame(t, frame);
        const t0 = performance.now();
        rec.feed(cams[k]!, frame);
        feedMs += performance.now() - t0;
      }
      const due = start + ((i + 1) * 1000) / FPS; // real time: the next frame is due then
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
    }
    const result = await rec.finishEpisode();
    episodes.push(Object.fromEntries(cams.map((c) => [c, result[c]!.path])));
    for (const c of cams)
      console.log(`episode ${ep} ${c}: ${result[c]!.frames} frames, ${result[c]!.dropped} dropped, ${result[c]!.durationS.toFixed(2)} s -> ${result[c]!.path}`);
    console.log(`episode ${ep}: feed() took ${((feedMs / (n * cams.length)) * 1000).toFixed(0)} us per frame on average`);
  }
  for (const c of cams) {
    const joined = join(dir, `${c}-joined.mp4`);
    concat(episodes.map((e) => e[c]!), joined);
    const p = probe(joined);
    console.log(`${c} joined: ${joined}`);
    console.log(JSON.stringify({ container: p.container, duration: p.duration, bitRate: p.bitRate, frames: p.video?.frameCount, fps: p.video?.fps, codec: p.video?.codec, width: p.video?.width, height: p.video?.height, hasAudio: p.hasAudio }));
  }
  return 0;
}
