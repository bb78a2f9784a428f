import { countsFromGroups } from '../broadcast-rows.js';
import type {
  BroadcastCounts,
  BroadcastJob,
  BroadcastJobStatus,
  BroadcastRecipient,
  BroadcastRepository,
} from '../broadcast-types.js';

interface Row {
  status: BroadcastRecipient['status'];
  messageId: number | null;
  reason: string | null;
  updatedAt: number | null;
  claimedBy: string | null;
  claimedAt: number;
}

/** Broadcast jobs in memory. Operations are synchronous inside, so each is atomic. */
export class MemoryBroadcastRepository implements BroadcastRepository {
  private readonly jobs = new Map<string, BroadcastJob>();
  /** jobId → userId → row; user ids kept sorted per job for ordered claims. */
  private readonly rows = new Map<string, Map<bigint, Row>>();
  private readonly order = new Map<string, bigint[] | null>();

  constructor(private readonly assertOpen: () => void) {}

  async createJob(job: Omit<BroadcastJob, 'updatedAt'>): Promise<BroadcastJob> {
    this.assertOpen();
    const existing = this.jobs.get(job.id);
    if (existing) return existing;
    const created = Object.freeze({ ...job, updatedAt: job.createdAt });
    this.jobs.set(job.id, created);
    this.rows.set(job.id, new Map());
    return created;
  }

  async getJob(id: string): Promise<BroadcastJob | undefined> {
    this.assertOpen();
    return this.jobs.get(id);
  }

  async listJobs(): Promise<BroadcastJob[]> {
    this.assertOpen();
    return [...this.jobs.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async setJobStatus(id: string, status: BroadcastJobStatus, at: number): Promise<void> {
    this.assertOpen();
    const job = this.jobs.get(id);
    if (job) this.jobs.set(id, Object.freeze({ ...job, status, updatedAt: at }));
  }

  private table(jobId: string): Map<bigint, Row> {
    let t = this.rows.get(jobId);
    if (!t) {
      t = new Map();
      this.rows.set(jobId, t);
    }
    return t;
  }

  async addRecipients(jobId: string, userIds: readonly bigint[]): Promise<number> {
    this.assertOpen();
    const t = this.table(jobId);
    let added = 0;
    for (const id of userIds) {
      if (t.has(id)) continue;
      t.set(id, {
        status: 'pending',
        messageId: null,
        reason: null,
        updatedAt: null,
        claimedBy: null,
        claimedAt: 0,
      });
      added++;
    }
    if (added > 0) this.order.set(jobId, null);
    return added;
  }

  async claim(jobId: string, worker: string, limit: number, now: number, leaseMs: number): Promise<bigint[]> {
    this.assertOpen();
    const t = this.table(jobId);
    let ids = this.order.get(jobId);
    if (!ids) {
      ids = [...t.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.order.set(jobId, ids);
    }
    const out: bigint[] = [];
    for (const id of ids) {
      if (out.length >= limit) break;
      const r = t.get(id)!;
      if (r.status !== 'pending') continue;
      if (r.claimedBy !== null && (r.claimedBy === worker || r.claimedAt > now - leaseMs)) continue;
      r.claimedBy = worker;
      r.claimedAt = now;
      out.push(id);
    }
    return out;
  }

  async release(jobId: string, userIds: readonly bigint[]): Promise<void> {
    this.assertOpen();
    const t = this.table(jobId);
    for (const id of userIds) {
      const r = t.get(id);
      if (r?.status === 'pending') r.claimedBy = null;
    }
  }

  async releaseClaims(jobId: string, worker: string): Promise<number> {
    this.assertOpen();
    let released = 0;
    for (const r of this.table(jobId).values()) {
      if (r.status !== 'pending' || r.claimedBy !== worker) continue;
      r.claimedBy = null;
      released++;
    }
    return released;
  }

  async markSent(jobId: string, userId: bigint, messageId: number, at: number): Promise<void> {
    this.finish(jobId, userId, { status: 'sent', messageId, reason: null, updatedAt: at });
  }

  async markSkipped(jobId: string, userId: bigint, reason: string, at: number): Promise<void> {
    this.finish(jobId, userId, { status: 'skipped', messageId: null, reason, updatedAt: at });
  }

  private finish(jobId: string, userId: bigint, patch: Omit<Row, 'claimedBy' | 'claimedAt'>): void {
    this.assertOpen();
    const t = this.table(jobId);
    t.set(userId, { ...patch, claimedBy: null, claimedAt: 0 });
  }

  async getRecipient(jobId: string, userId: bigint): Promise<BroadcastRecipient | undefined> {
    this.assertOpen();
    const r = this.rows.get(jobId)?.get(userId);
    return r
      ? { jobId, userId, status: r.status, messageId: r.messageId, reason: r.reason, updatedAt: r.updatedAt }
      : undefined;
  }

  async counts(jobId: string): Promise<BroadcastCounts> {
    this.assertOpen();
    return countsFromGroups([...(this.rows.get(jobId)?.values() ?? [])].map((r) => ({ ...r, n: 1 })));
  }
}
