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

  once<K extends keyof Events>(name: K): Promise<Events[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (e) => {
        off();
        resolve(e);
      });
    });
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
   * oldest dropped beyond); `signal` or a `break` ends it.
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
      wake?.();
    };
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
