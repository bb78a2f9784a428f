/**
 * The `pm` entry point: `runCli(argv)` parses, runs one command and answers its exit code; errors become one
 * line (secrets redacted), or with --json one `{ ok: false, error, message }` document on stdout, usage errors
 * (unknown command or option, bad values) included.
 */
import { type Command, CommanderError } from 'commander';
import { AlreadyReported, CommandFailed, describeError, EXIT_OK, errorCodeOf, exitCodeOf } from './errors.js';
import { type CliIo, isBrokenPipe, processIo, toJson, writeLine } from './io.js';
import { buildProgram } from './program.js';

export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const json = wantsJson(argv);
  // With --json, commander's own text (usage errors, help) is collected and turned into the one document.
  let commanderText = '';
  const program = buildProgram(io, json ? (s) => (commanderText += s) : undefined);
  let running: Command | undefined;
  program.hook('preAction', (_root, command) => {
    running = command;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof AlreadyReported) return error.exitCode;
    if (error instanceof CommanderError) {
      // Without --json commander has printed its message (usage errors, --help) already.
      const code = exitCodeOf(error);
      if (json) {
        const text = commanderText.trim();
        writeLine(
          io.stdout,
          toJson(
            code === EXIT_OK
              ? { ok: true, help: text }
              : { ok: false, error: 'USAGE', message: usageMessage(error, text) },
          ),
        );
      }
      return code;
    }
    const opts = program.opts<{ verbose?: boolean }>();
    const name = running ? commandPath(running) : '';
    if (json) {
      // Stdout is where the document goes, unless the failure is that its reader went away.
      writeLine(
        isBrokenPipe(error) ? io.stderr : io.stdout,
        toJson({
          ok: false,
          error: errorCodeOf(error),
          message: describeError(error, false),
          ...(error instanceof CommandFailed ? error.details : {}),
        }),
      );
      if (opts.verbose) writeLine(io.stderr, describeError(error, true));
    } else {
      writeLine(io.stderr, `pm${name ? ` ${name}` : ''}: ${describeError(error, Boolean(opts.verbose))}`);
    }
    return exitCodeOf(error);
  }
}

/** `--json` anywhere before a `--` (as commander reads options before and after the command name). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** Commander's message without its "error: " prefix, or the help it printed for a missing command. */
function usageMessage(error: CommanderError, text: string): string {
  const first = error.message.replace(/^error: /, '').trim();
  if (first && first !== '(outputHelp)') return first;
  // No command given: commander printed the help.
  const usage = text.split('\n')[0]?.replace(/^Usage: /, '') ?? 'pm [options] [command]';
  return `a command is needed: ${usage} (pm --help lists them)`;
}

/** "peers import" for the command `pm peers import`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
