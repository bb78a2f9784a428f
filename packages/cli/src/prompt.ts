/**
 * Terminal prompts; a secret answer is read without being echoed.
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { CliIo } from './io.js';

export async function prompt(io: CliIo, question: string, secret: boolean): Promise<string> {
  // A muted output stream keeps a secret off the screen while the terminal still reads it.
  let muted = false;
  const out = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) io.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: io.stdin, output: out, terminal: true });
  try {
    const answer = rl.question(question);
    muted = secret;
    const value = await answer;
    if (secret) io.stdout.write('\n');
    return value.trim();
  } finally {
    rl.close();
  }
}
