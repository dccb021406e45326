/**
 * Env: a Gymnasium-shaped environment over a real AV1 encoder. Each step encodes one source frame with the
 * agent's per-superblock qindex offsets (SVT-AV1 ROI map, low delay: one frame in, its packet out) and
 * returns the next observation and the frame's rate-distortion reward.
 *
 * What makes it cheap per step (the Python seed re-decoded the bitstream and re-seeked the source every
 * step): source frames are decoded once into a cache and their analysis is computed once (it does not
 * depend on actions); the encoder runs incrementally; distortion comes from the encoder's reconstruction
 * against the cached source (C SSE per superblock), never from decoding the bitstream.
 */
import { describeValue } from "../core/describe";
import { Av1Encoder, type Av1Packet } from "../codec/av1_encoder";
import { DEFAULT_CRF, rateControlOf } from "../codec/settings";
import type { Reconstruction } from "../codec/recon";
import { SB_SIZE, analyzeFrame, superblockGrid } from "../analysis/analysis";
import { EncoderError, EpisodeEndedError, InvalidArgumentError, StateError } from "../core/errors";
import type { I420Frame } from "../core/frame";
import { decodeAction, levelsToOffsets } from "./actions";
import {
  FR,
  FRAME_FEATURES,
  FRAME_G,
  KEY_SPAN_WITHOUT_INTERVAL,
  MAX_QINDEX,
  MAX_QP,
  NUM_ANALYSIS,
  SB,
  SB_F,
  SUPERBLOCK_FEATURES,
  observationBounds,
  scaleAnalysisFrame,
} from "./observation";
import { clipObservationInPlace, clipObservationSpace } from "./wrappers/clip_observation";
import { limitFlags } from "./wrappers/time_limit";
import type { GymEnv } from "./gym_env";
import { parseEnvOptions, type EnvOptions, type ParsedEnvOptions } from "./options";
import { warnOnce } from "../core/warnings";
import { bitsPerPixel, distortionByName, rdCost, rewardFromCost, type Distortion } from "./reward";
import { Rng } from "../core/rng";
import { FrameCache, openSource, type FrameSource } from "./source";
import { EpisodeRecorder } from "./record";
import { Box, Dict, MultiDiscrete, entropySeed } from "./spaces";

export interface Observation {
  /** [sbRows, sbCols, SUPERBLOCK_FEATURES.length], row-major. */
  superblocks: Float32Array;
  /** [FRAME_FEATURES.length]. */
  frame: Float32Array;
}

export interface StepInfo {
  /** Index of the encoded frame in the source. */
  frameIndex: number;
  /** Step number in the episode (0 = first frame). */
  step: number;
  bytes: number;
  bitsPerPixel: number;
  psnrY: number;
  psnrU: number;
  psnrV: number;
  /** The frame's base qindex (0..255) before the per-superblock offsets. */
  qindex: number;
  frameType: string;
  isKey: boolean;
  /** Wall time of the encode call, ms. */
  encodeMs: number;
  /** Frame distortion D at the reward's metric (see reward.ts for its unit). */
  distortion: number;
  /** D + lambda * bpp. */
  cost: number;
  /** The zero-offset encode's cost at this frame index (baseline mode only). */
  baselineCost?: number;
  /** The reconstruction (what a decoder shows) and the source frame, with the `recon` option. */
  recon?: I420Frame;
  source?: I420Frame;
}

export interface ResetInfo {
  frameIndex: number;
  start: number;
  episodeLength: number;
  sbRows: number;
  sbCols: number;
  /** The file this episode's bitstream is written to, when recording (see `recordTo`). */
  recordPath?: string;
}

export interface ResetOptions {
  seed?: number;
  options?: { start?: number; maxFrames?: number };
}

export type StepResult = [obs: Observation, reward: number, terminated: boolean, truncated: boolean, info: StepInfo];

/** A frame-level action: the frame's qp (needs `encoder.frameQp`), and/or superblock level indices. */
export interface FrameAction {
  /** SVT-AV1 qp 1..63 for this frame (base_q_idx 4*qp, 255 at 63). */
  frameQp?: number;
  /** One action-level index per superblock, as the plain-array form. */
  superblocks?: ArrayLike<number>;
}
/** What `step` takes: superblock level indices, or a FrameAction. */
export type StepAction = ArrayLike<number> | Int8Array | Uint8Array | FrameAction;

/** One encoded frame with what the reward needs. */
interface MeasuredFrame {
  packet: Av1Packet;
  recon: Reconstruction;
  d: number;
  bpp: number;
}

/** Per-frame results of SVT-AV1's default (no map, no frame qp) by source+settings+window (shared by every Env in
 * the process): the reward's anchor and the observation's "what the default would do". */
interface BaselineEntry {
  /** Filled only when `measured` (the baseline reward and the slope need it; the observation does not). */
  distortion: Float64Array;
  measured: boolean;
  bpp: Float64Array;
  qindex: Int16Array;
  /** 1 when the default coded the frame as a reference (not NON_REF). */
  referenced: Uint8Array;
}
const baselineCache = new Map<string, BaselineEntry>();
const BASELINE_CACHE_MAX = 64;

/** Empties the process-wide baseline cache (tests, or to free memory). */
export function clearBaselineCache(): void {
  baselineCache.clear();
}

export class Env implements GymEnv<Observation, ArrayLike<number>, StepInfo, ResetInfo> {
  readonly actionSpace: MultiDiscrete;
  readonly observationSpace: Dict<{ superblocks: Box; frame: Box }>;
  readonly sbRows: number;
  readonly sbCols: number;
  readonly width: number;
  readonly height: number;
  readonly actionLevels: readonly number[];
  /** Source frames available. */
  readonly frameCount: number;

  private opts: ParsedEnvOptions;
  private source: FrameSource;
  private cache: FrameCache;
  private analysis: Map<number, Float32Array>;
  private distortion: Distortion;
  private ownsDistortion = false;
  /** The rate weight in force this episode (the window's slope when reward.lambda is "slope"). */
  private lambda: number;
  private readonly lambdaSpec: number | "slope" | "budget";
  private settingsKey: string;
  /** The `rate_setting` frame feature (see observation.ts). */
  private readonly rateSetting: number;
  private rng: Rng | null = null;
  private encoder: Av1Encoder | null = null;
  private closed = false;
  private readonly recorder = new EpisodeRecorder();
  /** Episodes started by reset() so far (the number `{episode}` in a recording path takes). */
  private episodes = 0;

  // Episode state.
  private start = 0;
  private length = 0;
  private t = 0;
  private ended = true;
  /** Why the episode ended early (a step failed after its frame was encoded), for step()'s error. */
  private failure: string | null = null;
  private started = false;
  private baseline: BaselineEntry | null = null;
  private bitsUsed = 0;
  private bitsBudget = 0;
  private prevQindex = 0;
  private prevBpp = 0;
  private prevIsKey = 0;
  private prevIsNonRef = 0;
  private prevFrameD = 0;
  private hash = 0n;

  // Scratch (allocated once).
  private readonly nSb: number;
  private readonly levelScratch: Int8Array;
  private readonly prevLevels: Int8Array;
  private readonly offsets: Int16Array;
  private readonly prevDist: Float32Array;
  private readonly sbSse: Float64Array;
  private readonly sbPixels: Float64Array;
  private readonly maxAbsLevel: number;
  private readonly zeroAnalysis: Float32Array;

  constructor(options: EnvOptions = {}) {
    this.opts = parseEnvOptions(options);
    const o = this.opts;
    this.source = openSource(o.source);
    try {
      if (o.start >= this.source.frameCount)
        throw new InvalidArgumentError(`start ${o.start} is past the source's last frame (${this.source.frameCount} frames)`);
      if (o.randomStart && o.start + o.maxFrames! > this.source.frameCount)
        throw new InvalidArgumentError(`randomStart: start ${o.start} + maxFrames ${o.maxFrames} exceeds the ${this.source.frameCount} source frames`);
      this.width = this.source.width;
      this.height = this.source.height;
      // SVT-AV1 takes even sizes of at least 64x64: say so now rather than at the first reset().
      if (this.width % 2 || this.height % 2 || this.width < 64 || this.height < 64)
        throw new InvalidArgumentError(
          `the source is ${this.width}x${this.height}; SVT-AV1 needs an even width and height of at least 64 (crop or pad the video)`,
        );
      // SVT-AV1 applies ROI maps only in its CRF/CQP rate control (svt_aom_setup_segmentation, rc_process.c):
      // under cbr a superblock action is taken and ignored, byte for byte (measured on 2.3.0, 3.0.2 and 4.1.0).
      if (o.encoder.cbr !== undefined)
        warnOnce(
          "AV1GYM_CBR_IGNORES_SUPERBLOCK_ACTIONS",
          "Env with encoder.cbr: SVT-AV1 ignores per-superblock QP offsets under cbr (its ROI maps apply under crf/qp only), " +
            "so superblock actions leave the bitstream unchanged; use crf or qp to train them",
        );
      this.frameCount = this.source.frameCount;
      const grid = superblockGrid(this.width, this.height);
      this.sbRows = grid.rows;
      this.sbCols = grid.cols;
      this.nSb = grid.rows * grid.cols;
      this.cache = new FrameCache(this.source, o.cacheMB * 1024 * 1024);
      this.analysis = new Map(); // scaled analysis by source frame: it does not depend on actions
      if (o.reward.distortion === "ms_ssim" && Math.min(this.source.width, this.source.height) < 176)
        throw new InvalidArgumentError(`the ms_ssim reward needs frames of at least 176x176 (5 scales), the source is ${this.source.width}x${this.source.height}`);
      this.ownsDistortion = typeof o.reward.distortion === "string";
      this.distortion = typeof o.reward.distortion === "string" ? distortionByName(o.reward.distortion, o.reward) : o.reward.distortion;
      this.lambdaSpec = o.reward.budget ? "budget" : o.reward.lambda ?? (o.reward.mode === "baseline" ? "slope" : this.distortion.defaultLambda);
      this.lambda = typeof this.lambdaSpec === "number" ? this.lambdaSpec : 0;
      this.actionLevels = Object.freeze([...o.actionLevels]);
      this.maxAbsLevel = Math.max(1, ...o.actionLevels.map(Math.abs));
      this.settingsKey = JSON.stringify(o.encoder);
      const rc = rateControlOf(o.encoder);
      const fps = this.source.fps.num / this.source.fps.den;
      this.rateSetting =
        rc.mode === "crf" ? rc.crf / MAX_QP : rc.mode === "cqp" ? rc.qp / MAX_QP : Math.min(1, (rc.bitrateKbps * 1000) / fps / (this.width * this.height));

      this.levelScratch = new Int8Array(this.nSb);
      this.prevLevels = new Int8Array(this.nSb);
      this.offsets = new Int16Array(this.nSb);
      this.prevDist = new Float32Array(this.nSb);
      this.sbSse = new Float64Array(this.nSb);
      this.sbPixels = new Float64Array(this.nSb);
      this.zeroAnalysis = new Float32Array(this.nSb * NUM_ANALYSIS);
      for (let r = 0; r < this.sbRows; r++)
        for (let c = 0; c < this.sbCols; c++)
          this.sbPixels[r * this.sbCols + c] = Math.min(SB_SIZE, this.width - c * SB_SIZE) * Math.min(SB_SIZE, this.height - r * SB_SIZE);

      this.actionSpace = new MultiDiscrete(new Array(this.nSb).fill(o.actionLevels.length), [this.sbRows, this.sbCols]);
      const b = observationBounds(this.nSb);
      const space = new Dict({
        superblocks: new Box({ low: b.sbLow, high: b.sbHigh, shape: [this.sbRows, this.sbCols, SB_F], dtype: "float32" }),
        frame: new Box({ low: b.frameLow, high: b.frameHigh, shape: [FRAME_G], dtype: "float32" }),
      });
      // observation.clip is sugar for the ClipObservation wrapper: the same space and clipping, built in.
      this.observationSpace = o.observation.clip === undefined ? space : clipObservationSpace(space, o.observation.clip);
      if (o.record !== undefined) this.recorder.setPattern(o.record);
    } catch (e) {
      this.source.close();
      throw e;
    }
  }

  /** The names of `superblocks`' last axis and of `frame`. */
  static readonly SUPERBLOCK_FEATURES = SUPERBLOCK_FEATURES;
  static readonly FRAME_FEATURES = FRAME_FEATURES;

  /** A running hash of every packet's bytes this episode (determinism checks). */
  get bitstreamHash(): bigint {
    return this.hash;
  }

  /** The source's frame rate, frames per second. */
  get fps(): number {
    return this.source.fps.num / this.source.fps.den;
  }

  /** Frames encoded so far in this episode. */
  get stepCount(): number {
    return this.t;
  }

  get episodeLength(): number {
    return this.length;
  }

  reset(args: ResetOptions = {}): [Observation, ResetInfo] {
    this.live();
    const { seed, options = {} } = args ?? {};
    if (seed !== undefined) {
      if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`reset: seed must be a safe integer, got ${describeValue(seed)}`);
      this.rng = new Rng(seed);
    }
    this.rng ??= new Rng(entropySeed());
    const o = this.opts;
    const maxFrames = options.maxFrames ?? o.maxFrames;
    if (maxFrames !== undefined && (!Number.isInteger(maxFrames) || maxFrames < 1))
      throw new InvalidArgumentError(`reset: maxFrames must be a positive integer, got ${describeValue(maxFrames)}`);
    let start = options.start ?? o.start;
    if (!Number.isInteger(start) || start < 0 || start >= this.frameCount)
      throw new InvalidArgumentError(`reset: start must be an integer in 0..${this.frameCount - 1}, got ${describeValue(start)}`);
    if (options.start === undefined && o.randomStart) {
      const span = this.frameCount - maxFrames! - o.start;
      if (span < 0) throw new InvalidArgumentError(`reset: randomStart needs start ${o.start} + maxFrames ${maxFrames} <= ${this.frameCount} source frames`);
      start = o.start + this.rng.int(span + 1);
    }
    const length = Math.min(maxFrames ?? Infinity, this.frameCount - start);

    // A clean encoder for every episode (also mid-episode). Until it is open the Env has no episode, so a
    // failure below (e.g. the encoder refusing) leaves step() refusing rather than half-working.
    this.closeEncoder();
    this.recorder.end(); // the previous episode's file is complete from here
    this.ended = true;
    this.failure = null;
    this.started = false;
    this.start = start;
    this.length = length;
    this.cache.setWindow(start, start + length);
    // The default's run on this window: the baseline reward's anchor and the observation's next-frame facts.
    this.baseline = this.baselineFor(start, length);
    if (this.lambdaSpec === "slope") this.lambda = this.slopeFor(start, length);
    this.bitsUsed = 0;
    this.bitsBudget = o.reward.budget ? o.reward.budget.factor * sum(this.baseline.bpp) * this.width * this.height : 0;
    this.distortion.reset?.();
    this.encoder = this.openEncoder();
    const episode = this.episodes++;
    let recordPath: string | null = null;
    try {
      recordPath = this.recorder.begin(episode, this.encoder);
    } catch (e) {
      this.closeEncoder(); // no episode without its file: reset() failed as a whole
      throw e;
    }
    this.t = 0;
    this.prevLevels.fill(o.actionLevels.indexOf(0) >= 0 ? o.actionLevels.indexOf(0) : 0);
    this.prevDist.fill(0);
    this.prevQindex = 0;
    this.prevBpp = 0;
    this.prevIsKey = 0;
    this.prevIsNonRef = 0;
    this.prevFrameD = 0;
    this.hash = 0n;
    this.ended = false;
    this.started = true;
    const info: ResetInfo = { frameIndex: start, start, episodeLength: length, sbRows: this.sbRows, sbCols: this.sbCols };
    if (recordPath !== null) info.recordPath = recordPath;
    return [this.observe(), info];
  }

  /**
   * Writes every episode's bitstream to `path` (IVF; `{episode}` in the path becomes the episode's number,
   * 0 for the first reset()), from the episode in progress if it has taken no step yet, else from the next
   * reset(). Each file is complete and playable when its episode ends, at the next reset(), at
   * `recordTo(null)` (which stops recording) or at close(). Same as the `record` option.
   */
  recordTo(path: string | null): void {
    this.live();
    if (path === null) {
      this.recorder.setPattern(null);
      this.recorder.end();
      return;
    }
    this.recorder.setPattern(path);
    if (this.started && !this.ended && this.t === 0 && this.encoder) this.recorder.begin(this.episodes - 1, this.encoder);
  }

  /** The file the current episode is being written to, or null. */
  get recordingPath(): string | null {
    return this.recorder.path;
  }

  /** The lambda in force this episode (the window's RD slope with reward.lambda "slope"; 0 in budget mode). */
  get rateWeight(): number {
    return this.lambda;
  }

  /** Bits spent this episode, and the episode's budget (0 outside budget mode). */
  get budget(): { used: number; total: number } {
    return { used: this.bitsUsed, total: this.bitsBudget };
  }

  /** The default encoder's base qindex for frame `step` of this episode (what frameQp competes with). */
  defaultQindex(step = this.t): number {
    if (!this.baseline || step < 0 || step >= this.length) throw new StateError(`defaultQindex: no frame ${step} in this episode`);
    return this.baseline.qindex[step]!;
  }

  step(action: StepAction): StepResult {
    this.live();
    if (!this.started) throw new StateError("call reset() before step()");
    if (this.ended)
      throw new EpisodeEndedError(
        this.failure
          ? `the episode ended at step ${this.t} because a step failed after its frame was encoded (${this.failure}); call reset() to start another`
          : `the episode ended after ${this.t} frames; call reset() to start another`,
      );
    // Validate before anything is encoded: a bad action leaves the episode as it was.
    const frameQp = this.parseAction(action);

    // Everything that can fail without touching the encoder comes first, so such a failure (e.g. a source
    // that became unreadable) leaves the episode exactly as it was and the step can be retried: this frame,
    // and the next one with its analysis (the observation this step returns).
    const index = this.start + this.t;
    const src = this.cache.get(index);
    if (this.t + 1 < this.length) this.analysisOf(index + 1);
    const enc = this.encoder!;
    const sent = enc.framesEncoded;
    const t0 = performance.now();
    let frame: MeasuredFrame;
    try {
      frame = this.encodeAndMeasure(enc, src, this.offsets, this.prevDist, frameQp);
    } catch (e) {
      // Once the frame is inside the encoder the step cannot be taken back (a retry would encode it twice):
      // the episode ends here, explicitly. An encoder error leaves its state unknown: the same.
      if (enc.framesEncoded !== sent || e instanceof EncoderError) {
        this.ended = true;
        this.failure = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        this.closeEncoder();
      }
      throw e;
    }
    const encodeMs = performance.now() - t0;
    const { packet: p, recon, d, bpp } = frame;
    try {
      this.recorder.write(p);
    } catch (e) {
      // the frame was encoded but not recorded: the episode ends here, as for any failure after encoding
      this.ended = true;
      this.failure = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.closeEncoder();
      throw e;
    }
    this.hash = hashPacket(this.hash, p.data);
    const cost = rdCost(d, bpp, this.lambda);
    const baseMode = this.opts.reward.mode === "baseline";
    const baselineCost = baseMode ? rdCost(this.baseline!.distortion[this.t]!, this.baseline!.bpp[this.t]!, this.lambda) : undefined;
    let reward = rewardFromCost(cost, baseMode ? "baseline" : "absolute", baselineCost);
    this.bitsUsed += bpp * this.width * this.height;
    const budget = this.opts.reward.budget;
    if (budget && this.t + 1 >= this.length && this.bitsUsed > this.bitsBudget)
      reward -= budget.overshootPenalty * ((this.bitsUsed - this.bitsBudget) / this.bitsBudget) * this.length;

    const info: StepInfo = {
      frameIndex: index,
      step: this.t,
      bytes: p.data.length,
      bitsPerPixel: bpp,
      psnrY: recon.psnr.y,
      psnrU: recon.psnr.u,
      psnrV: recon.psnr.v,
      qindex: p.av1.qindex,
      frameType: p.av1.frameType,
      isKey: p.isKey,
      encodeMs,
      distortion: d,
      cost,
    };
    if (baselineCost !== undefined) info.baselineCost = baselineCost;
    if (this.opts.recon) {
      info.recon = p.recon!.frame;
      info.source = src;
    }

    // State the next observation reports.
    this.prevLevels.set(this.levelScratch);
    this.prevQindex = p.av1.qindex;
    this.prevBpp = bpp;
    this.prevIsKey = p.isKey ? 1 : 0;
    this.prevIsNonRef = p.av1.frameType === "NON_REF" ? 1 : 0;
    this.prevFrameD = d;
    this.t++;

    // maxFrames ends the episode as the TimeLimit wrapper would (the end of the source terminates it).
    const [terminated, truncated] = limitFlags(this.start + this.t >= this.frameCount, false, this.t, this.length);
    if (terminated || truncated) {
      this.ended = true;
      this.closeEncoder(); // nothing is pending in low delay; free the encoder now
      this.recorder.end(); // and the episode's file is complete
    }
    return [this.observe(), reward, terminated, truncated, info];
  }

  /** Idempotent. The Env is unusable afterwards (StateError). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.closeEncoder();
      this.recorder.end(); // a failure to complete the file is reported, after everything is released
    } finally {
      this.cache.clear();
      this.analysis.clear();
      if (this.ownsDistortion) this.distortion.close?.();
      this.source.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- internals ----

  private live(): void {
    if (this.closed) throw new StateError("the Env is closed");
  }

  /** The episode's encoder: the Env's settings are Av1Encoder's own vocabulary, passed through. `defaultAt`
   * opens SVT-AV1's default instead (no frame qp, no layer offsets) at another crf/qp (the baseline, the slope),
   * with reconstructions only when `recon`. */
  private openEncoder(defaultAt?: number, recon = true): Av1Encoder {
    const { frameQp, layerQindexOffsets, keyFrameQindexOffset, ...settings } = this.opts.encoder;
    // The reconstruction is only read inside step() by our own metrics (a user's Distortion might keep it, and
    // the recon option hands it out): then one buffer serves every frame instead of a new one per step. (It was
    // withdrawn for a while, blamed for episodes whose bitstream differed now and then; the cause was in
    // SVT-AV1: README, "Episodes are bit-identical".)
    const reuseRecon = recon && this.ownsDistortion && (defaultAt !== undefined || !this.opts.recon);
    const base = { ...settings, width: this.width, height: this.height, fps: this.source.fps, predStructure: "low-delay" as const, recon, reuseRecon };
    if (defaultAt === undefined) return new Av1Encoder({ ...base, frameQp, layerQindexOffsets, keyFrameQindexOffset });
    const { crf: _crf, qp: _qp, cbr: _cbr, vbr: _vbr, ...rest } = base;
    return new Av1Encoder({ ...rest, ...(settings.qp !== undefined ? { qp: defaultAt } : { crf: defaultAt }) });
  }

  /** Checks an action and leaves its offsets in this.offsets; returns the frame qp to send (or undefined). */
  private parseAction(action: StepAction): number | undefined {
    const isFrame = action !== null && typeof action === "object" && !ArrayBuffer.isView(action) && !Array.isArray(action) && ("frameQp" in action || "superblocks" in action);
    const sb = isFrame ? (action as FrameAction).superblocks : (action as ArrayLike<number>);
    let frameQp = isFrame ? (action as FrameAction).frameQp : undefined;
    if (frameQp !== undefined) {
      if (!this.opts.encoder.frameQp) throw new InvalidArgumentError("step: frameQp needs an Env with encoder.frameQp: true");
      if (typeof frameQp !== "number" || !Number.isInteger(frameQp) || frameQp < 1 || frameQp > 63)
        throw new InvalidArgumentError(`step: frameQp must be an integer 1..63, got ${String(frameQp)}`);
    }
    if (sb === undefined) {
      this.levelScratch.fill(Math.max(0, this.actionLevels.indexOf(0)));
      if (this.actionLevels.indexOf(0) < 0 && isFrame) throw new InvalidArgumentError("step: superblocks are required when actionLevels has no 0");
    } else decodeAction(sb, this.actionLevels.length, this.levelScratch, [this.sbRows, this.sbCols]);
    levelsToOffsets(this.levelScratch, this.actionLevels, this.offsets);
    if (this.opts.encoder.frameQp && frameQp === undefined) frameQp = qpForQindex(this.baseline!.qindex[this.t]!);
    return frameQp;
  }

  private closeEncoder(): void {
    if (this.encoder) {
      const enc = this.encoder;
      this.encoder = null;
      enc.close();
    }
  }

  /** Scaled analysis of source frame i (against frame i-1), computed once per source. */
  private analysisOf(i: number): Float32Array {
    let a = this.analysis.get(i);
    if (!a) {
      const prev = i > 0 ? this.cache.get(i - 1) : null;
      const cur = this.cache.get(i);
      a = scaleAnalysisFrame(analyzeFrame(cur, prev).data, this.nSb);
      this.analysis.set(i, a);
    }
    return a;
  }

  private observe(): Observation {
    const nSb = this.nSb;
    const sb = new Float32Array(nSb * SB_F);
    const fr = new Float32Array(FRAME_G);
    const next = this.start + this.t;
    // After the episode's last frame there is no next frame: its analysis part is all zero.
    const a = this.t < this.length ? this.analysisOf(next) : this.zeroAnalysis;
    let lumaSum = 0;
    let madSum = 0;
    let varSum = 0;
    for (let i = 0; i < nSb; i++) {
      const o = i * SB_F;
      const r = i * NUM_ANALYSIS;
      for (let k = 0; k < NUM_ANALYSIS; k++) sb[o + k] = a[r + k]!; // the analysis features come first, in order
      sb[o + SB.prev_distortion] = this.t > 0 ? this.prevDist[i]! : 0;
      sb[o + SB.prev_offset] = this.t > 0 ? this.actionLevels[this.prevLevels[i]!]! / this.maxAbsLevel : 0;
      lumaSum += a[r + SB.mean_luma]! * this.sbPixels[i]!;
      madSum += a[r + SB.temporal_mad]! * this.sbPixels[i]!;
      varSum += a[r + SB.log_variance]! * this.sbPixels[i]!;
    }
    const px = this.width * this.height;
    const keyInt = this.opts.encoder.keyInt ?? -1;
    let meanOffset = 0;
    if (this.t > 0) {
      for (let i = 0; i < nSb; i++) meanOffset += this.actionLevels[this.prevLevels[i]!]!;
      meanOffset /= nSb * this.maxAbsLevel;
    }
    const sinceKey = keyInt > 0 ? this.t % keyInt : this.t; // of the next frame
    fr[FR.progress] = this.length > 0 ? this.t / this.length : 0;
    fr[FR.next_is_key] = sinceKey === 0 ? 1 : 0;
    fr[FR.frames_since_key] = Math.min(1, sinceKey / (keyInt > 0 ? keyInt : KEY_SPAN_WITHOUT_INTERVAL));
    fr[FR.next_mult_2] = sinceKey % 2 === 0 ? 1 : 0;
    fr[FR.next_mult_4] = sinceKey % 4 === 0 ? 1 : 0;
    fr[FR.next_mult_8] = sinceKey % 8 === 0 ? 1 : 0;
    fr[FR.prev_is_key] = this.prevIsKey;
    fr[FR.prev_is_nonref] = this.prevIsNonRef;
    fr[FR.prev_base_qindex] = this.prevQindex / MAX_QINDEX;
    fr[FR.prev_bpp] = this.prevBpp;
    fr[FR.prev_distortion] = this.t > 0 ? this.distortion.scale(this.prevFrameD) : 0;
    fr[FR.prev_mean_offset] = meanOffset;
    fr[FR.rate_setting] = this.rateSetting;
    fr[FR.frame_mean_luma] = lumaSum / px;
    fr[FR.frame_temporal_mad] = madSum / px;
    const has = this.t < this.length;
    fr[FR.next_temporal_layer] = has ? lowDelayLayer(sinceKey) / 2 : 0;
    fr[FR.next_is_referenced] = has ? this.baseline!.referenced[this.t]! : 0;
    fr[FR.next_default_qindex] = has ? this.baseline!.qindex[this.t]! / MAX_QINDEX : 0;
    fr[FR.frame_log_variance] = varSum / px;
    if (this.bitsBudget > 0) {
      fr[FR.budget_used] = this.bitsUsed / this.bitsBudget;
      fr[FR.budget_left] = 1 - this.bitsUsed / this.bitsBudget;
    }
    const obs = { superblocks: sb, frame: fr };
    const clip = this.opts.observation.clip;
    if (clip !== undefined) clipObservationInPlace(obs, clip);
    return obs;
  }

  /** The RD slope (distortion per bit per pixel) of the default encoder on this window: the window encoded at
   * the rate setting -slopeStep and +slopeStep (cached like the baseline). */
  private slopeFor(start: number, length: number): number {
    const e = this.opts.encoder;
    const rate = rateSetting(e);
    const step = this.opts.reward.slopeStep;
    const lo = this.baselineFor(start, length, Math.max(1, rate - step));
    const hi = this.baselineFor(start, length, Math.min(63, rate + step));
    const dR = mean(lo.bpp) - mean(hi.bpp);
    const dD = mean(hi.distortion) - mean(lo.distortion);
    return dR > 0 && dD > 0 ? dD / dR : this.distortion.defaultLambda; // a flat or inverted curve: fall back
  }

  /** SVT-AV1's default per-frame D, bpp, qindex and reference flag on this window, computed once and cached
   * (see README: baseline); at another rate setting for the slope. D is measured only when it is used (the
   * baseline reward, the slope): the observation and the budget need the packets alone, and an encoder without
   * reconstructions codes the same bitstream for less (SVT's recon output, our SSE or the reward's metric). */
  private baselineFor(start: number, length: number, rate?: number): BaselineEntry {
    const needD = rate !== undefined || this.opts.reward.mode === "baseline";
    const e = this.opts.encoder;
    const defaults = JSON.stringify({ preset: e.preset, crf: e.crf, qp: e.qp, keyInt: e.keyInt, threads: e.threads, rate: rate ?? rateSetting(e) });
    const key = `${this.source.key}|${defaults}|${this.distortion.name}|${this.distortion.unit}|${start}|${length}|${this.width}x${this.height}`;
    const hit = baselineCache.get(key);
    if (hit && (hit.measured || !needD)) {
      baselineCache.delete(key); // LRU: move to the end
      baselineCache.set(key, hit);
      return hit;
    }
    const entry: BaselineEntry = { distortion: new Float64Array(length), measured: needD, bpp: new Float64Array(length), qindex: new Int16Array(length), referenced: new Uint8Array(length) };
    this.distortion.reset?.();
    const enc = this.openEncoder(rate ?? rateSetting(e), needD);
    const zero = new Int16Array(this.nSb);
    const sbOut = new Float32Array(this.nSb);
    try {
      for (let t = 0; t < length; t++) {
        const src = this.cache.get(start + t);
        let packet: Av1Packet;
        if (needD) {
          const m = this.encodeAndMeasure(enc, src, zero, sbOut);
          entry.distortion[t] = m.d;
          packet = m.packet;
        } else {
          const packets = enc.encode(src, { qpOffsets: zero });
          if (packets.length !== 1) throw new EncoderError(`low-delay encoder returned ${packets.length} packets for one frame (expected 1)`);
          packet = packets[0]!;
        }
        entry.bpp[t] = bitsPerPixel(packet.data.length, this.width, this.height);
        entry.qindex[t] = packet.av1.qindex;
        entry.referenced[t] = packet.av1.frameType === "NON_REF" ? 0 : 1;
      }
    } finally {
      enc.close();
    }
    if (hit) baselineCache.delete(key); // replaced by the measured run
    baselineCache.set(key, entry);
    while (baselineCache.size > BASELINE_CACHE_MAX) baselineCache.delete(baselineCache.keys().next().value!);
    return entry;
  }

  /** Encodes one frame (low delay: its packet comes back now) and measures it: D at the reward's metric
   * (per-superblock values into sbOut) from the encoder's own recon SSE, and bits per pixel. */
  private encodeAndMeasure(enc: Av1Encoder, src: I420Frame, offsets: Int16Array, sbOut: Float32Array, frameQp?: number): MeasuredFrame {
    const packets = enc.encode(src, frameQp === undefined ? { qpOffsets: offsets } : { qpOffsets: offsets, frameQp });
    if (packets.length !== 1) throw new EncoderError(`low-delay encoder returned ${packets.length} packets for one frame (expected 1)`);
    const p = packets[0]!;
    const recon = p.recon;
    if (!recon) throw new EncoderError("the encoder returned no reconstruction");
    this.sbSse.set(recon.sseSuperblocks);
    const d = this.distortion.measure(
      { source: src, recon: recon.frame, sseY: recon.sse.y, sbSse: this.sbSse, sbPixels: this.sbPixels, sbRows: this.sbRows, sbCols: this.sbCols },
      sbOut,
    );
    return { packet: p, recon, d, bpp: bitsPerPixel(p.data.length, this.width, this.height) };
  }
}

const sum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
};
const mean = (a: ArrayLike<number>) => (a.length ? sum(a) / a.length : 0);

/** The SVT-AV1 qp (1..63) whose qindex (4*qp, 255 at 63) is nearest to `qindex`. */
export function qpForQindex(qindex: number): number {
  if (qindex >= 254) return 63;
  return Math.max(1, Math.min(62, Math.round(qindex / 4)));
}

/** Temporal layer of the frame `sinceKey` frames after a key frame in SVT-AV1's low-delay structure (always
 * 2 hierarchical levels in single pass: mini-GOPs of 4, layers 2 1 2 0; key frames are layer 0). */
export function lowDelayLayer(sinceKey: number): number {
  return sinceKey % 4 === 0 ? 0 : sinceKey % 2 === 0 ? 1 : 2;
}

/** The encoder's CRF, or its QP in CQP mode (the options' default CRF when neither is given). */
function rateSetting(e: ParsedEnvOptions["encoder"]): number {
  return e.qp ?? e.crf ?? DEFAULT_CRF; // cbr: the default crf anchors the baseline's slope
}

/** Order-dependent running hash of packet bytes (wyhash per packet, folded into 64 bits). */
function hashPacket(h: bigint, data: Uint8Array): bigint {
  const x = BigInt(Bun.hash(data));
  return BigInt.asUintN(64, (h ^ x) * 0x100000001b3n + 0x9e3779b97f4a7c15n);
}

export type { EnvOptions } from "./options";
export type { I420Frame };
