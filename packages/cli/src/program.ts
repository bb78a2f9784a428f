/**
 * The `pm` program: global options, the commands, help with examples.
 */
import { Command, Option } from 'commander';
import { makeAct } from './command.js';
import { defineBroadcast } from './commands/broadcast.js';
import { defineCanMessage } from './commands/can-message.js';
import { defineLogin } from './commands/login.js';
import { definePeers } from './commands/peers.js';
import { defineResolve } from './commands/resolve.js';
import { defineSend } from './commands/send.js';
import { defineSync } from './commands/sync.js';
import { defineTestserver } from './commands/testserver.js';
import { defineUser } from './commands/user.js';
import { defineWhoami } from './commands/whoami.js';
import { escapeUsageError } from './errors.js';
import {
  GLOBAL_DEFAULTS,
  parseServer,
  parseSessionPath,
  parseStorage,
  parseTimeout,
} from './global-options.js';
import type { CliIo } from './io.js';

export const EXAMPLES = `
Examples:
  $ pm login                                   # prompts for api id, api hash and bot token; writes pm.session
  $ pm whoami
  $ pm user @alice                             # profile, last known language, dialog state, history
  $ pm sync                                    # record missed dialog starts and blocks without running the bot
  $ pm can-message @alice && pm send @alice "Hello again"
  $ pm broadcast --text "We are back" --to started
  $ pm peers export --format csv > peers.csv
  $ pm peers import old-bot.session            # Telethon, Pyrogram, GramJS, mtcute or a pm export
  $ pm testserver --port 40123                 # a loopback Telegram for trying all of this

Commands that talk to Telegram use the session file (never the token). The storage keeps every user the bot has
seen; "peers" commands use it alone.

Exit codes: 0 ok, 1 failure (refused, not found, cannot message, network), 2 usage error (unknown command or
option, malformed argument such as a peer reference, missing credentials).`;

/**
 * The program; `capture`, when given, receives what commander would print itself (help, usage errors), so that
 * `--json` can answer one JSON document instead.
 */
export function buildProgram(io: CliIo, capture?: (text: string) => void): Command {
  const act = makeAct(io);
  const output = {
    writeOut: capture ?? ((s: string) => io.stdout.write(s)),
    writeErr: capture ?? ((s: string) => io.stderr.write(s)),
    outputError: (s: string, write: (s: string) => void) => write(escapeUsageError(s)),
  };
  const program = new Command()
    .name('pm')
    .description(
      'A Telegram bot over MTProto from the command line: sessions, seen users, dialogs, messages.',
    )
    .addOption(
      new Option('--session <path>', 'session file written by pm login')
        .env('PM_SESSION')
        .default(GLOBAL_DEFAULTS.session)
        .argParser(parseSessionPath),
    )
    .addOption(
      new Option(
        '--storage <spec>',
        'where seen users live: sqlite:<path>, postgres://… (needs @pm/storage-postgres) or memory',
      )
        .env('PM_STORAGE')
        .default(GLOBAL_DEFAULTS.storage)
        .argParser(parseStorage),
    )
    .addOption(
      new Option('--server <host:port>', 'an MTProto server other than Telegram, e.g. a pm testserver')
        .env('PM_SERVER')
        .argParser(parseServer),
    )
    .addOption(
      new Option('--timeout <seconds>', 'every network call settles within this long, connected or not')
        .env('PM_TIMEOUT')
        .default(GLOBAL_DEFAULTS.timeout)
        .argParser(parseTimeout),
    )
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .option('--verbose', 'print stack traces with errors')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError(capture ? false : '(run pm --help for usage)')
    .configureOutput(output)
    .exitOverride();
  defineLogin(program, act);
  defineWhoami(program, act);
  defineResolve(program, act);
  defineUser(program, act);
  defineCanMessage(program, act);
  defineSend(program, act);
  defineBroadcast(program, act);
  defineSync(program, act);
  definePeers(program, act);
  defineTestserver(program, act);
  for (const cmd of allCommands(program)) {
    cmd.exitOverride().configureOutput(output);
  }
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}
