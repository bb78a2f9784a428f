import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const PG_URL = process.env.PM_TEST_POSTGRES_URL;
export const SKIP_MESSAGE =
  'PM_TEST_POSTGRES_URL is not set: cross-process PostgreSQL tests skipped (eval "$(bash scripts/pg-test-cluster.sh start)" to run them)';

/** Starts `fixtures/<name>` as `node --import tsx`, collecting its output. */
export function spawnFixture(name: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures', name), ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d;
  });
  return { child, output: () => out };
}

/** Resolves once the child printed `line` (rejects if it exits first). */
export function waitForLine(child: ChildProcess, line: string, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (output().split('\n').includes(line)) {
        child.stdout?.off('data', check);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      check();
      reject(new Error(`child exited (${code}) before printing ${line}:\n${output()}`));
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
