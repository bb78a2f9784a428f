/** The framings GramJS (and Telegram) use on a TCP connection. */
export type TransportKind =
  | 'full'
  | 'intermediate'
  | 'padded-intermediate'
  | 'abridged'
  | 'obfuscated-abridged'
  | 'obfuscated-intermediate'
  | 'obfuscated-padded-intermediate';

/** One direction-pair of a framing: bytes in → MTProto payloads, payloads → bytes out. Stateful. */
export interface FrameCodec {
  readonly kind: TransportKind;
  /** Consumes received bytes; returns the complete payloads. Throws `TransportError` on broken framing. */
  decode(chunk: Buffer): Buffer[];
  /** Bytes received and held for frames not yet complete. */
  readonly buffered: number;
  /** Frames one payload for sending. */
  encode(payload: Buffer): Buffer;
}

/** Limits shared by the codecs. */
export interface CodecLimits {
  /**
   * Largest accepted payload in bytes.
   * @default 4 MiB
   */
  readonly maxPacketBytes: number;
}

export const DEFAULT_CODEC_LIMITS: CodecLimits = { maxPacketBytes: 4 * 1024 * 1024 };
