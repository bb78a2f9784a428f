/** An append-only byte FIFO that avoids re-concatenating the whole backlog on every TCP chunk. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The first `n` bytes without consuming them; `n` must be ≤ length. */
  peek(n: number): Buffer {
    this.coalesce(n);
    return this.chunks[0]!.subarray(0, n);
  }

  /** Removes and returns the first `n` bytes; `n` must be ≤ length. */
  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.coalesce(n);
    const head = this.chunks[0]!;
    const out = head.subarray(0, n);
    if (head.length === n) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.size -= n;
    return out;
  }

  /** Removes and returns everything. */
  takeAll(): Buffer {
    return this.take(this.size);
  }

  private coalesce(n: number): void {
    if (n > this.size) throw new RangeError(`ByteQueue: asked for ${n} bytes, have ${this.size}`);
    if (this.chunks[0]!.length >= n) return;
    let got = 0;
    let count = 0;
    while (got < n) got += this.chunks[count++]!.length;
    this.chunks.splice(0, count, Buffer.concat(this.chunks.slice(0, count)));
  }
}
