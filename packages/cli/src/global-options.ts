/**
 * The options every command takes, their environment variables and defaults (all in one place).
 */
import { redactSecrets, type ServerAddress } from '@pm/core';
import { InvalidArgumentError } from 'commander';

export const GLOBAL_DEFAULTS = {
  /** @default 'pm.session' (env PM_SESSION) */
  session: 'pm.session',
  /** @default 'sqlite:pm.db' (env PM_STORAGE) */
  storage: 'sqlite:pm.db',
  /** Seconds within which every network call settles, connected or not. @default 60 (env PM_TIMEOUT) */
  timeout: 60,
} as const;

export interface GlobalOptions {
  readonly session: string;
  readonly storage: string;
  /** Set: an MTProto server other than Telegram (a pm testserver); its test RSA key is registered. */
  readonly server?: ServerAddress | undefined;
  readonly json?: boolean | undefined;
  readonly verbose?: boolean | undefined;
  /** Seconds; see GLOBAL_DEFAULTS.timeout. */
  readonly timeout?: number | undefined;
}

/** `--timeout` seconds: a positive number, at most a day. */
export function parseTimeout(value: string): number {
  const s = Number(value);
  if (value.trim() === '' || !Number.isFinite(s) || s <= 0 || s > 86_400) {
    throw new InvalidArgumentError(`expected seconds between 0 and 86400, got "${value}"`);
  }
  return s;
}

/** `host:port` → ServerAddress; commander turns the throw into a usage error (exit 2). */
export function parseServer(value: string): ServerAddress {
  const m = /^([^:\s]+):(\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected host:port, got "${value}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) {
    throw new InvalidArgumentError(`the port ${m[2]} in "${value}" is out of range (1-65535)`);
  }
  return { host: m[1]!, port };
}

/** `--session <path>`: any path but an empty one (an unset-looking `PM_SESSION=`). */
export function parseSessionPath(value: string): string {
  if (value.trim() === '')
    throw new InvalidArgumentError(`expected the path of a session file, got "${value}"`);
  return value;
}

/** `memory`, `sqlite:<path>`, a bare path (SQLite) or `postgres://…`, as openStorage() takes it. */
export function parseStorage(value: string): string {
  if (value === 'memory' || (value.startsWith('sqlite:') && value.length > 'sqlite:'.length)) return value;
  if (/^postgres(ql)?:\/\/./i.test(value)) return value;
  if (/^[a-z]+:/i.test(value) || value.length === 0) {
    throw new InvalidArgumentError(
      `expected "sqlite:<path>", "postgres://…" or "memory", got "${redactSecrets(value)}"`,
    );
  }
  return `sqlite:${value}`;
}

export function formatServer(server: ServerAddress | undefined): string | undefined {
  return server ? `${server.host}:${server.port}` : undefined;
}
