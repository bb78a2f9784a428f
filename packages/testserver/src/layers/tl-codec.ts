/**
 * Schema-driven TL reading and writing: bytes of one layer ⇄ a plain tree `{ _: 'user', id: 5n, first_name: … }`
 * keyed by TL names. Writing a tree with another layer's schema is what maps objects between layers: by
 * constructor and field name, fields the target lacks are dropped, fields it adds take their empty value.
 *
 * The reader and the writer stay in one file (about 360 lines): each is the mirror of the other, value kind by
 * value kind.
 *
 * Values: `int` → number, `long` → bigint, `Bool`/`true` → boolean, `string`/`bytes`/`double`/`int128`/`int256` →
 * the raw bytes (a Buffer: nothing is decoded, so nothing can be lost), vectors → arrays, objects → trees.
 */
import type { TlArg, TlCombinator, TlSchema } from './tl-schema.js';

export type TlValue = number | bigint | boolean | Buffer | TlValue[] | TlTree;

export interface TlTree {
  _: string;
  /** Only `_` is a string; every field is a TlValue. */
  [field: string]: TlValue | string | undefined;
}

/** A field of a tree (`_` excluded). */
type Field = TlValue | undefined;

const VECTOR = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;

/** A constructor id the reading schema does not know. */
export class UnknownConstructorError extends Error {
  override name = 'UnknownConstructorError';
  constructor(readonly constructorId: number) {
    super(`constructor 0x${constructorId.toString(16).padStart(8, '0')} is not in the schema`);
  }
}

/** A tree holds a constructor (or a type) the writing schema does not have. */
export class MissingInLayerError extends Error {
  override name = 'MissingInLayerError';
  constructor(
    readonly what: string,
    readonly layer: number,
  ) {
    super(`layer ${layer} has no ${what}`);
  }
}

const FIXED_BYTES: Readonly<Record<string, number>> = { double: 8, int128: 16, int256: 32 };

export class TlReader {
  pos = 0;
  constructor(
    private readonly schema: TlSchema,
    private readonly buf: Buffer,
  ) {}

  /** Bytes in the buffer read. */
  get length(): number {
    return this.buf.length;
  }

  /** The buffer read (the fast path copies fixed-size fields straight from it). */
  get source(): Buffer {
    return this.buf;
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('TL data ends early');
  }

  int(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  long(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  bytes(): Buffer {
    this.need(1);
    let length = this.buf[this.pos]!;
    let header = 1;
    if (length >= 254) {
      this.need(4);
      length = this.buf.readUIntLE(this.pos + 1, 3);
      header = 4;
    }
    const padded = Math.ceil((header + length) / 4) * 4;
    this.need(padded);
    const v = this.buf.subarray(this.pos + header, this.pos + header + length);
    this.pos += padded;
    return v;
  }

  /** One value of `type` (boxed types read their constructor id). */
  value(type: string): TlValue {
    switch (type) {
      case 'int':
        return this.int();
      case 'long':
        return this.long();
      case 'string':
      case 'bytes':
        return this.bytes();
      case 'Bool': {
        const id = this.uint();
        if (id === BOOL_TRUE) return true;
        if (id === BOOL_FALSE) return false;
        throw new UnknownConstructorError(id);
      }
      default: {
        const fixed = FIXED_BYTES[type];
        return fixed ? this.raw(fixed) : this.object();
      }
    }
  }

  vector(type: string): TlValue[] {
    const id = this.uint();
    if (id !== VECTOR) throw new UnknownConstructorError(id);
    const n = this.int();
    if (n < 0 || n > this.buf.length) throw new RangeError(`vector of ${n} elements`);
    const out: TlValue[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(type);
    return out;
  }

  /** A boxed object; its combinator must be in the schema. */
  object(): TlTree {
    const id = this.uint();
    const c = this.schema.byId.get(id);
    if (!c) throw new UnknownConstructorError(id);
    const tree: TlTree = { _: c.name };
    let flags: Record<string, number> | undefined;
    for (const a of c.args) {
      if (a.type === '#') {
        flags ??= {};
        flags[a.name] = this.uint();
        continue;
      }
      if (a.flag && !(((flags?.[a.flag.field] ?? 0) >>> a.flag.bit) & 1)) continue;
      if (a.type === 'true') {
        tree[a.name] = true;
        continue;
      }
      tree[a.name] = a.vector ? this.vector(a.type) : this.value(a.type);
    }
    return tree;
  }

  /** A method's result: `Vector<T>` or one value of T. */
  result(c: TlCombinator): TlValue {
    return c.vector ? this.vector(c.type) : this.value(c.type);
  }
}

/** How to treat something the target layer cannot say. */
export type WriteMode =
  /** Requests: anything missing is an error (a handler must never see a silently changed request). */
  | 'strict'
  /** Answers and updates: a list element or optional field the client's layer lacks is left out. */
  | 'lenient';

export class TlWriter {
  protected buf: Buffer;
  pos = 0;

  /** `buffer`: where to write first (grown into a new one if too small); its old contents are overwritten. */
  constructor(
    protected readonly schema: TlSchema,
    protected readonly mode: WriteMode,
    buffer?: Buffer,
  ) {
    this.buf = buffer ?? Buffer.allocUnsafe(1024);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  protected room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  int(v: number): void {
    this.room(4);
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
  }

  uint(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  long(v: bigint): void {
    this.room(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
  }

  raw(v: Buffer): void {
    this.room(v.length);
    v.copy(this.buf, this.pos);
    this.pos += v.length;
  }

  bytes(v: Buffer): void {
    const header = v.length < 254 ? 1 : 4;
    const padded = Math.ceil((header + v.length) / 4) * 4;
    this.room(padded);
    if (header === 1) this.buf[this.pos] = v.length;
    else {
      this.buf[this.pos] = 254;
      this.buf.writeUIntLE(v.length, this.pos + 1, 3);
    }
    v.copy(this.buf, this.pos + header);
    this.buf.fill(0, this.pos + header + v.length, this.pos + padded);
    this.pos += padded;
  }

  /** Writes `v` as `type`; a missing or mismatched value becomes the type's empty value. */
  value(type: string, v: TlValue | undefined): void {
    switch (type) {
      case 'int':
        this.int(typeof v === 'number' ? v : typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : 0);
        return;
      case 'long':
        this.long(typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n);
        return;
      case 'string':
      case 'bytes':
        this.bytes(Buffer.isBuffer(v) ? v : Buffer.alloc(0));
        return;
      case 'Bool':
        this.uint(v === true ? BOOL_TRUE : BOOL_FALSE);
        return;
    }
    const fixed = FIXED_BYTES[type];
    if (fixed) {
      this.raw(Buffer.isBuffer(v) && v.length === fixed ? v : Buffer.alloc(fixed));
      return;
    }
    if (isTree(v)) {
      this.object(v, type);
      return;
    }
    const empty = this.schema.emptyConstructor(type);
    if (!empty) throw new MissingInLayerError(`empty value of ${type}`, this.schema.layer);
    this.object({ _: empty.name }, type);
  }

  vector(type: string, v: TlValue | undefined): void {
    const items = Array.isArray(v) ? v : [];
    this.uint(VECTOR);
    const countAt = this.pos;
    this.int(items.length);
    let written = 0;
    for (const item of items) {
      const mark = this.pos;
      try {
        this.value(type, item);
        written++;
      } catch (error) {
        if (this.mode === 'strict' || !(error instanceof MissingInLayerError)) throw error;
        this.pos = mark; // the client's layer cannot say this element: leave it out
      }
    }
    if (written !== items.length) this.buf.writeInt32LE(written, countAt);
  }

  /** Writes a tree as the schema's combinator of the same name, which must be of `type` (any for `!X`/`X`). */
  object(tree: TlTree, type = '!X'): void {
    const c = this.schema.named(tree._);
    if (!c) throw new MissingInLayerError(tree._, this.schema.layer);
    if (c.kind === 'class' && type !== '!X' && type !== 'X' && c.type !== type) {
      throw new MissingInLayerError(`${tree._} as ${type}`, this.schema.layer);
    }
    this.uint(c.id);
    this.args(c.args, tree);
  }

  private args(args: readonly TlArg[], tree: TlTree): void {
    const flagAt: Record<string, number> = {};
    const flagValue: Record<string, number> = {};
    for (const a of args) {
      if (a.type === '#') {
        flagValue[a.name] = 0;
      } else if (a.flag) {
        const v = tree[a.name];
        if (a.type === 'true' ? v === true : v !== undefined) {
          flagValue[a.flag.field] = (flagValue[a.flag.field] ?? 0) | (1 << a.flag.bit);
        }
      }
    }
    for (const a of args) {
      if (a.type === '#') {
        flagAt[a.name] = this.pos;
        this.uint(flagValue[a.name] ?? 0);
        continue;
      }
      if (a.flag) {
        if (!(((flagValue[a.flag.field] ?? 0) >>> a.flag.bit) & 1) || a.type === 'true') continue;
        const mark = this.pos;
        try {
          if (a.vector) this.vector(a.type, tree[a.name] as Field);
          else this.value(a.type, tree[a.name] as Field);
        } catch (error) {
          if (this.mode === 'strict' || !(error instanceof MissingInLayerError)) throw error;
          // An optional field the client's layer cannot say: leave it out and clear its flag bit.
          this.pos = mark;
          const at = flagAt[a.flag.field]!;
          this.buf.writeUInt32LE((this.buf.readUInt32LE(at) & ~(1 << a.flag.bit)) >>> 0, at);
        }
        continue;
      }
      const mark = this.pos;
      try {
        if (a.vector) this.vector(a.type, tree[a.name] as Field);
        else this.value(a.type, tree[a.name] as Field);
      } catch (error) {
        if (this.mode === 'strict' || !(error instanceof MissingInLayerError)) throw error;
        this.pos = mark; // a required field the client's layer cannot say: its empty value, if the type has one
        if (a.vector) this.vector(a.type, []);
        else this.value(a.type, undefined);
      }
    }
  }

  /** A method's result as the method `c` declares it. */
  resultOf(c: TlCombinator, v: TlValue): void {
    if (c.vector) this.vector(c.type, v);
    else this.value(c.type, v);
  }
}

function isTree(v: TlValue | undefined): v is TlTree {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v);
}
