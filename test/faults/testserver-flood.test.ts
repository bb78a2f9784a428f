import { type ChildProcess, fork } from 'node:child_process';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { registerTestServerKey } from '@pm/testserver';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, bigInt } from '../../packages/core/src/gram/tl.js';
import { gramClient } from './gram-client.js';

const SERVER = fileURLToPath(new URL('./fixtures/flood-server.ts', import.meta.url));
const MiB = 1024 * 1024;
const FLOODERS = 200;
const SLOWLORIS = 40;
const IDLE = 40;
/** TCP-full frame length: a payload just under the 4 MiB the server accepts. */
const DECLARED = 4 * MiB - 4;
const PEAK_TARGET = 250 * MiB;
/** Short deadlines keep the test quick; the byte caps are the defaults under test. */
const LIMITS = { handshakeTimeoutMs: 5_000, partialFrameTimeoutMs: 3_000 };

interface ServerStats {
  rss: number;
  peakRss: number;
  counters: Record<string, number>;
  inbox: number;
}

let child: ChildProcess | undefined;
const sockets: Socket[] = [];
afterAll(() => {
  for (const s of sockets) s.destroy();
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function startServer(): Promise<{ port: number; token: string; userId: string; accessHash: string }> {
  child = fork(SERVER, [JSON.stringify(LIMITS)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child!.once('exit', (code) => reject(new Error(`the flood server exited (${code}) before it was ready`)));
    child!.on('message', (m: { ready?: never }) => {
      if (m.ready) resolve(m.ready);
    });
  });
}

function stats(): Promise<ServerStats> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the flood server did not answer stats within 20 s')),
      20_000,
    );
    const on = (m: { stats?: ServerStats }) => {
      if (!m.stats) return;
      clearTimeout(timer);
      child!.off('message', on);
      resolve(m.stats);
    };
    child!.on('message', on);
    child!.send('stats');
  });
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A hostile connection; resolves when the server closed it, with what it managed to send and got back. */
function hostile(port: number, start: (s: Socket) => void): Promise<{ received: Buffer; at: number }> {
  const s = new Socket();
  sockets.push(s);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('error', () => {});
  s.connect(port, '127.0.0.1', () => start(s));
  return new Promise((resolve) =>
    s.once('close', () => resolve({ received: Buffer.concat(chunks), at: Date.now() })),
  );
}

/** The transport error in a TCP-full answer (a 16-byte frame whose payload is an int32), if that is what came. */
function transportError(received: Buffer): number | undefined {
  return received.length >= 16 && received.readInt32LE(0) === 16 ? received.readInt32LE(8) : undefined;
}

describe('testserver under hostile load', () => {
  it('stays within its memory target and keeps serving GramJS during a flood of unfinished 4 MiB frames, slowloris and idle connections', async () => {
    registerTestServerKey();
    const ready = await startServer();
    const peer = new Api.InputPeerUser({
      userId: bigInt(ready.userId),
      accessHash: bigInt(ready.accessHash),
    });
    const client = await gramClient(ready.port, ready.token);
    await client.invoke(new Api.help.GetConfig());
    const baseline = await stats();

    // The served client works all along: a message and a config every 100 ms, each under a deadline.
    let serving = true;
    const latencies: number[] = [];
    const failures: string[] = [];
    let sent = 0;
    const served = (async () => {
      for (let i = 0; serving; i++) {
        const t = Date.now();
        try {
          await deadline(
            client.invoke(
              new Api.messages.SendMessage({
                peer,
                message: `during the flood ${i}`,
                randomId: bigInt(1000 + i),
              }),
            ),
            15_000,
            'messages.sendMessage',
          );
          sent++;
          await deadline(client.invoke(new Api.help.GetConfig()), 15_000, 'help.getConfig');
          latencies.push(Date.now() - t);
        } catch (e) {
          failures.push(String(e));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Memory, polled; the server's own high-water mark also catches peaks between polls.
    let peak = baseline.peakRss;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const s = await stats();
        peak = Math.max(peak, s.peakRss, s.rss);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const junk = Buffer.alloc(DECLARED, 0x5a);
    const flooders = Array.from({ length: FLOODERS }, () =>
      hostile(ready.port, (s) => {
        const head = Buffer.alloc(8);
        head.writeInt32LE(DECLARED, 0); // TCP full: length, seq 0, then the frame that never ends
        s.write(head);
        s.write(junk.subarray(0, DECLARED - 8 - 1));
      }),
    );
    const slowloris = Array.from({ length: SLOWLORIS }, () =>
      hostile(ready.port, (s) => {
        const head = Buffer.alloc(8);
        head.writeInt32LE(1024, 0);
        s.write(head);
        const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write(Buffer.from([1]))), 200);
      }),
    );
    const idle = Array.from({ length: IDLE }, () => hostile(ready.port, () => {}));
    const floodStart = Date.now();

    // A client logging in from scratch (key exchange and all) in the middle of it.
    const fresh = await deadline(gramClient(ready.port, ready.token), 30_000, 'a fresh GramJS login');
    const me = (await fresh.getMe()) as Api.User;
    await fresh.destroy();

    const flooded = await Promise.all(flooders);
    const slow = await Promise.all(slowloris);
    const quiet = await Promise.all(idle);
    const allClosedAfter = Math.max(...[...flooded, ...slow, ...quiet].map((r) => r.at)) - floodStart;
    serving = false;
    await served;
    polling = false;
    await poller;
    const after = await stats();
    await client.destroy();

    const c = after.counters;
    const b = baseline.counters;
    const evicted = flooded.filter((r) => transportError(r.received) === -429).length;
    const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
    const sorted = [...latencies].sort((x, y) => x - y);
    console.log(
      `testserver flood fault test: ${FLOODERS} connections each declaring a ${mib(DECLARED)} frame and sending all but its last byte (${mib(FLOODERS * DECLARED)} offered), ${SLOWLORIS} slowloris, ${IDLE} idle; server RSS ${mib(baseline.rss)} before, peak ${mib(peak)} (target ≤ ${mib(PEAK_TARGET)}), ${mib(after.rss)} after; closed by the server within ${(allClosedAfter / 1000).toFixed(1)} s: ${c.bufferOverflows! - b.bufferOverflows!} over the byte caps (-429 seen by ${evicted}), ${c.partialFrameTimeouts! - b.partialFrameTimeouts!} at the partial-frame deadline, ${c.handshakeTimeouts! - b.handshakeTimeouts!} at the handshake deadline; GramJS served ${latencies.length} rounds during it (median ${sorted[Math.floor(sorted.length / 2)] ?? '-'} ms, max ${sorted[sorted.length - 1] ?? '-'} ms), ${failures.length} failures, a fresh login ${me.id.toString() === ready.token.split(':')[0] ? 'ok' : 'FAILED'}`,
    );

    expect(peak).toBeLessThanOrEqual(PEAK_TARGET);
    expect(failures).toEqual([]);
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(after.inbox).toBe(sent); // every message the served client sent arrived
    expect(me.id.toString()).toBe(ready.token.split(':')[0]);
    // Every hostile connection was closed by the server, by the limit meant for it.
    expect(c.bufferOverflows! - b.bufferOverflows!).toBeGreaterThan(0);
    expect(evicted).toBeGreaterThan(0);
    expect(c.partialFrameTimeouts! - b.partialFrameTimeouts!).toBeGreaterThanOrEqual(SLOWLORIS);
    expect(c.handshakeTimeouts! - b.handshakeTimeouts!).toBeGreaterThanOrEqual(IDLE);
    // (a frame whose first byte the busy server read late meets the handshake deadline before its own)
    const closedByLimits = ['bufferOverflows', 'partialFrameTimeouts', 'handshakeTimeouts']
      .map((k) => c[k]! - b[k]!)
      .reduce((x, y) => x + y);
    expect(closedByLimits).toBe(FLOODERS + SLOWLORIS + IDLE);
    child!.send('stop');
  }, 180_000);
});
