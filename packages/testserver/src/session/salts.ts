import { createHmac } from 'node:crypto';

/** One server salt and the unix-time window it is valid in (future_salt). */
export interface FutureSalt {
  readonly validSince: number;
  readonly validUntil: number;
  readonly salt: bigint;
}

/**
 * Server salts per auth key: derived from a server secret, the auth key id and a time window, so no state is
 * stored and a restarted server with the same secret accepts the same salts. A salt stays valid for one
 * extra window after it is replaced, as Telegram's do.
 */
export class SaltBook {
  /**
   * @param secret keys the derivation
   * @param now milliseconds since the epoch
   * @param periodSeconds lifetime of one salt @default 1800
   */
  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number,
    private readonly periodSeconds = 1800,
  ) {}

  current(authKeyId: string): bigint {
    return this.saltFor(authKeyId, this.window());
  }

  isValid(authKeyId: string, salt: bigint): boolean {
    const window = this.window();
    return salt === this.saltFor(authKeyId, window) || salt === this.saltFor(authKeyId, window - 1);
  }

  /** `count` salts starting with the current one (get_future_salts), at most 64. */
  future(authKeyId: string, count: number): FutureSalt[] {
    const first = this.window();
    const out: FutureSalt[] = [];
    for (let i = 0; i < Math.min(Math.max(count, 1), 64); i++) {
      const window = first + i;
      out.push({
        validSince: window * this.periodSeconds,
        validUntil: (window + 2) * this.periodSeconds,
        salt: this.saltFor(authKeyId, window),
      });
    }
    return out;
  }

  private window(): number {
    return Math.floor(this.now() / 1000 / this.periodSeconds);
  }

  private saltFor(authKeyId: string, window: number): bigint {
    const mac = createHmac('sha256', this.secret).update(`${authKeyId}:${window}`).digest();
    return mac.readBigInt64LE(0);
  }
}
