import { callbackQueryEvent } from '../callbacks/callback-query.js';
import type { DialogService } from '../dialogs/dialog-service.js';
import { ConnectionLostError, SessionInvalidError, StorageError, UpdatesBacklogError } from '../errors.js';
import type { TypedEmitter } from '../events.js';
import type { GramConnection } from '../gram/connection.js';
import { errorLine, type Log } from '../log.js';
import type { PeerCache } from '../storage/peer-cache.js';
import type { KeyValueRepository, PeerInput } from '../storage/types.js';
import type { BotUpdate, IncomingUpdates, UpdateState } from '../updates/types.js';
import {
  resolveUpdateEngineOptions,
  UpdateEngine,
  type UpdateEngineOptions,
} from '../updates/update-engine.js';
import type { IngestQueue } from './ingest.js';
import { IdleInsideListenerError, NotLoggedInError, type PmEvents } from './options.js';

const STATE_KEY = 'updates.state';

export interface UpdateDispatchDeps {
  readonly state: KeyValueRepository;
  readonly peers: PeerCache;
  readonly ingest: IngestQueue;
  readonly dialogs: DialogService;
  readonly emitter: TypedEmitter<PmEvents>;
  readonly log: Log;
  gram(): GramConnection;
  /** disconnect() was called: a catch-up it cut short is not news. */
  closed(): boolean;
  /** Called from inside one of the bot's listeners (see HandlerScope). */
  insideHandler(): boolean;
  /** Called from inside one of the bot's listeners, for certain (no guess from a pending promise elsewhere). */
  surelyInsideHandler(): boolean;
  /** When the update state is saved (group commit). */
  readonly engine?: UpdateEngineOptions | undefined;
}

/**
 * From the connection to the bot's handlers: containers go through the update engine (ordered by pts/qts/seq,
 * getDifference on gaps, the state saved under `updates.state.<bot id>`), each after the users and chats it
 * carries are in the peer cache; each update then goes where it belongs (dialogs, profiles, callback queries)
 * and out as the `update` event.
 */
export class UpdateDispatch {
  private engine: UpdateEngine | undefined;
  private started: Promise<void> | undefined;

  /** The engine's options, checked when the client is made (a bad one is refused then, not at login). */
  private readonly engineOptions: Required<UpdateEngineOptions>;

  constructor(private readonly deps: UpdateDispatchDeps) {
    this.engineOptions = resolveUpdateEngineOptions(deps.engine);
  }

  /** After login: the engine for this bot. Nothing is delivered before start(). */
  attach(botId: bigint): void {
    const { deps } = this;
    const key = `${STATE_KEY}.${botId}`;
    this.engine = new UpdateEngine(
      {
        loadState: async () => {
          const s = await deps.state.get(key);
          return s ? (JSON.parse(s) as UpdateState) : undefined;
        },
        saveState: async (s) => {
          // Group commit: the update state goes in one transaction with what the updates it covers changed, the
          // peers they carried (the peer cache writes behind) and the dialog states, so it is never on disk ahead
          // of them: after a crash getDifference brings back whatever was not committed, and a replay is harmless
          // (merges are idempotent, a replayed first start is recognised by its message).
          const value = JSON.stringify(s);
          const dialogs = deps.dialogs.unwritten();
          try {
            await deps.peers.flush(async (tx) => {
              if (dialogs.states.length > 0) await tx.dialogs.upsertMany(dialogs.states);
              await tx.state.set(key, value);
            });
          } catch (e) {
            dialogs.abandoned();
            throw e;
          }
          dialogs.written();
          deps.log.debug(
            `update state saved (pts ${s.pts}, qts ${s.qts}, seq ${s.seq}; ${dialogs.states.length} dialog(s))`,
          );
        },
        fetchState: () => deps.gram().getState(),
        fetchDifference: async (s) => {
          const diff = await deps.gram().getDifference(s);
          // Its users and chats were queued (GramHooks.ingest) before it returned: in the cache before delivery.
          await deps.ingest.idle();
          return diff;
        },
        deliver: (u) => this.handle(u),
        insideHandler: () => deps.insideHandler(),
        onBacklog: (waiting, cleared) => {
          if (cleared) {
            deps.log.warn(`the update backlog cleared (at most ${waiting} containers waited)`);
            return;
          }
          const error = new UpdatesBacklogError(waiting);
          deps.log.warn(error.message);
          void deps.emitter.emit('error', { error, where: 'updates' });
        },
        onError: (error) => {
          // A catch-up cut short by disconnect() or a refused session is not news: both are reported otherwise.
          if (error instanceof SessionInvalidError || this.cutShort(error)) return;
          deps.log.error(`handling updates failed: ${errorLine(error)}`);
          void deps.emitter.emit('error', { error, where: 'updates' });
        },
      },
      this.engineOptions,
    );
  }

  /**
   * Work that disconnect() cut short: a call it ended (ConnectionLostError 'stopped') or the peer cache it closed.
   * Not news: what the updates changed is in the state saved on stop, and getDifference brings back the rest.
   */
  private cutShort(error: unknown): boolean {
    if (error instanceof ConnectionLostError) return this.deps.closed() || error.reason === 'stopped';
    return this.deps.closed() && error instanceof StorageError && error.code === 'STORAGE_CLOSED';
  }

  /** Whether a bot process has consumed updates with this storage (an update state is saved for `botId`). */
  async hasState(botId: bigint): Promise<boolean> {
    return (await this.deps.state.get(`${STATE_KEY}.${botId}`)) !== undefined;
  }

  /** Catches up (getDifference from the saved state), then handles live updates. Idempotent. */
  async start(): Promise<void> {
    if (!this.engine) throw new NotLoggedInError();
    this.started ??= this.engine.start();
    await this.started;
  }

  /** A container from the connection; the users and chats it carries are ingested first, in order. */
  incoming(incoming: IncomingUpdates, peers: readonly PeerInput[]): void {
    if (!this.engine) return;
    void this.engine.push(incoming, () => this.deps.ingest.add(peers));
  }

  /** The answer to the bot's own call (send, edit, delete): its pts moves the box, once updates run. */
  own(incoming: IncomingUpdates): void {
    if (this.engine && this.started) void this.engine.push(incoming);
  }

  /** A new connection replaced a lost one: what happened meanwhile comes through getDifference. */
  reconnected(): void {
    if (this.engine && this.started) void this.engine.push({ kind: 'connection', state: 'connected' });
  }

  /** Stops handling updates; the state reached is saved. */
  async stop(): Promise<void> {
    await this.engine?.stop();
  }

  /**
   * Resolves when every update received so far has been handled. From inside a listener of an update being handled
   * it rejects at once (IdleInsideListenerError): it would wait for that listener, which waits for it.
   */
  async idle(): Promise<void> {
    if (this.engine?.busy && this.deps.surelyInsideHandler()) throw new IdleInsideListenerError();
    await this.deps.ingest.idle();
    await this.engine?.idle();
    await this.deps.ingest.idle();
  }

  private async handle(u: BotUpdate): Promise<void> {
    const { deps } = this;
    // The container's own users were ingested before delivery; more may have been queued since (an RPC's result).
    if (!deps.ingest.isIdle) await deps.ingest.idle();
    switch (u.type) {
      case 'userName':
        await deps.ingest.add([
          {
            id: u.userId,
            firstName: u.firstName ?? null,
            lastName: u.lastName || null,
            usernames: u.usernames,
          },
        ]);
        break;
      case 'userPhone':
        await deps.ingest.add([{ id: u.userId, phone: u.phone ?? null }]);
        break;
      case 'userChanged': {
        const peer = await deps.peers.inputPeerFor(u.userId);
        if (peer && !peer.min) {
          try {
            // The refreshed user reaches the cache through GramHooks.ingest.
            await deps.gram().getUsers([peer]);
            await deps.ingest.idle();
          } catch (error) {
            if (this.cutShort(error)) break;
            deps.log.error(`refreshing a user after updateUser failed: ${errorLine(error)}`);
            await deps.emitter.emit('error', { error, where: 'updateUser refresh' });
          }
        }
        break;
      }
      case 'callbackQuery':
        await deps.emitter.emit('callbackQuery', await callbackQueryEvent(u, deps.peers));
        break;
      default:
        await deps.dialogs.handle(u);
    }
    await deps.emitter.emit('update', u);
  }
}
