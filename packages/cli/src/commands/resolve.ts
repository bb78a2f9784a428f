/**
 * `pm resolve <ref>`: any peer by id, @username, t.me or tg:// link; the cache first, then Telegram.
 */
import { parsePeerRef } from '@pm/core';
import type { Command } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withClient } from '../connect.js';
import { peerJson, peerLine } from '../format.js';

export const REF_HELP = `
<ref> is a peer id, @username, username, t.me/username, https://t.me/username or tg://resolve?domain=username.
A negative id (a chat) must follow "--", e.g. pm resolve -- -1001234567890.`;

export function defineResolve(program: Command, act: Act): void {
  program
    .command('resolve <ref>')
    .description('resolve a user, chat or channel to its id and access hash (cache first, then Telegram)')
    .addHelpText('after', `${REF_HELP}\n\nExamples:\n  $ pm resolve @durov\n  $ pm resolve t.me/durov --json`)
    .action(act(resolve));
}

async function resolve({ opts, out }: CommandEnv, [ref]: string[]): Promise<void> {
  parsePeerRef(ref!); // a malformed reference is a usage error (2), before any file or network access
  await withClient(opts, 'reads', async (client) => {
    const lookups = client.networkLookups;
    const peer = await client.resolvePeer(ref!);
    const fromCache = client.networkLookups === lookups;
    out.result({ peer: peerJson(peer), fromCache }, () => {
      const access =
        peer.accessHash === null
          ? 'no access hash'
          : `access hash ${peer.accessHash}${peer.min ? ' (min)' : ''}`;
      return `${peerLine(peer)}\n${access}; ${fromCache ? 'from the cache' : 'asked Telegram'}`;
    });
  });
}
