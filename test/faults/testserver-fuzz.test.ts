import { createServer, type Server, Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { type BotHandle, TestServer, type UserHandle } from '@pm/testserver';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Api, bigInt } from '../../packages/core/src/gram/tl.js';
import type { Gateway } from '../../packages/testserver/src/gateway.js';
import { LAYER } from '../../packages/testserver/src/tl.js';
import { isResultFor, RawSession, resultBody } from '../../packages/testserver/test/protocol/raw-client.js';
import { API_ID } from '../e2e/helpers.js';
import { gramClient } from './gram-client.js';

const SEED = 7_777;
const TRIALS = 1000;
const PARALLEL = 16;
/** Messages under a real auth key, with valid encryption and framing, whose TL bodies are fuzzed. */
const ENCRYPTED_TRIALS = 600;
const SESSIONS = 4;

let tg: TestServer;
let bot: BotHandle;
let alice: UserHandle;
/** Payloads of a real GramJS login and a few calls, as sent (encrypted under the recorder's auth key). */
let recorded: Buffer[];
/** The recorder's auth key (logged in as the bot): fuzzed bodies are encrypted with it. */
let authKey: unknown;
const errors = vi.spyOn(console, 'error');

beforeAll(async () => {
  tg = await TestServer.start({ flood: false });
  bot = tg.createBot({ username: 'pm_fuzz_bot' });
  alice = tg.createUser({ firstName: 'Alice', username: 'alice_fuzz' });
  alice.start();

  // Valid traffic to mutate: a real GramJS login (key exchange, initConnection, getMe) and a few calls.
  const proxy = await recordingProxy(tg.port);
  const recorder = await gramClient(proxy.port, bot.token);
  await recorder.invoke(new Api.updates.GetState());
  await recorder.invoke(
    new Api.messages.SendMessage({ peer: alice.inputPeer(bot), message: 'recorded', randomId: bigInt(1) }),
  );
  authKey = recorder.session.getAuthKey();
  await recorder.destroy();
  await new Promise<void>((r) => proxy.server.close(() => r()));
  recorded = proxy.streams.flatMap((chunks) => fullPackets(Buffer.concat(chunks)));
}, 60_000);
afterAll(async () => {
  await tg.stop();
  errors.mockRestore();
});

/** How many queries reached the world's RPC handlers so far. */
function worldCalls(): number {
  return Object.values(tg.stats().rpc).reduce((a, b) => a + b, 0);
}

/** A TCP proxy in front of the server that keeps what clients sent, per connection. */
async function recordingProxy(
  target: number,
): Promise<{ server: Server; port: number; streams: Buffer[][] }> {
  const streams: Buffer[][] = [];
  const server = createServer((inbound) => {
    const chunks: Buffer[] = [];
    streams.push(chunks);
    const outbound = new Socket();
    outbound.connect(target, '127.0.0.1');
    inbound.on('data', (d) => {
      chunks.push(Buffer.from(d));
      outbound.write(d);
    });
    outbound.on('data', (d) => inbound.write(d));
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
  return { server, port: addr.port, streams };
}

/** Splits a TCP-full stream (len, seq, payload, crc) into its packets' payloads. */
function fullPackets(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 12 <= stream.length; ) {
    const len = stream.readUInt32LE(at);
    if (len < 12 || at + len > stream.length) break;
    out.push(stream.subarray(at + 8, at + len - 4));
    at += len;
  }
  return out;
}

function frameFull(payloads: readonly Buffer[]): Buffer {
  return Buffer.concat(
    payloads.map((p, seq) => {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(p.length + 12, 0);
      head.writeUInt32LE(seq, 4);
      const crc = Buffer.alloc(4);
      crc.writeUInt32LE(crc32(Buffer.concat([head, p])), 0);
      return Buffer.concat([head, p, crc]);
    }),
  );
}

function frameIntermediate(payloads: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0xee, 0xee, 0xee, 0xee])];
  for (const p of payloads) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(p.length, 0);
    parts.push(len, p);
  }
  return Buffer.concat(parts);
}

function frameAbridged(payloads: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0xef])];
  for (const p of payloads) {
    const words = Math.ceil(p.length / 4);
    parts.push(
      words < 127
        ? Buffer.from([words])
        : Buffer.from([0x7f, words & 0xff, (words >> 8) & 0xff, words >> 16]),
      Buffer.concat([p, Buffer.alloc(words * 4 - p.length)]),
    );
  }
  return Buffer.concat(parts);
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; length: number };

function mutate(buf: Buffer, ms: readonly Mutation[]): Buffer {
  let b: Buffer = Buffer.from(buf);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case 'flip':
        b[at] = (b[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'repeat':
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
        break;
    }
  }
  return b;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.nat({ max: 256 }) }),
);

/** What one trial sends on one fresh connection, and in what TCP write sizes. */
type Trial =
  | { kind: 'random'; prefix: Uint8Array; bytes: Uint8Array; chunk: number }
  | {
      kind: 'packets';
      framing: 'full' | 'intermediate' | 'abridged';
      /** Which recorded packets, in order (repeats and reorders allowed). */
      pick: number[];
      /** Mutations of one packet's payload before framing (framing stays valid: crc recomputed). */
      payloadMutations: { index: number; ms: Mutation[] }[];
      /** Mutations of the framed stream (framing broken). */
      streamMutations: Mutation[];
      chunk: number;
    };

const trial: fc.Arbitrary<Trial> = fc.oneof(
  fc.record({
    kind: fc.constant('random' as const),
    prefix: fc.constantFrom(
      new Uint8Array(),
      Uint8Array.of(0xef),
      Uint8Array.of(0xee, 0xee, 0xee, 0xee),
      Uint8Array.of(0xdd, 0xdd, 0xdd, 0xdd),
      Uint8Array.of(0x48, 0x45, 0x41, 0x44), // "HEAD"
    ),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 2048 }),
    chunk: fc.integer({ min: 1, max: 4096 }),
  }),
  fc.record({
    kind: fc.constant('packets' as const),
    framing: fc.constantFrom('full' as const, 'intermediate' as const, 'abridged' as const),
    pick: fc.array(fc.nat({ max: 63 }), { minLength: 1, maxLength: 8 }),
    payloadMutations: fc.array(
      fc.record({ index: fc.nat(), ms: fc.array(mutation, { minLength: 1, maxLength: 4 }) }),
      { maxLength: 3 },
    ),
    streamMutations: fc.oneof(
      fc.constant<Mutation[]>([]),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
    ),
    chunk: fc.integer({ min: 1, max: 4096 }),
  }),
);

function bytesOf(t: Trial, recorded: readonly Buffer[]): Buffer {
  if (t.kind === 'random') return Buffer.concat([t.prefix, t.bytes]);
  const payloads: Buffer[] = t.pick.map((i) => Buffer.from(recorded[i % recorded.length] as Buffer));
  for (const pm of t.payloadMutations) {
    const i = pm.index % payloads.length;
    payloads[i] = mutate(payloads[i] as Buffer, pm.ms);
  }
  const framed =
    t.framing === 'full'
      ? frameFull(payloads)
      : t.framing === 'intermediate'
        ? frameIntermediate(payloads)
        : frameAbridged(payloads);
  return mutate(framed, t.streamMutations);
}

/** Sends `bytes` in `chunk`-sized writes on a new connection; resolves once the server closed it or 60 ms passed. */
function send(
  port: number,
  bytes: Buffer,
  chunk: number,
): Promise<{ closedByServer: boolean; answered: number }> {
  return new Promise((resolve) => {
    const s = new Socket();
    let answered = 0;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ closedByServer, answered });
    };
    s.on('data', (d) => {
      answered += d.length;
    });
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
    s.connect(port, '127.0.0.1', () => {
      for (let at = 0; at < bytes.length; at += chunk) s.write(bytes.subarray(at, at + chunk));
      setTimeout(() => finish(false), 60);
    });
  });
}

describe('test server under fuzzed input', () => {
  it('survives random bytes and mutated valid packets, then still serves a real GramJS client', async () => {
    expect(recorded.length).toBeGreaterThan(4);
    const reachedBefore = worldCalls();
    const trials = fc.sample(trial, { seed: SEED, numRuns: TRIALS });
    const before = { ...tg.gatewayCounters! };
    let bytesSent = 0;
    let closedByServer = 0;
    let answered = 0;
    for (let i = 0; i < trials.length; i += PARALLEL) {
      const results = await Promise.all(
        trials.slice(i, i + PARALLEL).map((t) => {
          const bytes = bytesOf(t, recorded);
          bytesSent += bytes.length;
          return send(tg.port, bytes, t.chunk);
        }),
      );
      for (const r of results) {
        if (r.closedByServer) closedByServer++;
        if (r.answered > 0) answered++;
      }
    }
    const after = tg.gatewayCounters!;
    const internal = after.internalErrors - before.internalErrors;
    const gatewayErrors = errors.mock.calls.filter((c) => String(c[0]).includes('testserver')).length;
    // Every recording was sent under a session the recorder closed: a replay must not run its query again, and a
    // mutated one no longer decrypts.
    const reached = worldCalls() - reachedBefore;

    // A real client still logs in from scratch and works.
    const client = await gramClient(tg.port, bot.token);
    const me = (await client.getMe()) as Api.User;
    await client.invoke(
      new Api.messages.SendMessage({
        peer: alice.inputPeer(bot),
        message: 'after fuzz',
        randomId: bigInt(2),
      }),
    );
    await client.destroy();
    const works =
      me.id.toString() === bot.id.toString() && tg.inbox(alice).some((m) => m.text === 'after fuzz');

    const packetTrials = trials.filter((t) => t.kind === 'packets').length;
    console.log(
      `testserver fuzz fault test: ${TRIALS} connections (${TRIALS - packetTrials} random byte strings, ${packetTrials} re-framed/mutated recordings of ${recorded.length} valid packets), ${bytesSent} bytes, ${closedByServer} closed by the server, ${answered} answered, ${reached} reached the RPC handlers, transport errors ${after.transportErrors - before.transportErrors}, internal errors ${internal}, logged errors ${gatewayErrors}, GramJS login afterwards ${works ? 'ok' : 'FAILED'}`,
    );
    expect(works).toBe(true);
    expect(reached).toBe(0);
    expect(internal).toBe(0);
    expect(gatewayErrors).toBe(0);
  }, 60_000);

  it('runs fuzzed bodies in valid encrypted messages through the RPC layer without an internal error', async () => {
    /** Requests a bot makes, serialized; their bodies get mutated, framing and encryption stay valid. */
    const bases = (randomId: bigint): Buffer[] =>
      [
        new Api.updates.GetState(),
        new Api.help.GetConfig(),
        new Api.users.GetUsers({ id: [new Api.InputUserSelf(), alice.inputUser(bot)] }),
        new Api.users.GetFullUser({ id: alice.inputUser(bot) }),
        new Api.contacts.ResolveUsername({ username: 'alice_fuzz' }),
        new Api.messages.SendMessage({
          peer: alice.inputPeer(bot),
          message: 'fuzzed',
          randomId: bigInt(randomId.toString()),
        }),
        new Api.messages.SetTyping({ peer: alice.inputPeer(bot), action: new Api.SendMessageTypingAction() }),
        new Api.updates.GetDifference({ pts: 1, qts: 0, date: 1 }),
        new Api.bots.SetBotCommands({
          scope: new Api.BotCommandScopeDefault(),
          langCode: 'en',
          commands: [new Api.BotCommand({ command: 'start', description: 'Start' })],
        }),
        new Api.InvokeWithLayer({
          layer: LAYER,
          query: new Api.InitConnection({
            apiId: API_ID,
            deviceModel: 'fuzz',
            systemVersion: 'fuzz',
            appVersion: '1',
            systemLangCode: 'en',
            langPack: '',
            langCode: 'en',
            query: new Api.help.GetConfig(),
          }),
        }),
      ].map((r) => r.getBytes());
    const BASES = bases(0n).length;
    const encryptedTrial = fc.record({
      base: fc.nat({ max: BASES - 1 }),
      // Some bodies stay valid; the others keep their constructor (so they name a method) or not.
      ms: fc.oneof(fc.constant<Mutation[]>([]), fc.array(mutation, { minLength: 1, maxLength: 4 })),
      keepConstructor: fc.boolean(),
    });
    const trials = fc.sample(encryptedTrial, { seed: SEED + 1, numRuns: ENCRYPTED_TRIALS });
    // Serialized up front: each valid sendMessage gets its own random_id.
    const bodies = trials.map((t, i) => {
      const base = bases(BigInt(10_000 + i))[t.base]!;
      const head = t.keepConstructor ? base.subarray(0, 4) : Buffer.alloc(0);
      const body = Buffer.concat([head, mutate(base.subarray(head.length), t.ms)]);
      // TL is serialized in 4-byte words (a message of another length is refused before it is read).
      return Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    });
    const valid = trials.filter((t) => t.ms.length === 0).length;
    const gateway = { port: tg.port, address: tg.host } as unknown as Gateway;
    const before = { ...tg.gatewayCounters! };
    const reachedBefore = worldCalls();

    const outcomes = { result: 0, rpcError: new Map<string, number>(), closed: 0, unanswered: 0 };
    let reopened = 0;
    const lanes = Array.from({ length: SESSIONS }, (_, lane) => async () => {
      let session = await RawSession.open(gateway, authKey as never);
      for (let i = lane; i < trials.length; i += SESSIONS) {
        const body = bodies[i]!;
        if (body.length === 0) continue;
        if (session.closed) {
          reopened++;
          session = await RawSession.open(gateway, authKey as never);
        }
        const [msgId] = await session.send([{ body }]);
        try {
          const answer = await session.next(isResultFor(msgId!), 5_000);
          const r = (await resultBody(answer)) as { errorMessage?: string; className?: string };
          if (r.className === 'RpcError') {
            const name = r.errorMessage ?? '?';
            outcomes.rpcError.set(name, (outcomes.rpcError.get(name) ?? 0) + 1);
          } else outcomes.result++;
        } catch {
          if (session.closed) outcomes.closed++;
          else outcomes.unanswered++;
        }
      }
      session.close();
    });
    await Promise.all(lanes.map((run) => run()));

    const after = tg.gatewayCounters!;
    const reached = worldCalls() - reachedBefore;
    const internal = after.internalErrors - before.internalErrors;
    const gatewayErrors = errors.mock.calls.filter((c) => String(c[0]).includes('testserver')).length;
    const topErrors = [...outcomes.rpcError]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(
      `testserver fuzz fault test, encrypted: ${trials.length} messages under a real auth key (${valid} valid, ${trials.length - valid} with fuzzed bodies), ${reached} reached the RPC handlers, ${outcomes.result} answered with a result, ${[...outcomes.rpcError.values()].reduce((a, b) => a + b, 0)} with rpc_error (${topErrors}), ${outcomes.unanswered} unanswered, ${outcomes.closed} closed the connection (${reopened} sessions reopened), internal errors ${internal}, logged errors ${gatewayErrors}`,
    );
    // The corpus did get past framing, decryption and the session layer: every valid request was served, and so
    // were fuzzed ones.
    expect(reached).toBeGreaterThanOrEqual(valid);
    expect(reached).toBeGreaterThan(valid + 20);
    expect(outcomes.result).toBeGreaterThanOrEqual(valid);
    expect(outcomes.unanswered).toBe(0);
    expect(internal).toBe(0);
    expect(gatewayErrors).toBe(0);
  }, 120_000);
});
