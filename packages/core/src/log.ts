/**
 * pm's log lines: to a `logger` the bot author hands in (any object with debug/info/warn/error, so pino, console,
 * winston… plug in) and to the `debug` package's namespaces (`DEBUG=pm:*`, or `pm:connection`, `pm:updates`,
 * `pm:storage`, `pm:send`). Each line is one redacted string: no bot token, api hash, auth key, session string or
 * URL password reaches either.
 */
import createDebug from 'debug';
import { redactSecrets } from './secrets.js';

/** What pm logs to: `console`, a pino or winston logger, or anything with these four methods. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = keyof Logger;

/** The parts that log, each a `debug` namespace `pm:<name>`. */
export type LogNamespace = 'connection' | 'updates' | 'storage' | 'send';

export interface Log {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const debuggers = new Map<LogNamespace, createDebug.Debugger>();

function debuggerFor(ns: LogNamespace): createDebug.Debugger {
  let d = debuggers.get(ns);
  if (!d) {
    d = createDebug(`pm:${ns}`);
    debuggers.set(ns, d);
  }
  return d;
}

/** A log for one namespace; `logger` (optional) gets every line at its level, `DEBUG=pm:*` shows them too. */
export function createLog(ns: LogNamespace, logger?: Logger): Log {
  const dbg = debuggerFor(ns);
  const emit = (level: LogLevel, message: string) => {
    // Nobody listening (the usual case for debug lines, several per update burst): not even redacted.
    if (!logger && !dbg.enabled) return;
    const line = redactSecrets(message);
    if (dbg.enabled) dbg(`${level} ${line}`);
    if (logger) {
      try {
        logger[level](`pm:${ns} ${line}`);
      } catch {
        // A logger that throws must not break the bot; there is nowhere left to report it.
      }
    }
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

/** An error as one line for a log: its class and message, never its stack or cause chain (they may hold secrets). */
export function errorLine(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
