/**
 * The documented way to log in inside the workspace is `pnpm bot-login` (`pnpm login` is pnpm's own registry login,
 * which prompts for a registry user name). Runs the exact spelling the README shows, through pnpm.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readSessionFile } from '@pm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, API_ID, startWorld, type World } from './helpers.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

let w: World;
beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('pnpm bot-login', () => {
  it('is the spelling the READMEs and the missing-session error give, never `pnpm login`', async () => {
    for (const doc of ['README.md', 'packages/cli/README.md']) {
      const text = await readFile(join(ROOT, doc), 'utf8');
      expect(text).toContain('pnpm bot-login');
      const sending = text
        .split('\n')
        .filter((l) => /pnpm (run )?login\b/.test(l) && !l.includes("pnpm's own"));
      expect(sending).toEqual([]);
    }
    const error = await readSessionFile(join(w.dir, 'missing.session')).catch((e: Error) => e.message);
    expect(error).toContain('`pnpm bot-login`');
    expect(error).not.toContain('`pnpm login`');
  });

  it('logs in as written in the README (env credentials, through pnpm) and writes the session 0600', async () => {
    const session = join(w.dir, 'script.session');
    const { stdout } = await exec(
      'npx',
      [
        '-y',
        'pnpm@10',
        '--silent',
        'bot-login',
        '--server',
        w.server,
        '--session',
        session,
        '--storage',
        `sqlite:${join(w.dir, 'script.db')}`, // pm login creates the store: not in the repository
        '--json',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, PM_API_ID: API_ID, PM_API_HASH: API_HASH, PM_BOT_TOKEN: w.bot.token },
        timeout: 60_000,
      },
    );
    expect(JSON.parse(stdout.trim())).toMatchObject({ ok: true, username: 'pm_cli_bot', session });
    expect((await stat(session)).mode & 0o777).toBe(0o600);
    expect(stdout).not.toContain(w.bot.token.split(':')[1]);
  });
});
