/**
 * The plans of the layer fast path (tl-transcoder.ts): each source constructor compiled once, per pair of schemas,
 * into steps — which source fields are read and dropped, which are copied, which target fields take their empty
 * value, where the target's flag words go and which flag bits move. A constructor no plan can express exactly
 * (fields reordered, flag bits shared in ways only the tree path orders right…) gets none: the tree path of
 * tl-codec.ts handles it.
 */
import type { TlArg, TlCombinator } from './tl-schema.js';

/** How a value of a type is read and written. */
export enum Kind {
  Int,
  Long,
  Bytes,
  Bool,
  Int128,
  Int256,
  Double,
  Object,
}

export function kindOf(type: string): Kind {
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

export const FIXED: Readonly<Partial<Record<Kind, number>>> = {
  [Kind.Double]: 8,
  [Kind.Int128]: 16,
  [Kind.Int256]: 32,
};

export enum Op {
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

export interface Step {
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

export interface Plan {
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
