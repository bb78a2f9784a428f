/**
 * Strings kept outside the JS heap: UTF-8 in 1 MiB buffers, addressed by one 32-bit position (chunk << 20 |
 * offset). A million small strings as heap objects would sit scattered among the garbage of the writes that made
 * them, and V8 keeps such half-empty pages resident; here they cost their bytes. Bytes once written never change
 * (a new value is written elsewhere), so a position saved for a rollback stays valid until `compact()`.
 */
import { Buffer } from 'node:buffer';
import { StorageError } from '../../errors.js';

const OFFSET_BITS = 20;
const CHUNK_BYTES = 1 << OFFSET_BITS;
const MAX_CHUNKS = 2 ** (32 - OFFSET_BITS);
/** Longest value: the length column is 16 bits. */
export const MAX_TEXT_BYTES = 0xffff;

function tooLong(what: string, bytes: number): never {
  throw new StorageError(
    'STORAGE_RECORD_REJECTED',
    `The memory storage keeps at most ${MAX_TEXT_BYTES} bytes of text per peer; ${what} has ${bytes}`,
    { kind: 'record' },
  );
}

export class TextArena {
  #chunks: Buffer[] = [];
  /** Free bytes at the end of the last chunk start here. */
  #used = CHUNK_BYTES;
  #live = 0;
  #garbage = 0;

  /** Bytes held by values no longer referred to. */
  get garbage(): number {
    return this.#garbage;
  }

  get live(): number {
    return this.#live;
  }

  /**
   * Stores `text` unless the bytes at `[at, at + length)` already spell it; answers its position and byte length.
   * `what` names the value in the error thrown when it is too long.
   */
  write(text: string, at: number, length: number, what: string): { at: number; length: number } {
    // Encoded straight into the free end of the last chunk; kept there only if it differs from the stored bytes.
    if (this.#used + text.length * 3 > CHUNK_BYTES) {
      if (text.length * 3 > CHUNK_BYTES) tooLong(what, Buffer.byteLength(text, 'utf8'));
      this.#newChunk();
    }
    const last = this.#chunks.length - 1;
    const tail = this.#chunks[last] as Buffer;
    const n = tail.write(text, this.#used, 'utf8');
    if (n > MAX_TEXT_BYTES) tooLong(what, n);
    if (length === n) {
      const chunk = this.#chunks[at >>> OFFSET_BITS] as Buffer;
      const offset = at & (CHUNK_BYTES - 1);
      if (tail.compare(chunk, offset, offset + n, this.#used, this.#used + n) === 0) return { at, length };
    }
    const position = last * CHUNK_BYTES + this.#used;
    this.#used += n;
    this.#live += n;
    return { at: position, length: n };
  }

  read(at: number, length: number): string {
    if (length === 0) return '';
    const offset = at & (CHUNK_BYTES - 1);
    return (this.#chunks[at >>> OFFSET_BITS] as Buffer).toString('utf8', offset, offset + length);
  }

  /** The buffer and offset of a stored value, to compare bytes without decoding. */
  bytes(at: number): { chunk: Buffer; offset: number } {
    return { chunk: this.#chunks[at >>> OFFSET_BITS] as Buffer, offset: at & (CHUNK_BYTES - 1) };
  }

  /** A value is no longer referred to. */
  release(length: number): void {
    this.#live -= length;
    this.#garbage += length;
  }

  /** A released value is referred to again (a rollback put it back). */
  revive(length: number): void {
    this.#live += length;
    this.#garbage -= length;
  }

  /**
   * Copies the live values into fresh chunks. `each` calls `move(at, length)` for every live value and stores the
   * position it answers.
   */
  compact(each: (move: (at: number, length: number) => number) => void): void {
    const old = this.#chunks;
    this.#chunks = [];
    this.#used = CHUNK_BYTES;
    this.#live = 0;
    this.#garbage = 0;
    each((at, length) => {
      if (length === 0) return 0;
      if (this.#used + length > CHUNK_BYTES) this.#newChunk();
      const chunkIndex = this.#chunks.length - 1;
      const offset = at & (CHUNK_BYTES - 1);
      (old[at >>> OFFSET_BITS] as Buffer).copy(
        this.#chunks[chunkIndex] as Buffer,
        this.#used,
        offset,
        offset + length,
      );
      const position = chunkIndex * CHUNK_BYTES + this.#used;
      this.#used += length;
      this.#live += length;
      return position;
    });
  }

  #newChunk(): void {
    if (this.#chunks.length >= MAX_CHUNKS) {
      throw new StorageError('STORAGE_FAILED', `The memory storage is full (${MAX_CHUNKS} MiB of text)`);
    }
    this.#chunks.push(Buffer.alloc(CHUNK_BYTES));
    this.#used = 0;
  }
}
