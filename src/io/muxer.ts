/**
 * The Muxer interface: packets in, a container file out. Encoders never write files; a muxer takes their
 * packets. IvfMuxer (src/io/ivf.ts) writes raw AV1 in IVF.
 */
import type { Packet, VideoStreamInfo } from "../codec/packet";

export interface Muxer extends Disposable {
  /** Declares a video stream (an Encoder is a VideoStreamInfo); returns its stream index. */
  addVideo(info: VideoStreamInfo): number;
  /** Writes one packet of stream `stream` (default 0), in decoding order. */
  write(packet: Packet, stream?: number): void;
  /** Finishes the file. Idempotent. */
  close(): void;
}
