/**
 * Planar YUV 4:2:0 frames: what VideoReader returns and Av1Encoder takes. Planes are typed arrays with
 * explicit strides (in samples, not bytes), so they pass to C without copying. 8-bit samples are a
 * Uint8Array; deeper samples (10-bit) are a Uint16Array holding the value in its low bits.
 */
import { InvalidArgumentError } from "./errors";
import { describeValue } from "./describe";

export type Samples = Uint8Array | Uint16Array;

export interface I420Frame {
  width: number;
  height: number;
  /** 8, or 10 (and up to 16) for 16-bit planes. */
  bitDepth: number;
  y: Samples;
  u: Samples;
  v: Samples;
  /** Samples between the starts of consecutive rows; at least the plane width. */
  strideY: number;
  strideU: number;
  strideV: number;
}

/** Chroma plane size of a 4:2:0 frame: rounded up, as FFmpeg and SVT-AV1 do for odd sizes. */
export function chromaSize(width: number, height: number): { width: number; height: number } {
  return { width: (width + 1) >> 1, height: (height + 1) >> 1 };
}

/** A new zeroed, tightly packed I420 frame. */
export function allocI420(width: number, height: number, bitDepth = 8): I420Frame {
  const c = chromaSize(width, height);
  const Ctor = bitDepth > 8 ? Uint16Array : Uint8Array;
  return {
    width,
    height,
    bitDepth,
    y: new Ctor(width * height),
    u: new Ctor(c.width * c.height),
    v: new Ctor(c.width * c.height),
    strideY: width,
    strideU: c.width,
    strideV: c.width,
  };
}

/**
 * Checks that a frame's planes are large enough for its size and strides, and of the sample type its bit
 * depth needs. Throws InvalidArgumentError naming the plane and the sizes; C may then read them safely.
 */
export function validateI420(f: I420Frame, expect?: { width: number; height: number; bitDepth?: number }): void {
  const bad = (msg: string) => {
    throw new InvalidArgumentError(`invalid I420 frame: ${msg}`);
  };
  if (f === null || typeof f !== "object") bad("expected an object with y, u, v planes");
  if (!Number.isInteger(f.width) || !Number.isInteger(f.height) || f.width <= 0 || f.height <= 0)
    bad(`width and height must be positive integers (got width ${describeValue(f.width)}, height ${describeValue(f.height)})`);
  if (expect && (f.width !== expect.width || f.height !== expect.height))
    bad(`frame is ${f.width}x${f.height}, expected ${expect.width}x${expect.height}`);
  const depth = f.bitDepth ?? 8;
  if (expect?.bitDepth !== undefined && depth !== expect.bitDepth) bad(`bit depth ${depth}, expected ${expect.bitDepth}`);
  const c = chromaSize(f.width, f.height);
  const planes: [string, Samples, number, number, number][] = [
    ["y", f.y, f.strideY, f.width, f.height],
    ["u", f.u, f.strideU, c.width, c.height],
    ["v", f.v, f.strideV, c.width, c.height],
  ];
  for (const [name, data, stride, w, h] of planes) {
    const wantType = depth > 8 ? Uint16Array : Uint8Array;
    if (!(data instanceof wantType)) bad(`plane ${name} must be a ${wantType.name} for ${depth}-bit samples`);
    if (!Number.isInteger(stride)) bad(`stride${name.toUpperCase()} must be an integer number of samples (got ${describeValue(stride)})`);
    if (stride < w) bad(`stride${name.toUpperCase()} ${stride} is smaller than the plane width ${w}`);
    const need = stride * (h - 1) + w;
    if (data.length < need)
      bad(`plane ${name} has ${data.length} samples; ${w}x${h} with stride ${stride} needs at least ${need}`);
  }
}
