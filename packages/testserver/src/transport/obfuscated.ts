import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { AbridgedCodec } from './abridged.js';
import type { CodecLimits, FrameCodec, TransportKind } from './codec.js';
import { IntermediateCodec } from './intermediate.js';
import { TransportError } from './transport-error.js';

/** Length of the obfuscated init header. */
export const OBFUSCATED_HEADER_LENGTH = 64;

const ABRIDGED_TAG = 0xefefefef;
const INTERMEDIATE_TAG = 0xeeeeeeee;
const PADDED_TAG = 0xdddddddd;

/**
 * The obfuscated transport (GramJS ConnectionTCPObfuscated): a 64-byte random init whose bytes 8..56 give
 * AES-256-CTR keys for both directions; bytes 56..60, once decrypted, name the inner framing. Everything
 * after the init is CTR-encrypted (one continuous stream per direction).
 */
export class ObfuscatedCodec implements FrameCodec {
  readonly kind: TransportKind;
  private readonly decipher: Decipher;
  private readonly cipher: Cipher;
  private readonly inner: FrameCodec;

  /** Throws `TransportError` when the decrypted tag names no known framing. */
  constructor(header: Buffer, limits: CodecLimits) {
    if (header.length !== OBFUSCATED_HEADER_LENGTH)
      throw new TransportError('obfuscated: init must be 64 bytes');
    // The client encrypts with header[8..40] / iv header[40..56]; it decrypts with the same bytes reversed.
    this.decipher = createDecipheriv('aes-256-ctr', header.subarray(8, 40), header.subarray(40, 56));
    const reversed = Buffer.from(header.subarray(8, 56)).reverse();
    this.cipher = createCipheriv('aes-256-ctr', reversed.subarray(0, 32), reversed.subarray(32, 48));
    const plainHeader = this.decipher.update(header);
    const tag = plainHeader.readUInt32LE(56);
    if (tag === ABRIDGED_TAG) {
      this.inner = new AbridgedCodec(limits, 'obfuscated-abridged');
    } else if (tag === INTERMEDIATE_TAG) {
      this.inner = new IntermediateCodec(limits, false, 'obfuscated-intermediate');
    } else if (tag === PADDED_TAG) {
      this.inner = new IntermediateCodec(limits, true, 'obfuscated-padded-intermediate');
    } else {
      throw new TransportError(`obfuscated: unknown protocol tag 0x${tag.toString(16)}`);
    }
    this.kind = this.inner.kind;
  }

  get buffered(): number {
    return this.inner.buffered;
  }

  decode(chunk: Buffer): Buffer[] {
    return this.inner.decode(this.decipher.update(chunk));
  }

  encode(payload: Buffer): Buffer {
    return this.cipher.update(this.inner.encode(payload));
  }
}
