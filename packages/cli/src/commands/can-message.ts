/**
 * `pm can-message <ref>`: Telegram's own test, "typing…": may the bot message this user now? Exit 0 yes, 1 no.
 */
import { parsePeerRef } from '@pm/core';
import type { Command } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withClient } from '../connect.js';
import { CommandFailed } from '../errors.js';
import { peerLine } from '../format.js';
import { reasonText } from '../reasons.js';
import { REF_HELP } from './resolve.js';

export function defineCanMessage(program: Command, act: Act): void {
  program
    .command('can-message <ref>')
    .description('probe with "typing…" whether the bot may message a user (exit 0 yes, 1 no)')
    .addHelpText(
      'after',
      `${REF_HELP}\n\nExamples:\n  $ pm can-message @alice && pm send @alice "Hi"\n  $ pm can-message 123456789 --json`,
    )
    .action(act(canMessage));
}

async function canMessage({ opts, out }: CommandEnv, [ref]: string[]): Promise<void> {
  parsePeerRef(ref!); // a malformed reference is a usage error (2), before any file or network access
  await withClient(opts, 'reads', async (client) => {
    const r = await client.canMessage(ref!);
    const who = await client.resolveUser(ref!).then(peerLine, () => ref!);
    if (r.ok) {
      out.result({ canMessage: true }, `yes: the bot may message ${who}`);
      return;
    }
    throw new CommandFailed(r.reason, `no: ${reasonText(r.reason, r.retryAfter)} — ${who}`, {
      canMessage: false,
      reason: r.reason,
      ...(r.retryAfter !== undefined ? { retryAfter: r.retryAfter } : {}),
    });
  });
}
