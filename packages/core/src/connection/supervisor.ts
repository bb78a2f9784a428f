import { type Clock, MAX_TIMER_MS } from '../clock.js';
import { ConnectionLostError, SessionInvalidError } from '../errors.js';
import { type Deadline, deadlineFor, monotonicNow } from './deadline.js';
import type { Link, LinkFailure } from './link.js';
import { backoffDelay, type ResolvedConnectionOptions } from './options.js';
import type { ConnectionState } from './state.js';

export interface SupervisorDeps<L extends Link> {
  readonly options: ResolvedConnectionOptions;
  readonly clock: Clock;
  /** Where the links go, for messages (no secrets). */
  readonly target: string;
  readonly random?: () => number;
  /** Opens one link; rejects when `signal` aborts (the attempt took longer than connectTimeoutMs). */
  dial(signal: AbortSignal): Promise<L>;
  onState(state: ConnectionState): void;
  /** A new link replaced a lost one: what was missed meanwhile must be fetched (getDifference). */
  onReconnected(): void;
}

export interface CallOptions {
  /** The call may be sent again after the connection dropped with it in flight (its effect is idempotent). */
  readonly retry: boolean;
}

type Outcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'dropped'; readonly failure: LinkFailure }
  | { readonly kind: 'timeout' };

/**
 * Owns the connection lifecycle instead of trusting GramJS's: keeps one live link, pings it and replaces it when it
 * stops answering, reconnects forever with exponential backoff and jitter, and runs every call under a deadline.
 * A call made while disconnected waits for the next link; one that was in flight when the link dropped is sent
 * again when that is safe. Past its deadline a call settles with ConnectionLostError — nothing stays pending.
 * SessionInvalidError stops everything: pending and later calls reject with it.
 * (One state machine over links, calls, pings and backoff, so one file a little over 300 lines: its invariants
 * read together.)
 */
export class Supervisor<L extends Link> {
  private link: L | undefined;
  private current: ConnectionState = { state: 'connecting', attempt: 0 };
  private stopped = false;
  private stopError: SessionInvalidError | undefined;
  private reconnects = 0;
  private lastFailure = 'not connected yet';
  private readonly waiters = new Set<() => void>();
  private dialAbort: AbortController | undefined;
  private sleepWake: (() => void) | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SupervisorDeps<L>) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** The live link, if there is one now. */
  get currentLink(): L | undefined {
    return this.link;
  }

  /**
   * Connects for the first time: attempts (with backoff) until one succeeds or the longer of callTimeoutMs and
   * connectTimeoutMs passes (a first connection may include the key exchange).
   */
  async start(): Promise<void> {
    void this.connectLoop(false);
    const ms = Math.max(this.deps.options.callTimeoutMs, this.deps.options.connectTimeoutMs);
    try {
      await this.waitReady({ at: monotonicNow() + ms, timeoutMs: ms }, 'connect');
    } catch (e) {
      await this.stop();
      throw e instanceof ConnectionLostError
        ? new ConnectionLostError(
            'connect',
            'timeout',
            ms,
            `cannot reach Telegram at ${this.deps.target} within ${ms} ms (last: ${this.lastFailure})`,
          )
        : e;
    }
  }

  /**
   * Runs `fn` on a live link under the call's deadline (the ambient one from `withTimeout`, else callTimeoutMs):
   * waits for a link while disconnected, sends again after a drop when `retry`, and settles with
   * ConnectionLostError once the deadline passes.
   */
  async call<T>(method: string, fn: (link: L) => Promise<T>, opts: CallOptions): Promise<T> {
    const deadline = deadlineFor(this.deps.options.callTimeoutMs);
    const budget = deadline.timeoutMs;
    for (;;) {
      const link = await this.waitReady(deadline, method);
      const outcome = await this.race(link, fn, deadline.at);
      switch (outcome.kind) {
        case 'ok':
          return outcome.value;
        case 'timeout':
          throw new ConnectionLostError(
            method,
            'timeout',
            budget,
            `no answer within ${budget} ms (connection ${this.current.state})`,
          );
        case 'error': {
          const e = outcome.error;
          if (e instanceof SessionInvalidError) {
            this.fail(e);
            throw e;
          }
          if (!link.dead) throw e; // Telegram's answer (an RPC error): the connection is fine
          if (!opts.retry) throw this.droppedError(method, this.lastFailure, e);
          continue;
        }
        case 'dropped':
          if (outcome.failure.sessionInvalid) throw outcome.failure.sessionInvalid;
          if (!opts.retry) throw this.droppedError(method, outcome.failure.reason);
          continue;
      }
    }
  }

  /** Resolves with a live link; rejects at the deadline, or when stopped. */
  async waitReady(deadline: Deadline, method: string): Promise<L> {
    for (;;) {
      if (this.stopError) throw this.stopError;
      if (this.stopped)
        throw new ConnectionLostError(method, 'stopped', undefined, 'the client was disconnected');
      if (this.link && !this.link.dead) return this.link;
      const left = deadline.at - monotonicNow();
      if (left <= 0) {
        const ms = deadline.timeoutMs;
        throw new ConnectionLostError(
          method,
          'timeout',
          ms,
          `Telegram unreachable for the whole ${ms} ms deadline (${this.lastFailure})`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, MAX_TIMER_MS));
        this.waiters.add(wake);
      });
    }
  }

  /** Stops every loop (pings, a dial under way, a backoff sleep) for good; returns the live link, now detached. */
  private halt(): L | undefined {
    this.stopped = true;
    this.stopPing();
    this.dialAbort?.abort();
    this.sleepWake?.();
    const link = this.link;
    this.link = undefined;
    return link;
  }

  /** Disconnects for good: pending calls reject with ConnectionLostError('stopped'). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped && !this.link) return;
    const link = this.halt();
    if (this.current.state !== 'stopped') this.setState({ state: 'stopped' });
    if (link) await link.close();
  }

  /** Telegram refused the session: stop for good with `error` (pending and later calls reject with it). */
  fail(error: SessionInvalidError): void {
    if (this.stopError) return;
    this.stopError = error;
    const link = this.halt();
    if (link && !link.dead) link.fail({ reason: error.reason, sessionInvalid: error });
    this.setState({ state: 'stopped', error });
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private droppedError(method: string, reason: string, cause?: unknown): ConnectionLostError {
    return new ConnectionLostError(
      method,
      'dropped',
      undefined,
      `the connection dropped before the answer (${reason}); not sent again: not safe to repeat`,
      cause === undefined ? undefined : { cause },
    );
  }

  private async race<T>(link: L, fn: (link: L) => Promise<T>, deadline: number): Promise<Outcome<T>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Outcome<T>>((resolve) => {
      const left = deadline - monotonicNow();
      if (left < MAX_TIMER_MS) timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, left));
    });
    let unwatch: (() => void) | undefined;
    const dropped = new Promise<Outcome<T>>((resolve) => {
      unwatch = link.watch((failure) => resolve({ kind: 'dropped', failure }));
    });
    const run = (async (): Promise<Outcome<T>> => {
      try {
        return { kind: 'ok', value: await fn(link) };
      } catch (error) {
        return { kind: 'error', error };
      }
    })();
    try {
      return await Promise.race([run, dropped, timeout]);
    } finally {
      clearTimeout(timer);
      unwatch?.();
    }
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    for (const wake of [...this.waiters]) wake();
    try {
      this.deps.onState(state);
    } catch {
      // a listener's failure is the listener's (PmClient reports those itself)
    }
  }

  private async connectLoop(reconnect: boolean): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      this.setState({ state: 'connecting', attempt: failures + 1 });
      const abort = new AbortController();
      this.dialAbort = abort;
      const timer = setTimeout(() => abort.abort(), this.deps.options.connectTimeoutMs);
      try {
        const link = await this.deps.dial(abort.signal);
        clearTimeout(timer);
        if (this.stopped) {
          await link.close();
          return;
        }
        this.install(link, reconnect);
        return;
      } catch (e) {
        clearTimeout(timer);
        if (e instanceof SessionInvalidError) {
          this.fail(e);
          return;
        }
        if (this.stopped) return;
        failures++;
        this.lastFailure = abort.signal.aborted
          ? `no answer within ${this.deps.options.connectTimeoutMs} ms`
          : e instanceof Error
            ? e.message
            : String(e);
        const delay = backoffDelay(failures, this.deps.options, this.deps.random);
        this.setState({
          state: 'waiting',
          attempt: failures + 1,
          nextAttemptAt: this.deps.clock.now() + delay,
          reason: this.lastFailure,
        });
        await this.sleep(delay);
      } finally {
        if (this.dialAbort === abort) this.dialAbort = undefined;
      }
    }
  }

  /** A backoff wait that stop() cuts short. Kept referenced: a bot waiting to reconnect must not exit. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.sleepWake = done;
    });
  }

  private install(link: L, reconnect: boolean): void {
    this.link = link;
    if (reconnect) this.reconnects++;
    void link.closed.then((failure) => this.onLinkClosed(link, failure));
    if (link.dead) return;
    this.setState({ state: 'ready', since: this.deps.clock.now(), reconnects: this.reconnects });
    this.schedulePing(link);
    if (reconnect) this.deps.onReconnected();
  }

  private onLinkClosed(link: L, failure: LinkFailure): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.stopPing();
    if (failure.sessionInvalid) {
      this.fail(failure.sessionInvalid);
      return;
    }
    if (this.stopped) return;
    this.lastFailure = failure.reason;
    void this.connectLoop(true);
  }

  private schedulePing(link: L): void {
    this.stopPing();
    const { pingIntervalMs, pingTimeoutMs } = this.deps.options;
    if (pingIntervalMs <= 0) return;
    this.pingTimer = setTimeout(async () => {
      if (this.link !== link || link.dead) return;
      let timer: NodeJS.Timeout | undefined;
      let unwatch: (() => void) | undefined;
      const ok = await Promise.race([
        link.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), pingTimeoutMs);
          unwatch = link.watch(() => resolve(true));
        }),
      ]);
      clearTimeout(timer);
      unwatch?.();
      if (this.link !== link || link.dead) return;
      if (!ok) {
        link.fail({ reason: `no answer to a ping within ${pingTimeoutMs} ms` });
        return;
      }
      this.schedulePing(link);
    }, pingIntervalMs);
    this.pingTimer.unref();
  }

  private stopPing(): void {
    if (this.pingTimer) clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
  }
}
