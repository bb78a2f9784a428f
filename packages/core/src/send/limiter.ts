import { LRUCache } from 'lru-cache';
import { type Clock, MAX_TIMER_MS, monotonicClock } from '../clock.js';
import { optionalNumber } from '../options-check.js';

/** Telegram's published bot limits, kept a little under the server's so jitter never trips them. */
export const LIMITER_DEFAULTS = {
  /** Messages per second over all chats (Telegram: about 30). */
  globalPerSecond: 30,
  /**
   * Messages a bot may send at once before the global rate applies. Well below Telegram's allowance on purpose:
   * the slack absorbs messages that leave bunched (GramJS packs queued calls into one container).
   */
  globalBurst: 10,
  /** Messages per second into one private chat (Telegram: about 1). */
  privatePerSecond: 1,
  /** Private messages at once into one chat before the per-chat rate applies. */
  privateBurst: 2,
  /** Messages per minute into one group or channel (Telegram: 20). */
  groupPerMinute: 20,
  /** Group messages at once into one group. */
  groupBurst: 15,
  /** Per-chat buckets kept in memory; full (idle) buckets are the ones evicted. */
  maxChatBuckets: 100_000,
  /** Telegram time per real time: 0.01 makes every limit 100× faster (tests and benchmarks). */
  timeScale: 1,
} as const;

export type LimiterOptions = { -readonly [K in keyof typeof LIMITER_DEFAULTS]?: number };

export type ChatScope = { readonly kind: 'private' | 'group'; readonly id: bigint };

export interface LimiterStats {
  acquired: number;
  waitedMs: number;
  pauses: number;
  /** Tokens given back for messages the connection lost. */
  refunded: number;
}

/**
 * A token bucket that hands out reservations: taking a token when none is left goes into debt, and the caller
 * waits until the debt is repaid. Callers are therefore served in arrival order and the rate is never exceeded.
 */
class Bucket {
  private tokens: number;
  private at: number;
  private pausedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.perMs);
      this.at = now;
    } else if (now < this.at) {
      // The clock went back (a wall clock set back): no time has passed, and a pause keeps what it had left,
      // instead of the debt and the pause waiting for the clock to come back to where it was.
      if (this.pausedUntil > now) this.pausedUntil = Math.max(now, this.pausedUntil - (this.at - now));
      this.at = now;
    }
  }

  /** Takes a token; returns how long to wait (ms) before using it. */
  reserve(now: number): number {
    this.refill(now);
    this.tokens -= 1;
    const debtWait = this.tokens >= 0 ? 0 : -this.tokens / this.perMs;
    return Math.max(debtWait, this.pausedUntil - now);
  }

  /** Holds the bucket until `until` (on the clock `now` is read from). */
  pauseUntil(until: number, now: number): void {
    this.refill(now); // first onto this clock's footing, should it have gone back since the last reserve
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Gives back one token taken by `reserve` for a message that never went out. */
  giveBack(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  /** True when, apart from the one message just reserved, the bucket was full: the chat was idle. */
  idleBesidesOne(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity - 1 && now >= this.pausedUntil;
  }
}

export type Sleep = (ms: number) => Promise<void>;
/** Sleeps `ms`, in steps when it is longer than one timer may wait (one such would fire at once). */
export const realSleep: Sleep = async (ms) => {
  let left = ms;
  while (left > MAX_TIMER_MS) {
    await new Promise((r) => setTimeout(r, MAX_TIMER_MS));
    left -= MAX_TIMER_MS;
  }
  await new Promise((r) => setTimeout(r, left));
};

/**
 * The one limiter in front of every outgoing message: a global bucket and one per chat (private chats and groups
 * have different limits). `pause` applies a FLOOD_WAIT / SLOWMODE_WAIT to the bucket it belongs to.
 */
export class RateLimiter {
  private readonly opts: { -readonly [K in keyof typeof LIMITER_DEFAULTS]: number };
  private readonly global: Bucket;
  private readonly chats: LRUCache<string, Bucket>;
  readonly stats: LimiterStats = { acquired: 0, waitedMs: 0, pauses: 0, refunded: 0 };

  constructor(
    options: LimiterOptions = {},
    private readonly clock: Clock = monotonicClock,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.opts = { ...LIMITER_DEFAULTS };
    for (const key of Object.keys(LIMITER_DEFAULTS) as (keyof typeof LIMITER_DEFAULTS)[]) {
      this.opts[key] = optionalNumber(
        `limits.${key}`,
        options[key],
        LIMITER_DEFAULTS[key],
        key === 'maxChatBuckets' ? 'count' : 'positive',
      );
    }
    const s = 1 / this.opts.timeScale;
    this.global = new Bucket(this.opts.globalBurst, (this.opts.globalPerSecond * s) / 1000, clock.now());
    this.chats = new LRUCache({ max: this.opts.maxChatBuckets });
  }

  private chatBucket(scope: ChatScope): Bucket {
    const key = `${scope.kind}:${scope.id}`;
    let b = this.chats.get(key);
    if (!b) {
      const s = 1 / this.opts.timeScale;
      b =
        scope.kind === 'private'
          ? new Bucket(this.opts.privateBurst, (this.opts.privatePerSecond * s) / 1000, this.clock.now())
          : new Bucket(this.opts.groupBurst, (this.opts.groupPerMinute * s) / 60_000, this.clock.now());
      this.chats.set(key, b);
    }
    return b;
  }

  /** Waits until one message may go to `scope` now. */
  async acquire(scope: ChatScope): Promise<void> {
    const chatWait = this.chatBucket(scope).reserve(this.clock.now());
    if (chatWait > 0) {
      this.stats.waitedMs += chatWait;
      await this.sleep(chatWait);
    }
    const globalWait = this.global.reserve(this.clock.now());
    if (globalWait > 0) {
      this.stats.waitedMs += globalWait;
      await this.sleep(globalWait);
    }
    this.stats.acquired++;
  }

  /**
   * A message that took a token did not go out (the connection was lost): its token goes back to both buckets, so
   * an outage is not counted as budget spent.
   */
  refund(scope: ChatScope): void {
    this.chatBucket(scope).giveBack();
    this.global.giveBack();
    this.stats.refunded++;
  }

  /**
   * Telegram answered FLOOD_WAIT_n / SLOWMODE_WAIT_n (n in Telegram seconds). Slow mode is per chat. A flood wait
   * on a chat that just had traffic is taken as that chat's limit; on an idle chat as the bot's global limit.
   */
  pause(scope: ChatScope, seconds: number, slowmode: boolean): 'chat' | 'global' {
    const now = this.clock.now();
    const chat = this.chatBucket(scope);
    const which = slowmode || !chat.idleBesidesOne(now) ? 'chat' : 'global';
    (which === 'chat' ? chat : this.global).pauseUntil(now + this.scaled(seconds), now);
    this.stats.pauses++;
    return which;
  }

  /** Real milliseconds a wait of `seconds` Telegram seconds lasts. */
  scaled(seconds: number): number {
    return seconds * 1000 * this.opts.timeScale;
  }
}
