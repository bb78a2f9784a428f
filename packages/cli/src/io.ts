/**
 * Where a command reads and writes. The real process streams by default; tests hand in their own to run the CLI
 * in-process.
 */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /**
   * Resolves when the user asks to stop (SIGINT/SIGTERM); long-running commands wait on it. Read lazily: until a
   * command reads it, Ctrl+C keeps its default effect.
   */
  readonly interrupted: Promise<void>;
}

export function processIo(): CliIo {
  let interrupted: Promise<void> | undefined;
  // A reader that went away (`pm peers export | head`) breaks the pipe: the command fails on it (its write fails,
  // see isBrokenPipe), and what is still written there (the failure itself) has nowhere to go. Without a listener,
  // that write's error would end the process with a raw stack instead.
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    get interrupted() {
      interrupted ??= new Promise((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return interrupted;
    },
  };
}

/** JSON with 64-bit values as decimal strings, so no id or access hash goes through a JS number. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Whether a command failed because the reader of its output went away (EPIPE). */
export function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

export function writeLine(out: Writable, text: string): void {
  out.write(`${text}\n`);
}
