/**
 * `pm testserver`: the standalone loopback Telegram of @pm/testserver, the very entry point of `pm-testserver` and
 * `pnpm testserver` (`runStandalone`): the same flags, `--help`, stdin commands and exit codes.
 */
import { runStandalone, STANDALONE_OPTIONS_HELP, TESTSERVER_API } from '@pm/testserver';
import type { Command } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { AlreadyReported } from '../errors.js';

export { TESTSERVER_API };

export function defineTestserver(program: Command, act: Act): void {
  program
    .command('testserver')
    .description('run the loopback Telegram standalone and print its address and a bot token (Ctrl+C stops)')
    .usage('[--port 8443] [--state world.json] [--time-scale 1] [--no-flood]')
    .argument('[options...]', STANDALONE_OPTIONS_HELP.replace(/^Options:\n/, ''))
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(act<Record<string, never>>(testserver));
}

async function testserver({ io, opts }: CommandEnv, args: string[]): Promise<void> {
  // The output is runStandalone's own (text or --json); a failure it printed leaves only its exit code.
  const code = await runStandalone(args, io, { name: 'pm testserver', json: Boolean(opts.json) });
  if (code !== 0) throw new AlreadyReported(code);
}
