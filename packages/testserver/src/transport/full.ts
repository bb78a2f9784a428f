import { crc32 } from '../tl.js';
import { ByteQueue } from './byte-queue.js';
import type { CodecLimits, FrameCodec } from './codec.js';
import { TransportError } from './transport-error.js';

/**
 * The "full" TCP framing (GramJS's default ConnectionTCPFull): int32 total length, int32 sequence number
 * (per direction, from 0), payload, crc32 of everything before it. No init tag.
 */
export class FullCodec implements FrameCodec {
  readonly kind = 'full';
  private readonly queue = new ByteQueue();
  private recvSeq = 0;
  private sendSeq = 0;

  constructor(private readonly limits: CodecLimits) {}

  get buffered(): number {
    return this.queue.length;
  }

  decode(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const out: Buffer[] = [];
    while (this.queue.length >= 4) {
      const length = this.queue.peek(4).readInt32LE(0);
      if (length < 12 || length % 4 !== 0 || length - 12 > this.limits.maxPacketBytes) {
        throw new TransportError(
          `full: bad packet length ${length} (want 12..${this.limits.maxPacketBytes + 12}, /4)`,
        );
      }
      if (this.queue.length < length) break;
      const frame = this.queue.take(length);
      const seq = frame.readInt32LE(4);
      if (seq !== this.recvSeq)
        throw new TransportError(`full: bad sequence number ${seq}, want ${this.recvSeq}`);
      const expected = crc32(frame.subarray(0, length - 4));
      const actual = frame.readUInt32LE(length - 4);
      if (expected !== actual) throw new TransportError(`full: bad crc32 ${actual}, want ${expected}`);
      this.recvSeq++;
      out.push(frame.subarray(8, length - 4));
    }
    return out;
  }

  encode(payload: Buffer): Buffer {
    const frame = Buffer.alloc(payload.length + 12);
    frame.writeInt32LE(frame.length, 0);
    frame.writeInt32LE(this.sendSeq++, 4);
    payload.copy(frame, 8);
    frame.writeUInt32LE(crc32(frame.subarray(0, frame.length - 4)), frame.length - 4);
    return frame;
  }
}
