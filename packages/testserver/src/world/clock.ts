/**
 * Telegram-time. The world never reads `Date.now()` directly: dates, flood windows and join-request windows
 * all come from a `Clock`, so tests can run Telegram-time faster than real time (`timeScale`) or drive it by
 * hand (`ManualClock`).
 */
export interface Clock {
  /** Telegram-time in milliseconds since the Unix epoch. */
  now(): number;
}

/** Telegram-time in whole seconds, as TL `date` fields carry it. */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/**
 * Real time stretched by `timeScale`: with `timeScale: 0.01` one Telegram-second passes in 10 real ms.
 * `notBefore` keeps time monotonic across restarts, where an accelerated clock ran ahead of real time.
 */
export class ScaledClock implements Clock {
  private readonly realStart: number;
  private readonly tgStart: number;

  constructor(
    readonly timeScale: number,
    notBefore = 0,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
    this.realStart = realNow();
    this.tgStart = Math.max(this.realStart, notBefore);
  }

  now(): number {
    return this.tgStart + (this.realNow() - this.realStart) / this.timeScale;
  }

  /** Real milliseconds that `tgMs` Telegram-milliseconds take. */
  toRealMs(tgMs: number): number {
    return tgMs * this.timeScale;
  }
}

/** A clock moved only by `advance`, for unit tests. */
export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2025, 0, 1)) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
