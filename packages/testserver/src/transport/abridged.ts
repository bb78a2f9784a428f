import { ByteQueue } from './byte-queue.js';
import type { CodecLimits, FrameCodec, TransportKind } from './codec.js';
import { TransportError } from './transport-error.js';

/**
 * The abridged framing (tag 0xef, GramJS ConnectionTCPAbridged): length / 4 in one byte, or 0x7f followed by
 * 3 bytes for long packets. The high bit of the first byte (a quick-ack request) is ignored.
 */
export class AbridgedCodec implements FrameCodec {
  private readonly queue = new ByteQueue();

  constructor(
    private readonly limits: CodecLimits,
    readonly kind: TransportKind = 'abridged',
  ) {}

  get buffered(): number {
    return this.queue.length;
  }

  decode(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const out: Buffer[] = [];
    for (;;) {
      if (this.queue.length < 1) break;
      const first = this.queue.peek(1)[0]! & 0x7f;
      let headerLength = 1;
      let words = first;
      if (first === 0x7f) {
        if (this.queue.length < 4) break;
        headerLength = 4;
        words = this.queue.peek(4).readUIntLE(1, 3);
      }
      const length = words * 4;
      if (length === 0 || length > this.limits.maxPacketBytes) {
        throw new TransportError(
          `abridged: bad packet length ${length} (want 4..${this.limits.maxPacketBytes})`,
        );
      }
      if (this.queue.length < headerLength + length) break;
      this.queue.take(headerLength);
      out.push(this.queue.take(length));
    }
    return out;
  }

  encode(payload: Buffer): Buffer {
    const words = payload.length >> 2;
    const header =
      words < 0x7f
        ? Buffer.from([words])
        : Buffer.from([0x7f, words & 0xff, (words >> 8) & 0xff, (words >> 16) & 0xff]);
    return Buffer.concat([header, payload]);
  }
}
