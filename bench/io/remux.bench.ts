/**
 * remux and concat (stream copy) against the ffmpeg CLI doing the same (`ffmpeg -c copy`, `ffmpeg -f concat
 * -c copy`) on the same files, in the same run. A 20 s 640x480 H.264 + AAC clip, made with the ffmpeg CLI.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concat, remux } from "../../src/io/remux";
import { HAVE_FFMPEG, MISSING, bestOf, report, skipped } from "../util";

const BENCHES = [{ bench: "remux-mp4-to-mkv" }, { bench: "concat-3-mp4" }];
const ff = (...args: string[]) => {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", ...args], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
};
if (!HAVE_FFMPEG) skipped(BENCHES, MISSING.ffmpeg);
else {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-remux-bench-"));
  try {
    const src = join(dir, "src.mp4");
    ff("-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-t", "20", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-c:a", "aac", src);
    let ours = Infinity, peer = Infinity;
    for (let i = 0; i < 3; i++) {
      ours = Math.min(ours, await bestOf(1, () => remux(src, join(dir, `o${i}.mkv`))));
      peer = Math.min(peer, await bestOf(1, () => ff("-i", src, "-map", "0", "-c", "copy", join(dir, `p${i}.mkv`))));
    }
    report({ bench: "remux-mp4-to-mkv", ours, peer, unit: "s", peer_name: "ffmpeg -c copy" });
    const list = join(dir, "list.txt");
    writeFileSync(list, [src, src, src].map((f) => `file '${f}'`).join("\n"));
    ours = Infinity;
    peer = Infinity;
    for (let i = 0; i < 3; i++) {
      ours = Math.min(ours, await bestOf(1, () => concat([src, src, src], join(dir, `oc${i}.mp4`))));
      peer = Math.min(peer, await bestOf(1, () => ff("-f", "concat", "-safe", "0", "-i", list, "-c", "copy", join(dir, `pc${i}.mp4`))));
    }
    report({ bench: "concat-3-mp4", ours, peer, unit: "s", peer_name: "ffmpeg -f concat -c copy" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
