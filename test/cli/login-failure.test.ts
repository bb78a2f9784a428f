/**
 * A `pm login` that fails leaves the disk as it was: no store, no session file, no temp file or folder made for
 * them, and a store and session already there (a re-login) byte for byte. Whether the server refuses the token,
 * cannot be reached or goes away in the middle of the login, or the session file cannot be written.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, loginArgs, type Place, pm, pmChild, startWorld, type World } from './helpers.js';

let w: World;

beforeAll(async () => {
  w = await startWorld();
});

afterAll(async () => {
  await w?.close();
});

afterEach(async () => {
  w.tg.setDelay(0);
  await w.tg.comeBack();
});

/** Every file and folder below `dir`, with the bytes of each file: what a failed command must leave as it found. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    found[relative(dir, path)] = entry.isFile() ? (await readFile(path)).toString('base64') : 'folder';
  }
  return found;
}

/** A login at paths whose folders do not exist yet (a first login): the store's and the session's. */
function freshPlace(name: string): Place & { args: (token?: string) => string[] } {
  const place = {
    ...w,
    session: join(w.dir, name, 'sessions', 'bot.session'),
    storage: `sqlite:${join(w.dir, name, 'store', 'bot.db')}`,
  };
  return { ...place, args: (token = w.bot.token) => [...loginArgs(place, token), '--json'] };
}

const WRONG_SECRET = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('a pm login that fails leaves nothing behind', () => {
  it('when the server refuses the token (ACCESS_TOKEN_INVALID): exit 1, no store, no session', async () => {
    const place = freshPlace('refused');
    const before = await snapshot(w.dir);
    const r = await pm(place.args(`${w.bot.id}:${WRONG_SECRET}`));
    expect(r.code).toBe(1);
    expect(json(r)).toEqual({
      ok: false,
      error: 'ACCESS_TOKEN_INVALID',
      message: 'auth.ImportBotAuthorization failed: 400 ACCESS_TOKEN_INVALID',
    });
    expect(await snapshot(w.dir)).toEqual(before);
  });

  it('when the server cannot be reached: exit 1 within --timeout, CONNECTION_LOST, nothing written', async () => {
    const place = freshPlace('unreachable');
    await w.tg.goOffline();
    const before = await snapshot(w.dir);
    const r = await pm(['--timeout', '2', ...place.args()]);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({
      ok: false,
      error: 'CONNECTION_LOST',
      message: expect.stringContaining(`cannot reach Telegram at ${w.server}`),
    });
    expect(r.stdout).not.toContain(w.bot.token.split(':')[1]);
    expect(await snapshot(w.dir)).toEqual(before);
  });

  it('when the server goes away in the middle of the login (the pm binary, the error as text)', async () => {
    const place = freshPlace('stopped');
    const before = await snapshot(w.dir);
    const calls = () => w.tg.stats().rpc['auth.ImportBotAuthorization'] ?? 0;
    const seen = calls();
    // Every answer is held back 1.5 s: the server goes away once it has the login call, before it answers.
    w.tg.setDelay(1500);
    const running = pmChild(['--timeout', '4', ...place.args().filter((a) => a !== '--json')]);
    await eventually(() => expect(calls()).toBe(seen + 1), 10_000);
    await w.tg.goOffline();
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^pm login: auth\.ImportBotAuthorization: Telegram unreachable for the whole 4000 ms deadline \(/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain(w.bot.token.split(':')[1]);
    expect(await snapshot(w.dir)).toEqual(before);
  });

  it('when the session file cannot be written (its folder is a file): SESSION_FILE naming it, no store', async () => {
    await mkdir(join(w.dir, 'unwritable'));
    await writeFile(join(w.dir, 'unwritable', 'sessions'), 'not a folder');
    const place = freshPlace('unwritable');
    const before = await snapshot(w.dir);
    const r = await pm(place.args());
    expect(r.code).toBe(1);
    expect(json(r)).toEqual({
      ok: false,
      error: 'SESSION_FILE',
      message: `Session file ${place.session}: cannot be written: ${dirname(place.session)} is not a folder`,
    });
    expect(await snapshot(w.dir)).toEqual(before);
  });

  it('on a re-login: the session and store already there stay byte for byte, and no store is added', async () => {
    const place = freshPlace('relogin');
    const first = await pm(place.args());
    expect(first.code, first.stdout).toBe(0);
    expect((await stat(place.session)).mode & 0o777).toBe(0o600);
    const before = await snapshot(w.dir);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['relogin/sessions/bot.session', 'relogin/store/bot.db']),
    );
    const wrong = `${w.bot.id}:${WRONG_SECRET}`;

    const refused = await pm(place.args(wrong));
    expect(refused.code).toBe(1);
    expect(json(refused)).toMatchObject({ ok: false, error: 'ACCESS_TOKEN_INVALID' });
    expect(await snapshot(w.dir)).toEqual(before);

    // The same session, another store (a new path): refused, it is not created either.
    const elsewhere = { ...place, storage: `sqlite:${join(w.dir, 'relogin', 'other', 'bot.db')}` };
    const refusedElsewhere = await pm([...loginArgs(elsewhere, wrong), '--json']);
    expect(refusedElsewhere.code).toBe(1);
    expect(json(refusedElsewhere)).toMatchObject({ ok: false, error: 'ACCESS_TOKEN_INVALID' });
    expect(await snapshot(w.dir)).toEqual(before);

    await w.tg.goOffline();
    const unreachable = await pm(['--timeout', '2', ...place.args()]);
    expect(unreachable.code).toBe(1);
    expect(json(unreachable)).toMatchObject({ ok: false, error: 'CONNECTION_LOST' });
    expect(await snapshot(w.dir)).toEqual(before);
    expect((await stat(place.session)).mode & 0o777).toBe(0o600);
  });
});
