/**
 * Running per-channel statistics of packed 8-bit frames on a downsampled copy (every `downsample`-th pixel
 * in x and y): min, max, mean, std and quantiles (from a 256-bin histogram, exact for 8-bit values).
 */
export interface ChannelSummary {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** quantile -> value, e.g. { "0.5": 118 } */
  quantiles: Record<string, number>;
  samples: number;
}

export class ChannelStats {
  #hist: Float64Array[] = [];
  #sum: number[] = [];
  #sumSq: number[] = [];
  #n = 0;
  #scale = 1;

  constructor(readonly downsample: number, readonly quantiles: number[]) {}

  /** Adds a packed frame (HWC, `channels` bytes a pixel); `scale` converts 0..255 back to the caller's unit. */
  add(hwc: Uint8Array, width: number, height: number, channels: number, scale = 1): void {
    this.#scale = scale;
    while (this.#hist.length < channels) {
      this.#hist.push(new Float64Array(256));
      this.#sum.push(0);
      this.#sumSq.push(0);
    }
    const s = this.downsample;
    let n = 0;
    for (let y = 0; y < height; y += s)
      for (let x = 0; x < width; x += s) {
        const p = (y * width + x) * channels;
        for (let c = 0; c < channels; c++) {
          const v = hwc[p + c]!;
          this.#hist[c]![v]!++;
          this.#sum[c]! += v;
          this.#sumSq[c]! += v * v;
        }
        n++;
      }
    this.#n += n;
  }

  summary(): ChannelSummary[] {
    const k = this.#scale;
    return this.#hist.map((h, c) => {
      const n = this.#n;
      const mean = this.#sum[c]! / n;
      const variance = Math.max(0, this.#sumSq[c]! / n - mean * mean);
      let min = 0, max = 255;
      while (min < 255 && h[min] === 0) min++;
      while (max > 0 && h[max] === 0) max--;
      const quantiles: Record<string, number> = {};
      for (const q of this.quantiles) {
        const target = q * (n - 1);
        let acc = 0, v = 0;
        for (; v < 256; v++) {
          acc += h[v]!;
          if (acc > target) break;
        }
        quantiles[String(q)] = Math.min(v, 255) * k;
      }
      return { min: min * k, max: max * k, mean: mean * k, std: Math.sqrt(variance) * k, quantiles, samples: n };
    });
  }
}
