/**
 * A command's result, printed as text for people or as one JSON document (`--json`) for scripts.
 */
import type { CliIo } from './io.js';
import { toJson, writeLine } from './io.js';

export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** The result: `data` as JSON (with `ok: true` first) or `text` for people. */
  result(data: Record<string, unknown>, text: string | (() => string)): void {
    if (this.json) writeLine(this.io.stdout, toJson({ ok: true, ...data }));
    else writeLine(this.io.stdout, typeof text === 'function' ? text() : text);
  }

  /** Progress and notes for people: stderr, silent with --json so stdout stays one JSON document. */
  note(text: string): void {
    if (!this.json) writeLine(this.io.stderr, text);
  }

  get stdout(): CliIo['stdout'] {
    return this.io.stdout;
  }
}
