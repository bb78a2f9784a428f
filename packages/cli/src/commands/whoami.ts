/**
 * `pm whoami`: the bot the session file logs in as, checked with Telegram, and what the storage knows.
 */
import { readSessionFile, redactSecrets } from '@pm/core';
import type { Command } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withClient } from '../connect.js';
import { plural } from '../format.js';
import { formatServer } from '../global-options.js';

export function defineWhoami(program: Command, act: Act): void {
  program
    .command('whoami')
    .description('show the bot the session logs in as (asks Telegram) and the storage counts')
    .addHelpText('after', '\nExample:\n  $ pm whoami --session bot.session --json')
    .action(act(whoami));
}

async function whoami({ opts, out }: CommandEnv): Promise<void> {
  const session = await readSessionFile(opts.session);
  const server = formatServer(opts.server) ?? `${session.serverAddress}:${session.port}`;
  await withClient(opts, 'reads', async (client) => {
    const me = client.me;
    const [peers, dialogs] = await Promise.all([client.peers.count(), client.dialogs.counts()]);
    out.result(
      {
        id: me.id,
        username: me.username ?? null,
        firstName: me.firstName,
        session: opts.session,
        server,
        dcId: session.dcId,
        storage: redactSecrets(opts.storage),
        peers,
        dialogs,
      },
      [
        `@${me.username ?? '(no username)'} — ${me.firstName}, bot id ${me.id}`,
        `session: ${opts.session} (DC ${session.dcId} at ${server})`,
        `storage: ${redactSecrets(opts.storage)}: ${plural(peers, 'peer')} seen, ${plural(dialogs.started, 'dialog')} started, ${dialogs.blocked} blocked`,
      ].join('\n'),
    );
  });
}
