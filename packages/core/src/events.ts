/**
 * A small typed event emitter whose events can also be consumed as async iterables:
 *
 *   client.on('dialogStarted', (e) => …);
 *   for await (const e of client.events('dialogStarted')) …
 *
 * Listeners run in registration order and are awaited, so a handler sees events in the order they happened and a
 * slow handler applies back-pressure instead of piling up work. A throwing listener is reported to `onError` and
 * does not stop the others.
 */
import type { HandlerScope } from './handler-scope.js';

export type Listener<T> = (event: T) => void | Promise<void>;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();
  /** What ends the waits still open when the emitter closes: each iterator's finish, each once()'s rejection. */
  private readonly waits = new Set<() => void>();
  /** Set by {@link close}: the error a once() gets from now on. */
  private closedWith: (() => Error) | undefined;

  /** `scope`: where listeners run, so code can tell it is called from one of them (see HandlerScope). */
  constructor(
    private readonly onError: (error: unknown, event: keyof Events) => void = () => {},
    private readonly scope?: HandlerScope,
  ) {}

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  /**
   * The next event of this name. Rejects with the `signal`'s reason when it aborts, and with the close error when
   * the emitter closes ({@link close}; the client's disconnect) first: never left pending for good.
   */
  once<K extends keyof Events>(name: K, opts: { signal?: AbortSignal } = {}): Promise<Events[K]> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith());
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        off();
        this.waits.delete(onClose);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const off = this.on(name, (e) => {
        settle();
        resolve(e);
      });
      const onAbort = (): void => {
        settle();
        reject(opts.signal?.reason);
      };
      const onClose = (): void => {
        settle();
        reject(this.closedWith?.());
      };
      this.waits.add(onClose);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * No more events will come (the client disconnected): every `events()` iterator ends once it has handed out what
   * it buffered, every pending and later `once()` rejects with `error()`. Listeners of `on()` stay, unheard.
   */
  close(error: () => Error): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = error;
    for (const end of [...this.waits]) end();
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): void {
    this.listeners.get(name)?.delete(listener as Listener<never>);
  }

  listenerCount(name: keyof Events): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  async emit<K extends keyof Events>(name: K, event: Events[K]): Promise<void> {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const l of [...set]) {
      try {
        const listener = l as Listener<Events[K]>;
        const result: unknown = this.scope ? this.scope.call(listener, event) : listener(event);
        // A plain listener's undefined is not awaited: no turn of the microtask queue per listener per event.
        if (result !== undefined) await result;
      } catch (e) {
        this.onError(e, name);
      }
    }
  }

  /**
   * An async iterable of one event. Events are buffered from the moment this is called (up to `bufferSize`,
   * oldest dropped beyond); `signal`, a `break` or the emitter's {@link close} ends it.
   */
  events<K extends keyof Events>(
    name: K,
    opts: { signal?: AbortSignal; bufferSize?: number } = {},
  ): AsyncIterableIterator<Events[K]> {
    const buffer: Events[K][] = [];
    const max = opts.bufferSize ?? 10_000;
    let wake: (() => void) | undefined;
    let done = false;
    const off = this.on(name, (e) => {
      if (buffer.length >= max) buffer.shift();
      buffer.push(e);
      wake?.();
    });
    const finish = () => {
      done = true;
      off();
      this.waits.delete(finish);
      opts.signal?.removeEventListener('abort', finish);
      wake?.();
    };
    if (this.closedWith !== undefined) {
      done = true;
      off();
    } else this.waits.add(finish);
    opts.signal?.addEventListener('abort', finish, { once: true });
    const it: AsyncIterableIterator<Events[K]> = {
      async next(): Promise<IteratorResult<Events[K]>> {
        while (buffer.length === 0 && !done) {
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = undefined;
        }
        if (buffer.length > 0) return { value: buffer.shift()!, done: false };
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<Events[K]>> {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }
}
