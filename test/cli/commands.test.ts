import { stat } from 'node:fs/promises';
import { PmClient } from '@pm/core';
import type { UserHandle } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_HASH,
  eventually,
  globalArgs,
  json,
  loginArgs,
  pm,
  pmChild,
  startWorld,
  type World,
} from './helpers.js';

let w: World;
let alice: UserHandle;
let bob: UserHandle;
let carl: UserHandle;

/** The bot process: handles the users' updates into the shared storage, then stops. */
async function runBotWhile(scenario: (client: PmClient) => Promise<void>): Promise<void> {
  const client = await PmClient.connect({
    apiId: 12345,
    apiHash: API_HASH,
    session: w.session,
    storage: w.storage,
    server: { host: w.tg.host, port: w.tg.port },
  });
  try {
    await client.start();
    await scenario(client);
    await client.idle();
  } finally {
    await client.disconnect();
  }
}

beforeAll(async () => {
  w = await startWorld();
  const login = await pm([...loginArgs(w), '--json']);
  expect(login.code).toBe(0);
  alice = w.tg.createUser({ firstName: 'Alice', lastName: 'Liddell', username: 'alice_cli', langCode: 'es' });
  bob = w.tg.createUser({ firstName: 'Bob', username: 'bob_cli', langCode: 'ru' });
  carl = w.tg.createUser({ firstName: 'Carl', username: 'carl_cli' });
  await runBotWhile(async (client) => {
    alice.start('ref-42');
    bob.start();
    bob.block();
    await eventually(async () => expect((await client.dialogs.get(bob.id))?.blocked).toBe(true));
    alice.rename({ firstName: 'Alice', lastName: 'Pleasance' });
    await eventually(async () => expect((await client.peers.get(alice.id))?.lastName).toBe('Pleasance'));
  });
});

afterAll(async () => {
  await w?.close();
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the usage tests look for
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f]/;

describe('pm login', () => {
  it('writes a 0600 session file and never prints the token', async () => {
    const r = await pm([...loginArgs(w), '--session', `${w.dir}/again.session`, '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, id: w.bot.id.toString(), username: 'pm_cli_bot' });
    expect((await stat(`${w.dir}/again.session`)).mode & 0o777).toBe(0o600);
    const secret = w.bot.token.split(':')[1]!;
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('refuses a wrong token with exit 1 and does not repeat it', async () => {
    const wrong = `${w.bot.id}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    const r = await pm([...loginArgs(w, wrong), '--session', `${w.dir}/wrong.session`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pm login: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('AAAAAAAAAAAA');
  });

  it('answers a usage error (2) when credentials are missing and there is no terminal to ask', async () => {
    const r = await pm([...w.globals, 'login', '--session', `${w.dir}/none.session`, '--json']);
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({ ok: false, error: 'USAGE' });
  });
});

describe('pm whoami', () => {
  it('shows the bot from the session file alone', async () => {
    const r = await pm([...w.globals, 'whoami', '--json']);
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({
      ok: true,
      id: w.bot.id.toString(),
      username: 'pm_cli_bot',
      server: w.server,
    });
    expect(out.dialogs).toEqual({ total: 2, started: 2, blocked: 1 });
    const text = await pm([...w.globals, 'whoami']);
    expect(text.stdout).toContain('@pm_cli_bot');
    expect(text.stdout).not.toMatch(/authKey|[A-Za-z0-9+/]{64,}/);
  });

  it('fails in one line (exit 2: log in first) without a session file, with the stack only under --verbose', async () => {
    const r = await pm(['--session', `${w.dir}/missing.session`, '--storage', 'memory', 'whoami']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^pm whoami: .*missing\.session.*not found/),
    ]);
    const v = await pm([
      '--session',
      `${w.dir}/missing.session`,
      '--storage',
      'memory',
      '--verbose',
      'whoami',
    ]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/\n\s+at /);
  });
});

describe('pm resolve', () => {
  it('resolves a username through Telegram once, then from the storage', async () => {
    const first = await pm([...w.globals, 'resolve', '@carl_cli', '--json']);
    expect(first.code).toBe(0);
    expect(json(first)).toMatchObject({ ok: true, fromCache: false, peer: { id: carl.id.toString() } });
    expect(json(first).peer.accessHash).toBe(carl.accessHashFor().toString());
    const again = await pm([...w.globals, 'resolve', 't.me/carl_cli', '--json']);
    expect(json(again)).toMatchObject({ fromCache: true, peer: { id: carl.id.toString(), type: 'user' } });
    const text = await pm([...w.globals, 'resolve', carl.id.toString()]);
    expect(text.stdout).toContain(`Carl (@carl_cli), user ${carl.id}`);
  });

  it('answers 2 for a malformed reference and 1 for a username nobody has', async () => {
    const bad = await pm([...w.globals, 'resolve', '@a-b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pm resolve: Invalid peer reference "@a-b"/);
    for (const cmd of [
      ['user', '@a-b'],
      ['can-message', 't.me/+invite'],
      ['send', 'a', 'text'],
    ]) {
      // Checked before the session file is read: no session needed to be told the reference is wrong.
      const r = await pm(['--session', `${w.dir}/missing.session`, '--storage', 'memory', ...cmd]);
      expect(r.code, cmd.join(' ')).toBe(2);
    }
    const none = await pm([...w.globals, 'resolve', '@nobody_here_at_all', '--json']);
    expect(none.code).toBe(1);
    expect(json(none)).toMatchObject({ ok: false, error: 'PEER_NOT_FOUND' });
    const unseen = await pm([...w.globals, 'resolve', '987654321']);
    expect(unseen.code).toBe(1);
    expect(unseen.stderr).toMatch(/has not been seen/);
  });
});

describe('commands that only read the store', () => {
  it('refuse a SQLite store that does not exist (exit 1, STORAGE_NOT_FOUND naming it), creating nothing', async () => {
    const missing = `${w.dir}/typo/bot.db`;
    const globals = ['--server', w.server, '--session', w.session, '--storage', `sqlite:${missing}`];
    for (const cmd of [
      ['resolve', '@alice_cli'],
      ['user', '@alice_cli'],
      ['whoami'],
      ['can-message', '@alice_cli'],
    ]) {
      const r = await pm([...globals, ...cmd]);
      expect(r.code, cmd[0]).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([
        `pm ${cmd[0]}: SQLite storage ${missing} does not exist (nothing was created): check the path; commands that write create it`,
      ]);
      const asJson = await pm([...globals, '--json', ...cmd]);
      expect(asJson.code, cmd[0]).toBe(1);
      expect(json(asJson)).toMatchObject({ ok: false, error: 'STORAGE_NOT_FOUND' });
    }
    await expect(stat(`${w.dir}/typo`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('find the store pm login created, empty, where they read it', async () => {
    const store = `${w.dir}/after-login/bot.db`;
    const session = `${w.dir}/after-login.session`;
    const place = { ...w, session, storage: `sqlite:${store}` };
    const globals = globalArgs(place);
    const login = await pm(loginArgs(place));
    expect(login.code, login.stderr).toBe(0);
    expect((await stat(store)).isFile()).toBe(true);
    const who = await pm([...globals, 'whoami', '--json']);
    expect(who.code, who.stdout).toBe(0);
    expect(json(who)).toMatchObject({ username: 'pm_cli_bot', dialogs: { total: 0 } });
  });

  it('leave writers to create it: pm send makes a new store', async () => {
    const fresh = `${w.dir}/new-store/bot.db`;
    const globals = ['--server', w.server, '--session', w.session, '--storage', `sqlite:${fresh}`];
    const sent = await pm([...globals, 'send', '@alice_cli', 'hello from a new store']);
    expect(sent.code, sent.stderr).toBe(0);
    expect((await stat(fresh)).isFile()).toBe(true);
    const who = await pm([...globals, 'resolve', '@alice_cli', '--json']);
    expect(who.code).toBe(0);
    expect(json(who)).toMatchObject({ fromCache: true });
  });
});

describe('pm user', () => {
  it('shows profile, last known language, dialog state and history', async () => {
    const r = await pm([...w.globals, 'user', '@alice_cli', '--json']);
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out.user).toMatchObject({ id: alice.id.toString(), firstName: 'Alice', lastName: 'Pleasance' });
    expect(out.language.code).toBe('es');
    expect(out.dialog).toMatchObject({ started: true, via: 'start', payload: 'ref-42', blocked: false });
    expect(out.history).toContainEqual(
      expect.objectContaining({ field: 'lastName', before: 'Liddell', after: 'Pleasance' }),
    );
    const text = await pm([...w.globals, 'user', bob.id.toString()]);
    expect(text.stdout).toMatch(/language: ru/);
    expect(text.stdout).toMatch(/dialog: started .* via start, blocked since/);
  });
});

describe('pm can-message', () => {
  it('answers 0 for a started dialog and 1 with the reason otherwise', async () => {
    const yes = await pm([...w.globals, 'can-message', '@alice_cli', '--json']);
    expect(yes.code).toBe(0);
    expect(json(yes)).toEqual({ ok: true, canMessage: true });
    const blocked = await pm([...w.globals, 'can-message', '@bob_cli', '--json']);
    expect(blocked.code).toBe(1);
    expect(json(blocked)).toMatchObject({ ok: false, canMessage: false, reason: 'blocked' });
    const never = await pm([...w.globals, 'can-message', '@carl_cli']);
    expect(never.code).toBe(1);
    expect(never.stderr).toMatch(/^pm can-message: no: the user never started the bot/);
  });
});

describe('pm send', () => {
  it('sends to a user who started the bot, and reports a refusal with exit 1', async () => {
    const r = await pm([...w.globals, 'send', '@alice_cli', 'Hola desde pm', '--silent', '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, peerId: alice.id.toString() });
    expect(w.tg.inbox(alice).map((m) => m.text)).toContain('Hola desde pm');
    const refused = await pm([...w.globals, 'send', '@bob_cli', 'hi', '--json']);
    expect(refused.code).toBe(1);
    expect(json(refused)).toMatchObject({ ok: false, reason: 'blocked' });
    const usage = await pm([...w.globals, 'send', '@alice_cli']);
    expect(usage.code).toBe(2);
  });
});

describe('the pm binary', () => {
  it('runs as a child process against the testserver and answers 2 for an unknown command', async () => {
    const who = await pmChild([...w.globals, '--json', 'whoami']);
    expect(who.code).toBe(0);
    expect(json(who)).toMatchObject({ username: 'pm_cli_bot' });
    const unknown = await pmChild(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('writes the control characters of a mistyped command or option as escapes, keeping its own hint', async () => {
    // An escape sequence typed into an argument used to reach the terminal raw (here: clear the screen).
    const command = await pm(['peers\u001b[2J\nstats']);
    expect(command.code).toBe(2);
    expect(command.stderr).not.toMatch(CONTROL_BUT_NEWLINE);
    expect(command.stderr.split('\n')[0]).toBe("error: unknown command 'peers\\u001b[2J\\nstats'");
    const option = await pm(['--jsn', 'whoami']);
    expect(option.code).toBe(2);
    expect(option.stderr.split('\n').slice(0, 2)).toEqual([
      "error: unknown option '--jsn'",
      '(Did you mean --json?)',
    ]);
    const value = await pm(['--timeout', '5\r\u001b[1Aok', 'whoami']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain("argument '5\\r\\u001b[1Aok' is invalid");
    expect(value.stderr).not.toMatch(CONTROL_BUT_NEWLINE);
  });

  it('takes the global options from PM_SESSION, PM_STORAGE and PM_SERVER', async () => {
    const r = await pmChild(['can-message', '@alice_cli'], {
      env: { PM_SESSION: w.session, PM_STORAGE: w.storage, PM_SERVER: w.server },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^yes: the bot may message Alice Pleasance/);
  });

  it('prints help with examples and exit codes', async () => {
    const r = await pm(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 failure');
    const sub = await pm(['send', '--help']);
    expect(sub.stdout).toContain('$ pm send @alice');
    expect((await pm(['--server', 'nonsense', 'whoami'])).code).toBe(2);
  });
});
