/**
 * What a command handler gets, and the adapter from commander's action arguments to it.
 */
import type { Command } from 'commander';
import type { GlobalOptions } from './global-options.js';
import type { CliIo } from './io.js';
import { Output } from './output.js';

export interface CommandEnv {
  readonly io: CliIo;
  readonly opts: GlobalOptions;
  readonly out: Output;
}

export type Handler<O> = (env: CommandEnv, args: string[], options: O) => Promise<void>;

/** Turns a handler into a commander action: positional arguments, the command's options, global options. */
export type Act = <O>(handler: Handler<O>) => (...all: unknown[]) => Promise<void>;

export function makeAct(io: CliIo): Act {
  return <O>(handler: Handler<O>) =>
    async (...all: unknown[]) => {
      const command = all[all.length - 1] as Command;
      const options = command.opts<O & object>();
      const opts = command.optsWithGlobals<GlobalOptions>();
      const args = all
        .slice(0, -2)
        .filter((a) => a !== undefined)
        .flatMap((a) => (Array.isArray(a) ? a.map(String) : [String(a)]));
      await handler({ io, opts, out: new Output(io, Boolean(opts.json)) }, args, options);
    };
}
