/**
 * The one packet type every encoder returns and every muxer takes, and the Encoder interface.
 * Timestamps are integers in `timeBase` units (seconds = pts * timeBase.num / timeBase.den), as in a
 * container; they are not frame indices unless the time base is 1/fps.
 */
import type { Rational } from "../core/rational";
import type { I420Frame } from "../core/frame";

/** AV1 frame type of a packet (SVT-AV1's EbAv1PictureType; SHOW_EXISTING when it only shows an earlier frame). */
export type FrameType = "INTER" | "ALT_REF" | "INTRA_ONLY" | "KEY" | "NON_REF" | "FW_KEY" | "SHOW_EXISTING" | "SWITCH" | "UNKNOWN";

/** What an AV1 encoder knows about a packet beyond the container fields. */
export interface Av1PacketInfo {
  /**
   * The frame's base qindex (0..255): base_q_idx read from the packet's (last coded) frame header. For a
   * SHOW_EXISTING packet, which codes no frame, it is the qindex of SVT's reported qp (qp * 4, 255 for 63).
   */
  qindex: number;
  /** SVT-AV1's frame qp, 0..63. */
  qp: number;
  frameType: FrameType;
  /** The OBU temporal id, when the stream carries OBU extension headers (SVT-AV1 writes none by default). */
  temporalLayer?: number;
}

export interface Packet {
  /** The coded data (AV1: one temporal unit of OBUs, as IVF and MP4 store it). */
  data: Uint8Array;
  /** Presentation timestamp in timeBase units. */
  pts: number;
  /** Decoding timestamp in timeBase units (AV1 temporal units: equal to pts). */
  dts: number;
  /** In timeBase units. */
  duration: number;
  timeBase: Rational;
  isKey: boolean;
  /** AV1 extras (Av1Encoder). */
  av1?: Av1PacketInfo;
}

/** What a muxer needs to know about a video stream; every Encoder provides it. */
export interface VideoStreamInfo {
  /** libavcodec's codec name: "av1", "h264", "hevc", "vp9"... */
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** The time base of the packets' timestamps. */
  readonly timeBase: Rational;
  /** Frames per second, when constant. */
  readonly frameRate?: Rational;
  /** RFC 6381 codec string (AV1: av01.P.LLT.DD), for MP4/DASH/HLS and MediaSource. */
  readonly codecString?: string;
  /** Codec configuration for containers (AV1: the sequence header OBU, as av1C's configOBUs). */
  readonly extradata?: Uint8Array;
}

export interface FrameEncodeOptions {
  /** This frame's presentation timestamp in the encoder's timeBase (default: frame index x frame duration). */
  pts?: number;
  /** Make this frame a key frame. */
  forceKey?: boolean;
}

/** An encoder: frames in, packets out. Implemented by Av1Encoder (SVT-AV1). */
export interface Encoder extends VideoStreamInfo, Disposable {
  /** Encodes one frame; returns the packets that came out (possibly none while the encoder holds frames back). */
  encode(frame: I420Frame, opts?: FrameEncodeOptions): Packet[];
  /** Ends the stream; returns every remaining packet. */
  flush(): Packet[];
  readonly codecString: string;
  close(): void;
}
