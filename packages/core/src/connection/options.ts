/** Every default of the connection supervisor, in real milliseconds at `timeScale: 1`. */
export const CONNECTION_DEFAULTS = {
  /** A call (send, resolve, probe...) settles within this long, connected or not. */
  callTimeoutMs: 60_000,
  /** One connection attempt (TCP, key exchange, initConnection) gives up after this long. */
  connectTimeoutMs: 10_000,
  /** While connected, pm pings this often... */
  pingIntervalMs: 15_000,
  /** ...and replaces a connection whose pong takes longer than this (a frozen server, half-open TCP). */
  pingTimeoutMs: 10_000,
  /** Wait before the second attempt after a failure (the first is immediate). */
  backoffInitialMs: 500,
  /** Each further failed attempt multiplies the wait by this... */
  backoffFactor: 2,
  /** ...up to this. */
  backoffMaxMs: 30_000,
  /** Each wait is shortened by a random part of up to this fraction, so many bots do not reconnect in step. */
  backoffJitter: 0.2,
  /** Real time per Telegram-time: 0.01 makes every duration above 100× shorter (tests, benchmarks). */
  timeScale: 1,
} as const;

export type ConnectionOptions = { -readonly [K in keyof typeof CONNECTION_DEFAULTS]?: number };

export type ResolvedConnectionOptions = { -readonly [K in keyof typeof CONNECTION_DEFAULTS]: number };

/** Fills in defaults; `timeScale` scales the defaults only (a value given explicitly is taken as is). */
export function resolveConnectionOptions(opts: ConnectionOptions = {}): ResolvedConnectionOptions {
  const scale = opts.timeScale ?? CONNECTION_DEFAULTS.timeScale;
  if (!(scale > 0)) throw new RangeError(`connection.timeScale must be > 0, got ${scale}`);
  const ms = (key: keyof typeof CONNECTION_DEFAULTS): number => {
    const given = opts[key];
    if (given !== undefined) {
      if (!(given >= 0) || !Number.isFinite(given))
        throw new RangeError(`connection.${key} must be a finite number >= 0, got ${given}`);
      return given;
    }
    return CONNECTION_DEFAULTS[key] * scale;
  };
  return {
    callTimeoutMs: ms('callTimeoutMs'),
    connectTimeoutMs: ms('connectTimeoutMs'),
    pingIntervalMs: ms('pingIntervalMs'),
    pingTimeoutMs: ms('pingTimeoutMs'),
    backoffInitialMs: ms('backoffInitialMs'),
    backoffFactor: opts.backoffFactor ?? CONNECTION_DEFAULTS.backoffFactor,
    backoffMaxMs: ms('backoffMaxMs'),
    backoffJitter: Math.min(1, Math.max(0, opts.backoffJitter ?? CONNECTION_DEFAULTS.backoffJitter)),
    timeScale: scale,
  };
}

/**
 * The wait after `failures` failed attempts in a row (the attempt right after a connection drops is immediate):
 * exponential from `backoffInitialMs`, capped at `backoffMaxMs`, shortened by up to `backoffJitter` at random.
 */
export function backoffDelay(
  failures: number,
  o: Pick<ResolvedConnectionOptions, 'backoffInitialMs' | 'backoffFactor' | 'backoffMaxMs' | 'backoffJitter'>,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return 0;
  const base = Math.min(o.backoffMaxMs, o.backoffInitialMs * o.backoffFactor ** (failures - 1));
  return Math.round(base * (1 - o.backoffJitter * random()));
}
