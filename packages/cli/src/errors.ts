/**
 * How failures become exit codes and one-line messages. Exit codes: 0 ok, 1 failure (refused, not found,
 * network, cannot message), 2 usage error (unknown command or option, malformed argument such as a peer
 * reference, a port or a malformed api id/hash/token, missing credentials, no session file yet).
 */
import { InvalidInputError, PmError, redactSecrets, SessionFileError } from '@pm/core';
import { CommanderError } from 'commander';
import { isBrokenPipe } from './io.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A command was called wrongly: a bad flag value, a missing argument or credential. */
export class UsageError extends PmError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A command ran and failed in a way it already explained (e.g. "cannot message: blocked"). */
export class CommandFailed extends PmError {
  constructor(
    code: string,
    message: string,
    /** Extra fields for `--json` output. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message);
  }
}

/** A failure the command has printed already (as text or JSON): only its exit code is left to give. */
export class AlreadyReported extends Error {
  constructor(readonly exitCode: number) {
    super(`exit code ${exitCode}`);
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof AlreadyReported) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof UsageError || error instanceof InvalidInputError) return EXIT_USAGE;
  // No session yet: the command was run before `pm login`, like a missing credential.
  if (error instanceof SessionFileError && error.missing) return EXIT_USAGE;
  return EXIT_FAILURE;
}

export function errorCodeOf(error: unknown): string {
  if (error instanceof PmError) return error.code;
  if (isBrokenPipe(error)) return 'OUTPUT_CLOSED';
  if (error instanceof CommanderError) return 'USAGE';
  return 'ERROR';
}

/**
 * One line, secrets redacted; the stack (also redacted) only when asked for. pm's own messages are kept whole, a
 * control character in them (a newline in a path the user gave) written as an escape (`\n`), so that the path is
 * named in full; another library's message is cut at its first line.
 */
export function describeError(error: unknown, verbose: boolean): string {
  const message = isBrokenPipe(error)
    ? 'its output was closed before it ended (EPIPE: the reading end of the pipe went away)'
    : error instanceof Error
      ? error.message
      : String(error);
  const line = redactSecrets(
    escapeControls(error instanceof PmError ? message : (message.split('\n')[0] ?? '')),
  );
  if (!verbose || !(error instanceof Error) || !error.stack) return line;
  let text = redactSecrets(error.stack);
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    text += `\ncaused by: ${redactSecrets(cause.stack ?? cause.message)}`;
    cause = cause.cause;
  }
  return text;
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A usage error as commander words it, safe for a terminal: the argument it quotes is the user's text, and a newline
 * or an escape sequence in it (`pm $'peers\e[2J'`) was printed raw, clearing the screen or faking lines. Control
 * characters become escapes, except commander's own line breaks: the one before its "(Did you mean …?)" hint and
 * the one ending the message.
 */
export function escapeUsageError(text: string): string {
  const end = text.endsWith('\n') ? '\n' : '';
  return escapeControls(end ? text.slice(0, -1) : text).replace(/\\n(?=\(Did you mean )/g, '\n') + end;
}

/** Control characters as escapes: `\n`, `\r`, `\t`, else `\u00XX`. */
function escapeControls(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes
    /[\u0000-\u001f\u007f]/g,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
