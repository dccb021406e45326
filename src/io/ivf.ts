/**
 * IVF files (the container aomenc/SvtAv1EncApp write for raw AV1): `IvfWriter` writes one temporal unit
 * per frame; ffmpeg/ffprobe read the result. Av1Encoder writes one itself when given `output`.
 */
import { cString } from "../core/cstring";
import type { Pointer } from "bun:ffi";
import { z } from "zod";
import { native, check, checkHandle } from "../native/ffi";
import { InvalidArgumentError, StateError } from "../core/errors";

const IvfOptions = z
  .object({
    width: z.number().int().min(1).max(65535),
    height: z.number().int().min(1).max(65535),
    fps: z.object({ num: z.number().int().min(1).max(2 ** 31 - 1), den: z.number().int().min(1).max(2 ** 31 - 1) }),
  })
  .strict();
export type IvfOptions = z.input<typeof IvfOptions>;


export class IvfWriter {
  private h: Pointer | null;
  private count = 0;

  constructor(path: string, options: IvfOptions) {
    if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("IvfWriter: path must be a non-empty string");
    const r = IvfOptions.safeParse(options);
    if (!r.success) throw new InvalidArgumentError(`IvfWriter: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const o = r.data;
    this.h = checkHandle(native().ag_ivf_open(cString(path, "IvfWriter path"), o.width, o.height, o.fps.num, o.fps.den) as Pointer | null, "IvfWriter");
  }

  /** Appends one temporal unit; pts defaults to the frame count so far (in units of 1/fps). */
  write(data: Uint8Array, pts: number = this.count): void {
    if (!this.h) throw new StateError("IvfWriter is closed");
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError("IvfWriter.write: data must be a Uint8Array");
    if (!Number.isSafeInteger(pts) || pts < 0) throw new InvalidArgumentError(`IvfWriter.write: pts ${pts} must be a non-negative integer`);
    check(native().ag_ivf_write(this.h, data.length ? data : null, data.length, pts), "IvfWriter.write");
    this.count++;
  }

  /** Frames written so far. */
  get frames(): number {
    return this.count;
  }

  /** Writes the frame count into the header and closes the file. Idempotent. */
  close(): void {
    if (!this.h) return;
    const h = this.h;
    this.h = null;
    check(native().ag_ivf_close(h), "IvfWriter.close");
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
