/**
 * Cross-process cache coherence over LISTEN/NOTIFY. A transaction that changed peers sends, on the store's
 * channel, the changed ids and lower-cased usernames (NOTIFY is delivered at commit, and only if it commits);
 * every other provider on that store hears it on one dedicated connection and tells its listeners, which drop
 * those entries from their caches. After the listening connection was lost, notifications may have been missed:
 * listeners then hear `null`, meaning "anything may have changed".
 */
import { createHash, randomUUID } from 'node:crypto';
import { backoffDelay, retry } from '@pm/core/internal';
import type pg from 'pg';
import { POSTGRES_DEFAULTS } from './defaults.js';
import type { PostgresDriver, Sql } from './driver.js';
import type { PeerChanges } from './write-context.js';

/** Told about changes of peers: ids and usernames, or null when anything may have changed. */
export type PeerChangeListener = (changes: PeerChanges | null) => void;

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
const MAX_PAYLOAD = 7000;

interface Payload {
  /** Origin: the sending provider, which ignores its own notifications. */
  o: string;
  i: string[];
  n: string[];
}

const ignore = () => {};

export class ChangeFeed {
  readonly channel: string;
  readonly #origin = randomUUID();
  readonly #listeners = new Set<PeerChangeListener>();
  #client: pg.PoolClient | null = null;
  /** Gives the listening connection back, once. */
  #drop: (() => void) | null = null;
  #connecting: Promise<void> | null = null;
  /** The one reconnect loop, while the listening connection is lost. */
  #reconnecting: Promise<void> | null = null;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Ends the reconnect wait under way at once. */
  #wake: (() => void) | undefined;

  constructor(private readonly driver: PostgresDriver) {
    const name = `pm_peers_${driver.schema}`;
    this.channel =
      name.length <= 63 ? name : `pm_peers_${createHash('sha1').update(driver.schema).digest('hex')}`;
  }

  /**
   * Adds a listener; resolves once this provider listens on the channel. If it cannot listen, rejects with a
   * PostgresStorageError and keeps neither the listener nor anything running for it.
   */
  async subscribe(listener: PeerChangeListener): Promise<() => void> {
    this.#listeners.add(listener);
    try {
      await this.#listen();
    } catch (error) {
      this.#listeners.delete(listener);
      throw this.driver.failure(error, 1);
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Queues the notifications of a transaction's changes; PostgreSQL sends them if it commits. */
  async publish(sql: Sql, changes: PeerChanges): Promise<void> {
    if (changes.ids.length === 0 && changes.usernames.length === 0) return;
    const payloads: string[] = [];
    let current: Payload = { o: this.#origin, i: [], n: [] };
    let size = 64;
    const push = (add: () => void, length: number) => {
      if (size + length > MAX_PAYLOAD) {
        payloads.push(JSON.stringify(current));
        current = { o: this.#origin, i: [], n: [] };
        size = 64;
      }
      add();
      size += length;
    };
    for (const id of changes.ids) push(() => current.i.push(String(id)), String(id).length + 3);
    for (const name of changes.usernames) push(() => current.n.push(name), name.length + 3);
    payloads.push(JSON.stringify(current));
    await sql.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [this.channel, payloads]);
  }

  /** Tells this process's own listeners (stored rows that differ from what its cache wrote). */
  emitLocal(changes: PeerChanges): void {
    if (changes.ids.length === 0 && changes.usernames.length === 0) return;
    this.#emit(changes);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#wake?.();
    this.#listeners.clear();
    this.#client = null;
    this.#drop?.();
  }

  #emit(changes: PeerChanges | null): void {
    for (const listener of this.#listeners) listener(changes);
  }

  #listen(): Promise<void> {
    if (this.#client !== null || this.#closed) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const client = await this.driver.pool.connect();
    let released = false;
    let ping: ReturnType<typeof setInterval> | undefined;
    const drop = () => {
      if (released) return;
      released = true;
      clearInterval(ping);
      client.release(true);
    };
    const onLost = () => {
      if (released) return;
      drop();
      if (this.#client === client) this.#client = null;
      this.#reconnecting ??= this.#reconnect()
        .catch(ignore) // gave up: closed, or nobody listens any more
        .finally(() => {
          this.#reconnecting = null;
        });
    };
    this.#drop = drop;
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel || !msg.payload) return;
      let payload: Payload;
      try {
        payload = JSON.parse(msg.payload) as Payload;
      } catch {
        return; // not ours
      }
      if (payload.o === this.#origin) return;
      this.#emit({ ids: payload.i.map((id) => BigInt(id)), usernames: payload.n });
    });
    try {
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      // Never listened: nothing was lost. The caller reports it (subscribe) or tries again (the reconnect loop);
      // starting a reconnect here would add a loop on every failed try.
      drop();
      throw error;
    }
    if (this.#closed) {
      drop();
      return;
    }
    this.#client = client;
    // A connection that died without closing (a partition) hears nothing and says nothing: ask it now and then.
    const every = this.driver.listenPingMs;
    const timeout = this.driver.queryTimeoutMs;
    if (every > 0) {
      ping = setInterval(() => {
        client.query({ text: 'SELECT 1', ...(timeout > 0 ? { query_timeout: timeout } : {}) }).catch(onLost);
      }, every);
      ping.unref();
    }
  }

  /**
   * After the listening connection was lost: connects again, forever, waiting longer after each failure, until
   * the feed is closed or nobody listens any more. Once it listens again its listeners hear `null`.
   */
  async #reconnect(): Promise<void> {
    const stopped = () => this.#closed || this.#listeners.size === 0;
    if (stopped()) return;
    const delay = (failures: number) =>
      backoffDelay(failures, {
        backoffInitialMs: POSTGRES_DEFAULTS.listenReconnectInitialMs,
        backoffFactor: 2,
        backoffMaxMs: POSTGRES_DEFAULTS.listenReconnectMaxMs,
        backoffJitter: 0,
      });
    await this.#sleep(delay(1)); // the connection was just lost: give the server a moment
    await retry(() => this.#listen(), {
      sleep: (ms) => this.#sleep(ms),
      retryAfter: (error, attempt) => {
        if (stopped()) throw error;
        return delay(attempt + 1);
      },
    });
    // Notifications sent while nobody listened are lost: everything cached may be stale.
    this.#emit(null);
  }

  /** A wait that close() cuts short, so no timer outlives the feed. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#retryTimer = setTimeout(resolve, ms);
      this.#wake = resolve;
    });
  }
}
