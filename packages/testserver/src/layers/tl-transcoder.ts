/**
 * The fast path of layer mapping: bytes of one layer straight to bytes of another, without building a tree.
 *
 * Each constructor is compiled once (per pair of schemas) into a plan: which source fields are read and dropped,
 * which are copied, which target fields take their empty value, where the target's flag words go. A constructor
 * the plan cannot express exactly (fields reordered, a field whose type changed, flag bits shared by two fields…)
 * falls back to the tree path of tl-codec.ts for that sub-object only. The output is byte for byte what the tree
 * path writes (test/layers/fast-path.test.ts checks it): same fields dropped, same empty values, same elements and
 * optional fields left out in lenient mode.
 */
import { MissingInLayerError, TlReader, TlWriter, type WriteMode } from './tl-codec.js';
import type { TlArg, TlCombinator, TlSchema } from './tl-schema.js';

const VECTOR = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;

/** How a value of a type is read and written. */
enum Kind {
  Int,
  Long,
  Bytes,
  Bool,
  Int128,
  Int256,
  Double,
  Object,
}

function kindOf(type: string): Kind {
  switch (type) {
    case 'int':
      return Kind.Int;
    case 'long':
      return Kind.Long;
    case 'string':
    case 'bytes':
      return Kind.Bytes;
    case 'Bool':
      return Kind.Bool;
    case 'double':
      return Kind.Double;
    case 'int128':
      return Kind.Int128;
    case 'int256':
      return Kind.Int256;
    default:
      return Kind.Object;
  }
}

const FIXED: Readonly<Partial<Record<Kind, number>>> = {
  [Kind.Double]: 8,
  [Kind.Int128]: 16,
  [Kind.Int256]: 32,
};

enum Op {
  /** A source flag word: remember it. */
  ReadFlags,
  /** A source field the target lacks: read past it. */
  Skip,
  /** A target flag word: written as 0, its bits set as present fields are written. */
  Flags,
  /** A field both layers have with the same type. */
  Copy,
  /** A field only the target has: left out if optional, else its empty value. */
  Absent,
  /** A field whose type differs between the layers: read as a tree value, written as the tree path does. */
  Convert,
  /**
   * Several `true` fields at once: the bits `mask` of a source flag word copied to the same bits of a target
   * word, and `moves` for bits that change place (only fields whose target bit no other field shares).
   */
  Bits,
}

interface Step {
  readonly op: Op;
  /** Source field (ReadFlags, Skip, Copy). */
  readonly src?: TlArg;
  /** Target field (Flags, Copy, Absent). */
  readonly dst?: TlArg;
  /** Slot of the source flag word deciding `src` (ReadFlags: the slot it fills); -1 when `src` is required. */
  readonly srcSlot: number;
  readonly srcBit: number;
  /** Slot of the target flag word holding `dst`'s bit (Flags: the slot it opens); -1 when `dst` is required. */
  readonly dstSlot: number;
  readonly dstBit: number;
  readonly kind: Kind;
  /** False for the later fields sharing a flag bit: the first one present set it. */
  readonly setsBit?: boolean;
  /** Bits: the source bits copied in place. */
  readonly mask?: number;
  /** Bits: [source bit, target bit] pairs. */
  readonly moves?: readonly (readonly [number, number])[];
}

interface Plan {
  readonly name: string;
  readonly targetId: number;
  readonly isClass: boolean;
  readonly type: string;
  readonly steps: readonly Step[];
  readonly srcFlags: number;
  readonly dstFlags: number;
}

/** The plan mapping source constructor `from` to target `to`, or null when only the tree path is exact. */
export function compilePlan(from: TlCombinator, to: TlCombinator): Plan | null {
  const srcSlots = new Map<string, number>();
  const dstSlots = new Map<string, number>();
  const srcByName = new Map<string, number>();
  for (const [i, a] of from.args.entries()) {
    if (srcByName.has(a.name)) return null;
    srcByName.set(a.name, i);
    if (a.type === 'true' && !a.flag) return null;
  }
  const srcOf = (d: TlArg): TlArg | undefined => {
    const at = srcByName.get(d.name);
    return at === undefined ? undefined : from.args[at];
  };
  // Fields sharing a flag bit (views and forwards on flags.10, bot and bot_info_version on flags.14): the bit is
  // set when any is present, so each must be present exactly when the others are (read from fields sharing one
  // source bit). The first one met sets the bit; a later one failing clears it, as the tree path does.
  const bitGroups = new Map<string, TlArg[]>();
  const dstNames = new Set<string>();
  for (const a of to.args) {
    if (dstNames.has(a.name)) return null;
    dstNames.add(a.name);
    if (a.type === 'true' && !a.flag) return null;
    if (a.flag) {
      const key = `${a.flag.field}.${a.flag.bit}`;
      const group = bitGroups.get(key) ?? [];
      group.push(a);
      bitGroups.set(key, group);
    }
  }
  for (const group of bitGroups.values()) {
    if (group.length === 1) continue;
    const first = srcOf(group[0]!)?.flag;
    for (const d of group) {
      const s = srcOf(d);
      if (!s?.flag || !first || s.flag.field !== first.field || s.flag.bit !== first.bit) return null;
      if (d.type === 'true' && s.type !== 'true') return null;
    }
  }

  const steps: Step[] = [];
  let si = 0;
  const consume = (a: TlArg): boolean => {
    if (a.type === '#') {
      srcSlots.set(a.name, srcSlots.size);
      steps.push({
        op: Op.ReadFlags,
        src: a,
        srcSlot: srcSlots.size - 1,
        srcBit: 0,
        dstSlot: -1,
        dstBit: 0,
        kind: Kind.Int,
      });
      return true;
    }
    const slot = a.flag ? srcSlots.get(a.flag.field) : -1;
    if (slot === undefined) return false;
    steps.push({
      op: Op.Skip,
      src: a,
      srcSlot: slot,
      srcBit: a.flag?.bit ?? 0,
      dstSlot: -1,
      dstBit: 0,
      kind: kindOf(a.type),
    });
    return true;
  };
  for (const d of to.args) {
    if (d.type === '#') {
      const s = srcByName.get(d.name);
      if (s !== undefined && from.args[s]!.type !== '#') return null;
      // Read the source's word of the same name now, so the bit-only fields after it can be mapped at once.
      if (s !== undefined) while (si <= s) if (!consume(from.args[si++]!)) return null;
      dstSlots.set(d.name, dstSlots.size);
      steps.push({
        op: Op.Flags,
        dst: d,
        srcSlot: -1,
        srcBit: 0,
        dstSlot: dstSlots.size - 1,
        dstBit: 0,
        kind: Kind.Int,
      });
      continue;
    }
    const dstSlot = d.flag ? dstSlots.get(d.flag.field) : -1;
    if (dstSlot === undefined) return null;
    const at = srcByName.get(d.name);
    if (at === undefined) {
      steps.push({
        op: Op.Absent,
        dst: d,
        srcSlot: -1,
        srcBit: 0,
        dstSlot,
        dstBit: d.flag?.bit ?? 0,
        kind: kindOf(d.type),
      });
      continue;
    }
    const s = from.args[at]!;
    const same = s.type === d.type && s.vector === d.vector;
    if (same && s.type === 'true') {
      // No bytes: only its source bit matters, wherever it sits (flag words come first).
      const word = srcByName.get(s.flag!.field);
      if (word === undefined) return null;
      while (si <= word) if (!consume(from.args[si++]!)) return null;
      const srcSlot = srcSlots.get(s.flag!.field);
      if (srcSlot === undefined) return null;
      steps.push({
        op: Op.Copy,
        src: s,
        dst: d,
        srcSlot,
        srcBit: s.flag!.bit,
        dstSlot,
        dstBit: d.flag!.bit,
        kind: Kind.Int,
      });
      continue;
    }
    if (at < si) return null; // reordered: only the tree path reads it in the right order
    while (si < at) if (!consume(from.args[si++]!)) return null;
    si++;
    const srcSlot = s.flag ? srcSlots.get(s.flag.field) : -1;
    if (srcSlot === undefined) return null;
    steps.push({
      op: same ? Op.Copy : Op.Convert,
      src: s,
      dst: d,
      srcSlot,
      srcBit: s.flag?.bit ?? 0,
      dstSlot,
      dstBit: d.flag?.bit ?? 0,
      kind: kindOf(d.type),
    });
  }
  while (si < from.args.length) if (!consume(from.args[si++]!)) return null;
  const bitSet = new Set<string>();
  for (const [i, step] of steps.entries()) {
    if (step.op !== Op.Copy && step.op !== Op.Convert) continue;
    const key = step.dst!.flag ? `${step.dst!.flag.field}.${step.dst!.flag.bit}` : undefined;
    if (!key) continue;
    if (bitSet.has(key)) steps[i] = { ...step, setsBit: false };
    bitSet.add(key);
  }
  return {
    name: to.name,
    targetId: to.id,
    isClass: to.kind === 'class',
    type: to.type,
    steps: batchBits(withoutNoOps(steps), bitGroups),
    srcFlags: srcSlots.size,
    dstFlags: dstSlots.size,
  };
}

/** Steps that never read or write a byte: an optional field only the target has, a `true` the target lacks. */
function withoutNoOps(steps: readonly Step[]): Step[] {
  return steps.filter(
    (s) => !(s.op === Op.Absent && s.dstSlot >= 0) && !(s.op === Op.Skip && s.src!.type === 'true'),
  );
}

/**
 * The `true` fields (a user has some thirty) as one Bits step per pair of flag words, placed once both words are
 * known. Only fields whose target bit is theirs alone: where bits are shared, the order of set and clear matters.
 */
function batchBits(steps: readonly Step[], bitGroups: ReadonlyMap<string, readonly TlArg[]>): Step[] {
  const bits = new Map<
    string,
    { srcSlot: number; dstSlot: number; mask: number; moves: [number, number][] }
  >();
  const kept: Step[] = [];
  for (const step of steps) {
    const d = step.dst;
    const alone = d?.flag && bitGroups.get(`${d.flag.field}.${d.flag.bit}`)?.length === 1;
    if (step.op !== Op.Copy || d?.type !== 'true' || !alone || step.srcSlot < 0 || step.dstSlot < 0) {
      kept.push(step);
      continue;
    }
    const key = `${step.srcSlot}.${step.dstSlot}`;
    let b = bits.get(key);
    if (!b) {
      b = { srcSlot: step.srcSlot, dstSlot: step.dstSlot, mask: 0, moves: [] };
      bits.set(key, b);
    }
    if (step.srcBit === step.dstBit) b.mask = (b.mask | (1 << step.srcBit)) >>> 0;
    else b.moves.push([step.srcBit, step.dstBit]);
  }
  for (const b of bits.values()) {
    // After the source word is read and the target word opened.
    let at = 0;
    for (const [i, s] of kept.entries()) {
      if (
        (s.op === Op.ReadFlags && s.srcSlot === b.srcSlot) ||
        (s.op === Op.Flags && s.dstSlot === b.dstSlot)
      )
        at = i + 1;
    }
    kept.splice(at, 0, {
      op: Op.Bits,
      srcSlot: b.srcSlot,
      srcBit: 0,
      dstSlot: b.dstSlot,
      dstBit: 0,
      kind: Kind.Int,
      mask: b.mask,
      moves: b.moves,
    });
  }
  return kept;
}

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
