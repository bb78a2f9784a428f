import type { Clock } from './clock.js';

/** Sending limits per bot, in Telegram-time. Defaults follow Telegram's published bot limits. */
export interface FloodOptions {
  /** Messages per second over all chats. @default 30 */
  globalPerSecond?: number;
  /** Messages per second into one private chat. @default 1 */
  privatePerSecond?: number;
  /** How many private messages may go out at once before the per-second rate applies. @default 3 */
  privateBurst?: number;
  /** Messages per minute into one group or channel. @default 20 */
  groupPerMinute?: number;
}

export const FLOOD_DEFAULTS: Required<FloodOptions> = {
  globalPerSecond: 30,
  privatePerSecond: 1,
  privateBurst: 3,
  groupPerMinute: 20,
};

interface Bucket {
  tokens: number;
  at: number;
}

interface Limit {
  key: string;
  capacity: number;
  perMs: number;
}

interface ForcedFault {
  remaining: number;
  seconds: number;
  methods?: ReadonlySet<string>;
}

/**
 * Token buckets keyed by bot and chat. `check` either consumes one token from every bucket that applies or
 * answers how many whole seconds to wait (the `n` of `FLOOD_WAIT_n`) without consuming anything.
 */
export class FloodControl {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limits: Required<FloodOptions> | undefined;
  private forced: ForcedFault[] = [];

  constructor(
    private readonly clock: Clock,
    options: FloodOptions | false | undefined,
  ) {
    this.limits = options === false ? undefined : { ...FLOOD_DEFAULTS, ...options };
  }

  /** Seconds to wait before `botId` may send into `chatKey`, or 0 after consuming the allowance. */
  checkSend(botId: bigint, chat: { kind: 'private' | 'group'; key: string }): number {
    const l = this.limits;
    if (!l) return 0;
    const limits: Limit[] = [
      { key: `${botId}:all`, capacity: l.globalPerSecond, perMs: l.globalPerSecond / 1000 },
      chat.kind === 'private'
        ? { key: `${botId}:${chat.key}`, capacity: l.privateBurst, perMs: l.privatePerSecond / 1000 }
        : { key: `${botId}:${chat.key}`, capacity: l.groupPerMinute, perMs: l.groupPerMinute / 60_000 },
    ];
    return this.take(limits);
  }

  /** The next `n` matching calls answer `FLOOD_WAIT_<seconds>` whatever the buckets say. */
  force(n: number, seconds: number, methods?: readonly string[]): void {
    this.forced.push({ remaining: n, seconds, ...(methods ? { methods: new Set(methods) } : {}) });
  }

  /** Consumes one forced fault matching `method`; returns its seconds or 0. */
  takeForced(method: string): number {
    for (const f of this.forced) {
      if (f.remaining > 0 && (!f.methods || f.methods.has(method))) {
        f.remaining--;
        this.forced = this.forced.filter((x) => x.remaining > 0);
        return f.seconds;
      }
    }
    return 0;
  }

  private take(limits: Limit[]): number {
    const now = this.clock.now();
    let waitMs = 0;
    const states = limits.map((lim) => {
      const b = this.buckets.get(lim.key) ?? { tokens: lim.capacity, at: now };
      const tokens = Math.min(lim.capacity, b.tokens + (now - b.at) * lim.perMs);
      if (tokens < 1) waitMs = Math.max(waitMs, (1 - tokens) / lim.perMs);
      return { lim, tokens };
    });
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    for (const s of states) this.buckets.set(s.lim.key, { tokens: s.tokens - 1, at: now });
    return 0;
  }
}
