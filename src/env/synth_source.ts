/**
 * The default Env source: deterministic moving textured content from src/synth.ts (no files needed).
 */
import type { I420Frame } from "../core/frame";
import { InvalidArgumentError } from "../core/errors";
import { z } from "zod";
import { SynthSource } from "../io/synth";
import type { FrameSource } from "./source";

export const SynthSpecSchema = z
  .object({
    width: z.number().int().min(64).max(4096).default(128),
    height: z.number().int().min(64).max(4096).default(128),
    frames: z.number().int().min(1).max(100000).default(30),
    seed: z.number().int().default(1),
    fps: z.number().int().min(1).max(240).default(30),
  })
  .strict();
export type SynthSpec = z.input<typeof SynthSpecSchema>;

export function openSynth(spec: SynthSpec): FrameSource {
  const r = SynthSpecSchema.safeParse(spec);
  if (!r.success) throw new InvalidArgumentError(`invalid synth source: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const s = r.data;
  const synth = new SynthSource(s.width, s.height, s.seed);
  return {
    width: s.width,
    height: s.height,
    frameCount: s.frames,
    fps: { num: s.fps, den: 1 },
    key: `synth:${JSON.stringify(s)}`,
    read(i: number, into: I420Frame) {
      synth.frame(i, into);
    },
    close() {},
  };
}
