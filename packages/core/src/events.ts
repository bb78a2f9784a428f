/**
 * A small typed event emitter whose events can also be consumed as async iterables:
 *
 *   client.on('dialogStarted', (e) => …);
 *   for await (const e of client.events('dialogStarted')) …
 *
 * Listeners run in registration order and are awaited, so a handler sees events in the order they happened and a
 * slow handler applies back-pressure instead of piling up work, up to `listenerTimeoutMs`: one still running then is
 * reported and no longer waited for. A throwing listener is reported to `onError` and does not stop the others.
 */
import Denque from 'denque';
import { MAX_TIMER_MS } from './clock.js';
import { type HandlerScope, isThenable } from './handler-scope.js';
import { optionalNumber } from './options-check.js';

export type Listener<T> = (event: T) => void | Promise<void>;

const LATE: unique symbol = Symbol('late');

export interface TypedEmitterOptions<Events> {
  /**
   * Hears when an {@link TypedEmitter.events} loop falls `bufferSize` events behind and its oldest events are dropped:
   * once at the first drop (`caughtUp: false`), once when the loop has emptied its buffer again (`caughtUp: true`).
   */
  readonly onDropped?: ((event: keyof Events, burst: DropBurst) => void) | undefined;
  /**
   * How long emit() waits for one listener's promise before it goes on without it. @default Infinity (for good)
   */
  readonly listenerTimeoutMs?: number | undefined;
  /** Hears each listener still running after `listenerTimeoutMs` (it goes on running; emit() no longer waits). */
  readonly onListenerTimeout?: ((event: keyof Events, timeoutMs: number) => void) | undefined;
  /** Hears each event emitted while nothing listens to it (no listener, loop or once()). */
  readonly onUnheard?: ((event: keyof Events, payload: unknown) => void) | undefined;
}

/** How many events an `events()` loop may fall behind before the oldest are dropped. */
export const DEFAULT_EVENT_BUFFER = 10_000;

/** What `events()` returns: an async iterator of one event that also counts what it had to drop. */
export interface EventStream<T> extends AsyncIterableIterator<T> {
  /** Events dropped (the oldest first) because the loop was `bufferSize` events behind: 0 for a loop that keeps up. */
  readonly dropped: number;
}

/** An `events()` loop fell behind: the first drop of a burst (`caughtUp: false`), or the burst's end. */
export interface DropBurst {
  /** Dropped in this burst: 1 when it starts, all of them when the loop has caught up. */
  readonly dropped: number;
  readonly bufferSize: number;
  /** The loop has emptied its buffer again: nothing more is dropped until it falls behind anew. */
  readonly caughtUp: boolean;
}

export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();
  /** What ends the waits still open when the emitter closes: each iterator's finish, each once()'s rejection. */
  private readonly waits = new Set<() => void>();
  /** Set by {@link close}: the error a once() gets from now on. */
  private closedWith: (() => Error) | undefined;

  private readonly onDropped: (event: keyof Events, burst: DropBurst) => void;
  private readonly listenerTimeoutMs: number;
  private readonly onListenerTimeout: (event: keyof Events, timeoutMs: number) => void;
  private readonly onUnheard: ((event: keyof Events, payload: unknown) => void) | undefined;

  /** `scope`: where listeners run, so code can tell it is called from one of them (see HandlerScope). */
  constructor(
    private readonly onError: (error: unknown, event: keyof Events) => void = () => {},
    private readonly scope?: HandlerScope,
    opts: TypedEmitterOptions<Events> = {},
  ) {
    this.onDropped = opts.onDropped ?? (() => {});
    this.listenerTimeoutMs = optionalNumber(
      'listenerTimeoutMs',
      opts.listenerTimeoutMs,
      Number.POSITIVE_INFINITY,
      'positive',
      { infinity: true },
    );
    this.onListenerTimeout = opts.onListenerTimeout ?? (() => {});
    this.onUnheard = opts.onUnheard;
  }

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
    if (!set || set.size === 0) {
      const onUnheard = this.onUnheard;
      if (onUnheard) this.hook(name, () => onUnheard(name, event));
      return;
    }
    for (const l of [...set]) {
      try {
        const listener = l as Listener<Events[K]>;
        const result: unknown = this.scope ? this.scope.call(listener, event) : listener(event);
        // A plain listener's undefined is not awaited: no turn of the microtask queue per listener per event.
        if (isThenable(result)) await this.settled(result, name);
        else if (result !== undefined) await result;
      } catch (e) {
        this.onError(e, name);
      }
    }
  }

  /**
   * Waits for a listener's promise, up to `listenerTimeoutMs`: a listener still running then is told to
   * `onListenerTimeout` and left to finish on its own (a later failure still reaches `onError`), so one listener that
   * never settles cannot hold every later event back for good.
   */
  private async settled(result: PromiseLike<unknown>, name: keyof Events): Promise<void> {
    const ms = this.listenerTimeoutMs;
    // Past setTimeout's longest delay (24.8 days) it would fire at once: that long is waiting for good.
    if (ms > MAX_TIMER_MS) {
      await result;
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<typeof LATE>((resolve) => {
      timer = setTimeout(resolve, ms, LATE);
      // A listener left running does not keep the process alive for the deadline's sake.
      timer.unref?.();
    });
    try {
      if ((await Promise.race([result, late])) !== LATE) return;
    } finally {
      clearTimeout(timer);
    }
    Promise.resolve(result).catch((e: unknown) => this.onError(e, name));
    this.scope?.release(result); // no longer a listener anything waits for
    this.hook(name, () => this.onListenerTimeout(name, ms));
  }

  /**
   * An async iterable of one event. Events are buffered from the moment this is called, up to `bufferSize`
   * (`Infinity` for no bound): a loop that falls that far behind loses the oldest, counted in `dropped` and told
   * through `onDropped`, never silently. `signal`, a `break` or the emitter's {@link close} ends it.
   */
  events<K extends keyof Events>(
    name: K,
    opts: { signal?: AbortSignal | undefined; bufferSize?: number | undefined } = {},
  ): EventStream<Events[K]> {
    const max = optionalNumber(
      `events('${String(name)}'): bufferSize`,
      opts.bufferSize,
      DEFAULT_EVENT_BUFFER,
      'count',
      {
        infinity: true,
      },
    );
    // A deque: an array's shift() is O(n), paid per event by a loop 10,000 behind.
    const buffer = new Denque<Events[K]>();
    let wake: (() => void) | undefined;
    let done = false;
    let dropped = 0;
    /** Dropped since the loop last had its buffer empty: a burst is told when it starts and when it ends. */
    let burst = 0;
    const off = this.on(name, (e) => {
      if (buffer.length >= max) {
        buffer.shift();
        dropped++;
        if (burst++ === 0)
          this.hook(name, () => this.onDropped(name, { dropped: 1, bufferSize: max, caughtUp: false }));
      }
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
    const it: EventStream<Events[K]> = {
      get dropped() {
        return dropped;
      },
      next: async (): Promise<IteratorResult<Events[K]>> => {
        while (buffer.length === 0 && !done) {
          if (burst > 0) {
            this.hook(name, () => this.onDropped(name, { dropped: burst, bufferSize: max, caughtUp: true }));
            burst = 0;
          }
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

  /** Runs one of the hooks given to the constructor; its failure is reported as a listener's is, to `onError`. */
  private hook(name: keyof Events, run: () => void): void {
    try {
      run();
    } catch (e) {
      this.onError(e, name);
    }
  }
}
