/**
 * `pnpm bot-login` (not `pnpm login`: that is pnpm's own registry login): log in as a bot once and write a session
 * file (mode 0600) that later scripts reuse without the token. The same code as `pm login` (packages/cli/src/commands/login.ts): credentials come from flags, then the
 * environment (PM_API_ID, PM_API_HASH, PM_BOT_TOKEN), then prompts on a terminal. The token, auth key and session
 * never appear in output.
 *
 *   pnpm bot-login --session bot.session                      # prompts for what is missing
 *   PM_API_ID=… PM_API_HASH=… PM_BOT_TOKEN=… pnpm bot-login     # non-interactive
 *   pnpm bot-login --server 127.0.0.1:40123 --json             # against a testserver, machine-readable
 *
 * Exit codes: 0 logged in, 1 refused (wrong token, api id, network), 2 usage error.
 */
import { runCli } from '@pm/cli';

export { parseServer } from '@pm/cli';

export function main(argv: string[]): Promise<number> {
  return runCli(['login', ...argv]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
