import {
  type BroadcastCounts,
  type BroadcastJob,
  type BroadcastJobStatus,
  type BroadcastRecipient,
  type BroadcastRepository,
  countsFromGroups,
  type JobRow,
  jobFromRow as job,
  recipientFromRow,
} from '@pm/core';
import type { Access } from './access.js';

/**
 * Broadcast jobs shared by processes. `claim` takes pending recipients with `FOR UPDATE SKIP LOCKED`, so workers
 * claiming at once never wait for nor get the same rows; a claim older than the lease may be taken over.
 */
export class PostgresBroadcastRepository implements BroadcastRepository {
  readonly #sql: Record<
    | 'create'
    | 'get'
    | 'list'
    | 'status'
    | 'add'
    | 'claim'
    | 'release'
    | 'releaseClaims'
    | 'sent'
    | 'skipped'
    | 'recipient'
    | 'counts',
    string
  >;

  constructor(private readonly access: Access) {
    const jobs = access.driver.table('broadcast_jobs');
    const r = access.driver.table('broadcast_recipients');
    this.#sql = {
      create: `INSERT INTO ${jobs} (id, text, options, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
        ON CONFLICT (id) DO NOTHING`,
      get: `SELECT * FROM ${jobs} WHERE id = $1`,
      list: `SELECT * FROM ${jobs} ORDER BY created_at, id`,
      status: `UPDATE ${jobs} SET status = $2, updated_at = $3 WHERE id = $1`,
      add: `INSERT INTO ${r} (job_id, user_id, status) SELECT $1, u, 'pending' FROM unnest($2::bigint[]) AS u
        ON CONFLICT DO NOTHING`,
      claim: `WITH picked AS (
          SELECT user_id FROM ${r}
          WHERE job_id = $1 AND status = 'pending'
            AND (claimed_by IS NULL OR (claimed_by <> $2 AND claimed_at <= $3))
          ORDER BY user_id LIMIT $4
          FOR UPDATE SKIP LOCKED)
        UPDATE ${r} AS r SET claimed_by = $2, claimed_at = $5
        FROM picked WHERE r.job_id = $1 AND r.user_id = picked.user_id
        RETURNING r.user_id`,
      release: `UPDATE ${r} SET claimed_by = NULL, claimed_at = NULL
        WHERE job_id = $1 AND user_id = ANY($2::bigint[]) AND status = 'pending'`,
      releaseClaims: `UPDATE ${r} SET claimed_by = NULL, claimed_at = NULL
        WHERE job_id = $1 AND claimed_by = $2 AND status = 'pending'`,
      sent: `UPDATE ${r} SET status = 'sent', message_id = $3, reason = NULL, updated_at = $4, claimed_by = NULL,
        claimed_at = NULL WHERE job_id = $1 AND user_id = $2`,
      skipped: `UPDATE ${r} SET status = 'skipped', message_id = NULL, reason = $3, updated_at = $4, claimed_by = NULL,
        claimed_at = NULL WHERE job_id = $1 AND user_id = $2`,
      recipient: `SELECT status, message_id, reason, updated_at FROM ${r} WHERE job_id = $1 AND user_id = $2`,
      counts: `SELECT status, reason, count(*) AS n FROM ${r} WHERE job_id = $1 GROUP BY status, reason`,
    };
  }

  async createJob(j: Omit<BroadcastJob, 'updatedAt'>): Promise<BroadcastJob> {
    await this.access.write.query(this.#sql.create, [j.id, j.text, j.options, j.status, j.createdAt]);
    return (await this.getJob(j.id)) as BroadcastJob;
  }

  async getJob(id: string): Promise<BroadcastJob | undefined> {
    const { rows } = await this.access.read.query<JobRow>(this.#sql.get, [id]);
    return rows[0] ? job(rows[0]) : undefined;
  }

  async listJobs(): Promise<BroadcastJob[]> {
    const { rows } = await this.access.read.query<JobRow>(this.#sql.list);
    return rows.map(job);
  }

  async setJobStatus(id: string, status: BroadcastJobStatus, at: number): Promise<void> {
    await this.access.write.query(this.#sql.status, [id, status, at]);
  }

  async addRecipients(jobId: string, userIds: readonly bigint[]): Promise<number> {
    this.access.driver.assertOpen();
    if (userIds.length === 0) return 0;
    const result = await this.access.write.query(this.#sql.add, [jobId, userIds]);
    return result.rowCount ?? 0;
  }

  async claim(jobId: string, worker: string, limit: number, now: number, leaseMs: number): Promise<bigint[]> {
    this.access.driver.assertOpen();
    if (limit <= 0) return [];
    const { rows } = await this.access.write.query<{ user_id: bigint }>(this.#sql.claim, [
      jobId,
      worker,
      now - leaseMs,
      limit,
      now,
    ]);
    return rows.map((r) => r.user_id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async release(jobId: string, userIds: readonly bigint[]): Promise<void> {
    this.access.driver.assertOpen();
    if (userIds.length === 0) return;
    await this.access.write.query(this.#sql.release, [jobId, userIds]);
  }

  async releaseClaims(jobId: string, worker: string): Promise<number> {
    this.access.driver.assertOpen();
    return (await this.access.write.query(this.#sql.releaseClaims, [jobId, worker])).rowCount ?? 0;
  }

  async markSent(jobId: string, userId: bigint, messageId: number, at: number): Promise<void> {
    await this.access.write.query(this.#sql.sent, [jobId, userId, messageId, at]);
  }

  async markSkipped(jobId: string, userId: bigint, reason: string, at: number): Promise<void> {
    await this.access.write.query(this.#sql.skipped, [jobId, userId, reason, at]);
  }

  async getRecipient(jobId: string, userId: bigint): Promise<BroadcastRecipient | undefined> {
    const { rows } = await this.access.read.query<{
      status: string;
      message_id: bigint | null;
      reason: string | null;
      updated_at: bigint | null;
    }>(this.#sql.recipient, [jobId, userId]);
    const r = rows[0];
    return r ? recipientFromRow(jobId, userId, r) : undefined;
  }

  async counts(jobId: string): Promise<BroadcastCounts> {
    const { rows } = await this.access.read.query<{ status: string; reason: string | null; n: bigint }>(
      this.#sql.counts,
      [jobId],
    );
    return countsFromGroups(rows);
  }
}
