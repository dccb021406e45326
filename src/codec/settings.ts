/**
 * The encoder-settings vocabulary, one for `Av1Encoder` and for the Env's `encoder` option: a preset, at most
 * one rate control (`crf`, `qp`, `cbr` or `vbr`; CRF 35 when none is given), a key-frame interval and threads.
 * One schema, so both take the same keys with the same ranges and messages.
 */
import { z } from "zod";

const int = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`);
const kbps = (what: string) =>
  int(what).min(1, `${what} (kb/s) must be at least 1`).max(100000, `${what} (kb/s) must be at most 100000 (SVT-AV1's limit)`);

export const encoderSettingsShape = {
  /** 0 (slowest, best) .. 13 (fastest). */
  preset: int("preset").min(0, "preset must be 0..13").max(13, "preset must be 0..13").default(10),
  /** Constant rate factor 1..63 (the default rate control, at 35). */
  crf: int("crf").min(1, "crf must be 1..63").max(63, "crf must be 1..63").optional(),
  /** Fixed quantizer 1..63 (CQP: no adaptive quantization). */
  qp: int("qp").min(1, "qp must be 1..63").max(63, "qp must be 1..63").optional(),
  /** Constant bit rate, kb/s (low-delay prediction only, in every SVT-AV1 version). */
  cbr: kbps("cbr").optional(),
  /** Variable bit rate, kb/s (random-access prediction only, with a positive keyInt). */
  vbr: kbps("vbr").optional(),
  /** -1: only the first frame is a key frame; N >= 1: a key frame every N frames. Default -1 (VBR: 5 s). */
  keyInt: int("keyInt")
    .min(-1, "keyInt must be -1 (no periodic key frames) or a positive interval")
    .refine((k) => k !== 0, "keyInt must be -1 (no periodic key frames) or a positive interval")
    .optional(),
  /** SVT-AV1's level of parallelism; 0 lets SVT-AV1 choose. 1 (default) gives reproducible bitstreams. */
  threads: int("threads").min(0, "threads must be 0..1024").max(1024, "threads must be 0..1024").default(1),
};

/** The rate control when the settings name none: CRF 35. */
export const DEFAULT_CRF = 35;

export type RateControlMode = "crf" | "cqp" | "vbr" | "cbr";
export type RateControl =
  | { mode: "crf"; crf: number }
  | { mode: "cqp"; qp: number }
  | { mode: "vbr"; bitrateKbps: number }
  | { mode: "cbr"; bitrateKbps: number };

type RateKeys = { crf?: number; qp?: number; cbr?: number; vbr?: number };
const RATE_KEYS = ["crf", "qp", "cbr", "vbr"] as const;

/** The rate control the settings name (CRF 35 when none). */
export function rateControlOf(s: RateKeys): RateControl {
  if (s.qp !== undefined) return { mode: "cqp", qp: s.qp };
  if (s.cbr !== undefined) return { mode: "cbr", bitrateKbps: s.cbr };
  if (s.vbr !== undefined) return { mode: "vbr", bitrateKbps: s.vbr };
  return { mode: "crf", crf: s.crf ?? DEFAULT_CRF };
}

/**
 * Checks what SVT-AV1 (2.3 to 4.x alike) refuses: more than one rate control, VBR with low delay, CBR with
 * random access, VBR without periodic key frames. Used by every schema that embeds the settings.
 */
export function refineEncoderSettings(
  s: RateKeys & { keyInt?: number },
  ctx: z.RefinementCtx,
  predStructure: "low-delay" | "random-access",
  path: (string | number)[] = [],
): void {
  const given = RATE_KEYS.filter((k) => s[k] !== undefined);
  if (given.length > 1)
    ctx.addIssue({ code: "custom", path: [...path, given[1]!], message: `give one rate control (crf, qp, cbr or vbr), not ${given.join(" and ")}` });
  if (s.vbr !== undefined && predStructure === "low-delay")
    ctx.addIssue({
      code: "custom",
      path: [...path, "vbr"],
      message: "SVT-AV1 has no VBR with low-delay prediction (the Env always encodes low delay): use cbr, or predStructure \"random-access\"",
    });
  if (s.cbr !== undefined && predStructure === "random-access")
    ctx.addIssue({ code: "custom", path: [...path, "cbr"], message: "SVT-AV1 has no CBR with random-access prediction: use vbr, or predStructure \"low-delay\"" });
  if (s.vbr !== undefined && s.keyInt === -1)
    ctx.addIssue({ code: "custom", path: [...path, "keyInt"], message: "VBR needs a positive keyInt in SVT-AV1 (it does not take -1)" });
}

/** The settings as a user writes them (`Av1Encoder` options and the Env's `encoder` option). */
export type EncoderSettings = z.input<z.ZodObject<typeof encoderSettingsShape>>;
