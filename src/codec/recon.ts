/**
 * Pairing an encoder's source frames with its reconstructions: the distortion of what a decoder shows, per
 * plane and per 64x64 superblock, without decoding the bitstream again. An encoder keeps each source until
 * the reconstruction of the same frame comes out (random access returns them out of order and later, so
 * sources are copied there; low delay returns each within the call, so the caller's frame is used as is).
 */
import { allocI420, type I420Frame } from "../core/frame";
import { superblockSse } from "../analysis/analysis";
import { psnrFromSse } from "../metrics/psnr_math";

export interface PlaneStats {
  y: number;
  u: number;
  v: number;
}

/** A reconstructed frame measured against its source. */
export interface Reconstruction {
  /** What a decoder shows for this packet. */
  frame: I420Frame;
  /** Sum of squared errors against the source per plane, in sample units. */
  sse: PlaneStats;
  /** Luma SSE of each 64x64 superblock, row-major; sums to `sse.y`. */
  sseSuperblocks: Float64Array;
  /** PSNR in dB per plane (peak 255, or 1023 at 10 bits; capped at 6 x bitDepth + 12 dB as libvmaf: psnr_math.ts). */
  psnr: PlaneStats;
}

/** The distortion of `recon` against `source` (same size and depth); `sbOut` is reused for the superblock SSE. */
export function measureReconstruction(source: I420Frame, recon: I420Frame, sbOut?: Float64Array): Reconstruction {
  const s = superblockSse(recon, source, sbOut);
  const depth = recon.bitDepth;
  const ny = recon.width * recon.height;
  const nc = recon.u.length;
  return {
    frame: recon,
    sse: { y: s.y, u: s.u, v: s.v },
    sseSuperblocks: s.superblocks,
    psnr: { y: psnrFromSse(s.y, ny, depth), u: psnrFromSse(s.u, nc, depth), v: psnrFromSse(s.v, nc, depth) },
  };
}

/** Sources waiting for their reconstruction, by frame index. */
export class ReconPairer {
  private readonly sources = new Map<number, I420Frame>();

  /** copy: keep a copy of each source (when the caller may reuse its planes before the reconstruction comes). */
  constructor(private readonly copy: boolean) {}

  keep(index: number, source: I420Frame): void {
    this.sources.set(index, this.copy ? copyFrame(source) : source);
  }

  /** Forgets a source whose frame was not sent after all. */
  drop(index: number): void {
    this.sources.delete(index);
  }

  /** Measures the reconstruction of frame `index` against its source (then forgotten); undefined when unknown.
   * `sbOut` is reused for the superblock SSE. */
  pair(index: number, recon: I420Frame, sbOut?: Float64Array): Reconstruction | undefined {
    const src = this.sources.get(index);
    if (!src) return undefined;
    this.sources.delete(index);
    return measureReconstruction(src, recon, sbOut);
  }

  clear(): void {
    this.sources.clear();
  }
}

/** A tightly packed copy of a frame. */
export function copyFrame(f: I420Frame): I420Frame {
  const c = allocI420(f.width, f.height, f.bitDepth);
  const copyPlane = (src: I420Frame["y"], stride: number, dst: I420Frame["y"], w: number, h: number) => {
    if (stride === w) dst.set(src.subarray(0, w * h));
    else for (let y = 0; y < h; y++) dst.set(src.subarray(y * stride, y * stride + w), y * w);
  };
  const cw = (f.width + 1) >> 1, ch = (f.height + 1) >> 1;
  copyPlane(f.y, f.strideY, c.y, f.width, f.height);
  copyPlane(f.u, f.strideU, c.u, cw, ch);
  copyPlane(f.v, f.strideV, c.v, cw, ch);
  return c;
}
