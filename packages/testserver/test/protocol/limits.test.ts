import { connect, type Socket } from 'node:net';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { BufferBudget, resolveConnectionLimits } from '../../src/transport/connection-limits.js';
import { useFixture } from './fixture.js';
import { waitFor } from './helpers.js';

const fx = useFixture();

/** A raw TCP client: what it received and whether the server closed it. */
interface Raw {
  readonly socket: Socket;
  readonly received: () => Buffer;
  readonly closed: Promise<number>;
  isClosed(): boolean;
}

async function open(gw: Gateway): Promise<Raw> {
  const socket = connect(gw.port, gw.address);
  const chunks: Buffer[] = [];
  let closedAt: number | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      closedAt = Date.now();
      resolve(closedAt);
    }),
  );
  fx.defer(async () => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed,
    isClosed: () => closedAt !== undefined,
  };
}

/** The head of a TCP-full frame declaring `total` bytes (length, seq 0), followed by `body` bytes of it. */
function fullFrameStart(total: number, body: number): Buffer {
  const b = Buffer.alloc(8 + body, 1);
  b.writeInt32LE(total, 0);
  b.writeInt32LE(0, 4);
  return b;
}

/** The transport error a TCP-full answer carries (a 16-byte frame with an int32 payload). */
function fullTransportError(received: Buffer): number | undefined {
  return received.length >= 16 && received.readInt32LE(0) === 16 ? received.readInt32LE(8) : undefined;
}

const ms = (n: number) => new Promise((r) => setTimeout(r, n));

describe('connection limits', () => {
  it('closes a connection beyond the limit at once and serves again once one left', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { maxConnections: 3 } });
    const held = [await open(gw), await open(gw), await open(gw)];
    const extra = await open(gw);
    await extra.closed;
    expect(gw.counters.connectionsRefused).toBe(1);
    expect(held.some((r) => r.isClosed())).toBe(false);
    held[0]!.socket.destroy();
    await waitFor(() => gw.counters.connectionsOpen === 2);
    const client = await fx.client(gw);
    expect(await client.invoke(new Api.help.GetConfig())).toBeInstanceOf(Api.Config);
  });

  it('closes a connection that never starts a key exchange at the handshake deadline', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { handshakeTimeoutMs: 200 } });
    const start = Date.now();
    const silent = await open(gw);
    const waiting = await open(gw);
    waiting.socket.write(Buffer.from([0xef])); // abridged, then nothing
    await Promise.all([silent.closed, waiting.closed]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(150);
    expect(gw.counters.handshakeTimeouts).toBe(2);
  });

  it('keeps a connection that completed the key exchange past the handshake deadline', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { handshakeTimeoutMs: 3000 } });
    const client = await fx.client(gw); // key exchange done
    await ms(3500);
    expect(await client.invoke(new Api.help.GetConfig())).toBeInstanceOf(Api.Config);
    expect(gw.counters.connectionsAccepted).toBe(1);
    expect(gw.counters.handshakeTimeouts).toBe(0);
  });

  it('closes a frame that trickles in byte by byte at the partial-frame deadline', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { partialFrameTimeoutMs: 300 } });
    const slow = await open(gw);
    slow.socket.write(fullFrameStart(1024, 4));
    const start = Date.now();
    const drip = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(Buffer.from([1]));
    }, 30);
    fx.defer(async () => clearInterval(drip));
    await slow.closed;
    clearInterval(drip);
    // Every byte arrived in time; the frame as a whole did not.
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
    expect(gw.counters.partialFrameTimeouts).toBe(1);
  });

  it('applies the partial-frame deadline to a transport header that never completes', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { partialFrameTimeoutMs: 200 } });
    const slow = await open(gw);
    slow.socket.write(Buffer.alloc(20, 0x42)); // an obfuscated init needs 64 bytes
    await slow.closed;
    expect(gw.counters.partialFrameTimeouts).toBe(1);
  });

  it('closes a connection that sends nothing for the idle time', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { idleTimeoutMs: 250, handshakeTimeoutMs: 60_000 } });
    const idle = await open(gw);
    idle.socket.write(Buffer.from([0xef]));
    await idle.closed;
    expect(gw.counters.idleTimeouts).toBe(1);
  });

  it('closes a connection holding more unfinished bytes than its cap, with -429', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { maxBufferedBytesPerConnection: 1000 } });
    const big = await open(gw);
    big.socket.write(fullFrameStart(4000, 1500));
    await big.closed;
    expect(fullTransportError(big.received())).toBe(-429);
    expect(gw.counters.bufferOverflows).toBe(1);
  });

  it('past the total cap closes the connections holding the most, and keeps serving the others', async () => {
    const { gw } = await fx.gateway({ connectionLimits: { maxBufferedBytesTotal: 10_000 } });
    const client = await fx.client(gw);
    const a = await open(gw);
    a.socket.write(fullFrameStart(8000, 6000));
    const b = await open(gw);
    b.socket.write(fullFrameStart(8000, 3000));
    await waitFor(() => gw.bufferedBytes === 6008 + 3008);
    expect(a.isClosed() || b.isClosed()).toBe(false);
    const c = await open(gw);
    c.socket.write(fullFrameStart(8000, 2000)); // 6008 + 3008 + 2008 > 10 000: a, the largest, goes
    await a.closed;
    expect(fullTransportError(a.received())).toBe(-429);
    await waitFor(() => gw.bufferedBytes === 3008 + 2008);
    expect(b.isClosed() || c.isClosed()).toBe(false);
    expect(gw.counters.bufferOverflows).toBe(1);
    expect(await client.invoke(new Api.help.GetConfig())).toBeInstanceOf(Api.Config);
  });
});

describe('connection limit settings', () => {
  it('default the per-connection cap to one largest packet and refuse nonsense', () => {
    expect(resolveConnectionLimits(undefined, 1000).maxBufferedBytesPerConnection).toBe(1064);
    expect(() => resolveConnectionLimits({ maxConnections: 0 }, 1000)).toThrow(/maxConnections/);
    expect(() => resolveConnectionLimits({ idleTimeoutMs: Number.NaN }, 1000)).toThrow(/idleTimeoutMs/);
  });

  it('count what every connection holds in the total budget', () => {
    const budget = new BufferBudget(100);
    const closed: string[] = [];
    const guard = (name: string) => ({ overBudget: () => closed.push(name) }) as never;
    const [x, y] = [guard('x'), guard('y')];
    budget.set(x, 60);
    budget.set(y, 30);
    budget.set(x, 20);
    expect(budget.total).toBe(50);
    budget.set(y, 90);
    expect(closed).toEqual(['y']);
    expect(budget.total).toBe(20);
    budget.release(x);
    expect(budget.total).toBe(0);
  });
});
