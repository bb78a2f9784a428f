/**
 * `pm sync`: catches up on the updates Telegram kept while no bot ran (getDifference) and records them in the
 * storage (dialog starts, blocks, profile changes, the users they carry), then stops; no handlers, no replies.
 */
import type { Command } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withClient } from '../connect.js';
import { plural } from '../format.js';

export function defineSync(program: Command, act: Act): void {
  program
    .command('sync')
    .description('catch up on missed updates (getDifference) into the storage without running a bot')
    .addHelpText(
      'after',
      `
Run it while the bot is not running (both would consume the same updates). The first sync on a storage only records
where updates stand: Telegram keeps no history for a bot that never asked, so later syncs catch up from there.

Examples:
  $ pm sync && pm user @alice
  $ pm sync --json`,
    )
    .action(act(sync));
}

async function sync({ opts, out }: CommandEnv): Promise<void> {
  await withClient(opts, 'writes', async (client) => {
    const first = !(await client.hasUpdateState());
    let updates = 0;
    let started = 0;
    let blocked = 0;
    client.on('update', () => {
      updates += 1;
    });
    client.on('dialogStarted', () => {
      started += 1;
    });
    client.on('blocked', () => {
      blocked += 1;
    });
    await client.start();
    await client.idle();
    out.result({ first, updates, dialogsStarted: started, blocked }, () =>
      first
        ? 'first sync on this storage: update state recorded; later syncs (or the bot) catch up from here'
        : `synced ${plural(updates, 'update')}: ${plural(started, 'dialog')} started, ${blocked} blocked`,
    );
  });
}
