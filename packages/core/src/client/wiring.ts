import { setTimeout as sleep } from 'node:timers/promises';
import { type Clock, monotonicClock } from '../clock.js';
import type { ConnectionState } from '../connection/index.js';
import { iterateDialogStates } from '../dialogs/dialog-list.js';
import { DialogService } from '../dialogs/dialog-service.js';
import { EventsDroppedError, HandlerTimeoutError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import type { GramConnection } from '../gram/connection.js';
import { formatText } from '../gram/format.js';
import type { GramHooks } from '../gram/options.js';
import { HandlerScope } from '../handler-scope.js';
import { createLog, errorLine, type Log } from '../log.js';
import { optionalNumber } from '../options-check.js';
import { Resolver } from '../peers/resolver.js';
import { redactSecrets } from '../secrets.js';
import type { BroadcastDeps } from '../send/broadcast.js';
import type { EditDeps } from '../send/edit.js';
import { RateLimiter, realSleep } from '../send/limiter.js';
import { SEND_DEFAULTS, Sender } from '../send/sender.js';
import type { BroadcastRepository } from '../storage/broadcast-types.js';
import { PeerCache } from '../storage/peer-cache.js';
import type { StorageProvider } from '../storage/types.js';
import { IngestQueue } from './ingest.js';
import {
  CLIENT_DEFAULTS,
  type ClientErrorEvent,
  type Me,
  type PmClientOptions,
  type PmEvents,
} from './options.js';
import { UpdateDispatch } from './update-dispatch.js';

/** The parts a PmClient is made of, wired to each other; the client itself is the facade over them. */
export interface ClientParts {
  readonly emitter: TypedEmitter<PmEvents>;
  readonly log: {
    readonly connection: Log;
    readonly updates: Log;
    readonly storage: Log;
    readonly send: Log;
  };
  readonly peers: PeerCache;
  readonly ingest: IngestQueue;
  readonly resolver: Resolver;
  readonly dialogs: DialogService;
  readonly limiter: RateLimiter;
  readonly sender: Sender;
  readonly updates: UpdateDispatch;
  /** Longest flood wait (Telegram seconds, summed) a send or a broadcast's look-ups sit out. */
  readonly maxFloodWaitSeconds: number;
}

/** What the parts need from the client, known only later: the connection (opened after them) and the bot. */
export interface ClientContext {
  gram(): GramConnection;
  me(): Me | undefined;
  closed(): boolean;
}

/**
 * The last resort for an `error` event nobody listens to, when no logger was given: one line on stderr, secrets
 * redacted (as Python's logging does for a warning no handler takes), rather than a failure nobody ever sees.
 */
function lastResort({ error, where }: ClientErrorEvent): void {
  try {
    process.stderr.write(`${redactSecrets(`pm: ${where}: ${errorLine(error)}`)}\n`);
  } catch {
    // stderr closed: nowhere left to say it
  }
}

export function wireClient(
  opts: PmClientOptions,
  storage: StorageProvider,
  clock: Clock,
  ctx: ClientContext,
): ClientParts {
  const log = {
    connection: createLog('connection', opts.logger),
    updates: createLog('updates', opts.logger),
    storage: createLog('storage', opts.logger),
    send: createLog('send', opts.logger),
  };
  const handlers = new HandlerScope();
  const emitter: TypedEmitter<PmEvents> = new TypedEmitter<PmEvents>(
    (error, name) => {
      const where = `listener of ${String(name)}`;
      log.updates.error(`${where} failed: ${errorLine(error)}`);
      if (name !== 'error') void emitter.emit('error', { error, where });
    },
    handlers,
    {
      onDropped: (name, burst) => {
        const event = String(name);
        if (burst.caughtUp) {
          log.updates.warn(
            `a loop over events('${event}') caught up after ${burst.dropped} ${event} event(s) were dropped`,
          );
          return;
        }
        // Not for the error stream's own loop: its drop would be one more error for it to fall behind on.
        tell(name, new EventsDroppedError(event, burst.bufferSize), `events('${event}')`);
      },
      listenerTimeoutMs: optionalNumber(
        'handlerTimeoutMs',
        opts.handlerTimeoutMs,
        CLIENT_DEFAULTS.handlerTimeoutMs,
        'positive',
        { infinity: true },
      ),
      onListenerTimeout: (name, ms) => {
        tell(name, new HandlerTimeoutError(String(name), ms), `listener of ${String(name)}`);
      },
      // An error nobody hears (no `error` listener) and no logger to take it: printed rather than lost.
      onUnheard: opts.logger
        ? undefined
        : (name, payload) => {
            if (name === 'error') lastResort(payload as ClientErrorEvent);
          },
    },
  );
  /** Logs a warning and emits it as an `error` event (but about the `error` event itself, only logs it). */
  const tell = (name: keyof PmEvents, error: Error, where: string): void => {
    log.updates.warn(error.message);
    if (name !== 'error') void emitter.emit('error', { error, where });
  };
  const peers = new PeerCache({
    ...opts.peerCache,
    storage,
    now: () => clock.now(),
    onError: (error) => {
      log.storage.error(`peer cache write failed: ${errorLine(error)}`);
      void emitter.emit('error', { error, where: 'peer cache write' });
    },
    onFlushed: ({ peers: n, ms, error }) => {
      if (!error) log.storage.debug(`flushed ${n} peer(s) to ${storage.name} in ${ms} ms`);
    },
  });
  const ingest = new IngestQueue(peers, emitter, log.storage);
  const resolver = new Resolver({
    peers,
    clock,
    trustWindowMs: optionalNumber(
      'usernameTrustWindowMs',
      opts.usernameTrustWindowMs,
      CLIENT_DEFAULTS.usernameTrustWindowMs,
      'nonNegative',
    ),
    resolveUsername: async (name) => {
      const id = await ctx.gram().resolveUsername(name);
      // The resolved peer was queued (GramHooks.ingest) before the call returned.
      await ingest.idle();
      return id;
    },
  });
  const dialogs = new DialogService({
    repo: storage.dialogs,
    shared: storage.shared === true,
    clock,
    getPeer: (id) => peers.get(id),
    emit: (name, event) => emitter.emit(name, event as PmEvents[typeof name]),
    botUsername: () => ctx.me()?.username,
  });
  const updates = new UpdateDispatch({
    state: storage.state,
    peers,
    ingest,
    dialogs,
    emitter,
    log: log.updates,
    gram: () => ctx.gram(),
    closed: () => ctx.closed(),
    insideHandler: () => handlers.inside,
    surelyInsideHandler: () => handlers.surelyInside,
    engine: opts.updates,
  });
  // Its waits are real sleeps, so its rates run on real time that only moves forward: not the client's clock (which
  // a caller may set), and not the wall clock, which NTP or a resumed VM can set back an hour.
  const limiter = new RateLimiter(opts.limits, monotonicClock, realSleep);
  const maxFloodWaitSeconds = optionalNumber(
    'maxFloodWaitSeconds',
    opts.maxFloodWaitSeconds,
    SEND_DEFAULTS.maxFloodWaitSeconds,
    'nonNegative',
  );
  const sender = new Sender({
    peers,
    dialogs,
    limiter,
    clock,
    sleep: realSleep,
    maxFloodWaitSeconds,
    waitReady: (method) => ctx.gram().waitReady(method),
    resolvePeer: (ref) => resolver.resolvePeer(ref),
    format: formatText,
    sendMessage: (peer, text, randomId, o) => ctx.gram().sendMessage(peer, text, randomId, o),
    onSent: (incoming) => updates.own(incoming),
    onFloodWait: ({ seconds, peerId, waiting }) =>
      log.send.warn(
        `FLOOD_WAIT ${seconds} s sending to ${peerId}: ${waiting ? 'waiting it out' : 'answering floodWait'}`,
      ),
  });
  return { emitter, log, peers, ingest, resolver, dialogs, limiter, sender, updates, maxFloodWaitSeconds };
}

/** What edit() and deleteMessages() need. */
export function editDeps(parts: ClientParts, ctx: ClientContext): EditDeps {
  return {
    resolvePeer: (ref) => parts.resolver.resolvePeer(ref),
    inputPeerFor: (id) => parts.peers.inputPeerFor(id),
    format: formatText,
    editMessage: (peer, id, text, o) => ctx.gram().editMessage(peer, id, text, o),
    deleteMessages: (ids) => ctx.gram().deleteMessages(ids),
    onUpdates: (incoming) => parts.updates.own(incoming),
  };
}

/** What a broadcast needs: its repository, the sender, the dialogs to pick recipients from, the connection. */
export function broadcastDeps(
  parts: ClientParts,
  ctx: ClientContext,
  storage: StorageProvider,
  repo: BroadcastRepository,
  clock: Clock,
  ready: () => boolean,
): BroadcastDeps {
  return {
    repo,
    peers: parts.peers,
    clock,
    shared: storage.shared === true,
    resolvePeer: (ref) => parts.resolver.resolveUser(ref),
    waitFlood: async (seconds, waitedSoFar, signal) => {
      const waiting = waitedSoFar + seconds <= parts.maxFloodWaitSeconds;
      parts.log.send.warn(
        `FLOOD_WAIT ${seconds} s looking up a broadcast recipient: ${waiting ? 'waiting it out' : 'stopping the preparation'}`,
      );
      if (!waiting) return false;
      try {
        await sleep(parts.limiter.scaled(seconds), undefined, { signal });
      } catch {
        return false; // stopped meanwhile (AbortError): the preparation ends, to be run again
      }
      return true;
    },
    // The dialog states not yet written (group commit) first: a user who just started is a recipient.
    iterateDialogs: async function* () {
      await parts.dialogs.flush();
      yield* iterateDialogStates(storage.dialogs);
    },
    format: formatText,
    sendTo: (peer, formatted, req) => parts.sender.sendTo(peer, formatted, req),
    connection: { ready, waitReady: () => ctx.gram().waitUntilReady('broadcast') },
  };
}

/** What the connection tells the parts: sightings, containers, connection states, reconnects. */
export function gramHooks(parts: ClientParts, onState: (state: ConnectionState) => void): GramHooks {
  return {
    ingest: (peers) => {
      void parts.ingest.add(peers);
    },
    peekInputPeer: (key) => parts.peers.peekInputPeer(key),
    onUpdates: (incoming, peers) => parts.updates.incoming(incoming, peers),
    connectionState: onState,
    reconnected: () => parts.updates.reconnected(),
  };
}
