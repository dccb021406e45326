/**
 * Codec strings read from the bitstream itself (lib/codec/codec_string.c): `avc1.PPCCLL` (RFC 6381),
 * `hvc1.…` (ISO/IEC 14496-15 Annex E), `av01.P.LLT.DD…` (AV1-ISOBMFF) and `vp09.PP.LL.DD…` (VP9 ISO-BMFF
 * binding; VP9 codes no level, so it is the lowest level admitting the size and rate).
 */
import { native, check } from "../native/ffi";
import { InvalidArgumentError } from "../core/errors";
import type { Rational } from "../core/rational";

const cString = (s: string): Buffer => Buffer.from(s + "\0", "utf8");

export type CodecStringCodec = "h264" | "hevc" | "av1" | "vp9";

/**
 * The codec string of `data`: an access unit (Annex B or, with `lengthSize: 4`, length-prefixed), an
 * avcC/hvcC record, or an AV1 temporal unit / VP9 frame. "" when it carries no SPS, sequence header or VP9
 * key frame. FormatError when the header is corrupt.
 */
export function codecStringOf(codec: CodecStringCodec, data: Uint8Array, opts: { lengthSize?: 0 | 4; fps?: Rational } = {}): string {
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError("codecStringOf: data must be a Uint8Array");
  if (!["h264", "hevc", "av1", "vp9"].includes(codec)) throw new InvalidArgumentError(`codecStringOf: no codec strings for ${codec}`);
  if (data.length === 0) return "";
  const out = new Uint8Array(96);
  const fps = opts.fps ?? { num: 30, den: 1 };
  const r = check(native().ag_codec_string(cString(codec), data, data.length, opts.lengthSize ?? 0, fps.num, fps.den, out, out.length), "codec string");
  if (r === 0) return "";
  return new TextDecoder().decode(out.subarray(0, out.indexOf(0)));
}
