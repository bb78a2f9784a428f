/**
 * The fast path of layer mapping: bytes of one layer straight to bytes of another, without building a tree, by
 * the compiled plans of tl-plan.ts. A constructor without a plan falls back to the tree path of tl-codec.ts for
 * that sub-object only. The output is byte for byte what the tree path writes (test/layers/fast-path.test.ts
 * checks it): same fields dropped, same empty values, same elements and optional fields left out in lenient mode.
 */
import { MissingInLayerError, TlReader, TlWriter, type WriteMode } from './tl-codec.js';
import { compilePlan, FIXED, Kind, kindOf, Op, type Plan } from './tl-plan.js';
import type { TlCombinator, TlSchema } from './tl-schema.js';

const VECTOR = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;

/** A writer's working memory, handed from one call to the next. */
interface Scratch {
  readonly buffer: Buffer;
  /** The flag-word stack (PlanWriter). */
  readonly words: Uint32Array;
  readonly at: Int32Array;
}

/** The biggest scratch buffer a transcoder keeps between calls (a bigger answer gets its own). */
const SCRATCH_LIMIT = 256 * 1024;

/** Maps bytes from `source`'s layer to `target`'s, one compiled plan per source constructor. */
export class Transcoder {
  private readonly plans = new Map<number, Plan | null>();
  private scratch: Scratch = {
    buffer: Buffer.allocUnsafe(4096),
    words: new Uint32Array(64),
    at: new Int32Array(64),
  };

  constructor(
    readonly source: TlSchema,
    readonly target: TlSchema,
  ) {}

  /** The plan of source constructor `id` (compiled on first use); null: the tree path handles it. */
  plan(id: number): Plan | null {
    let plan = this.plans.get(id);
    if (plan === undefined) {
      const from = this.source.byId.get(id);
      const to = from && this.target.named(from.name);
      plan = from && to ? compilePlan(from, to) : null;
      this.plans.set(id, plan);
    }
    return plan;
  }

  /** One boxed object of `type`, as TlWriter.object would write the tree TlReader.object reads. */
  object(bytes: Buffer, type: string, mode: WriteMode): Buffer {
    const w = this.writer(mode);
    w.transcodeObject(new TlReader(this.source, bytes), type);
    return this.done(w);
  }

  /** A method's result read as `from` declares it, written as `to` does (TlReader.result + TlWriter.resultOf). */
  result(from: TlCombinator, to: TlCombinator, bytes: Buffer, mode: WriteMode): Buffer {
    const r = new TlReader(this.source, bytes);
    const w = this.writer(mode);
    if (from.vector === to.vector && from.type === to.type) {
      if (to.vector) w.transcodeVector(r, kindOf(to.type), to.type);
      else w.transcodeValue(r, kindOf(to.type), to.type);
    } else {
      w.resultOf(to, r.result(from));
    }
    return this.done(w);
  }

  /**
   * A writer on the scratch memory of the last one (calls are synchronous and never nested): each update then
   * costs one copy of its bytes, not fresh buffers.
   */
  private writer(mode: WriteMode): PlanWriter {
    return new PlanWriter(this, mode, this.scratch);
  }

  private done(w: PlanWriter): Buffer {
    const scratch = w.scratch;
    if (scratch.buffer.length <= SCRATCH_LIMIT) this.scratch = scratch;
    return w.result();
  }
}

class PlanWriter extends TlWriter {
  /**
   * The flag words of the objects being written, innermost last: for each, its source words, then its target
   * words (set bit by bit, written into their place when the object is done), with `at` where each target word goes.
   */
  private words: Uint32Array;
  private at: Int32Array;
  private top = 0;

  constructor(
    private readonly t: Transcoder,
    mode: WriteMode,
    scratch: Scratch,
  ) {
    super(t.target, mode, scratch.buffer);
    this.words = scratch.words;
    this.at = scratch.at;
  }

  /** What the next writer may reuse (grown if this one had to). */
  get scratch(): Scratch {
    return { buffer: this.buf, words: this.words, at: this.at };
  }

  transcodeValue(r: TlReader, kind: Kind, type: string): void {
    switch (kind) {
      case Kind.Int: {
        // Copied as is: the tree path reads an int and writes it back unchanged.
        r.need(4);
        this.room(4);
        this.buf.writeInt32LE(r.source.readInt32LE(r.pos), this.pos);
        r.pos += 4;
        this.pos += 4;
        return;
      }
      case Kind.Long: {
        r.need(8);
        this.room(8);
        const src = r.source;
        this.buf.writeInt32LE(src.readInt32LE(r.pos), this.pos);
        this.buf.writeInt32LE(src.readInt32LE(r.pos + 4), this.pos + 4);
        r.pos += 8;
        this.pos += 8;
        return;
      }
      case Kind.Bytes:
        this.bytes(r.bytes());
        return;
      case Kind.Bool:
        this.uint(r.value('Bool') === true ? BOOL_TRUE : BOOL_FALSE);
        return;
      case Kind.Object:
        this.transcodeObject(r, type);
        return;
      default:
        this.raw(r.raw(FIXED[kind]!));
    }
  }

  transcodeVector(r: TlReader, kind: Kind, type: string): void {
    const start = r.pos;
    if (r.uint() !== VECTOR) {
      r.pos = start;
      r.vector(type); // throws the reader's error
    }
    const n = r.int();
    if (n < 0 || n > r.length) throw new RangeError(`vector of ${n} elements`);
    this.uint(VECTOR);
    const countAt = this.pos;
    this.int(n);
    let written = 0;
    for (let i = 0; i < n; i++) {
      const mark = this.pos;
      const readMark = r.pos;
      try {
        this.transcodeValue(r, kind, type);
        written++;
      } catch (error) {
        if (this.mode === 'strict' || !(error instanceof MissingInLayerError)) throw error;
        this.pos = mark; // the client's layer cannot say this element: leave it out
        r.pos = readMark;
        r.value(type);
      }
    }
    if (written !== n) this.buf.writeInt32LE(written, countAt);
  }

  transcodeObject(r: TlReader, type: string): void {
    const start = r.pos;
    const plan = this.t.plan(r.uint());
    if (!plan) {
      r.pos = start;
      this.object(r.object(), type);
      return;
    }
    if (plan.isClass && type !== '!X' && type !== 'X' && plan.type !== type) {
      // What the tree path does after reading the whole object: read past it, so a reader error still wins.
      r.pos = start;
      r.object();
      throw new MissingInLayerError(`${plan.name} as ${type}`, this.schema.layer);
    }
    this.uint(plan.targetId);
    const base = this.top;
    const dst = base + plan.srcFlags; // words[base + slot]: source words; words[dst + slot]: target words
    this.top = dst + plan.dstFlags;
    if (this.top > this.words.length) this.growWords();
    // This object's words stay in these arrays even if a nested object grows the stack into new ones.
    const words = this.words;
    const at = this.at;
    try {
      this.runSteps(plan, r, base, dst, words, at);
      for (let slot = 0; slot < plan.dstFlags; slot++)
        this.buf.writeUInt32LE(words[dst + slot]!, at[dst + slot]!);
    } finally {
      this.top = base;
    }
  }

  private growWords(): void {
    const words = new Uint32Array(this.top * 2);
    words.set(this.words);
    this.words = words;
    const at = new Int32Array(this.top * 2);
    at.set(this.at);
    this.at = at;
  }

  private runSteps(
    plan: Plan,
    r: TlReader,
    base: number,
    dst: number,
    words: Uint32Array,
    at: Int32Array,
  ): void {
    const steps = plan.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const present = step.srcSlot < 0 || ((words[base + step.srcSlot]! >>> step.srcBit) & 1) === 1;
      switch (step.op) {
        case Op.ReadFlags:
          words[base + step.srcSlot] = r.uint();
          break;
        case Op.Flags:
          at[dst + step.dstSlot] = this.pos;
          words[dst + step.dstSlot] = 0;
          this.uint(0);
          break;
        case Op.Bits: {
          const from = words[base + step.srcSlot]!;
          let bits = from & step.mask!;
          for (const [s, d] of step.moves!) if ((from >>> s) & 1) bits = bits | (1 << d);
          words[dst + step.dstSlot] = words[dst + step.dstSlot]! | bits;
          break;
        }
        case Op.Skip: {
          const s = step.src!;
          if (!present) break;
          if (s.vector) r.vector(s.type);
          else r.value(s.type);
          break;
        }
        case Op.Absent: {
          // A required field only the target has (optional ones are no steps): its empty value.
          const d = step.dst!;
          if (d.vector) this.vector(d.type, undefined);
          else this.value(d.type, undefined);
          break;
        }
        case Op.Convert: {
          const s = step.src!;
          const d = step.dst!;
          const v = !present
            ? undefined
            : s.type === 'true'
              ? true
              : s.vector
                ? r.vector(s.type)
                : r.value(s.type);
          if (step.dstSlot >= 0) {
            if (!(d.type === 'true' ? v === true : v !== undefined)) break;
            if (step.setsBit !== false)
              words[dst + step.dstSlot] = words[dst + step.dstSlot]! | (1 << step.dstBit);
            if (d.type === 'true') break;
          }
          const mark = this.pos;
          try {
            if (d.vector) this.vector(d.type, v);
            else this.value(d.type, v);
          } catch (error) {
            if (this.mode === 'strict' || !(error instanceof MissingInLayerError)) throw error;
            this.pos = mark;
            if (step.dstSlot >= 0)
              words[dst + step.dstSlot] = words[dst + step.dstSlot]! & ~(1 << step.dstBit);
            else if (d.vector) this.vector(d.type, []);
            else this.value(d.type, undefined);
          }
          break;
        }
        case Op.Copy: {
          const d = step.dst!;
          if (!present) {
            if (step.dstSlot >= 0) break;
            if (d.vector) this.vector(d.type, undefined);
            else this.value(d.type, undefined);
            break;
          }
          if (step.dstSlot >= 0 && step.setsBit !== false)
            words[dst + step.dstSlot] = words[dst + step.dstSlot]! | (1 << step.dstBit);
          if (d.type === 'true') break;
          const mark = this.pos;
          const readMark = r.pos;
          try {
            if (d.vector) this.transcodeVector(r, step.kind, d.type);
            else this.transcodeValue(r, step.kind, d.type);
          } catch (error) {
            if (this.mode === 'strict' || !(error instanceof MissingInLayerError)) throw error;
            this.pos = mark;
            r.pos = readMark;
            if (d.vector) r.vector(d.type);
            else r.value(d.type);
            if (step.dstSlot >= 0) {
              // An optional field the client's layer cannot say: leave it out and clear its flag bit.
              words[dst + step.dstSlot] = words[dst + step.dstSlot]! & ~(1 << step.dstBit);
            } else if (d.vector) {
              this.vector(d.type, []); // a required field: its empty value, if the type has one
            } else {
              this.value(d.type, undefined);
            }
          }
          break;
        }
      }
    }
  }
}
