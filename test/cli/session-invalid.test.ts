import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, loginArgs, pm, pmChild, startWorld, type World } from './helpers.js';

let w: World;

beforeAll(async () => {
  w = await startWorld();
  expect((await pm(loginArgs(w))).code).toBe(0);
  w.tg.createUser({ firstName: 'Alice', username: 'alice_gone' }).start();
  // The server comes back without its disk: it no longer knows the session's auth key.
  await w.tg.restart({ keepState: false });
});

afterAll(async () => {
  await w?.close();
});

describe('a session the server no longer accepts', () => {
  it('pm whoami prints the typed error in one line and exits 1', async () => {
    const r = await pm([...w.globals, 'whoami']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^pm whoami: Telegram no longer accepts this session \(-404.*\): log in again: pm login/,
      ),
    ]);
  });

  it('pm send exits 1 with SESSION_INVALID (also as --json), sending nothing', async () => {
    const r = await pm([...w.globals, '--json', 'send', '@alice_gone', 'hi']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ ok: false, error: 'SESSION_INVALID' });
    expect(w.tg.stats().messagesSent ?? 0).toBe(0);
  });

  it('the pm binary (a child process) exits 1 for whoami, resolve and send', async () => {
    for (const args of [['whoami'], ['resolve', '@alice_gone'], ['send', '@alice_gone', 'hi']]) {
      const r = await pmChild([...w.globals, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('Telegram no longer accepts this session');
    }
  });
});
