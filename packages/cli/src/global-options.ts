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
  const m = /^([^:\s]+):(\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected host:port, got "${value}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) {
    throw new InvalidArgumentError(`the port ${m[2]} in "${value}" is out of range (1-65535)`);
  }
  return { host: m[1]!, port };
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
