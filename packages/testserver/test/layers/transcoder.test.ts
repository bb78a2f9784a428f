import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { LayerBook, LayerRequestError, peekLayer } from '../../src/layers/layer-book.js';
import { TlReader, type TlTree, TlWriter } from '../../src/layers/tl-codec.js';
import { LAYER, readTlObject } from '../../src/tl.js';
import { tinyLayers } from './tiny-layers.js';

const book = new LayerBook();

/** Two tiny layers: 2 renames a field's flag bit, adds fields, adds and removes constructors. */
const OLD = `
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
peerEmpty#10000001 = Peer;
peerUser#10000002 user_id:long = Peer;
peerGone#10000003 = Peer;
oddThing#20000002 = Thing;
thing#20000001 flags:# big:flags.0?true id:long name:string peer:Peer note:flags.1?string tags:Vector<string> = Thing;
---functions---
things.get#30000001 ids:Vector<long> = Vector<Thing>;
things.old#30000002 = Bool;
`;
const NEW = `
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
peerEmpty#10000001 = Peer;
peerUser#10000002 user_id:long = Peer;
peerNew#10000004 = Peer;
thing#20000009 flags:# id:long name:string note:flags.5?string big:flags.6?true peer:Peer stars:long extra:Peer score:flags.2?int = Thing;
---functions---
things.get#30000009 flags:# ids:Vector<long> fast:flags.0?true = Vector<Thing>;
things.brandNew#30000003 = Bool;
`;
const { book: tiny, oldSchema, newSchema } = tinyLayers(OLD, NEW);

function write(schema: typeof oldSchema, tree: TlTree): Buffer {
  const w = new TlWriter(schema, 'strict');
  w.object(tree);
  return w.result();
}

describe('layer schemas from packages', () => {
  it("loads GramJS's layer and mtcute's, each with its own user constructor", () => {
    const layers = book.layers.map((l) => l.layer);
    expect(layers).toContain(LAYER);
    expect(Math.max(...layers)).toBeGreaterThan(LAYER);
    const newest = book.schema(Math.max(...layers));
    expect(book.schema(LAYER).constructorNamed('user')?.id).toBe(Api.User.CONSTRUCTOR_ID >>> 0);
    expect(newest.constructorNamed('user')?.id).not.toBe(Api.User.CONSTRUCTOR_ID >>> 0);
    expect(newest.methodNamed('messages.sendMessage')).toBeDefined();
  });

  it('serves a declared layer it lacks in the closest one it has', () => {
    expect(book.servedLayer(LAYER)).toBe(LAYER);
    expect(book.servedLayer(LAYER - 30)).toBe(LAYER);
    expect(book.clientSchema(LAYER)).toBeUndefined();
    expect(book.clientSchema(10_000)?.layer).toBe(Math.max(...book.layers.map((l) => l.layer)));
  });

  it('reads and writes a layer losslessly', () => {
    const updates = new Api.Updates({
      updates: [
        new Api.UpdateBotStopped({ userId: bigInt(5), date: 7, stopped: true, qts: 3 }),
        new Api.UpdateNewMessage({
          message: new Api.Message({
            id: 9,
            peerId: new Api.PeerUser({ userId: bigInt('100000007') }),
            date: 1,
            message: 'héllo 👋',
            out: true,
          }),
          pts: 4,
          ptsCount: 1,
        }),
      ],
      users: [new Api.User({ id: bigInt(5), accessHash: bigInt('-7123456789012345678'), firstName: 'Ann' })],
      chats: [],
      date: 11,
      seq: 0,
    });
    const bytes = updates.getBytes();
    const schema = book.schema(LAYER);
    expect(write(schema, new TlReader(schema, bytes).object())).toEqual(bytes);
  });
});

describe('transcoding between layers', () => {
  it('writes GramJS objects in the newer layer: same fields by name, its own constructor ids', () => {
    const newest = book.clientSchema(10_000)!;
    const user = new Api.User({
      id: bigInt('100000007'),
      accessHash: bigInt('-7123456789012345678'),
      firstName: 'Alice',
      username: 'alice',
      bot: false,
      langCode: 'en',
    });
    const updates = new Api.Updates({ updates: [], users: [user], chats: [], date: 1, seq: 0 });
    const out = book.updatesToClient(newest, updates.getBytes());
    const tree = new TlReader(newest, out).object();
    const [u] = tree.users as TlTree[];
    expect(out.readUInt32LE(0)).toBe(newest.constructorNamed('updates')!.id);
    expect(u!._).toBe('user');
    expect(u!.id).toBe(100000007n);
    expect(u!.access_hash).toBe(-7123456789012345678n);
    expect(String(u!.first_name)).toBe('Alice');
    expect(String(u!.username)).toBe('alice');
    expect(String(u!.lang_code)).toBe('en');
  });

  it('drops fields the target lacks, gives added fields their empty value, and moves flag bits', () => {
    const tree: TlTree = {
      _: 'thing',
      big: true,
      id: 7n,
      name: Buffer.from('x'),
      peer: { _: 'peerUser', user_id: 3n },
      note: Buffer.from('n'),
      tags: [Buffer.from('a')],
    };
    const asNew = new TlReader(
      newSchema,
      tiny.resultToClient(newSchema, 'things.get', vectorOf(write(oldSchema, tree))),
    ).result(newSchema.methodNamed('things.get')!) as TlTree[];
    expect(asNew).toEqual([
      {
        _: 'thing',
        id: 7n,
        name: Buffer.from('x'),
        note: Buffer.from('n'),
        big: true,
        peer: { _: 'peerUser', user_id: 3n },
        stars: 0n,
        extra: { _: 'peerEmpty' },
      },
    ]);
  });

  it('leaves out of an answer a list element or optional field the client layer cannot say', () => {
    const things: TlTree[] = [
      { _: 'thing', id: 1n, name: Buffer.from('keeps'), peer: { _: 'peerUser', user_id: 1n }, tags: [] },
      { _: 'oddThing' },
      { _: 'thing', id: 2n, name: Buffer.from('peer gone'), peer: { _: 'peerGone' }, tags: [] },
    ];
    const w = new TlWriter(oldSchema, 'strict');
    w.resultOf(oldSchema.methodNamed('things.get')!, things);
    const asNew = new TlReader(newSchema, tiny.resultToClient(newSchema, 'things.get', w.result())).result(
      newSchema.methodNamed('things.get')!,
    ) as TlTree[];
    // oddThing is not in layer 2: left out. `peer` is required: a peer layer 2 lacks becomes its empty peer.
    expect(asNew.map((t) => [t.id, (t.peer as TlTree)._])).toEqual([
      [1n, 'peerUser'],
      [2n, 'peerEmpty'],
    ]);
  });

  it('reads a request in the client layer and rewrites it in the internal one', () => {
    const request = write(newSchema, { _: 'things.get', ids: [1n, 2n], fast: true });
    const internal = tiny.requestToInternal(newSchema, request);
    expect(internal.method).toBe('things.get');
    expect(new TlReader(oldSchema, internal.body).object()).toEqual({ _: 'things.get', ids: [1n, 2n] });
  });

  it('answers a method or constructor the internal layer lacks with an error the client understands', () => {
    const brandNew = write(newSchema, { _: 'things.brandNew' });
    expect(() => tiny.requestToInternal(newSchema, brandNew)).toThrow(
      expect.objectContaining({ code: 400, errorMessage: 'INPUT_METHOD_INVALID' }),
    );
    const unknown = Buffer.from([1, 2, 3, 4]);
    expect(() => tiny.requestToInternal(newSchema, unknown)).toThrow(LayerRequestError);
    expect(() => tiny.requestToInternal(newSchema, unknown)).toThrow(/INPUT_METHOD_INVALID/);
  });

  it("reads mtcute's messages.sendMessage (layer 227 fields included) as GramJS's", () => {
    const newest = book.clientSchema(10_000)!;
    const peer = { _: 'inputPeerUser', user_id: 100000007n, access_hash: 42n };
    const body = write(newest, {
      _: 'invokeWithLayer',
      layer: newest.layer,
      query: {
        _: 'messages.sendMessage',
        peer,
        message: Buffer.from('hi'),
        random_id: 99n,
        allow_paid_stars: 5n,
      },
    });
    expect(peekLayer(body)).toBe(newest.layer);
    const internal = book.requestToInternal(newest, body);
    expect(internal.method).toBe('messages.sendMessage');
    const parsed = readTlObject(internal.body) as Api.InvokeWithLayer;
    const query = parsed.query as Api.messages.SendMessage;
    expect(query).toBeInstanceOf(Api.messages.SendMessage);
    expect(query.message).toBe('hi');
    expect(query.randomId?.toString()).toBe('99');
    expect((query.peer as Api.InputPeerUser).accessHash.toString()).toBe('42');
  });
});

function vectorOf(item: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x1cb5c415, 0);
  head.writeInt32LE(1, 4);
  return Buffer.concat([head, item]);
}
