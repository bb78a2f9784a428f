import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { afterEach, describe, expect, it } from 'vitest';
import { TestServer } from '../../src/test-server.js';
import { ctx } from './harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-testserver-'));
  dirs.push(dir);
  return join(dir, 'state.json');
}

describe('state file', () => {
  it('keeps bots, users, dialogs, logins and the update box across a restart of the process', async () => {
    const file = stateFile();
    const first = await TestServer.start({ network: false, stateFile: file, flood: false });
    const bot = first.createBot({ username: 'keep_bot' });
    await first.backend.invoke(
      new Api.auth.ImportBotAuthorization({ apiId: 1, apiHash: 'x', botAuthToken: bot.token }),
      ctx('k1'),
    );
    const alice = first.createUser({ firstName: 'Alice', username: 'alice', langCode: 'en' });
    alice.start('hello');
    await first.backend.invoke(
      new Api.messages.SendMessage({ peer: alice.inputPeer(), message: 'hi', randomId: bigInt(42) }),
      ctx('k1'),
    );
    const before = await first.backend.invoke(new Api.updates.GetState(), ctx('k1'));
    await first.stop();
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(typeof json.world.users[0].id).toBe('string');

    const second = await TestServer.start({ network: false, stateFile: file, flood: false });
    const after = await second.backend.invoke(new Api.updates.GetState(), ctx('k1'));
    expect([after.pts, after.qts, after.seq]).toEqual([before.pts, before.qts, before.seq]);
    expect(after.date).toBeGreaterThanOrEqual(before.date);
    const [aliceAgain] = [...second.world.users.values()].filter((u) => u.firstName === 'Alice');
    expect(aliceAgain?.usernames).toEqual(['alice']);
    const handle = second.createUser({ firstName: 'Tmp' });
    expect(handle.id).not.toBe(alice.id);
    // The dialog is still open, the random_id still taken, the access hash unchanged.
    const resend = new Api.messages.SendMessage({
      peer: alice.inputPeer(),
      message: 'again',
      randomId: bigInt(42),
    });
    await expect(second.backend.invoke(resend, ctx('k1'))).rejects.toMatchObject({
      errorMessage: 'RANDOM_ID_DUPLICATE',
    });
    const fresh = new Api.messages.SendMessage({
      peer: new Api.InputPeerUser({
        userId: bigInt(alice.id.toString()),
        accessHash: bigInt(second.world.accessHash(aliceAgain!, second.world.user(bot.id)!).toString()),
      }),
      message: 'again',
      randomId: bigInt(43),
    });
    expect(await second.backend.invoke(fresh, ctx('k1'))).toBeInstanceOf(Api.UpdateShortSentMessage);
    await second.stop();
  });

  it.skipIf(process.platform === 'win32')(
    'writes the state file (it holds auth keys) readable by its owner only, also over a stale temp file',
    async () => {
      const file = stateFile();
      writeFileSync(`${file}.tmp`, 'left over by a crash', { mode: 0o644 });
      chmodSync(`${file}.tmp`, 0o644);
      const tg = await TestServer.start({ network: false, stateFile: file, flood: false });
      tg.createBot({ username: 'mode_bot' });
      tg.persistNow();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      await tg.stop();
      expect(statSync(file).mode & 0o777).toBe(0o600);
    },
  );
});
