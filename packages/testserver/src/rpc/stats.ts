/** Counters a test or benchmark reads through `tg.stats()`. */
export interface StatsSnapshot {
  /** RPC calls by GramJS class name (`messages.SendMessage`...), answered or not. */
  readonly rpc: Readonly<Record<string, number>>;
  /** RPC errors answered, by error message (`PEER_ID_INVALID`, `FLOOD_WAIT_3`...). */
  readonly errors: Readonly<Record<string, number>>;
  /** Methods that reached the server but are not emulated (answered INPUT_METHOD_INVALID). */
  readonly unhandled: Readonly<Record<string, number>>;
  /** `420 FLOOD_WAIT_n` answers, forced or earned. */
  readonly floodWaits: number;
  /** Messages the bots sent successfully. */
  readonly messagesSent: number;
  /** `Updates` containers pushed live to sessions. */
  readonly updatesPushed: number;
}

export class Stats {
  private rpc: Record<string, number> = {};
  private errors: Record<string, number> = {};
  private unhandled: Record<string, number> = {};
  floodWaits = 0;
  messagesSent = 0;
  updatesPushed = 0;

  call(method: string): void {
    this.rpc[method] = (this.rpc[method] ?? 0) + 1;
  }

  error(message: string): void {
    this.errors[message] = (this.errors[message] ?? 0) + 1;
    if (message.startsWith('FLOOD_WAIT_')) this.floodWaits++;
  }

  unhandledMethod(method: string): void {
    this.unhandled[method] = (this.unhandled[method] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    return {
      rpc: { ...this.rpc },
      errors: { ...this.errors },
      unhandled: { ...this.unhandled },
      floodWaits: this.floodWaits,
      messagesSent: this.messagesSent,
      updatesPushed: this.updatesPushed,
    };
  }

  reset(): void {
    this.rpc = {};
    this.errors = {};
    this.unhandled = {};
    this.floodWaits = 0;
    this.messagesSent = 0;
    this.updatesPushed = 0;
  }
}
