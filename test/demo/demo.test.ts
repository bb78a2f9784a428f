import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../scripts/demo.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The environment without PM_* credentials: the demo must use its embedded testserver.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PM_')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pnpm demo', () => {
  it('tells the story of the simulated users and ends with the table of seen users', async () => {
    const { code, stdout, stderr } = await runDemo();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const expected = [
      /Logged in as @pm_demo_bot with createBotSession/,
      /Alice Liddell \(@alice\) started the dialog via \/start, payload "spring_sale", language en → replied #\d+: "Hello, Alice!/,
      /Борис \(@boris\) started the dialog via \/start, language ru → replied #\d+: "Привет, Борис!"/,
      /Carmen \(@carmen\) started the dialog via \/start, language es → replied #\d+: "¡Hola, Carmen!"/,
      /Carmen \(@carmen\) sent \/start again .* "¡Bienvenido de nuevo, Carmen!"/,
      /Dieter started the dialog via a first message that is not \/start, language de, not spoken, so en → replied/,
      /Erin \(@erin_mx\) started the dialog via a join request to PM Demo Club, language es-MX → replied #\d+: "¡Hola, Erin!/,
      /Farid started the dialog via the Login Widget, language unknown, so en → replied/,
      /Alice Pleasance \(@alice\) changed: lastName "Liddell" → "Pleasance"/,
      /Борис changed: usernames @boris → \(none\)/,
      /Erin \(@boris\) changed: usernames @erin_mx → @boris/,
      /Carmen \(@carmen\) wrote "¿Qué tal\?", language es → replied #\d+: "Recibido: «¿Qué tal\?»"/,
      /Dieter blocked the bot/,
      /can I message Dieter\? no \(blocked\)/,
      /Dieter unblocked the bot/,
      /can I message Dieter\? yes/,
      /resolve @gina_demo → Gina \(@gina_demo\), id \d+ \(asked Telegram\)/,
      /can I message @gina_demo\? no \(notStarted\)/,
      /resolve @boris → Erin \(@boris\)/,
      /who can I message\? Alice yes, Борис yes, Carmen yes, Dieter yes, Erin yes, Farid yes, Gina no \(notStarted\)/,
      /Seen users and their dialogs \(7\):/,
      /^id\s+name\s+username\s+language\s+started via\s+payload\s+blocked$/m,
      /Alice Pleasance\s+@alice\s+en\s+start\s+spring_sale\s+no/,
      /Erin\s+@boris\s+es-MX\s+joinRequest\s+-\s+no/,
      /Farid\s+-\s+-\s+loginWidget/,
      /Gina\s+@gina_demo\s+-\s+not started/,
      /Done in \d+\.\d s/,
    ];
    let at = 0;
    for (const re of expected) {
      const m = re.exec(stdout.slice(at));
      expect(m, `missing, in order: ${re}\n\n${stdout}`).not.toBeNull();
      at += m!.index + m![0].length;
    }
    expect(stdout).not.toMatch(/\d{5,}:[A-Za-z0-9_-]{20,}/); // no bot token
  }, 60_000);

  it('refuses malformed real-Telegram credentials with exit 2 before any network call', async () => {
    const lines: string[] = [];
    const code = await main({
      print: (l) => lines.push(l),
      env: { PM_API_ID: 'abc', PM_API_HASH: 'nothex', PM_BOT_TOKEN: '123:secret-token-value' },
    });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/^demo failed: Invalid api id "abc"/);
    expect(lines.join('\n')).not.toContain('secret-token-value');
  });
});
