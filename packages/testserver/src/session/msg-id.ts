/** The unix time (seconds) a msg_id claims. */
export function msgIdSeconds(msgId: bigint): number {
  return Number(msgId >> 32n);
}

/**
 * Server msg_ids: unix time in the high 32 bits, strictly increasing, ≡ 1 (mod 4) for responses to a client
 * message and ≡ 3 for server-initiated messages (MTProto description, "Message Identifier").
 */
export class ServerMsgIds {
  private last = 0n;

  /** @param now milliseconds since the epoch */
  constructor(private readonly now: () => number) {}

  next(kind: 'response' | 'server'): bigint {
    const ms = this.now();
    const seconds = BigInt(Math.floor(ms / 1000));
    const fraction = BigInt(Math.floor(((ms % 1000) / 1000) * 2 ** 32));
    let id = ((seconds << 32n) | fraction) & ~3n;
    if (id <= this.last) id = this.last + 4n;
    this.last = id;
    return id | (kind === 'response' ? 1n : 3n);
  }
}

/** Why a client msg_id is refused (bad_msg_notification error codes 16, 17, 18). */
export function checkClientMsgId(msgId: bigint, nowMs: number): 16 | 17 | 18 | undefined {
  if (msgId % 4n !== 0n) return 18;
  const seconds = msgIdSeconds(msgId);
  const now = nowMs / 1000;
  if (seconds < now - 300) return 16;
  if (seconds > now + 30) return 17;
  return undefined;
}
