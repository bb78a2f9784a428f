/**
 * The options every command takes, their environment variables and defaults (all in one place).
 */
import type { ServerAddress } from '@pm/core';
import { InvalidArgumentError } from 'commander';

export const GLOBAL_DEFAULTS = {
  /** @default 'pm.session' (env PM_SESSION) */
  session: 'pm.session',
  /** @default 'sqlite:pm.db' (env PM_STORAGE) */
  storage: 'sqlite:pm.db',
} as const;

export interface GlobalOptions {
  readonly session: string;
  readonly storage: string;
  /** Set: an MTProto server other than Telegram (a pm testserver); its test RSA key is registered. */
  readonly server?: ServerAddress | undefined;
  readonly json?: boolean | undefined;
  readonly verbose?: boolean | undefined;
}

/** `host:port` → ServerAddress; commander turns the throw into a usage error (exit 2). */
export function parseServer(value: string): ServerAddress {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError(`expected host:port, got "${value}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** `memory`, `sqlite:<path>` or a bare path (SQLite), as openStorage() takes it. */
export function parseStorage(value: string): string {
  if (value === 'memory' || (value.startsWith('sqlite:') && value.length > 'sqlite:'.length)) return value;
  if (/^[a-z]+:/i.test(value) || value.length === 0) {
    throw new InvalidArgumentError(`expected "sqlite:<path>" or "memory", got "${value}"`);
  }
  return `sqlite:${value}`;
}

export function formatServer(server: ServerAddress | undefined): string | undefined {
  return server ? `${server.host}:${server.port}` : undefined;
}
