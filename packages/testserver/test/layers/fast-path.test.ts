import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { LayerBook } from '../../src/layers/layer-book.js';
import { type TlTree, type TlValue, TlWriter } from '../../src/layers/tl-codec.js';
import type { TlSchema } from '../../src/layers/tl-schema.js';
import { Transcoder } from '../../src/layers/tl-transcoder.js';
import { LAYER } from '../../src/tl.js';
import { tinyLayers } from './tiny-layers.js';

/** The same mapping through the compiled plans and through trees: bytes, or the error's class. */
function both(book: LayerBook, run: () => Buffer): { fast: Buffer | string; tree: Buffer | string } {
  const attempt = (): Buffer | string => {
    try {
      return run();
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  };
  book.fastPath = true;
  const fast = attempt();
  book.fastPath = false;
  const tree = attempt();
  book.fastPath = true;
  return { fast, tree };
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random tree of constructor `name` in `schema`: every optional field present or not, nesting bounded. */
function randomTree(schema: TlSchema, name: string, rnd: () => number, depth = 0): TlTree {
  const c = schema.constructorNamed(name)!;
  const tree: TlTree = { _: c.name };
  const present = new Map<string, boolean>(); // fields sharing a flag bit are there together
  for (const a of c.args) {
    if (a.type === '#') continue;
    if (a.flag) {
      const key = `${a.flag.field}.${a.flag.bit}`;
      if (!present.has(key)) present.set(key, rnd() >= 0.4);
      if (!present.get(key)) continue;
    }
    if (a.type === 'true') {
      tree[a.name] = true;
      continue;
    }
    const one = (): TlValue => randomValue(schema, a.type, rnd, depth + 1);
    tree[a.name] = a.vector ? Array.from({ length: Math.floor(rnd() * 3) }, one) : one();
  }
  return tree;
}

function randomValue(schema: TlSchema, type: string, rnd: () => number, depth: number): TlValue {
  switch (type) {
    case 'int':
      return Math.floor(rnd() * 2 ** 32) | 0;
    case 'long':
      return BigInt.asIntN(64, BigInt(Math.floor(rnd() * 2 ** 53)) * 4099n);
    case 'string':
    case 'bytes':
      return Buffer.from('x'.repeat(Math.floor(rnd() * 300)));
    case 'Bool':
      return rnd() < 0.5;
    case 'double':
      return Buffer.alloc(8, 1);
    case 'int128':
      return Buffer.alloc(16, 2);
    case 'int256':
      return Buffer.alloc(32, 3);
  }
  const options = [...schema.byId.values()].filter((c) => c.kind === 'class' && c.type === type);
  // Deep down, the constructor with the fewest fields, so trees stay finite.
  const pick =
    depth > 4
      ? options.reduce((a, b) => (b.args.length < a.args.length ? b : a))
      : options[Math.floor(rnd() * options.length)]!;
  return randomTree(schema, pick.name, rnd, depth);
}

const book = new LayerBook();
const internal = book.schema(LAYER);
const newest = book.clientSchema(10_000)!;

function write(schema: TlSchema, tree: TlTree): Buffer {
  const w = new TlWriter(schema, 'strict');
  w.object(tree);
  return w.result();
}

describe('layer fast path (compiled per-constructor plans)', () => {
  it('compiles plans for the constructors updates carry, so the fast path is what runs', () => {
    const t = new Transcoder(internal, newest);
    for (const name of ['updates', 'updateNewMessage', 'message', 'user', 'peerUser', 'updateBotStopped']) {
      expect(t.plan(internal.constructorNamed(name)!.id), name).not.toBeNull();
    }
  });

  it('writes byte for byte what the tree path writes for GramJS updates in layer 227', () => {
    const updates = new Api.Updates({
      updates: [
        new Api.UpdateBotStopped({ userId: bigInt(5), date: 7, stopped: true, qts: 3 }),
        new Api.UpdateNewMessage({
          message: new Api.Message({
            id: 9,
            peerId: new Api.PeerUser({ userId: bigInt('100000007') }),
            fromId: new Api.PeerUser({ userId: bigInt(5) }),
            date: 1,
            message: '/start payload 👋'.repeat(30),
            out: true,
            entities: [new Api.MessageEntityBotCommand({ offset: 0, length: 6 })],
            replyMarkup: new Api.ReplyInlineMarkup({
              rows: [
                new Api.KeyboardButtonRow({
                  buttons: [new Api.KeyboardButtonCallback({ text: 'ok', data: Buffer.from('d') })],
                }),
              ],
            }),
          }),
          pts: 4,
          ptsCount: 1,
        }),
      ],
      users: [
        new Api.User({
          id: bigInt(5),
          accessHash: bigInt('-7123456789012345678'),
          firstName: 'Ann',
          username: 'ann',
          bot: true,
          botInfoVersion: 2, // shares flags.14 with bot
          langCode: 'en',
          status: new Api.UserStatusRecently({}),
        }),
      ],
      chats: [],
      date: 11,
      seq: 0,
    });
    const { fast, tree } = both(book, () => book.updatesToClient(newest, updates.getBytes()));
    expect(fast).toEqual(tree);
    expect(fast, String(fast).slice(0, 200)).toBeInstanceOf(Buffer);
  });

  it('writes what the tree path writes for random objects of every layer-198 Updates and User constructor', () => {
    const rnd = prng(17);
    let compared = 0;
    for (const c of internal.byId.values()) {
      if (c.kind !== 'class' || (c.type !== 'Updates' && c.type !== 'Update' && c.type !== 'User')) continue;
      for (let round = 0; round < 4; round++) {
        const tree = randomTree(internal, c.name, rnd);
        const w = new TlWriter(internal, 'strict');
        w.object(tree);
        const bytes = w.result();
        const out =
          c.type === 'Updates'
            ? both(book, () => book.updatesToClient(newest, bytes))
            : both(book, () => book.resultToClient(newest, 'users.getUsers', vector(bytes)));
        expect(out.fast, c.name).toEqual(out.tree);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('matches the tree path where layers move flag bits, add, drop and remove constructors', () => {
    const OLD = `
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
peerEmpty#10000001 = Peer;
peerUser#10000002 user_id:long = Peer;
peerGone#10000003 = Peer;
oddThing#20000002 = Thing;
pair#40000001 flags:# a:flags.0?Peer b:flags.0?int = Pair;
thing#20000001 flags:# big:flags.0?true id:long name:string peer:Peer note:flags.1?string tags:Vector<string> gone:flags.2?Peer = Thing;
---functions---
things.get#30000001 ids:Vector<long> = Vector<Thing>;
pairs.get#30000005 = Pair;
`;
    const NEW = `
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
peerEmpty#10000001 = Peer;
peerUser#10000002 user_id:long = Peer;
pair#40000009 flags:# a:flags.0?Peer b:flags.0?int = Pair;
thing#20000009 flags:# id:long name:string big:flags.6?true peer:Peer note:flags.5?string stars:long extra:Peer gone:flags.3?Peer = Thing;
---functions---
things.get#30000009 flags:# ids:Vector<long> fast:flags.0?true = Vector<Thing>;
pairs.get#30000005 = Pair;
`;
    const { book: tiny, oldSchema, newSchema } = tinyLayers(OLD, NEW);
    const things: TlTree[] = [
      {
        _: 'thing',
        big: true,
        id: 1n,
        name: Buffer.from('a'),
        peer: { _: 'peerUser', user_id: 1n },
        tags: [],
      },
      { _: 'oddThing' }, // not in layer 2: left out of the list
      {
        _: 'thing',
        id: 2n,
        name: Buffer.from('b'),
        peer: { _: 'peerGone' },
        tags: [],
        note: Buffer.from('n'),
      },
      // An optional field whose value layer 2 lacks: left out, its flag bit cleared.
      {
        _: 'thing',
        id: 3n,
        name: Buffer.from('c'),
        peer: { _: 'peerEmpty' },
        tags: [],
        gone: { _: 'peerGone' },
      },
    ];
    const w = new TlWriter(oldSchema, 'strict');
    w.resultOf(oldSchema.methodNamed('things.get')!, things);
    const { fast, tree } = both(tiny, () => tiny.resultToClient(newSchema, 'things.get', w.result()));
    expect(fast).toEqual(tree);
    expect(fast, String(fast).slice(0, 200)).toBeInstanceOf(Buffer);
    expect(new Transcoder(oldSchema, newSchema).plan(0x20000001)).not.toBeNull();

    // Two fields on one flag bit, the first of which layer 2 cannot say: the tree path clears the bit and
    // still writes the second; so must the plan.
    const pair = write(oldSchema, { _: 'pair', a: { _: 'peerGone' }, b: 5 });
    const out = both(tiny, () => tiny.resultToClient(newSchema, 'pairs.get', pair));
    expect(out.fast).toEqual(out.tree);
    expect(new Transcoder(oldSchema, newSchema).plan(0x40000001)).not.toBeNull();
  });

  it('matches the tree path for objects nested deeper than its first stack of flag words', () => {
    const OLD = `
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
box#50000001 flags:# flags2:# a:flags.0?true b:flags2.3?true inner:flags.1?Box = Box;
---functions---
boxes.get#30000001 = Box;
`;
    const NEW = `
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
box#50000009 flags:# flags2:# a:flags.0?true b:flags2.7?true inner:flags.1?Box c:flags.2?true = Box;
---functions---
boxes.get#30000001 = Box;
`;
    const { book: tiny, oldSchema, newSchema } = tinyLayers(OLD, NEW);
    let tree: TlTree = { _: 'box', a: true };
    for (let depth = 0; depth < 60; depth++) {
      tree = { _: 'box', inner: tree, ...(depth % 2 ? { a: true } : { b: true }) };
    }
    const { fast, tree: viaTrees } = both(tiny, () =>
      tiny.resultToClient(newSchema, 'boxes.get', write(oldSchema, tree)),
    );
    expect(fast).toEqual(viaTrees);
    expect(fast, String(fast).slice(0, 200)).toBeInstanceOf(Buffer);
  });
});

function vector(item: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x1cb5c415, 0);
  head.writeInt32LE(1, 4);
  return Buffer.concat([head, item]);
}
