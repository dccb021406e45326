/**
 * Deterministic synthetic video: noise-textured shapes moving over a slowly panning textured gradient.
 * The same (width, height, seed) always gives the same frames, so tests, the demo and the RL Env have a
 * default source with real motion and texture without any file.
 */
import { InvalidArgumentError } from "../core/errors";
import { allocI420, type I420Frame } from "../core/frame";
import { Rng } from "../core/rng";

/** A smooth-ish noise texture: white noise box-blurred once, values spread over +-amp. */
function texture(w: number, h: number, rand: () => number, amp: number): Int16Array {
  const raw = new Float32Array(w * h);
  for (let i = 0; i < raw.length; i++) raw[i] = rand();
  const out = new Int16Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      // 3x3 box blur with wrap-around: keeps fine detail but is not pure white noise
      let s = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) s += raw[((y + dy + h) % h) * w + ((x + dx + w) % w)]!;
      out[y * w + x] = Math.round((s / 9 - 0.5) * 2 * amp * 2.5);
    }
  return out;
}

interface Shape {
  w: number;
  h: number;
  x: number;
  y: number;
  vx: number;
  vy: number;
  ellipse: boolean;
  luma: number;
  u: number;
  v: number;
  tex: Int16Array;
}

const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Random-access synthetic source: `frame(i)` renders frame i (any order, same result). */
export class SynthSource {
  readonly width: number;
  readonly height: number;
  private readonly bg: Int16Array;
  private readonly bgW: number;
  private readonly bgH: number;
  private readonly pan: { vx: number; vy: number };
  private readonly shapes: Shape[];

  constructor(width: number, height: number, seed = 1) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width > 8192 || height > 8192)
      throw new InvalidArgumentError(`SynthSource: size ${width}x${height} must be integers in 2..8192`);
    if (!Number.isInteger(seed)) throw new InvalidArgumentError(`SynthSource: seed ${seed} must be an integer`);
    this.width = width;
    this.height = height;
    const gen = new Rng(seed);
    const rand = () => gen.float();
    this.bgW = width + 64;
    this.bgH = height + 64;
    this.bg = texture(this.bgW, this.bgH, rand, 18);
    this.pan = { vx: 1 + Math.floor(rand() * 2), vy: rand() < 0.5 ? 0 : 1 };
    const n = 3 + Math.floor(rand() * 2);
    this.shapes = [];
    for (let i = 0; i < n; i++) {
      const w = Math.max(4, Math.round(width * (0.12 + rand() * 0.2)));
      const h = Math.max(4, Math.round(height * (0.12 + rand() * 0.25)));
      this.shapes.push({
        w,
        h,
        x: rand() * Math.max(1, width - w),
        y: rand() * Math.max(1, height - h),
        vx: (rand() < 0.5 ? -1 : 1) * (1 + Math.floor(rand() * 6)),
        vy: (rand() < 0.5 ? -1 : 1) * Math.floor(rand() * 4),
        ellipse: rand() < 0.5,
        luma: 40 + Math.floor(rand() * 180),
        u: 128 + Math.floor((rand() - 0.5) * 100),
        v: 128 + Math.floor((rand() - 0.5) * 100),
        tex: texture(w, h, rand, 30),
      });
    }
  }

  /** Position along a bouncing path: travels back and forth within [0, span]. */
  private static bounce(p0: number, v: number, t: number, span: number): number {
    if (span <= 0) return 0;
    const period = 2 * span;
    let p = (((p0 + v * t) % period) + period) % period;
    if (p > span) p = period - p;
    return Math.round(p);
  }

  /** Renders frame `index` (>= 0) into `out` (or a new frame). */
  frame(index: number, out?: I420Frame): I420Frame {
    if (!Number.isInteger(index) || index < 0) throw new InvalidArgumentError(`SynthSource.frame: index ${index} must be a non-negative integer`);
    const W = this.width, H = this.height;
    const f = out ?? allocI420(W, H, 8);
    const cw = (W + 1) >> 1, ch = (H + 1) >> 1;
    // background: vertical+horizontal gradient plus a panning texture (global motion)
    const ox = (index * this.pan.vx) % 64, oy = (index * this.pan.vy) % 64;
    for (let y = 0; y < H; y++) {
      const row = y * f.strideY;
      const trow = (y + 64 - oy) * this.bgW + 64 - ox;
      const g = 60 + (100 * y) / H;
      for (let x = 0; x < W; x++) f.y[row + x] = clamp8(g + (60 * x) / W + this.bg[trow + x]!);
    }
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        f.u[y * f.strideU + x] = 110 + ((40 * x) / cw) | 0;
        f.v[y * f.strideV + x] = 150 - ((40 * y) / ch) | 0;
      }
    }
    for (const s of this.shapes) {
      const sx = SynthSource.bounce(s.x, s.vx, index, W - s.w);
      const sy = SynthSource.bounce(s.y, s.vy, index, H - s.h);
      const rx = s.w / 2, ry = s.h / 2;
      for (let y = 0; y < s.h && sy + y < H; y++)
        for (let x = 0; x < s.w && sx + x < W; x++) {
          if (s.ellipse) {
            const dx = (x + 0.5 - rx) / rx, dy = (y + 0.5 - ry) / ry;
            if (dx * dx + dy * dy > 1) continue;
          }
          f.y[(sy + y) * f.strideY + sx + x] = clamp8(s.luma + s.tex[y * s.w + x]!);
          if (((sx + x) & 1) === 0 && ((sy + y) & 1) === 0) {
            const ci = ((sy + y) >> 1) * f.strideU + ((sx + x) >> 1);
            f.u[ci] = s.u;
            f.v[((sy + y) >> 1) * f.strideV + ((sx + x) >> 1)] = s.v;
          }
        }
    }
    return f;
  }
}

/** `count` frames of synthetic video (a lazy generator; each frame is a new I420Frame). */
export function synthFrames(width: number, height: number, count: number, seed = 1): Generator<I420Frame> {
  // validated here, not inside the generator, so bad arguments throw at the call
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`synthFrames: count ${count} must be a non-negative integer`);
  const src = new SynthSource(width, height, seed);
  return (function* () {
    for (let i = 0; i < count; i++) yield src.frame(i);
  })();
}
