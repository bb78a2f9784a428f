import { describe, expect, it } from 'vitest';
import { runCommand, seedWorld, TestServer } from '../../src/index.js';

describe('standalone fault commands', () => {
  it('revokes the bot token (a new one is printed) and takes drop, freeze, unfreeze and forget-keys', async () => {
    const tg = await TestServer.start({ network: false });
    try {
      const cast = seedWorld(tg);
      const old = cast.bot.token;
      const out = runCommand(tg, cast, 'revoke');
      expect(out).toBe(`new token: ${cast.bot.token}`);
      expect(cast.bot.token).not.toBe(old);
      expect(cast.bot.token.split(':')[0]).toBe(old.split(':')[0]);
      for (const c of ['drop', 'freeze', 'unfreeze', 'forget-keys'])
        expect(runCommand(tg, cast, c)).toBe('ok');
      expect(runCommand(tg, cast, 'help')).toContain('forget-keys');
    } finally {
      await tg.stop();
    }
  });
});
