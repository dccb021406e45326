/** The Env's option object, validated with zod; failures become InvalidArgumentError naming the field. */
import { z } from "zod";
import { MAX_QINDEX_OFFSET } from "../codec/av1_encoder";
import { InvalidArgumentError } from "../core/errors";
import { DEFAULT_ACTION_LEVELS, MAX_ACTION_LEVELS } from "./actions";
import { DISTORTION_NAMES, type Distortion } from "./reward";
import type { SourceSpec } from "./source";
import { encoderSettingsShape, refineEncoderSettings } from "../codec/settings";

function isDistortion(x: unknown): x is Distortion {
  const d = x as Distortion;
  return !!d && typeof d === "object" && typeof d.name === "string" && typeof d.measure === "function" && typeof d.scale === "function";
}

/** The Env's `encoder` option: the settings vocabulary of `Av1Encoder` (src/codec/settings.ts), as is. The
 * Env encodes low delay (one frame in, its packet out), so `cbr` works and `vbr` is refused: SVT-AV1 has no
 * VBR with low-delay prediction. */
export const EncoderSettingsSchema = z
  .object(encoderSettingsShape)
  .strict()
  .superRefine((s, ctx) => refineEncoderSettings(s, ctx, "low-delay"));

export const RewardSchema = z
  .object({
    /** mse | psnr | ssim | ssim_box8 | ms_ssim | vmaf, or a Distortion object (see reward.ts). Default psnr. */
    distortion: z.union([z.enum(DISTORTION_NAMES), z.custom<Distortion>(isDistortion, "a Distortion object (name, measure, scale)")]).default("psnr"),
    /** Weight of bits per pixel; default per metric (mse 50, psnr 10, ssim and ssim_box8 5, ms_ssim 2, vmaf 20). */
    lambda: z.number().finite().min(0).optional(),
    /** absolute: -(D + lambda R); baseline: improvement over the zero-offset encode of the same frame. */
    mode: z.enum(["absolute", "baseline"]).default("absolute"),
    /** vmaf only: a libvmaf JSON model file (default: $AV1GYM_VMAF_MODEL, else ../shared's vmaf_v0.6.1.json). */
    vmafModel: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => r.vmafModel === undefined || r.distortion === "vmaf", { message: "vmafModel applies to the vmaf distortion only", path: ["vmafModel"] });

export const EnvOptionsSchema = z
  .object({
    /** A path, { path, ...VideoReader options }, a VideoReader (not closed by the Env), or { synth: {...} }.
     * Default: 30 generated 128x128 frames. */
    source: z.custom<SourceSpec>((x) => x === undefined || typeof x === "string" || (typeof x === "object" && x !== null), "a path, { path, ... }, a VideoReader or { synth: {...} }").optional(),
    /** First frame of the episode window. */
    start: z.number().int().min(0).default(0),
    /** Frames per episode (truncated there); default: to the end of the source. */
    maxFrames: z.number().int().min(1).optional(),
    /** Draw the start uniformly in [start, frameCount - maxFrames] on every reset (seeded). Needs maxFrames. */
    randomStart: z.boolean().default(false),
    encoder: EncoderSettingsSchema.default({}),
    /** qindex offset for each action index; 1..8 distinct integers in -255..255 (what the encoder takes). */
    actionLevels: z
      .array(z.number().int().min(-MAX_QINDEX_OFFSET).max(MAX_QINDEX_OFFSET))
      .min(1)
      .max(MAX_ACTION_LEVELS, `at most ${MAX_ACTION_LEVELS} levels (AV1 segmentation has 8 segments)`)
      .refine((a) => new Set(a).size === a.length, "levels must be distinct")
      .default([...DEFAULT_ACTION_LEVELS]),
    observation: z
      .object({
        /** Clip every observation feature to [-clip, clip] (default: no clipping). */
        clip: z.number().positive().optional(),
      })
      .strict()
      .default({}),
    reward: RewardSchema.default({}),
    /** Write every episode's bitstream to this IVF path (`{episode}` becomes the episode number): see Env.recordTo. */
    record: z.string().min(1).optional(),
    /** Memory for decoded source frames, MB (default 256). Windows that fit decode once for all episodes. */
    cacheMB: z.number().min(0).max(65536).default(256),
  })
  .strict()
  .refine((o) => !o.randomStart || o.maxFrames !== undefined, { message: "randomStart needs maxFrames", path: ["randomStart"] });

export type EnvOptions = z.input<typeof EnvOptionsSchema>;
export type ParsedEnvOptions = z.output<typeof EnvOptionsSchema>;

export function zodMessage(e: z.ZodError, what: string): string {
  return `invalid ${what}: ${e.issues.map((i) => `${i.path.length ? i.path.join(".") : "(options)"}: ${i.message}`).join("; ")}`;
}

export function parseEnvOptions(options: unknown): ParsedEnvOptions {
  const r = EnvOptionsSchema.safeParse(options ?? {});
  if (!r.success) throw new InvalidArgumentError(zodMessage(r.error, "Env options"));
  return r.data;
}
