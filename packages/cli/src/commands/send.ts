/**
 * `pm send <ref> <text>`: one message, within Telegram's limits; a refusal is reported with its reason (exit 1).
 */
import { parsePeerRef, type SendInput, type SendResult } from '@pm/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withClient } from '../connect.js';
import { CommandFailed } from '../errors.js';
import { reasonText } from '../reasons.js';
import { REF_HELP } from './resolve.js';

interface SendOptions {
  silent?: boolean;
  replyTo?: number;
  parseMode?: 'html' | 'markdown';
}

function messageId(value: string): number {
  const n = Number(value);
  if (!/^\d{1,10}$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a message id (a positive integer), got "${value}"`);
  }
  return n;
}

export function defineSend(program: Command, act: Act): void {
  program
    .command('send <ref> <text>')
    .description('send a text message to a user who started the bot')
    .option('--silent', 'deliver without a notification sound')
    .option('--reply-to <message-id>', 'reply to this message', messageId)
    .addOption(new Option('--parse-mode <mode>', 'format the text').choices(['html', 'markdown']))
    .addHelpText(
      'after',
      `${REF_HELP}\n\nExamples:\n  $ pm send @alice "Your order has shipped"\n  $ pm send 123456789 "<b>Done</b>" --parse-mode html --silent --json`,
    )
    .action(act<SendOptions>(send));
}

async function send({ opts, out }: CommandEnv, [ref, text]: string[], o: SendOptions): Promise<void> {
  parsePeerRef(ref!); // a malformed reference is a usage error (2), before any file or network access
  await withClient(opts, 'writes', async (client) => {
    const input: SendInput = {
      text: text!,
      ...(o.silent ? { silent: true } : {}),
      ...(o.replyTo !== undefined ? { replyTo: o.replyTo } : {}),
      ...(o.parseMode ? { parseMode: o.parseMode } : {}),
    };
    const r: SendResult = await client.send(ref!, input);
    if (r.ok) {
      out.result(
        { messageId: r.messageId, date: r.date, peerId: r.peerId, duplicate: r.duplicate ?? false },
        `sent message #${r.messageId} to ${r.peerId}`,
      );
      return;
    }
    throw new CommandFailed(r.reason, `not sent: ${reasonText(r.reason, r.retryAfter)}`, {
      reason: r.reason,
      ...(r.peerId !== undefined ? { peerId: r.peerId } : {}),
      ...(r.retryAfter !== undefined ? { retryAfter: r.retryAfter } : {}),
    });
  });
}
