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
  .object({
    ...encoderSettingsShape,
    /** Frame-level qp actions (`step({ frameQp })`, SVT-AV1's per-picture qp). A step without one gets the qp
     * nearest the default's base qindex for that frame. */
    frameQp: z.boolean().default(false),
    /** Fixed qindex offsets per temporal layer on top of the default's (see Av1Encoder); excludes frameQp. */
    layerQindexOffsets: z.array(z.number().int().min(-255).max(255)).max(6).optional(),
    keyFrameQindexOffset: z.number().int().min(-255).max(255).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    refineEncoderSettings(s, ctx, "low-delay");
    if (s.frameQp && (s.layerQindexOffsets || s.keyFrameQindexOffset !== undefined))
      ctx.addIssue({ code: "custom", path: ["frameQp"], message: "frameQp and layerQindexOffsets exclude each other" });
  });

export const RewardSchema = z
  .object({
    /** mse | psnr | ssim | ssim_box8 | ms_ssim | vmaf, or a Distortion object (see reward.ts). Default psnr. */
    distortion: z.union([z.enum(DISTORTION_NAMES), z.custom<Distortion>(isDistortion, "a Distortion object (name, measure, scale)")]).default("psnr"),
    /**
     * Weight of bits per pixel. "slope" (the default in baseline mode): the default encoder's own local RD slope
     * at the episode's operating point (its window encoded at rate setting -slopeStep and +slopeStep, once,
     * cached), so moving along the default's curve (uniform offsets) scores about 0. A number: fixed (default in
     * absolute mode: per metric, mse 50, psnr 10, ssim and ssim_box8 5, ms_ssim 2, vmaf 20).
     */
    lambda: z.union([z.number().finite().min(0), z.literal("slope")]).optional(),
    /** CRF / QP step either side of the operating point for the "slope" lambda (default 4). */
    slopeStep: z.number().int().min(1).max(16).default(4),
    /**
     * Budget mode: the episode has a bit budget (a multiple of the default encoder's bits on the same window,
     * default 1) shown in the observation (bits used and left); the rate term leaves the per-step reward (it is
     * distortion only) and the last step is charged overshootPenalty x overshoot fraction x episode length.
     */
    budget: z
      .object({ factor: z.number().positive().max(100).default(1), overshootPenalty: z.number().min(0).default(20) })
      .strict()
      .optional(),
    /** absolute: -(D + lambda R); baseline: improvement over the zero-offset encode of the same frame. */
    mode: z.enum(["absolute", "baseline"]).default("absolute"),
    /** vmaf only: a libvmaf JSON model file (default: $AV1GYM_VMAF_MODEL, else ../shared's vmaf_v0.6.1.json). */
    vmafModel: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => r.vmafModel === undefined || r.distortion === "vmaf", { message: "vmafModel applies to the vmaf distortion only", path: ["vmafModel"] })
  .refine((r) => r.lambda !== "slope" || r.budget === undefined, { message: "budget mode has no rate weight (leave lambda unset)", path: ["lambda"] });

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
    /** Put each step's reconstruction and source frame in its info (`recon`, `source`), e.g. to score them. */
    recon: z.boolean().default(false),
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
