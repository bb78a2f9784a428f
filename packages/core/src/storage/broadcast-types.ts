/**
 * Resumable broadcasts in storage: the job and each recipient's state. A recipient is claimed by a worker before it
 * is sent to (a lease, so a dead worker's claims expire), then marked sent (with the message id) or skipped (with
 * the reason). Several processes sharing one store (PostgreSQL) split a job by claiming.
 */

export type BroadcastJobStatus = 'preparing' | 'ready' | 'done';

export interface BroadcastJob {
  readonly id: string;
  readonly text: string;
  /** JSON of the send options (parse mode, silent, buttons). */
  readonly options: string;
  readonly status: BroadcastJobStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type RecipientStatus = 'pending' | 'sent' | 'skipped';

export interface BroadcastRecipient {
  readonly jobId: string;
  readonly userId: bigint;
  readonly status: RecipientStatus;
  /** Message id when sent; 0 when Telegram reported the random_id as already sent. */
  readonly messageId: number | null;
  /** Why it was skipped (a SendFailureReason). */
  readonly reason: string | null;
  readonly updatedAt: number | null;
}

export interface BroadcastCounts {
  readonly total: number;
  readonly pending: number;
  readonly sent: number;
  readonly skipped: number;
  /** Skipped recipients by reason. */
  readonly skippedByReason: Readonly<Record<string, number>>;
}

export interface BroadcastRepository {
  /** Creates the job, or returns the existing one with that id unchanged. */
  createJob(job: Omit<BroadcastJob, 'updatedAt'>): Promise<BroadcastJob>;
  getJob(id: string): Promise<BroadcastJob | undefined>;
  listJobs(): Promise<BroadcastJob[]>;
  setJobStatus(id: string, status: BroadcastJobStatus, at: number): Promise<void>;
  /** Adds recipients as pending; ones already in the job are left as they are. Returns how many were new. */
  addRecipients(jobId: string, userIds: readonly bigint[]): Promise<number>;
  /**
   * Claims up to `limit` pending recipients not claimed by anyone else (or whose claim is older than `leaseMs`),
   * in ascending user id order, for `worker`. Atomic: two workers never get the same recipient.
   */
  claim(jobId: string, worker: string, limit: number, now: number, leaseMs: number): Promise<bigint[]>;
  /** Gives claims back (e.g. on a flood wait beyond the limit) so they are claimed again later. */
  release(jobId: string, userIds: readonly bigint[]): Promise<void>;
  /**
   * Gives back every pending recipient `worker` holds, and returns how many. For a worker with nothing in flight:
   * what it still holds are claims it lost track of (a claim the store ran whose answer never arrived), which
   * neither it nor, within the lease, another worker would claim again.
   */
  releaseClaims(jobId: string, worker: string): Promise<number>;
  markSent(jobId: string, userId: bigint, messageId: number, at: number): Promise<void>;
  markSkipped(jobId: string, userId: bigint, reason: string, at: number): Promise<void>;
  getRecipient(jobId: string, userId: bigint): Promise<BroadcastRecipient | undefined>;
  counts(jobId: string): Promise<BroadcastCounts>;
}
