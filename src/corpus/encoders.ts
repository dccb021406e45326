/**
 * The encoders a corpus can run, each with its one native quality knob. `av1` is the project's own SVT-AV1
 * session (never libavcodec's libsvtav1: see the hazard in the architecture doc). Each opens an `Encoder`
 * (the common interface: frames in, Packets with timestamps out), so a cell runs the same for every codec.
 */
import { InvalidArgumentError } from "../core/errors";
import type { Encoder } from "../codec/packet";
import { Av1Encoder, type EncoderOptions as Av1Options } from "../codec/av1_encoder";

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

const REGISTRY = new Map<string, CorpusEncoderInfo>([[av1.name, av1]]);

/** The corpus encoder of that name; InvalidArgumentError listing the known ones otherwise. */
export function corpusEncoder(name: string): CorpusEncoderInfo {
  const e = REGISTRY.get(name);
  if (!e) throw new InvalidArgumentError(`unknown corpus encoder "${name}" (known: ${[...REGISTRY.keys()].join(", ")})`);
  return e;
}

export function corpusEncoderNames(): string[] {
  return [...REGISTRY.keys()];
}
