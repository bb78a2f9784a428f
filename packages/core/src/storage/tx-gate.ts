/**
 * Serialises transactions of a single-connection provider (memory, SQLite) and holds back writes made outside a
 * transaction while one is open, so they neither join it nor get rolled back with it.
 */
export class TxGate {
  #tail: Promise<void> = Promise.resolve();
  #active = false;

  /** True while a transaction body runs. */
  get active(): boolean {
    return this.#active;
  }

  /** Runs `body` after every earlier transaction has ended, and before any later one starts. */
  async exclusive<T>(body: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.#active = true;
    try {
      return await body();
    } finally {
      this.#active = false;
      release();
    }
  }

  /**
   * Runs a synchronous write once no transaction is open. The check and the write happen in the same tick, so a
   * transaction cannot start in between.
   */
  async run<T>(write: () => T): Promise<T> {
    while (this.#active) await this.#tail;
    return write();
  }
}
