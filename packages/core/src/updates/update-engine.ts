import { optionalNumber } from '../options-check.js';
import type { BotUpdate, Difference, IncomingUpdates, SequencedUpdate, UpdateState } from './types.js';

/** What the engine needs from the outside world; `gram/` and the store provide it. */
export interface UpdateEngineDeps {
  /** The last persisted state, if any. */
  loadState(): Promise<UpdateState | undefined>;
  /**
   * Persists the state, with everything the updates it covers changed (pm: the peers they carried and the dialog
   * states, in the same transaction). Called after a difference, on stop, and for live containers by group commit:
   * `saveDelayMs` after the queue ran dry, or every `saveEvery` containers during a burst.
   */
  saveState(state: UpdateState): Promise<void>;
  /** updates.getState: used once, when nothing is persisted yet. */
  fetchState(): Promise<UpdateState>;
  /** updates.getDifference from `state`. */
  fetchDifference(state: UpdateState): Promise<Difference>;
  /** Hands one update to the bot, in order. The engine waits for it before the next one. */
  deliver(update: BotUpdate): Promise<unknown>;
  /** An error the engine could not act on (a failed getDifference, a throwing handler). */
  onError(error: unknown): void;
  /**
   * True when called from inside one of the bot's handlers (HandlerScope): stop() then cannot wait for the queue,
   * which waits for that handler. @default never
   */
  insideHandler?(): boolean;
  /**
   * Containers arrive faster than they are handled: `waiting` are queued (memory grows with them). Told when the
   * queue reaches `backlogWarnAt`, again at each tenfold, and once when it has run dry again (`cleared`, with the
   * peak as `waiting`).
   */
  onBacklog?(waiting: number, cleared: boolean): void;
}

/** When the update state of live containers is saved (group commit); see {@link UpdateEngineOptions}. */
export const UPDATE_ENGINE_DEFAULTS = {
  saveEvery: 256,
  saveDelayMs: 50,
  backlogWarnAt: 1000,
} as const;

/**
 * Group commit of the update state: a crash replays (through getDifference) at most the containers applied since the
 * last save, so the bot sees those updates again (at least once); pm's dialog starts recognise a replayed start.
 */
export interface UpdateEngineOptions {
  /** During a burst, the state is saved at least every this many containers. @default 256 */
  readonly saveEvery?: number;
  /** Once the queue runs dry, the state is saved this long after (more containers meanwhile join the same save), ms. @default 50 */
  readonly saveDelayMs?: number;
  /** Containers waiting to be handled at which the backlog is told (onBacklog), then at each tenfold. @default 1000 */
  readonly backlogWarnAt?: number;
}

/** The options with their defaults; a value that is not a whole count (a negative delay) is a RangeError naming it. */
export function resolveUpdateEngineOptions(options: UpdateEngineOptions = {}): Required<UpdateEngineOptions> {
  const d = UPDATE_ENGINE_DEFAULTS;
  return {
    saveEvery: optionalNumber('updates.saveEvery', options.saveEvery, d.saveEvery, 'count'),
    saveDelayMs: optionalNumber('updates.saveDelayMs', options.saveDelayMs, d.saveDelayMs, 'nonNegative'),
    backlogWarnAt: optionalNumber('updates.backlogWarnAt', options.backlogWarnAt, d.backlogWarnAt, 'count'),
  };
}

export interface UpdateEngineStats {
  delivered: number;
  duplicatesSkipped: number;
  gaps: number;
  differences: number;
  /** Update states saved. */
  saves: number;
}

/**
 * Orders updates by Telegram's pts/qts/seq rules: applies an update when it is the next one, skips one that was
 * already applied, and fetches the difference on a gap, on updatesTooLong and after every (re)connect. Work is
 * serialised, so updates reach `deliver` once and in order, also across restarts (the state is persisted).
 */
export class UpdateEngine {
  private state: UpdateState | undefined;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Jobs queued and not yet started. */
  private pending = 0;
  /** A job is running. */
  private running = false;
  /** Containers applied since the state was last saved. */
  private unsaved = 0;
  /** The delayed save of the state (group commit), while one is due. */
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly saveEvery: number;
  private readonly saveDelayMs: number;
  private readonly backlogWarnAt: number;
  /** The queue length at which the backlog is told next. */
  private nextBacklogWarn: number;
  /** The longest the queue was since the backlog was first told (0: not told). */
  private backlogPeak = 0;
  readonly stats: UpdateEngineStats = {
    delivered: 0,
    duplicatesSkipped: 0,
    gaps: 0,
    differences: 0,
    saves: 0,
  };

  constructor(
    private readonly deps: UpdateEngineDeps,
    options: UpdateEngineOptions = {},
  ) {
    ({
      saveEvery: this.saveEvery,
      saveDelayMs: this.saveDelayMs,
      backlogWarnAt: this.backlogWarnAt,
    } = resolveUpdateEngineOptions(options));
    this.nextBacklogWarn = this.backlogWarnAt;
  }

  /** Loads (or fetches) the state, then catches up on everything missed since it was saved. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      this.state = (await this.deps.loadState()) ?? (await this.initialState());
      await this.catchUp();
    });
  }

  /**
   * Feeds one container from the connection. `prepare` runs first, in order with everything else (pm ingests the
   * users and chats the container carries there). Returns when it, and all before it, are processed.
   */
  push(incoming: IncomingUpdates, prepare?: () => Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      if (prepare) await prepare();
      await this.process(incoming);
    });
  }

  /** Resolves when everything pushed so far is processed. */
  idle(): Promise<void> {
    return this.enqueue(async () => {});
  }

  /**
   * Stops processing (later pushes are dropped) and saves the state reached. Called from inside a handler of an
   * update being delivered (a bot that disconnects on some message), it cannot wait for the queue (that job is
   * waiting for it): it saves the state with the current update counted as handled and stops at once.
   */
  async stop(): Promise<void> {
    // From a handler while a job runs: possibly that job's own handler. (From one while none runs, e.g. a listener of
    // connection states, waiting for the queue cannot wait for the caller.)
    if (this.running && this.deps.insideHandler?.() === true) {
      if (this.stopped) return;
      this.stopped = true;
      this.cancelSave();
      if (this.state) await this.persist();
      return;
    }
    await this.enqueue(async () => {
      this.cancelSave();
      if (this.state && this.unsaved > 0) await this.persist();
      this.stopped = true;
    });
    this.stopped = true;
  }

  /** A job (a container, a catch-up) is being processed: its handlers may be running. */
  get busy(): boolean {
    return this.running;
  }

  get currentState(): UpdateState | undefined {
    return this.state;
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.pending++;
    if (this.pending >= this.nextBacklogWarn) this.tellBacklog();
    else if (this.pending > this.backlogPeak && this.backlogPeak > 0) this.backlogPeak = this.pending;
    const run = this.queue.then(async () => {
      this.pending--;
      if (this.backlogPeak > 0 && this.pending === 0) this.tellBacklog();
      if (this.stopped) return;
      this.running = true;
      try {
        await job();
        if (this.stopped) return; // stopped from inside the job: stop() saved the state already
        // Group commit: save every `saveEvery` containers during a burst, and `saveDelayMs` after the queue runs
        // dry (containers arriving meanwhile join that save): one commit for many containers instead of one each.
        if (this.unsaved >= this.saveEvery) await this.persist();
        else if (this.unsaved > 0 && this.pending === 0) this.scheduleSave();
      } catch (e) {
        this.deps.onError(e);
      } finally {
        this.running = false;
      }
    });
    this.queue = run;
    return run;
  }

  /** Tells the backlog growing past the next mark, or, once the queue is empty again, that it cleared. */
  private tellBacklog(): void {
    const cleared = this.pending === 0;
    if (cleared) {
      const peak = this.backlogPeak;
      this.backlogPeak = 0;
      this.nextBacklogWarn = this.backlogWarnAt;
      this.safely(() => this.deps.onBacklog?.(peak, true));
      return;
    }
    this.backlogPeak = Math.max(this.backlogPeak, this.pending);
    this.nextBacklogWarn *= 10;
    this.safely(() => this.deps.onBacklog?.(this.pending, false));
  }

  private safely(tell: () => void): void {
    try {
      tell();
    } catch (e) {
      this.deps.onError(e);
    }
  }

  private async persist(): Promise<void> {
    this.cancelSave();
    this.stats.saves++;
    await this.deps.saveState(this.state!);
    // Only once saved: after a failed save (told through onError) the next container, or stop(), tries again.
    this.unsaved = 0;
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      // In the queue, so the state saved is that of whole containers. A failed save is told through onError;
      // the containers stay unsaved and the next save covers them.
      void this.enqueue(async () => {
        if (this.unsaved > 0) await this.persist();
      });
    }, this.saveDelayMs);
  }

  private cancelSave(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
  }

  private async initialState(): Promise<UpdateState> {
    const s = await this.deps.fetchState();
    await this.deps.saveState(s);
    return s;
  }

  private async process(incoming: IncomingUpdates): Promise<void> {
    if (!this.state) return; // not started: start() will catch up through getDifference
    if (incoming.kind === 'connection') {
      if (incoming.state === 'connected') await this.catchUp();
      return;
    }
    if (incoming.kind === 'tooLong') {
      await this.catchUp();
      return;
    }
    const { seq, seqStart } = incoming;
    if (seq !== 0) {
      if (this.state.seq + 1 < seqStart) {
        this.stats.gaps++;
        await this.catchUp();
        return;
      }
      if (this.state.seq + 1 > seqStart && this.state.seq >= seq) {
        this.stats.duplicatesSkipped += incoming.updates.length;
        return;
      }
    }
    for (const u of incoming.updates) {
      const verdict = this.check(u);
      if (verdict === 'gap') {
        this.stats.gaps++;
        await this.catchUp();
        return;
      }
      if (verdict === 'duplicate') {
        this.stats.duplicatesSkipped++;
        continue;
      }
      await this.apply(u);
    }
    if (seq !== 0 || incoming.date > this.state.date) {
      this.state = {
        ...this.state,
        seq: seq !== 0 ? seq : this.state.seq,
        date: Math.max(this.state.date, incoming.date),
      };
    }
    this.unsaved++;
  }

  private check(u: SequencedUpdate): 'apply' | 'duplicate' | 'gap' {
    const s = this.state!;
    switch (u.seq.box) {
      case 'pts': {
        const expected = s.pts + u.seq.ptsCount;
        if (u.seq.pts === expected) return 'apply';
        return u.seq.pts < expected ? 'duplicate' : 'gap';
      }
      case 'qts':
        if (u.seq.qts === s.qts + 1) return 'apply';
        return u.seq.qts <= s.qts ? 'duplicate' : 'gap';
      default:
        return 'apply';
    }
  }

  private async apply(u: SequencedUpdate): Promise<void> {
    const s = this.state!;
    if (u.seq.box === 'pts') this.state = { ...s, pts: u.seq.pts };
    else if (u.seq.box === 'qts') this.state = { ...s, qts: u.seq.qts };
    await this.deliverOne(u.update);
  }

  private async deliverOne(update: BotUpdate): Promise<void> {
    if (this.stopped) return; // a handler stopped the client: the rest of the container is not delivered
    this.stats.delivered++;
    try {
      await this.deps.deliver(update);
    } catch (e) {
      this.deps.onError(e);
    }
  }

  /** getDifference until Telegram says there is nothing more. */
  private async catchUp(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      const diff = await this.deps.fetchDifference(this.state!);
      this.stats.differences++;
      if (diff.kind === 'empty') {
        this.state = { ...this.state!, date: diff.date, seq: diff.seq };
        await this.deps.saveState(this.state);
        return;
      }
      if (diff.kind === 'tooLong') {
        // Too much was missed to replay: Telegram hands a fresh pts and the rest is gone, as for any client.
        this.state = { ...this.state!, pts: diff.pts };
        await this.deps.saveState(this.state);
        continue;
      }
      for (const u of diff.updates) await this.deliverOne(u.update);
      if (this.stopped) return; // a handler stopped the client mid-difference: keep the state it saved
      this.state = diff.state;
      await this.deps.saveState(this.state);
      if (diff.kind === 'difference') return;
    }
  }
}
