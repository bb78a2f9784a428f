import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import { parseStartCommand } from '../peers/deep-link.js';
import {
  type DialogRepository,
  type DialogStartVia,
  type DialogState,
  emptyDialogState,
  type PeerRecord,
} from '../storage/types.js';
import type { BotUpdate } from '../updates/types.js';

/** How a dialog started, as events name it. */
export type DialogVia = 'start' | 'message' | 'joinRequest' | 'loginWidget';

const TO_STORED: Record<DialogVia, DialogStartVia> = {
  start: 'start',
  message: 'message',
  joinRequest: 'join-request',
  loginWidget: 'login-widget',
};
const FROM_STORED: Record<DialogStartVia, DialogVia> = {
  start: 'start',
  message: 'message',
  'join-request': 'joinRequest',
  'login-widget': 'loginWidget',
};

/** Dialog state as the API shows it. Times are ms. */
export interface DialogInfo {
  readonly userId: bigint;
  readonly started: boolean;
  readonly startedAt: number | null;
  readonly via: DialogVia | null;
  readonly payload: string | null;
  readonly blocked: boolean;
  readonly blockedSince: number | null;
  readonly lastMessageAt: number | null;
}

export function toDialogInfo(s: DialogState): DialogInfo {
  return {
    userId: s.userId,
    started: s.startedAt !== null,
    startedAt: s.startedAt,
    via: s.via ? FROM_STORED[s.via] : null,
    payload: s.payload,
    blocked: s.blocked,
    blockedSince: s.blockedSince,
    lastMessageAt: s.lastMessageAt,
  };
}

export interface DialogStartedEvent {
  readonly user: PeerRecord;
  readonly via: DialogVia;
  /** The deep-link payload of `/start <payload>`, when valid. */
  readonly payload?: string;
  /** False for a repeated `/start`, a second join request, and so on: the dialog was already open. */
  readonly first: boolean;
  /** The chat a join request was for (marked id, and the record when known). */
  readonly chat?: { readonly id: bigint; readonly record?: PeerRecord };
  /** The user's last known language, even when this update carried none. */
  readonly language: string | null;
  /** Unix seconds, as Telegram dated it. */
  readonly date: number;
  readonly messageId?: number;
  readonly text?: string;
}

export interface MessageEvent {
  readonly user: PeerRecord;
  readonly text: string;
  readonly messageId: number;
  readonly date: number;
  readonly language: string | null;
  /** True when this message is a /start command (the dialogStarted event carries its payload). */
  readonly isStart: boolean;
}

export interface BlockEvent {
  readonly user: PeerRecord;
  readonly date: number;
}

export interface DialogEvents {
  dialogStarted: DialogStartedEvent;
  message: MessageEvent;
  blocked: BlockEvent;
  unblocked: BlockEvent;
}

export const DIALOG_DEFAULTS = {
  /** Dialog states kept in memory (single-process stores only). */
  cacheSize: 50_000,
  /**
   * A message that changes nothing but `lastMessageAt` is written only when the stored value is older than this
   * (ms): a chatty user costs no write per message. Starts, blocks and unblocks are always written (with the next
   * update state, see UpdateEngineOptions).
   */
  lastMessageResolutionMs: 60_000,
} as const;

export interface DialogServiceDeps {
  readonly repo: DialogRepository;
  /** Several processes write the store: read through to it every time (no memory cache). */
  readonly shared?: boolean;
  readonly clock: Clock;
  /** The peer record of a user (ingested before the update is handled). */
  getPeer(id: bigint): Promise<PeerRecord | undefined>;
  emit<K extends keyof DialogEvents>(name: K, event: DialogEvents[K]): Promise<void>;
  botUsername(): string | undefined;
}

const ABSENT = Symbol('absent');

/** Dialog states changed in memory and not yet written, handed to the transaction that writes them. */
export interface UnwrittenDialogs {
  /** Ascending by user id. */
  readonly states: readonly DialogState[];
  /** Tells the service they are committed (a state changed again since stays unwritten). */
  written(): void;
  /** Tells the service they were not committed: they stay unwritten, for the next write. */
  abandoned(): void;
}

const NOTHING_UNWRITTEN: UnwrittenDialogs = { states: [], written: () => {}, abandoned: () => {} };

/**
 * Turns updates into dialog state and events: /start (with payload, repeated), a first message that is not
 * /start, join requests, the Login Widget, blocks and unblocks. The state is applied in memory before events are
 * emitted, so a handler that reads it sees the update applied; it is written behind, in the transaction that saves
 * the update state (see UpdateDispatch), so a crash before that commit loses it together with the update state and
 * getDifference delivers the update again (a replayed first start is still `first: true`).
 */
export class DialogService {
  /** userId → state as stored (null: known absent). Only for single-process stores. */
  private readonly cache: LRUCache<bigint, DialogState | typeof ABSENT> | undefined;
  /** userId → a state changed in memory and not yet committed: read before the cache and the store. */
  private readonly unwrittenStates = new Map<bigint, DialogState>();
  /**
   * userId → how many batches handed out by {@link unwritten} and not yet settled hold a state of it. Such a batch
   * may commit after a newer state of the user was written on its own, bringing the older one back: the newer one
   * then stays unwritten, so the next batch writes it again.
   */
  private readonly inFlight = new Map<bigint, number>();

  constructor(private readonly deps: DialogServiceDeps) {
    this.cache = deps.shared ? undefined : new LRUCache({ max: DIALOG_DEFAULTS.cacheSize });
  }

  async get(userId: bigint): Promise<DialogInfo | undefined> {
    const s = await this.load(userId);
    return s ? toDialogInfo(s) : undefined;
  }

  /**
   * The states changed and not yet written, to write in the caller's transaction (the one that saves the update
   * state); `written()` once it committed.
   */
  unwritten(): UnwrittenDialogs {
    const map = this.unwrittenStates;
    if (map.size === 0) return NOTHING_UNWRITTEN;
    const states = [...map.values()].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    for (const s of states) this.inFlight.set(s.userId, (this.inFlight.get(s.userId) ?? 0) + 1);
    let settled = false;
    const settle = (committed: boolean): void => {
      if (settled) return;
      settled = true;
      for (const s of states) {
        const holders = (this.inFlight.get(s.userId) ?? 1) - 1;
        if (holders > 0) this.inFlight.set(s.userId, holders);
        else this.inFlight.delete(s.userId);
        if (committed) this.markWritten(s);
      }
    };
    return { states, written: () => settle(true), abandoned: () => settle(false) };
  }

  /** A state committed: no longer unwritten, unless it changed since or an older one of its user is in flight. */
  private markWritten(state: DialogState): void {
    if (this.unwrittenStates.get(state.userId) === state && !this.inFlight.has(state.userId)) {
      this.unwrittenStates.delete(state.userId);
    }
  }

  /** Writes what is not written yet (before the store is read directly: listing, counting, a broadcast). */
  async flush(): Promise<void> {
    const batch = this.unwritten();
    if (batch.states.length === 0) return;
    try {
      await this.deps.repo.upsertMany(batch.states);
    } catch (e) {
      batch.abandoned();
      throw e;
    }
    batch.written();
  }

  private async load(userId: bigint): Promise<DialogState | undefined> {
    const unwritten = this.unwrittenStates.get(userId);
    if (unwritten !== undefined) return unwritten;
    const hit = this.cache?.get(userId);
    if (hit !== undefined) return hit === ABSENT ? undefined : hit;
    const s = await this.deps.repo.get(userId);
    this.cache?.set(userId, s ?? ABSENT);
    return s;
  }

  /** Applies a state in memory; it is written with the next update state (see {@link unwritten}). */
  private save(state: DialogState): void {
    this.unwrittenStates.set(state.userId, state);
    this.cache?.set(state.userId, state);
  }

  /** Applies one update to the dialog state (in memory, written behind) and emits its events. */
  async handle(u: BotUpdate): Promise<void> {
    await this.apply(u);
  }

  private async apply(u: BotUpdate): Promise<void> {
    switch (u.type) {
      case 'message':
        if (u.isPrivate && !u.out && u.fromId !== undefined && u.fromId > 0n) await this.onMessage(u);
        return;
      case 'botAllowed':
        await this.onStart(u.userId, 'loginWidget', u.date, { startMessageId: u.messageId });
        return;
      case 'joinRequest':
        await this.onStart(u.userId, 'joinRequest', u.date, { chatId: u.chatId });
        return;
      case 'botStopped':
        await this.onStopped(u.userId, u.stopped, u.date);
        return;
      default:
        return;
    }
  }

  /**
   * Records what a probe or a send learned (blocked, or known to be open); this user's state is written at once, on
   * its own (it may carry a start not committed yet: written ahead of its update state, which a replay of that
   * update recognises). Other users' states wait for their group commit.
   */
  async noteReachability(userId: bigint, reachable: 'ok' | 'blocked'): Promise<void> {
    const prev = (await this.load(userId)) ?? emptyDialogState(userId);
    const now = this.deps.clock.now();
    let next: DialogState;
    if (reachable === 'blocked') {
      if (prev.blocked) return;
      next = { ...prev, blocked: true, blockedSince: now };
    } else {
      if (!prev.blocked && prev.startedAt !== null) return;
      next = { ...prev, blocked: false, blockedSince: null, startedAt: prev.startedAt ?? now };
    }
    this.save(next);
    await this.deps.repo.upsertMany([next]);
    this.markWritten(next);
  }

  private async onMessage(u: Extract<BotUpdate, { type: 'message' }>): Promise<void> {
    const userId = u.fromId!;
    const start = parseStartCommand(u.text, this.deps.botUsername());
    if (start) {
      await this.onStart(userId, 'start', u.date, {
        ...(start.payload ? { payload: start.payload } : {}),
        messageId: u.messageId,
        text: u.text,
      });
    } else {
      await this.onStart(userId, 'message', u.date, {
        messageId: u.messageId,
        text: u.text,
        onlyIfNew: true,
      });
    }
    const user = await this.deps.getPeer(userId);
    if (user) {
      await this.deps.emit('message', {
        user,
        text: u.text,
        messageId: u.messageId,
        date: u.date,
        language: user.langCode,
        isStart: start !== undefined,
      });
    }
  }

  private async onStart(
    userId: bigint,
    via: DialogVia,
    date: number,
    extra: {
      payload?: string;
      chatId?: bigint;
      messageId?: number;
      text?: string;
      onlyIfNew?: boolean;
      /** The message that opens the dialog (the message itself, or the service message of a Login Widget). */
      startMessageId?: number;
    },
  ): Promise<void> {
    const startMessageId = extra.startMessageId ?? extra.messageId;
    const prev = (await this.load(userId)) ?? emptyDialogState(userId);
    const at = date * 1000;
    // The start already stored may be this very update, replayed by getDifference after a crash that came between
    // writing the dialog and saving the update state (dialogs are written ahead of it when a probe or a send writes
    // the user's, or a listing flushes them): the same message (by id), or for starts without one the same kind at
    // the same second.
    // It is still the first start.
    const replay =
      prev.startedAt !== null &&
      prev.via === TO_STORED[via] &&
      (startMessageId !== undefined
        ? prev.startMessageId === startMessageId
        : prev.startMessageId === null && prev.startedAt === at);
    const first = prev.startedAt === null || replay;
    const isMessage = extra.messageId !== undefined;
    const next: DialogState = {
      ...prev,
      ...(prev.startedAt === null
        ? {
            startedAt: at,
            via: TO_STORED[via],
            payload: extra.payload ?? null,
            startMessageId: startMessageId ?? null,
          }
        : {}),
      lastMessageAt: isMessage ? Math.max(prev.lastMessageAt ?? 0, at) : prev.lastMessageAt,
    };
    const onlyLastMessage = !first && next.lastMessageAt !== null && prev.lastMessageAt !== null;
    const fresh =
      onlyLastMessage && next.lastMessageAt! - prev.lastMessageAt! < DIALOG_DEFAULTS.lastMessageResolutionMs;
    if (!fresh) this.save(next);
    if (extra.onlyIfNew && !first) return;
    const user = await this.deps.getPeer(userId);
    if (!user) return;
    const chatRecord = extra.chatId !== undefined ? await this.deps.getPeer(extra.chatId) : undefined;
    await this.deps.emit('dialogStarted', {
      user,
      via,
      first,
      date,
      language: user.langCode,
      ...(extra.payload ? { payload: extra.payload } : {}),
      ...(extra.chatId !== undefined
        ? { chat: { id: extra.chatId, ...(chatRecord ? { record: chatRecord } : {}) } }
        : {}),
      ...(extra.messageId !== undefined ? { messageId: extra.messageId } : {}),
      ...(extra.text !== undefined ? { text: extra.text } : {}),
    });
  }

  private async onStopped(userId: bigint, stopped: boolean, date: number): Promise<void> {
    const prev = (await this.load(userId)) ?? emptyDialogState(userId);
    const at = date * 1000;
    const next: DialogState = stopped
      ? { ...prev, blocked: true, blockedSince: prev.blocked ? prev.blockedSince : at }
      : { ...prev, blocked: false, blockedSince: null };
    this.save(next);
    const user = await this.deps.getPeer(userId);
    if (user) await this.deps.emit(stopped ? 'blocked' : 'unblocked', { user, date });
  }
}
