/**
 * Each shipped policy against SVT-AV1's default on the held-out clips (HELD_OUT_CLIPS, never trained on):
 * BD-rates (PSNR-Y, SSIM, VMAF; negative = fewer bits for the same quality) from evaluatePolicy at preset 10,
 * low delay, CRF 27/35/43/51, the first 60 frames (AV1GYM_HELDOUT_FRAMES to change). Compression numbers, not
 * timings: the machine's load does not change them.
 */
import { evaluatePolicy, HELD_OUT_CLIPS, loadPolicy, sharedClip } from "../../src/env/evaluate";
import { svtVersion } from "../../src/codec/av1_encoder";
import { HAVE_SHARED, ROOT, SHARED_DIR } from "../util";
import { join } from "node:path";

const SHIPPED = ["examples/policies/frame_qp_policy.ts", "examples/heuristic.ts"];
const FRAMES = Number(process.env.AV1GYM_HELDOUT_FRAMES ?? 60);

if (!HAVE_SHARED) {
  console.log(JSON.stringify({ bench: "rl-heldout-bdrate", skipped: `${SHARED_DIR} not found: the held-out clips are in ../shared/clips` }));
  process.exit(0);
}
for (const file of SHIPPED) {
  const policy = await loadPolicy(join(ROOT, file));
  const e = evaluatePolicy(policy, { clips: HELD_OUT_CLIPS.map(sharedClip), frames: FRAMES });
  const r = (v: number | null | undefined) => (typeof v === "number" ? Math.round(v * 100) / 100 : null);
  console.log(
    JSON.stringify({
      bench: "rl-heldout-bdrate",
      policy: policy.name,
      svt: svtVersion().text,
      clips: HELD_OUT_CLIPS.map((c) => c.replace(/\.\w+$/, "")),
      frames: FRAMES,
      bdrate_psnr_y: r(e.average.psnr_y),
      bdrate_ssim: r(e.average.ssim),
      bdrate_vmaf: r(e.average.vmaf),
      per_clip: Object.fromEntries(e.clips.map((c) => [c.clip.split("/").pop()!.replace(/\.\w+$/, ""), { psnr_y: r(c.bdrate.psnr_y), ssim: r(c.bdrate.ssim), vmaf: r(c.bdrate.vmaf) }])),
      unit: "%",
    }),
  );
}
