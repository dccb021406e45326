/**
 * Hardware encoders, probed for real (lib/codec/hw_probe.c): for each candidate, whether this libavcodec has it,
 * and whether it is available — a device context could be created, the encoder opened at the size asked
 * for in NV12, and one frame gave a packet — with libav's own reason when not. Results are cached per
 * process and size.
 */
import { native, check } from "../native/ffi";
import { InvalidArgumentError } from "../core/errors";
import { HARDWARE_ENCODERS, type HardwareEncoderName } from "./encoder_knobs";

const cString = (s: string): Buffer => Buffer.from(s + "\0", "utf8");

export interface ProbeResult {
  name: HardwareEncoderName;
  compiledIn: boolean;
  available: boolean;
  /** Why it is not available (empty when it is). */
  reason: string;
}

const cache = new Map<string, ProbeResult>();

function probeOne(name: HardwareEncoderName, width: number, height: number): ProbeResult {
  const key = `${name}@${width}x${height}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const compiled = new Int32Array(1);
  const reason = new Uint8Array(512);
  const ok = check(native().ag_hw_probe(cString(name), width, height, compiled, reason, reason.length), `probe ${name}`);
  const r: ProbeResult = {
    name,
    compiledIn: compiled[0] === 1,
    available: ok === 1,
    reason: ok === 1 ? "" : new TextDecoder().decode(reason.subarray(0, reason.indexOf(0))),
  };
  cache.set(key, r);
  return r;
}

/** Probes every hardware encoder (or the ones named) at width x height. */
export function probeEncoders(opts: { width: number; height: number; encoders?: readonly HardwareEncoderName[] }): ProbeResult[] {
  const { width, height } = opts ?? ({} as never);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width > 16384 || height > 16384)
    throw new InvalidArgumentError(`probeEncoders: width and height must be integers in 16..16384 (got ${width}x${height})`);
  const names = opts.encoders ?? HARDWARE_ENCODERS;
  for (const n of names) if (!HARDWARE_ENCODERS.includes(n)) throw new InvalidArgumentError(`probeEncoders: ${n} is not a hardware encoder`);
  return names.map((n) => probeOne(n, width, height));
}

/** The first available encoder of `order`, or null. */
export function firstAvailableHardware(size: { width: number; height: number }, order: readonly HardwareEncoderName[]): HardwareEncoderName | null {
  for (const r of probeEncoders({ ...size, encoders: order })) if (r.available) return r.name;
  return null;
}
