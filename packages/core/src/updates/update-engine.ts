import type { BotUpdate, Difference, IncomingUpdates, SequencedUpdate, UpdateState } from './types.js';

/** What the engine needs from the outside world; `gram/` and the store provide it. */
export interface UpdateEngineDeps {
  /** The last persisted state, if any. */
  loadState(): Promise<UpdateState | undefined>;
  /** Persists the state; called after every applied container and difference. */
  saveState(state: UpdateState): Promise<void>;
  /** updates.getState: used once, when nothing is persisted yet. */
  fetchState(): Promise<UpdateState>;
  /** updates.getDifference from `state`. */
  fetchDifference(state: UpdateState): Promise<Difference>;
  /**
   * Hands one update to the bot, in order. The engine waits for it before the next one. Answering true asks for the
   * state to be saved right after this container (e.g. a dialog was opened) instead of at the end of the burst.
   */
  deliver(update: BotUpdate): Promise<unknown>;
  /** An error the engine could not act on (a failed getDifference, a throwing handler). */
  onError(error: unknown): void;
  /**
   * True when called from inside one of the bot's handlers (HandlerScope): stop() then cannot wait for the queue,
   * which waits for that handler. @default never
   */
  insideHandler?(): boolean;
}

/** During a burst, the state is saved at least every this many containers. */
const SAVE_EVERY = 16;

export interface UpdateEngineStats {
  delivered: number;
  duplicatesSkipped: number;
  gaps: number;
  differences: number;
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
  /** A delivered update asked for the state to be saved after its container. */
  private urgent = false;
  readonly stats: UpdateEngineStats = { delivered: 0, duplicatesSkipped: 0, gaps: 0, differences: 0 };

  constructor(private readonly deps: UpdateEngineDeps) {}

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
      if (this.state) await this.persist();
      return;
    }
    await this.idle();
    this.stopped = true;
  }

  get currentState(): UpdateState | undefined {
    return this.state;
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.pending++;
    const run = this.queue.then(async () => {
      this.pending--;
      if (this.stopped) return;
      this.running = true;
      try {
        await job();
        if (this.stopped) return; // stopped from inside the job: stop() saved the state already
        // Save when the queue runs dry, and at least every SAVE_EVERY containers during a burst: one write per
        // burst instead of one per container. A crash can then replay at most that many containers.
        if (this.unsaved > 0 && (this.pending === 0 || this.unsaved >= SAVE_EVERY || this.urgent))
          await this.persist();
      } catch (e) {
        this.deps.onError(e);
      } finally {
        this.running = false;
      }
    });
    this.queue = run;
    return run;
  }

  private async persist(): Promise<void> {
    this.unsaved = 0;
    this.urgent = false;
    await this.deps.saveState(this.state!);
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
      if ((await this.deps.deliver(update)) === true) this.urgent = true;
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
