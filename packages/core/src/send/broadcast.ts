import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import { PmError, SessionInvalidError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import type { FormattedText, ParseMode } from '../gram/format.js';
import { errorLine } from '../log.js';
import { optionalNumber } from '../options-check.js';
import { NotAUserError, PeerNotFoundError, PeerNotSeenError } from '../peers/errors.js';
import { type PeerRef, parsePeerRef } from '../peers/peer-ref.js';
import { FloodWaitError } from '../rpc-errors.js';
import type { BroadcastCounts, BroadcastJob, BroadcastRepository } from '../storage/broadcast-types.js';
import type { PeerCache } from '../storage/peer-cache.js';
import type { DialogState, PeerRecord } from '../storage/types.js';
import { broadcastRandomId } from './random-id.js';
import { MAX_MESSAGE_LENGTH, type SendInput, type SendResult } from './sender.js';

export const BROADCAST_DEFAULTS = {
  /** Messages in flight at once; the limiter, not this, sets the pace. */
  concurrency: 32,
  /** Recipients added per storage write while preparing. */
  prepareBatch: 1000,
  /** A claim older than this may be taken over by another worker (shared stores). Single-process stores: 0. */
  sharedLeaseMs: 30_000,
  /** Window over which the progress rate is measured. */
  rateWindowMs: 5000,
} as const;

/** Who receives a broadcast: refs, an (async) iterable of refs, or a query over the dialog state. */
export type Recipients =
  | Iterable<PeerRef>
  | AsyncIterable<PeerRef>
  | { readonly dialogs: { readonly started?: boolean; readonly blocked?: boolean } };

export interface BroadcastOptions {
  /** The job id: the same id resumes the same job. */
  readonly id: string;
  readonly text: string | Omit<SendInput, 'randomId' | 'replyTo'>;
  /** Needed to create the job; may be omitted to resume one whose recipients are all stored. */
  readonly recipients?: Recipients;
  /** @default 32 */
  readonly concurrency?: number;
  /** Worker name for claims. @default `${hostname}:${pid}` */
  readonly worker?: string;
  /** @default 0 for single-process stores, 30 s for shared ones */
  readonly leaseMs?: number;
  readonly signal?: AbortSignal;
}

export interface BroadcastProgress {
  readonly jobId: string;
  readonly total: number;
  readonly sent: number;
  readonly skipped: number;
  readonly pending: number;
  /** Messages per second over the last few seconds. */
  readonly rate: number;
  /** Estimated ms to finish at that rate; null when unknown. */
  readonly etaMs: number | null;
  /** True while the broadcast waits for the connection to Telegram to come back. */
  readonly paused: boolean;
}

export interface BroadcastReport extends BroadcastCounts {
  readonly jobId: string;
  readonly durationMs: number;
  /** References that could not be resolved to a user while preparing. */
  readonly unresolved: readonly string[];
  /** True when the job stopped (signal) before finishing; resume it with the same id. */
  readonly interrupted: boolean;
}

export interface BroadcastEvents {
  sent: { readonly userId: bigint; readonly messageId: number; readonly duplicate: boolean };
  skipped: { readonly userId: bigint; readonly reason: string };
  progress: BroadcastProgress;
  /** A send that threw instead of answering (network down for good, storage failure). */
  error: { readonly userId: bigint; readonly error: unknown };
}

export class BroadcastError extends PmError {
  constructor(
    readonly jobId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('BROADCAST', `Broadcast ${JSON.stringify(jobId)}: ${message}`, options);
  }
}

const JOB_STATUSES: ReadonlySet<string> = new Set(['preparing', 'ready', 'done']);

/**
 * The send options a job was created with, as stored (JSON); options the store holds damaged (not a JSON object, a
 * parse mode pm does not know) are a BroadcastError naming the job, never a raw SyntaxError.
 */
function storedOptions(job: BroadcastJob): Omit<SendInput, 'text'> {
  let parsed: unknown;
  let why: string | undefined;
  try {
    parsed = JSON.parse(job.options);
  } catch (e) {
    why = `its options are not valid JSON (${(e as Error).message})`;
  }
  if (why === undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)))
    why = 'its options are not a JSON object';
  const parseMode = (parsed as { parseMode?: unknown } | undefined)?.parseMode;
  if (why === undefined && parseMode !== undefined && parseMode !== 'html' && parseMode !== 'markdown')
    why = `its parse mode ${JSON.stringify(parseMode)} is not html or markdown`;
  if (why !== undefined)
    throw new BroadcastError(job.id, `is damaged in the store: ${why}; start a new job under another id`);
  return parsed as Omit<SendInput, 'text'>;
}

export interface BroadcastDeps {
  readonly repo: BroadcastRepository;
  readonly peers: PeerCache;
  readonly clock: Clock;
  readonly shared: boolean;
  resolvePeer(ref: PeerRef): Promise<PeerRecord>;
  /**
   * Sits out a FLOOD_WAIT of `seconds` (Telegram seconds) that looking up a recipient met, when the waits summed stay
   * within the client's `maxFloodWaitSeconds`; false when they would not (nothing was waited).
   */
  waitFlood(seconds: number, waitedSoFar: number, signal?: AbortSignal): Promise<boolean>;
  iterateDialogs(): AsyncIterable<DialogState>;
  format(text: string, mode: ParseMode | undefined): FormattedText;
  sendTo(peer: PeerRecord, formatted: FormattedText, req: SendInput): Promise<SendResult>;
  /** The connection: a broadcast pauses while it is down instead of failing its recipients. */
  readonly connection?: {
    ready(): boolean;
    /** Resolves once connected; rejects when the client stops (SessionInvalidError when Telegram refused it). */
    waitReady(): Promise<void>;
  };
}

/**
 * A running broadcast. Each recipient's state lives in the store and its random_id is derived from (job id,
 * recipient), so after a crash at any moment `resume` sends each remaining recipient exactly once: a message that
 * went out just before the crash comes back as RANDOM_ID_DUPLICATE and is recorded as sent. (A little over 300
 * lines with its options and events: one job's whole life, preparing, sending, pausing, resuming.)
 */
export class Broadcast extends TypedEmitter<BroadcastEvents> {
  readonly done: Promise<BroadcastReport>;
  private readonly sentTimes: number[] = [];
  private paused = false;
  /** Telegram refused the session: the run ends and `done` rejects with it. */
  private fatal: SessionInvalidError | undefined;
  /** Sends in flight at once; checked when the broadcast is made. */
  private readonly concurrency: number;
  /** How long a claim holds a recipient; checked when the broadcast is made. */
  private readonly leaseMs: number;

  constructor(
    private readonly deps: BroadcastDeps,
    private readonly opts: BroadcastOptions,
  ) {
    super();
    // Refused at once (a RangeError naming it): a NaN concurrency would poll for good and send nothing.
    this.concurrency = optionalNumber(
      'concurrency',
      opts.concurrency,
      BROADCAST_DEFAULTS.concurrency,
      'count',
    );
    const sharedLease = deps.shared ? BROADCAST_DEFAULTS.sharedLeaseMs : 0;
    this.leaseMs = optionalNumber('leaseMs', opts.leaseMs, sharedLease, 'nonNegative');
    // Let the caller attach listeners before the first event.
    this.done = new Promise<void>((r) => setImmediate(r)).then(() => this.run());
  }

  get id(): string {
    return this.opts.id;
  }

  private async run(): Promise<BroadcastReport> {
    const started = this.deps.clock.now();
    const { repo } = this.deps;
    const id = this.opts.id;
    const text = typeof this.opts.text === 'string' ? { text: this.opts.text } : this.opts.text;
    // A text no recipient can get is refused before a job is made, rather than skipped for each recipient.
    if (this.opts.recipients)
      this.assertSendable(this.deps.format(text.text, text.parseMode), ' (no job was created)');
    const job = await this.prepareJob(text);
    const unresolved = job.status === 'preparing' ? await this.addRecipients() : [];
    if (job.status === 'preparing') await repo.setJobStatus(id, 'ready', this.deps.clock.now());

    const stored = storedOptions(job);
    const formatted = this.deps.format(job.text, stored.parseMode);
    this.assertSendable(formatted, '');
    const worker =
      this.opts.worker ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    const { leaseMs, concurrency } = this;
    let interrupted = false;

    const inFlight = new Set<Promise<void>>();
    for (;;) {
      if (this.opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (this.fatal) break;
      if (this.deps.connection && !this.deps.connection.ready()) {
        // Offline: recipients stay pending (none is failed for it); progress says so until the connection is back.
        this.paused = true;
        await this.emitProgress();
        try {
          await this.deps.connection.waitReady();
        } catch (e) {
          if (e instanceof SessionInvalidError) this.fatal = e;
          else interrupted = true;
          break;
        } finally {
          this.paused = false;
        }
        await this.emitProgress();
      }
      const want = concurrency * 2 - inFlight.size;
      const batch = want > 0 ? await repo.claim(id, worker, want, this.deps.clock.now(), leaseMs) : [];
      if (batch.length === 0 && inFlight.size === 0) {
        // Nothing in flight, so whatever this worker still holds is a claim it lost track of (the store ran it and
        // its answer never came): give it back and claim again, or the run would wait for it forever.
        if ((await repo.releaseClaims(id, worker)) > 0) continue;
        const c = await repo.counts(id);
        if (c.pending === 0) break;
        // Pending recipients held by other workers (or released after a flood wait): look again shortly.
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(50, leaseMs / 10))));
        continue;
      }
      for (const userId of batch) {
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        const p: Promise<void> = this.deliver(userId, formatted, stored)
          .catch((error: unknown) => this.failed(userId, error))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      if (batch.length === 0) await Promise.race(inFlight);
      await this.emitProgress();
    }
    await Promise.all(inFlight);
    if (this.fatal) throw this.fatal;
    const counts = await repo.counts(id);
    if (counts.pending === 0) await repo.setJobStatus(id, 'done', this.deps.clock.now());
    await this.emitProgress();
    return {
      jobId: id,
      ...counts,
      durationMs: this.deps.clock.now() - started,
      unresolved,
      interrupted: interrupted && counts.pending > 0,
    };
  }

  /** Refuses a text Telegram would refuse for every recipient: empty, or longer than a message may be. */
  private assertSendable(formatted: FormattedText, after: string): void {
    const n = formatted.text.length; // UTF-16 code units, as Telegram counts
    if (formatted.text.trim().length === 0)
      throw new BroadcastError(this.opts.id, `its text is empty once formatted: nothing was sent${after}`);
    if (n > MAX_MESSAGE_LENGTH) {
      throw new BroadcastError(
        this.opts.id,
        `its text is ${n} characters once formatted, over Telegram's limit of ${MAX_MESSAGE_LENGTH}: nothing was sent${after}`,
      );
    }
  }

  private async prepareJob(text: Omit<SendInput, 'randomId' | 'replyTo'>): Promise<BroadcastJob> {
    const { text: body, ...options } = text;
    const existing = await this.deps.repo.getJob(this.opts.id);
    if (existing) {
      if (!JOB_STATUSES.has(existing.status)) {
        throw new BroadcastError(
          this.opts.id,
          `is damaged in the store: its status is ${JSON.stringify(existing.status)}, not one of preparing, ready, done; start a new job under another id`,
        );
      }
      if (existing.text !== body) throw new BroadcastError(this.opts.id, 'exists with a different text');
      if (existing.status === 'preparing' && !this.opts.recipients) {
        throw new BroadcastError(
          this.opts.id,
          'was interrupted while its recipients were being stored: pass them again',
        );
      }
      return existing;
    }
    if (!this.opts.recipients)
      throw new BroadcastError(this.opts.id, 'does not exist; recipients are needed to create it');
    return this.deps.repo.createJob({
      id: this.opts.id,
      text: body,
      options: JSON.stringify(options),
      status: 'preparing',
      createdAt: this.deps.clock.now(),
    });
  }

  private async *recipientIds(unresolved: string[]): AsyncIterable<bigint> {
    const r = this.opts.recipients!;
    if ('dialogs' in r && !(Symbol.iterator in r) && !(Symbol.asyncIterator in r)) {
      const f = (r as { dialogs: { started?: boolean; blocked?: boolean } }).dialogs;
      for await (const d of this.deps.iterateDialogs()) {
        if (f.started !== undefined && (d.startedAt !== null) !== f.started) continue;
        if (f.blocked !== undefined && d.blocked !== f.blocked) continue;
        yield d.userId;
      }
      return;
    }
    let waited = 0;
    for await (const ref of r as AsyncIterable<PeerRef>) {
      const parsed = parsePeerRef(ref);
      if (parsed.kind === 'id') {
        yield parsed.id;
        continue;
      }
      for (;;) {
        try {
          yield (await this.deps.resolvePeer(ref)).id;
        } catch (e) {
          // Only a reference that names nobody (or no user) is unresolved; anything else (Telegram unreachable, a
          // flood wait past the limit, the store failing) stops the preparation, rather than dropping recipients
          // as if they did not exist.
          if (e instanceof PeerNotFoundError || e instanceof PeerNotSeenError || e instanceof NotAUserError) {
            unresolved.push(String(ref));
          } else if (
            e instanceof FloodWaitError &&
            (await this.deps.waitFlood(e.seconds, waited, this.opts.signal))
          ) {
            waited += e.seconds;
            continue;
          } else {
            throw this.preparationFailed(ref, e);
          }
        }
        break;
      }
    }
  }

  /** Looking up `ref` failed for a reason other than it naming nobody: the job stays to be prepared again. */
  private preparationFailed(ref: PeerRef, e: unknown): unknown {
    if (e instanceof SessionInvalidError) return e;
    const why = this.opts.signal?.aborted ? 'it was stopped' : errorLine(e);
    return new BroadcastError(
      this.opts.id,
      `looking up recipient ${String(ref)} failed (${why}): no message was sent; run it again with the same recipients to go on`,
      { cause: e },
    );
  }

  private async addRecipients(): Promise<string[]> {
    const unresolved: string[] = [];
    let batch: bigint[] = [];
    for await (const id of this.recipientIds(unresolved)) {
      batch.push(id);
      if (batch.length >= BROADCAST_DEFAULTS.prepareBatch) {
        await this.deps.repo.addRecipients(this.opts.id, batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.deps.repo.addRecipients(this.opts.id, batch);
    return unresolved;
  }

  private async deliver(
    userId: bigint,
    formatted: FormattedText,
    stored: Omit<SendInput, 'text'>,
  ): Promise<void> {
    const { repo, clock } = this.deps;
    const id = this.opts.id;
    const peer = await this.deps.peers.get(userId);
    if (!peer) {
      await repo.markSkipped(id, userId, 'notSeen', clock.now());
      await this.emit('skipped', { userId, reason: 'notSeen' });
      return;
    }
    const res = await this.deps.sendTo(peer, formatted, {
      ...stored,
      text: formatted.text,
      randomId: broadcastRandomId(id, userId),
    });
    if (res.ok) {
      await repo.markSent(id, userId, res.messageId, clock.now());
      this.sentTimes.push(clock.now());
      await this.emit('sent', { userId, messageId: res.messageId, duplicate: res.duplicate === true });
    } else if (res.reason === 'floodWait' || res.reason === 'network') {
      // Sent again once the wait is over / the connection is back, with the same random_id: never twice.
      await repo.release(id, [userId]);
    } else {
      await repo.markSkipped(id, userId, res.reason, clock.now());
      await this.emit('skipped', { userId, reason: res.reason });
    }
  }

  /** A recipient whose send threw (not a refusal Telegram answered): recorded as skipped 'failed'. */
  private async failed(userId: bigint, error: unknown): Promise<void> {
    if (error instanceof SessionInvalidError) {
      // Nobody can be sent anything any more: the recipient stays pending for a resume after a new login.
      this.fatal ??= error;
      await this.deps.repo.release(this.opts.id, [userId]);
      return;
    }
    await this.deps.repo.markSkipped(this.opts.id, userId, 'failed', this.deps.clock.now());
    await this.emit('skipped', { userId, reason: 'failed' });
    await this.emit('error', { userId, error });
  }

  private async emitProgress(): Promise<void> {
    if (this.listenerCount('progress') === 0) return;
    const now = this.deps.clock.now();
    while (this.sentTimes.length > 0 && this.sentTimes[0]! < now - BROADCAST_DEFAULTS.rateWindowMs)
      this.sentTimes.shift();
    const span = Math.min(BROADCAST_DEFAULTS.rateWindowMs, Math.max(1, now - (this.sentTimes[0] ?? now)));
    const rate = this.sentTimes.length > 1 ? (this.sentTimes.length / span) * 1000 : 0;
    const c = await this.deps.repo.counts(this.opts.id);
    await this.emit('progress', {
      jobId: this.opts.id,
      total: c.total,
      sent: c.sent,
      skipped: c.skipped,
      pending: c.pending,
      rate,
      etaMs: rate > 0 ? (c.pending / rate) * 1000 : null,
      paused: this.paused,
    });
  }
}
