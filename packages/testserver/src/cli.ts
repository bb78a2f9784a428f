#!/usr/bin/env node
/**
 * `pm-testserver` (and `pnpm testserver` in the workspace): the standalone loopback Telegram. Everything is in
 * `runStandalone`, which `pm testserver` runs too; `pm-testserver --help` lists the flags and stdin commands.
 */
import { runStandalone } from './standalone-cli.js';

const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

process.exitCode = await runStandalone(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  interrupted,
});
process.stdin.destroy();
