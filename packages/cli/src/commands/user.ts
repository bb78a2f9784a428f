/**
 * `pm user <ref>`: everything the bot knows about a user: profile, last known language, dialog state, history.
 */
import { parsePeerRef } from '@pm/core';
import type { Command } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withClient } from '../connect.js';
import {
  dialogJson,
  dialogText,
  displayName,
  historyJson,
  historyLine,
  isoTime,
  peerJson,
  usernamesText,
} from '../format.js';
import { REF_HELP } from './resolve.js';

export function defineUser(program: Command, act: Act): void {
  program
    .command('user <ref>')
    .description('show a user: profile, last known language, dialog state and the history of changes')
    .addHelpText('after', `${REF_HELP}\n\nExamples:\n  $ pm user @alice\n  $ pm user 123456789 --json`)
    .action(act(user));
}

export const UNKNOWN_DIALOG =
  'unknown: no bot process has consumed updates with this storage yet (run the bot on it, or `pm sync`)';

async function user({ opts, out }: CommandEnv, [ref]: string[]): Promise<void> {
  parsePeerRef(ref!); // a malformed reference is a usage error (2), before any file or network access
  await withClient(opts, 'reads', async (client) => {
    const p = await client.profile(ref!);
    const u = p.user;
    // Without a saved update state no bot process has consumed updates with this storage: a dialog it does not
    // know about may well exist.
    const known = p.dialog !== undefined || (await client.hasUpdateState());
    out.result(
      {
        user: peerJson(u),
        language: p.language,
        dialogKnown: known,
        dialog: dialogJson(p.dialog),
        history: p.history.map(historyJson),
      },
      () =>
        [
          `${displayName(u)} — ${u.type} ${u.id}`,
          `usernames: ${usernamesText(u)}`,
          `phone: ${u.phone ?? '-'}${u.premium ? ', premium' : ''}${u.deleted ? ', deleted account' : ''}`,
          `language: ${p.language.code ?? 'unknown'}${p.language.seenAt ? ` (last seen ${isoTime(p.language.seenAt)})` : ''}`,
          `dialog: ${known ? dialogText(p.dialog) : UNKNOWN_DIALOG}`,
          `seen: first ${isoTime(u.firstSeen)}, last ${isoTime(u.lastSeen)}`,
          p.history.length > 0 ? 'history:' : 'history: no changes seen',
          ...p.history.map((h) => `  ${historyLine(h)}`),
        ].join('\n'),
    );
  });
}
