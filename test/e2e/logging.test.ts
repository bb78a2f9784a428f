/**
 * Logging: a `logger` option (console-like: debug/info/warn/error) and `DEBUG=pm:*` namespaces show connection
 * states, reconnects, flood waits, peer cache flushes and store errors; no secret ever appears in a line.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createMemoryStorage,
  type Logger,
  PeerSetAsideError,
  type PmClient,
  type PmEvents,
  StorageError,
  type StorageProvider,
  type StorageRepositories,
} from '@pm/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { API_HASH, connectBot, eventually, startWorld } from './helpers.js';

const exec = promisify(execFile);

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => {
    lines.push(`${level} ${m}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('logging', () => {
  it('logs connection state, reconnects, flood waits and flushes to the logger, without a secret', async () => {
    const { tg, bot } = await startWorld({ timeScale: 0.01 });
    const logger = collectingLogger();
    const client = await connectBot(tg, bot.token, { logger, maxFloodWaitSeconds: 5 });
    stop = async () => {
      await client.disconnect();
      await tg.stop();
    };
    const ann = tg.createUser({ firstName: 'Ann', username: 'ann_log' });
    const started = new Promise((r) => client.on('dialogStarted', r));
    ann.start();
    await started;

    tg.forceFloodWait(1, 2, ['messages.SendMessage']);
    expect(await client.send(ann.id, 'after a flood wait')).toMatchObject({ ok: true });

    tg.dropAllConnections();
    await eventually(
      () => expect(logger.lines.some((l) => l.startsWith('info pm:connection reconnected'))).toBe(true),
      15_000,
    );
    await client.peers.flush();
    const session = client.exportSession();
    await client.disconnect();

    const text = logger.lines.join('\n');
    expect(text).toMatch(/^info pm:connection connected$/m);
    expect(text).toMatch(/^warn pm:connection connection lost.*reconnect/m);
    expect(text).toMatch(/^info pm:connection reconnected \(reconnect 1\)$/m);
    expect(text).toMatch(/^warn pm:send FLOOD_WAIT 2 s sending to \d+: waiting it out$/m);
    expect(text).toMatch(/^debug pm:storage flushed \d+ peer\(s\) to memory in \d+ ms$/m);
    expect(text).toMatch(/^debug pm:updates update state saved \(pts \d+/m);

    for (const secret of [bot.token, bot.token.split(':')[1]!, API_HASH, session.authKey]) {
      expect(text).not.toContain(secret);
    }
  });

  it('prints the same lines under DEBUG=pm:* (the debug package), without a secret', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'debug-bot.ts');
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, DEBUG: 'pm:*', DEBUG_COLORS: 'no' },
      timeout: 60_000,
    });
    const token = /TOKEN (\S+)/.exec(stdout)?.[1];
    expect(token).toMatch(/^\d+:/);
    expect(stderr).toMatch(/pm:connection info connected/);
    expect(stderr).toMatch(/pm:updates debug update state saved/);
    expect(stderr).not.toContain(token!.split(':')[1]);
    expect(stderr).not.toContain(API_HASH);
  });

  it('logs a peer the store refuses, emits error naming it, and stores everyone else', async () => {
    const { tg, bot } = await startWorld({ timeScale: 0.01 });
    const logger = collectingLogger();
    const storage = refusingFirstName(createMemoryStorage(), 'Poison');
    const client = await connectBot(tg, bot.token, { logger, storage });
    stop = async () => {
      await client.disconnect();
      await tg.stop();
    };
    const errors: PmEvents['error'][] = [];
    client.on('error', (e) => {
      errors.push(e);
    });
    const poison = tg.createUser({ firstName: 'Poison', username: 'poison_log' });
    const fine = tg.createUser({ firstName: 'Fine', username: 'fine_log' });
    poison.start();
    fine.start();
    await eventually(
      () => expect(errors.some((e) => e.error instanceof PeerSetAsideError)).toBe(true),
      15_000,
    );
    const refused = errors.find((e) => e.error instanceof PeerSetAsideError)!.error as PeerSetAsideError;
    expect(refused.peerIds).toContain(poison.id);
    await client.peers.flush();
    expect((await storage.peers.get(fine.id))?.firstName).toBe('Fine');
    expect(await storage.peers.get(poison.id)).toBeUndefined();
    expect(logger.lines.join('\n')).toMatch(
      new RegExp(`^error pm:storage peer cache write failed: .*${poison.id}.*poison refused`, 'm'),
    );
  });

  it('prints an error nobody listens to on stderr when no logger was given, and only then', async () => {
    const { tg, bot } = await startWorld();
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const clients: PmClient[] = [];
    stop = async () => {
      spy.mockRestore();
      for (const c of clients) await c.disconnect().catch(() => {});
      await tg.stop();
    };
    const startOne = async (c: PmClient, name: string) => {
      clients.push(c);
      c.on('dialogStarted', () => {
        throw new Error(`boom for ${bot.token}`);
      });
      const u = tg.createUser({ firstName: name });
      u.start();
      await eventually(async () => expect(await c.dialogs.get(u.id)).toBeDefined());
      await c.idle();
    };
    // Nobody listens and no logger: one line on stderr, the secret in the message redacted.
    const plain = await connectBot(tg, bot.token);
    await startOne(plain, 'Ann');
    expect(written.filter((l) => l.startsWith('pm: '))).toEqual([
      'pm: listener of dialogStarted: Error: boom for <redacted bot token>\n',
    ]);
    await plain.disconnect(); // the same bot: its updates would reach this client too
    // Someone listens: theirs alone.
    written.length = 0;
    const heard: unknown[] = [];
    const listening = await connectBot(tg, bot.token);
    listening.on('error', (e) => {
      heard.push(e.error);
    });
    await startOne(listening, 'Bob');
    expect(heard).toHaveLength(1);
    await listening.disconnect();
    // A logger: it gets the line.
    const logger = collectingLogger();
    await startOne(await connectBot(tg, bot.token, { logger }), 'Cy');
    expect(
      logger.lines.filter((l) => l.startsWith('error pm:updates listener of dialogStarted failed:')),
    ).toHaveLength(1);
    expect(written.filter((l) => l.startsWith('pm: '))).toEqual([]);
  });
});

/** A store with a constraint: a record with this first name is refused, as a database CHECK would. */
function refusingFirstName(inner: StorageProvider, name: string): StorageProvider {
  const upsertMany =
    (peers: StorageRepositories['peers']) => async (records: Parameters<typeof peers.upsertMany>[0]) => {
      if (records.some((r) => r.firstName === name))
        throw new StorageError('STORAGE_FAILED', 'poison refused', { kind: 'record' });
      await peers.upsertMany(records);
    };
  // Proxies, so the provider's own methods still run on the provider (it keeps state in private fields).
  const wrap = <T extends object>(target: T, replace: (key: string | symbol) => unknown): T =>
    new Proxy(target, {
      get(t, key) {
        const own = replace(key);
        if (own !== undefined) return own;
        const v = Reflect.get(t, key, t);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  const guard = <R extends StorageRepositories>(repos: R): R =>
    wrap(repos, (key) =>
      key === 'peers'
        ? wrap(repos.peers, (k) => (k === 'upsertMany' ? upsertMany(repos.peers) : undefined))
        : undefined,
    );
  return wrap(guard(inner), (key) =>
    key === 'transaction'
      ? <T>(fn: (tx: StorageRepositories) => Promise<T>) => inner.transaction((tx) => fn(guard(tx)))
      : undefined,
  );
}
