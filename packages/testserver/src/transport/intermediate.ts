import { randomBytes } from 'node:crypto';
import { ByteQueue } from './byte-queue.js';
import type { CodecLimits, FrameCodec, TransportKind } from './codec.js';
import { TransportError } from './transport-error.js';

/**
 * The intermediate framing (tag 0xeeeeeeee): int32 length then payload. The padded variant (tag 0xdddddddd)
 * appends 0-15 random bytes after the payload; the receiver trims them using the MTProto header (an
 * encrypted message is 24 + 16k bytes, a plain one declares its length). The length's high bit (quick-ack
 * request) is ignored.
 */
export class IntermediateCodec implements FrameCodec {
  private readonly queue = new ByteQueue();

  constructor(
    private readonly limits: CodecLimits,
    private readonly padded: boolean,
    readonly kind: TransportKind = padded ? 'padded-intermediate' : 'intermediate',
  ) {}

  get buffered(): number {
    return this.queue.length;
  }

  decode(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const out: Buffer[] = [];
    while (this.queue.length >= 4) {
      const length = this.queue.peek(4).readUInt32LE(0) & 0x7fffffff;
      const maxLength = this.limits.maxPacketBytes + (this.padded ? 15 : 0);
      if (length === 0 || length > maxLength || (!this.padded && length % 4 !== 0)) {
        throw new TransportError(`${this.kind}: bad packet length ${length} (want 4..${maxLength})`);
      }
      if (this.queue.length < 4 + length) break;
      this.queue.take(4);
      const body = this.queue.take(length);
      out.push(this.padded ? trimPadding(body) : body);
    }
    return out;
  }

  encode(payload: Buffer): Buffer {
    const padding = this.padded ? randomBytes(randomBytes(1)[0]! % 16) : Buffer.alloc(0);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(payload.length + padding.length, 0);
    return Buffer.concat([header, payload, padding]);
  }
}

/** Drops the random tail of a padded-intermediate packet using the MTProto message layout. */
function trimPadding(body: Buffer): Buffer {
  if (body.length < 8) return body;
  const isPlain = body.readBigUInt64LE(0) === 0n;
  if (isPlain) {
    if (body.length < 20) return body;
    const declared = 20 + body.readUInt32LE(16);
    return declared <= body.length ? body.subarray(0, declared) : body;
  }
  if (body.length < 24) return body;
  return body.subarray(0, 24 + Math.floor((body.length - 24) / 16) * 16);
}
