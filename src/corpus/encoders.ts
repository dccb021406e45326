/**
 * The encoders a corpus can run, each with its one native quality knob: `av1`, the project's own SVT-AV1
 * session, and the software encoders of libavcodec through VideoEncoder (libx264, libx265, libvpx-vp9,
 * libaom-av1, librav1e). AV1 through SVT-AV1 is always our own session, never libavcodec's libsvtav1 (see the
 * hazard in the architecture doc). Each opens an `Encoder` (the common interface: frames in, Packets with
 * timestamps out), so a cell runs the same for every codec.
 */
import { InvalidArgumentError } from "../core/errors";
import type { Encoder } from "../codec/packet";
import { Av1Encoder, type EncoderOptions as Av1Options } from "../codec/av1_encoder";
import { VideoEncoder, type VideoEncoderOptions } from "../codec/video_encoder";
import { QUALITY_KNOBS, SOFTWARE_ENCODERS, type SoftwareEncoderName } from "../codec/encoder_knobs";

/** An open encoder for one cell, and the settings it was opened with (for the cell's summary row). */
export interface CorpusSession {
  encoder: Encoder;
  settings: Record<string, unknown>;
}

export interface OpenOptions {
  width: number;
  height: number;
  fps: { num: number; den: number };
  bitDepth: number;
  value: number;
  options: Record<string, string | number | boolean>;
}

export interface CorpusEncoderInfo {
  name: string;
  /** The native knob the grid values are given in. */
  knob: string;
  checkValue(v: number): void;
  open(o: OpenOptions): CorpusSession;
}

const intRange = (name: string, knob: string, min: number, max: number) => (v: number) => {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError(`${name}: ${knob} ${v} is out of range (an integer ${min}..${max})`);
};

function pick<T>(opts: Record<string, unknown>, allowed: readonly string[], encoder: string): Partial<Record<string, T>> {
  for (const k of Object.keys(opts))
    if (!allowed.includes(k)) throw new InvalidArgumentError(`encoder ${encoder} has no option "${k}" (it takes: ${allowed.join(", ")})`);
  return opts as Partial<Record<string, T>>;
}

const av1: CorpusEncoderInfo = {
  name: "av1",
  knob: "crf",
  checkValue: intRange("av1", "crf", 1, 63),
  open(o) {
    const opts = pick<string | number>(o.options, ["preset", "predStructure", "keyInt", "threads"], "av1");
    const settings: Av1Options = {
      width: o.width,
      height: o.height,
      fps: o.fps,
      bitDepth: o.bitDepth === 10 ? 10 : 8,
      preset: Number(opts.preset ?? 10),
      crf: o.value,
      predStructure: (opts.predStructure as "low-delay" | "random-access" | undefined) ?? "random-access",
      threads: Number(opts.threads ?? 1),
      ...(opts.keyInt !== undefined ? { keyInt: Number(opts.keyInt) } : {}),
    };
    return { encoder: new Av1Encoder(settings), settings: { ...settings, width: undefined, height: undefined, fps: undefined } };
  },
};

// crf ranges of the software encoders' own knob (x264/x265: 0..51; libvpx/libaom: 0..63; rav1e: crf 0..63
// scaled onto its qindex by VideoEncoder).
const CRF_MAX: Record<SoftwareEncoderName, number> = { libx264: 51, libx265: 51, "libaom-av1": 63, "libvpx-vp9": 63, librav1e: 63 };
// VideoEncoder settings a corpus may give by name; anything else is passed to libavcodec as an AVOption.
const LAVC_SETTINGS = ["preset", "threads", "gop", "bframes", "latency"] as const;

/** A libavcodec encoder through VideoEncoder (crf mapped to the encoder's own knob: QUALITY_KNOBS). */
function lavc(name: SoftwareEncoderName): CorpusEncoderInfo {
  return {
    name,
    knob: QUALITY_KNOBS[name]!.native,
    checkValue: intRange(name, "crf", 0, CRF_MAX[name]),
    open(o) {
      const settings: Record<string, unknown> = {};
      const avOptions: Record<string, string> = {};
      for (const [k, v] of Object.entries(o.options)) {
        if ((LAVC_SETTINGS as readonly string[]).includes(k)) settings[k] = k === "preset" || k === "latency" ? v : Number(v);
        else avOptions[k] = String(v);
      }
      const encoder = new VideoEncoder({
        codec: name, width: o.width, height: o.height, fps: o.fps,
        inputFormat: o.bitDepth > 8 ? "yuv420p10le" : "yuv420p",
        quality: { crf: o.value },
        threads: 1,
        ...settings,
        options: avOptions,
      } as VideoEncoderOptions);
      return { encoder, settings: { ...settings, native: encoder.nativeQuality, avOptions: encoder.nativeOptions } };
    },
  };
}

const REGISTRY = new Map<string, CorpusEncoderInfo>([[av1.name, av1], ...SOFTWARE_ENCODERS.map((n) => [n, lavc(n)] as const)]);

/** The corpus encoder of that name; InvalidArgumentError listing the known ones otherwise. */
export function corpusEncoder(name: string): CorpusEncoderInfo {
  const e = REGISTRY.get(name);
  if (!e) throw new InvalidArgumentError(`unknown corpus encoder "${name}" (known: ${[...REGISTRY.keys()].join(", ")})`);
  return e;
}

export function corpusEncoderNames(): string[] {
  return [...REGISTRY.keys()];
}
