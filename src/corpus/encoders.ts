/**
 * The encoders a corpus can run, each with its one native quality knob. `av1` is the project's own SVT-AV1
 * session (never libavcodec's libsvtav1: see the hazard in the architecture doc). A session turns frames
 * (with their index) into packets carrying the index of the frame they show, so rows can be paired with
 * the source after decoding.
 */
import { InvalidArgumentError } from "../core/errors";
import type { I420Frame } from "../core/frame";
import { Av1Encoder, type EncoderOptions as Av1Options } from "../codec/av1_encoder";

export interface CorpusPacket {
  data: Uint8Array;
  /** The index of the source frame this packet carries (a frame shown later may come first). */
  frameIndex: number;
  frameType?: string;
  /** The encoder's quantizer for the frame, when it reports one (SVT: qindex 0..255). */
  qp?: number;
}

export interface CorpusSession {
  encode(frame: I420Frame, index: number): CorpusPacket[];
  flush(): CorpusPacket[];
  close(): void;
  /** libavcodec's name of the codec, for the decoder. */
  readonly decoderCodec: string;
  readonly extradata?: Uint8Array;
  /** The settings actually used, for the cell's summary row. */
  readonly settings: Record<string, unknown>;
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
      rateControl: { mode: "crf", crf: o.value },
      predStructure: (opts.predStructure as "low-delay" | "random-access" | undefined) ?? "random-access",
      threads: Number(opts.threads ?? 1),
      ...(opts.keyInt !== undefined ? { keyInt: Number(opts.keyInt) } : {}),
    };
    const enc = new Av1Encoder(settings);
    const toRows = (ps: ReturnType<Av1Encoder["encode"]>): CorpusPacket[] =>
      ps.map((p) => ({ data: p.data, frameIndex: p.pts, frameType: p.frameType, qp: p.qindex }));
    return {
      decoderCodec: "av1",
      settings: { ...settings, width: undefined, height: undefined, fps: undefined },
      encode: (frame) => toRows(enc.encode(frame)),
      flush: () => toRows(enc.flush()),
      close: () => enc.close(),
    };
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
