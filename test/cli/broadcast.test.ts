import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { type CliIo, runCli } from '@pm/cli';
import { openStorage, PmClient } from '@pm/core';
import type { UserHandle } from '@pm/testserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, eventually, json, loginArgs, pm, startWorld, type World } from './helpers.js';

let w: World;
let ann: UserHandle;
let ben: UserHandle;
let cat: UserHandle;
let dan: UserHandle;

beforeAll(async () => {
  w = await startWorld();
  expect((await pm(loginArgs(w))).code).toBe(0);
  ann = w.tg.createUser({ firstName: 'Ann', username: 'ann_bc' });
  ben = w.tg.createUser({ firstName: 'Ben', username: 'ben_bc' });
  cat = w.tg.createUser({ firstName: 'Cat', username: 'cat_bc' });
  dan = w.tg.createUser({ firstName: 'Dan', username: 'dan_bc' });
  // The bot process records who started and who blocked into the shared storage.
  const client = await PmClient.connect({
    apiId: 12345,
    apiHash: API_HASH,
    session: w.session,
    storage: w.storage,
    server: { host: w.tg.host, port: w.tg.port },
  });
  await client.start();
  ann.start();
  ben.start();
  cat.start();
  cat.block();
  await eventually(async () => expect((await client.dialogs.get(cat.id))?.blocked).toBe(true));
  await client.disconnect();
});

afterAll(async () => {
  await w?.close();
});

const texts = (u: UserHandle) => w.tg.inbox(u).map((m) => m.text);

describe('pm broadcast', () => {
  it('sends to every started, unblocked dialog and reports', async () => {
    const r = await pm([
      ...w.globals,
      'broadcast',
      '--text',
      'News 1',
      '--to',
      'started',
      '--id',
      'n1',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(json(r).report).toMatchObject({ jobId: 'n1', total: 2, sent: 2, skipped: 0, pending: 0 });
    expect(texts(ann)).toContain('News 1');
    expect(texts(ben)).toContain('News 1');
    expect(texts(cat)).not.toContain('News 1');
  });

  it('reads recipients from a file and reports skipped and unresolved ones', async () => {
    const file = join(w.dir, 'to.txt');
    writeFileSync(file, `# customers\n@ann_bc\n${cat.id}\n\n@dan_bc   # never started\n@nobody_here_bc\n`);
    // One at a time: GramJS 2.26.22 drops the rest of a msg_container after an rpc_error in it
    // (MTProtoSender._handleRPCResult throws), so two refusals answered together would leave one send hanging.
    const r = await pm([
      ...w.globals,
      'broadcast',
      '--text',
      'News 2',
      '--to',
      file,
      '--id',
      'n2',
      '--concurrency',
      '1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/broadcast n2: done/);
    expect(r.stdout).toMatch(/sent\s+1/);
    expect(r.stdout).toMatch(/skipped: the user blocked the bot\s+1/);
    expect(r.stdout).toMatch(/skipped: the user never started the bot\s+1/);
    expect(r.stdout).toMatch(/unresolved references \(1\): @nobody_here_bc/);
    expect(texts(dan)).toEqual([]);
  });

  it('stops with exit 1 and a JSON error naming the recipient when a look-up meets a long flood wait, then goes on', async () => {
    const eve = w.tg.createUser({ firstName: 'Eve', username: 'eve_flood_bc' });
    const file = join(w.dir, 'flood.txt');
    writeFileSync(file, '@eve_flood_bc\n');
    const args = [...w.globals, 'broadcast', '--text', 'News F', '--to', file, '--id', 'nf', '--json'];
    w.tg.forceFloodWait(1, 3600, ['contacts.ResolveUsername']);
    const stopped = await pm(args);
    expect(stopped.code).toBe(1);
    expect(json(stopped)).toMatchObject({ ok: false, error: 'BROADCAST' });
    expect(json(stopped).message).toMatch(
      /looking up recipient @eve_flood_bc failed \(FloodWaitError: .*run it again/,
    );
    expect(stopped.stderr).toBe(''); // --json: the one JSON document on stdout says it all
    expect(texts(eve)).toEqual([]);
    // The same command again: the recipient is looked up and reported as Telegram says (never started), not lost.
    const again = await pm(args);
    expect(again.code).toBe(0);
    expect(json(again).report).toMatchObject({ jobId: 'nf', total: 1, unresolved: [] });
  });

  it('stops on Ctrl+C with exit 1 and resumes with --resume, messaging nobody twice', async () => {
    const stopped = await pm(
      [...w.globals, 'broadcast', '--text', 'News 3', '--to', 'started', '--id', 'n3', '--json'],
      { interrupted: Promise.resolve() },
    );
    expect(stopped.code).toBe(1);
    expect(json(stopped)).toMatchObject({ ok: false, error: 'INTERRUPTED', report: { pending: 2 } });
    expect(json(stopped).message).toContain('pm broadcast --resume n3');

    const resumed = await pm([...w.globals, 'broadcast', '--resume', 'n3', '--json']);
    expect(resumed.code).toBe(0);
    expect(json(resumed).report).toMatchObject({ sent: 2, pending: 0 });
    const again = await pm([...w.globals, 'broadcast', '--resume', 'n3', '--json']);
    expect(json(again).report).toMatchObject({ sent: 2, pending: 0 });
    expect(texts(ann).filter((t) => t === 'News 3')).toHaveLength(1);
    expect(texts(ben).filter((t) => t === 'News 3')).toHaveLength(1);
  });

  it('refuses a text no recipient can get (over 4096 characters, empty once formatted): exit 1, no job', async () => {
    const file = join(w.dir, 'long.txt');
    writeFileSync(file, '@ann_bc\n');
    const sent = texts(ann).length;
    for (const [args, message] of [
      [
        ['--text', 'y'.repeat(4097)],
        `Broadcast "long": its text is 4097 characters once formatted, over Telegram's limit of 4096: nothing was sent (no job was created)`,
      ],
      [
        ['--text', '<b> </b>', '--parse-mode', 'html'],
        'Broadcast "long": its text is empty once formatted: nothing was sent (no job was created)',
      ],
    ] as const) {
      const r = await pm([...w.globals, 'broadcast', ...args, '--to', file, '--id', 'long', '--json']);
      expect(r.code).toBe(1);
      expect(json(r)).toEqual({ ok: false, error: 'BROADCAST', message });
    }
    const resumed = await pm([...w.globals, 'broadcast', '--resume', 'long']);
    expect(resumed.stderr).toMatch(/does not exist/);
    // At the limit it goes out (the tags of a parse mode do not count).
    const limit = await pm([
      ...w.globals,
      'broadcast',
      '--text',
      `<b>${'z'.repeat(4096)}</b>`,
      '--parse-mode',
      'html',
      '--to',
      file,
      '--id',
      'limit',
      '--json',
    ]);
    expect(limit.code).toBe(0);
    expect(json(limit).report).toMatchObject({ sent: 1 });
    expect(texts(ann)).toHaveLength(sent + 1);
  });

  it('refuses to resume a job damaged in the store (options, status) with one typed line, sending nothing', async () => {
    const file = join(w.dir, 'damaged.txt');
    writeFileSync(file, '@ann_bc\n');
    const made = await pm([...w.globals, 'broadcast', '--text', 'Damaged', '--to', file, '--id', 'dmg']);
    expect(made.code).toBe(0);
    const sent = texts(ann).length;
    for (const [set, why] of [
      [`status = 'ready', options = '{bad'`, /its options are not valid JSON \(/],
      [`status = 'ready', options = '[1]'`, /its options are not a JSON object/],
      [`status = 'ready', options = '{"parseMode":"rtf"}'`, /its parse mode "rtf" is not html or markdown/],
      [`status = 'stopped', options = '{}'`, /its status is "stopped", not one of preparing, ready, done/],
    ] as const) {
      const store = (await openStorage(w.storage)) as unknown as {
        driver: { db: { exec(sql: string): void } };
        close(): Promise<void>;
      };
      store.driver.db.exec(`UPDATE broadcast_jobs SET ${set} WHERE id = 'dmg'`);
      await store.close();
      const r = await pm([...w.globals, 'broadcast', '--resume', 'dmg', '--json']);
      expect(r.code, set).toBe(1);
      expect(json(r)).toEqual({
        ok: false,
        error: 'BROADCAST',
        message: expect.stringMatching(/^Broadcast "dmg": is damaged in the store: /),
      });
      expect(json(r).message).toMatch(why);
    }
    expect(texts(ann)).toHaveLength(sent);
  });

  it('names the file and line of a malformed recipient and creates no job until the whole list is read', async () => {
    const file = join(w.dir, 'bad.txt');
    writeFileSync(file, '@ann_bc\n# a comment\n\n@a-b\n@ben_bc\n');
    const r = await pm([
      ...w.globals,
      'broadcast',
      '--text',
      'Never',
      '--to',
      file,
      '--id',
      'bad1',
      '--json',
    ]);
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({
      ok: false,
      message: expect.stringMatching(new RegExp(`^${file}:4: .*"@a-b"`)),
    });
    expect(texts(ann)).not.toContain('Never');
    const resumed = await pm([...w.globals, 'broadcast', '--resume', 'bad1']);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/does not exist/);
  });

  it('names a folder given as the recipients (2) and a recipients stream it cannot read (1), sending nothing', async () => {
    const folder = await pm([...w.globals, 'broadcast', '--text', 'Never', '--to', w.dir, '--json']);
    expect(folder.code).toBe(2);
    expect(json(folder)).toEqual({
      ok: false,
      error: 'USAGE',
      message: `--to ${JSON.stringify(w.dir)}: is a folder, expected a file of refs`,
    });
    // A stdin that fails while the list is read (an I/O error).
    const stdin = new Readable({
      read() {
        this.push('@ann_bc\n');
        this.destroy(Object.assign(new Error('i/o error'), { code: 'EIO' }));
      },
    });
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const io: CliIo = {
      stdin,
      stdout,
      stderr: new PassThrough(),
      env: {},
      interrupted: new Promise(() => {}),
    };
    const code = await runCli([...w.globals, 'broadcast', '--text', 'Never', '--to', '-', '--json'], io);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual({
      ok: false,
      error: 'RECIPIENTS_UNREADABLE',
      message: 'cannot read the recipients in <stdin> (EIO)',
    });
    expect(texts(ann)).not.toContain('Never');
  });

  it('answers 2 without --text or --to, and 1 for a job that does not exist', async () => {
    expect((await pm([...w.globals, 'broadcast', '--to', 'started'])).code).toBe(2);
    expect((await pm([...w.globals, 'broadcast', '--text', 'x', '--to', 'nosuchfile.txt'])).code).toBe(2);
    const missing = await pm([...w.globals, 'broadcast', '--resume', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^pm broadcast: Broadcast "nope": does not exist/);
  });
});
