/**
 * The `pm` entry point: `runCli(argv)` parses, runs one command and answers its exit code; errors become one
 * line (secrets redacted), or a `{ ok: false, error, message }` document with --json.
 */
import { type Command, CommanderError } from 'commander';
import { CommandFailed, describeError, EXIT_OK, errorCodeOf, exitCodeOf } from './errors.js';
import { type CliIo, processIo, toJson, writeLine } from './io.js';
import { buildProgram } from './program.js';

export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  let running: Command | undefined;
  program.hook('preAction', (_root, command) => {
    running = command;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // Commander has printed its own message (usage errors, --help) already.
    if (error instanceof CommanderError) return exitCodeOf(error);
    const opts = program.opts<{ json?: boolean; verbose?: boolean }>();
    const name = running ? commandPath(running) : '';
    if (opts.json) {
      writeLine(
        io.stdout,
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
