import { AbridgedCodec } from './abridged.js';
import type { CodecLimits, FrameCodec } from './codec.js';
import { FullCodec } from './full.js';
import { IntermediateCodec } from './intermediate.js';
import { OBFUSCATED_HEADER_LENGTH, ObfuscatedCodec } from './obfuscated.js';
import { TransportError } from './transport-error.js';

/** What the first bytes of a connection decided: the codec and how many init bytes it consumed. */
export interface Detected {
  readonly codec: FrameCodec;
  readonly consumed: number;
}

const HTTP_PREFIXES = ['GET ', 'POST', 'HEAD', 'OPTI', 'PUT ', 'PVrG'];

/**
 * Picks the framing from the first bytes a client sent, as Telegram's servers do: 0xef → abridged,
 * 0xeeeeeeee → intermediate, 0xdddddddd → padded intermediate, a zero second word (the first packet's
 * sequence number) → full, otherwise a 64-byte obfuscated init. Returns `undefined` while more bytes are
 * needed; throws `TransportError` for HTTP or a bad obfuscated init.
 */
export function detectTransport(head: Buffer, limits: CodecLimits): Detected | undefined {
  if (head.length < 1) return undefined;
  if (head[0] === 0xef) return { codec: new AbridgedCodec(limits), consumed: 1 };
  if (head.length < 4) return undefined;
  const first = head.readUInt32LE(0);
  if (first === 0xeeeeeeee) return { codec: new IntermediateCodec(limits, false), consumed: 4 };
  if (first === 0xdddddddd) return { codec: new IntermediateCodec(limits, true), consumed: 4 };
  if (HTTP_PREFIXES.includes(head.subarray(0, 4).toString('latin1'))) {
    throw new TransportError('the HTTP transport is not supported');
  }
  if (head.length < 8) return undefined;
  if (head.readUInt32LE(4) === 0) return { codec: new FullCodec(limits), consumed: 0 };
  if (head.length < OBFUSCATED_HEADER_LENGTH) return undefined;
  return {
    codec: new ObfuscatedCodec(head.subarray(0, OBFUSCATED_HEADER_LENGTH), limits),
    consumed: OBFUSCATED_HEADER_LENGTH,
  };
}
