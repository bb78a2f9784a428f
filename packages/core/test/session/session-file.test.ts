import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PmClient } from '../../src/client.js';
import {
  readSessionFile,
  type SessionData,
  SessionFileError,
  writeSessionFile,
} from '../../src/session/session-file.js';

const AUTH_KEY = Buffer.alloc(256, 0xab).toString('base64');
const API_HASH = '0123456789abcdef0123456789abcdef';
const data: SessionData = {
  version: 1,
  dcId: 2,
  serverAddress: '127.0.0.1',
  port: 1,
  authKey: AUTH_KEY,
  apiId: 12345,
  apiHash: API_HASH,
  bot: { id: '42' },
};

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pm-session-'));
  path = join(dir, 'bot.session');
  await writeSessionFile(path, data);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('session file contents', () => {
  it('reads back a session whose auth key GramJS kept at 255 bytes (its g_ab had a leading zero byte)', async () => {
    const short = { ...data, authKey: Buffer.alloc(255, 0xab).toString('base64') };
    await writeSessionFile(path, short);
    expect(await readSessionFile(path)).toEqual(short);
  });

  it('refuses a session whose auth key is not a DH key', async () => {
    await writeSessionFile(path, { ...data, authKey: Buffer.alloc(16, 1).toString('base64') });
    await expect(readSessionFile(path)).rejects.toBeInstanceOf(SessionFileError);
  });
});

describe.skipIf(process.platform === 'win32')('session file permissions', () => {
  it('writes the file mode 0600 and reads it back', async () => {
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readSessionFile(path)).toEqual(data);
  });

  it('accepts a file only its owner can read (0400)', async () => {
    await chmod(path, 0o400);
    expect(await readSessionFile(path)).toEqual(data);
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606]) {
    const octal = mode.toString(8).padStart(4, '0');
    it(`refuses a file others may access (${octal}), naming the path and mode but no secret, untouched`, async () => {
      await chmod(path, mode);
      const before = await readFile(path);
      const err = await readSessionFile(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SessionFileError);
      const message = (err as Error).message;
      expect(message).toContain(path);
      expect(message).toContain(octal);
      expect(message).toContain('chmod 600');
      expect(message).not.toContain(AUTH_KEY.slice(0, 16));
      expect(message).not.toContain(API_HASH);
      expect((err as SessionFileError).missing).toBe(false);
      // Refused, not repaired behind the owner's back.
      expect((await stat(path)).mode & 0o777).toBe(mode);
      expect(await readFile(path)).toEqual(before);
    });
  }

  it('is replaced by a 0600 file when the owner logs in again (the refused file is never read)', async () => {
    await chmod(path, 0o644);
    await writeSessionFile(path, { ...data, authKey: Buffer.alloc(256, 0xcd).toString('base64') });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readSessionFile(path)).authKey).not.toBe(AUTH_KEY);
  });

  it('makes PmClient.connect fail before any network or storage is touched', async () => {
    await chmod(path, 0o644);
    const err = await PmClient.connect({
      apiId: 1,
      apiHash: API_HASH,
      session: path,
      storage: `sqlite:${join(dir, 'never.db')}`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionFileError);
    await expect(stat(join(dir, 'never.db'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a directory in place of the file with a typed error', async () => {
    const err = await readSessionFile(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionFileError);
    expect((err as Error).message).toContain('not a regular file');
  });

  it('refuses a pipe (FIFO) in place of the file instead of waiting for a writer', async () => {
    const fifo = join(dir, 'piped.session');
    execFileSync('mkfifo', [fifo]);
    const err = await readSessionFile(fifo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionFileError);
    expect((err as Error).message).toBe(`Session file ${fifo}: is not a regular file`);
  });

  it('refuses to write over a folder or under a file, naming the path, and leaves no temp file holding the key', async () => {
    const folder = join(dir, 'a-folder.session');
    await mkdir(folder);
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    for (const [path, reason] of [
      [folder, 'is a folder, expected a session file'],
      [join(file, 'bot.session'), `cannot be written: ${file} is not a folder`],
    ] as const) {
      const err = await writeSessionFile(path, data).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SessionFileError);
      expect((err as Error).message).toBe(`Session file ${path}: ${reason}`);
    }
    expect((await readdir(dir)).sort()).toEqual(['a-file', 'a-folder.session', 'bot.session']);
  });

  it('reports a missing file as missing', async () => {
    const err = await readSessionFile(join(dir, 'none.session')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionFileError);
    expect((err as SessionFileError).missing).toBe(true);
  });
});
