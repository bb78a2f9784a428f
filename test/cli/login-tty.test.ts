/**
 * `pm login` on a real terminal: tmux gives the child a pseudo-terminal, the test types into it and reads the
 * screen. Skipped (with a message) where tmux is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HASH, API_ID, eventually, PM_BIN, startWorld, type World } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('login-tty.test.ts: tmux is not installed (apt-get install -y tmux); skipping');

/** A private tmux server for this test run, so nothing else's sessions are touched. */
const SOCKET = `pm-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

let w: World;
let dir: string;

beforeAll(async () => {
  if (!hasTmux) return;
  w = await startWorld();
  dir = await mkdtemp(join(tmpdir(), 'pm-cli-tty-'));
});

afterAll(async () => {
  if (!hasTmux) return;
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  await w?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pm login on a terminal', () => {
  it.skipIf(!hasTmux)(
    'prompts for what is missing, does not echo the hash or token, writes a 0600 session',
    async () => {
      const session = join(dir, 'tty.session');
      const command = [
        process.execPath,
        PM_BIN,
        '--server',
        w.server,
        '--session',
        session,
        '--storage',
        `sqlite:${join(dir, 'tty.db')}`, // pm login creates the store: not in the working folder
        'login',
        ';',
        'echo',
        'EXIT=$?',
        ';',
        'sleep',
        '60',
      ].join(' ');
      tmux('new-session', '-d', '-s', 'login', '-x', '200', '-y', '40', command);
      const screen = () => tmux('capture-pane', '-p', '-t', 'login');
      const answer = async (prompt: string, text: string) => {
        await eventually(() => expect(screen()).toContain(prompt), 10_000);
        tmux('send-keys', '-t', 'login', '-l', text);
        tmux('send-keys', '-t', 'login', 'Enter');
      };
      await answer('API id:', API_ID);
      await answer('API hash:', API_HASH);
      await answer('Bot token:', w.bot.token);
      await eventually(() => expect(screen()).toContain('EXIT='), 15_000);

      const shown = screen();
      expect(shown).toContain('EXIT=0');
      expect(shown).toMatch(/Logged in as @pm_cli_bot/);
      expect(shown).toContain(`API id: ${API_ID}`);
      expect(shown).not.toContain(API_HASH);
      expect(shown).not.toContain(w.bot.token.split(':')[1]!);
      expect(existsSync(session)).toBe(true);
      expect((await stat(session)).mode & 0o777).toBe(0o600);
    },
  );
});
