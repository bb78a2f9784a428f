import {
  countsFromGroups,
  type JobRow,
  jobFromRow as job,
  type RecipientRow,
  recipientFromRow,
} from '../broadcast-rows.js';
import type {
  BroadcastCounts,
  BroadcastJob,
  BroadcastJobStatus,
  BroadcastRecipient,
  BroadcastRepository,
} from '../broadcast-types.js';
import type { SqliteDriver } from './driver.js';

/** Broadcast jobs in SQLite (tables from migration 2). Each call is one statement or one transaction. */
export class SqliteBroadcastRepository implements BroadcastRepository {
  constructor(private readonly driver: SqliteDriver) {}

  private get db() {
    return this.driver.db;
  }

  async createJob(j: Omit<BroadcastJob, 'updatedAt'>): Promise<BroadcastJob> {
    await this.driver.write(false, () => {
      this.db
        .prepare(
          'INSERT INTO broadcast_jobs (id, text, options, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        )
        .run(j.id, j.text, j.options, j.status, j.createdAt, j.createdAt);
    });
    return (await this.getJob(j.id))!;
  }

  async getJob(id: string): Promise<BroadcastJob | undefined> {
    const r = this.db.prepare<[string], JobRow>('SELECT * FROM broadcast_jobs WHERE id = ?').get(id);
    return r ? job(r) : undefined;
  }

  async listJobs(): Promise<BroadcastJob[]> {
    return this.db.prepare<[], JobRow>('SELECT * FROM broadcast_jobs ORDER BY created_at, id').all().map(job);
  }

  async setJobStatus(id: string, status: BroadcastJobStatus, at: number): Promise<void> {
    await this.driver.write(false, () => {
      this.db
        .prepare('UPDATE broadcast_jobs SET status = ?, updated_at = ? WHERE id = ?')
        .run(status, at, id);
    });
  }

  async addRecipients(jobId: string, userIds: readonly bigint[]): Promise<number> {
    let added = 0;
    await this.driver.write(false, () => {
      const insert = this.db.prepare(
        "INSERT INTO broadcast_recipients (job_id, user_id, status) VALUES (?, ?, 'pending') ON CONFLICT DO NOTHING",
      );
      for (const id of userIds) added += insert.run(jobId, id).changes;
    });
    return added;
  }

  async claim(jobId: string, worker: string, limit: number, now: number, leaseMs: number): Promise<bigint[]> {
    let ids: bigint[] = [];
    await this.driver.write(false, () => {
      ids = this.db
        .prepare<[string, string, number, number], { user_id: bigint }>(
          `SELECT user_id FROM broadcast_recipients
           WHERE job_id = ? AND status = 'pending'
             AND (claimed_by IS NULL OR (claimed_by <> ? AND claimed_at <= ?))
           ORDER BY user_id LIMIT ?`,
        )
        .all(jobId, worker, now - leaseMs, limit)
        .map((r) => r.user_id);
      const mark = this.db.prepare(
        'UPDATE broadcast_recipients SET claimed_by = ?, claimed_at = ? WHERE job_id = ? AND user_id = ?',
      );
      for (const id of ids) mark.run(worker, now, jobId, id);
    });
    return ids;
  }

  async release(jobId: string, userIds: readonly bigint[]): Promise<void> {
    await this.driver.write(false, () => {
      const st = this.db.prepare(
        "UPDATE broadcast_recipients SET claimed_by = NULL, claimed_at = NULL WHERE job_id = ? AND user_id = ? AND status = 'pending'",
      );
      for (const id of userIds) st.run(jobId, id);
    });
  }

  async releaseClaims(jobId: string, worker: string): Promise<number> {
    let released = 0;
    await this.driver.write(false, () => {
      released = this.db
        .prepare(
          "UPDATE broadcast_recipients SET claimed_by = NULL, claimed_at = NULL WHERE job_id = ? AND claimed_by = ? AND status = 'pending'",
        )
        .run(jobId, worker).changes;
    });
    return released;
  }

  async markSent(jobId: string, userId: bigint, messageId: number, at: number): Promise<void> {
    await this.driver.write(false, () => {
      this.db
        .prepare(
          "UPDATE broadcast_recipients SET status = 'sent', message_id = ?, reason = NULL, updated_at = ?, claimed_by = NULL, claimed_at = NULL WHERE job_id = ? AND user_id = ?",
        )
        .run(messageId, at, jobId, userId);
    });
  }

  async markSkipped(jobId: string, userId: bigint, reason: string, at: number): Promise<void> {
    await this.driver.write(false, () => {
      this.db
        .prepare(
          "UPDATE broadcast_recipients SET status = 'skipped', message_id = NULL, reason = ?, updated_at = ?, claimed_by = NULL, claimed_at = NULL WHERE job_id = ? AND user_id = ?",
        )
        .run(reason, at, jobId, userId);
    });
  }

  async getRecipient(jobId: string, userId: bigint): Promise<BroadcastRecipient | undefined> {
    const r = this.db
      .prepare<[string, bigint], RecipientRow>(
        'SELECT status, message_id, reason, updated_at FROM broadcast_recipients WHERE job_id = ? AND user_id = ?',
      )
      .get(jobId, userId);
    return r ? recipientFromRow(jobId, userId, r) : undefined;
  }

  async counts(jobId: string): Promise<BroadcastCounts> {
    return countsFromGroups(
      this.db
        .prepare<[string], { status: string; reason: string | null; n: bigint }>(
          'SELECT status, reason, count(*) AS n FROM broadcast_recipients WHERE job_id = ? GROUP BY status, reason',
        )
        .all(jobId),
    );
  }
}
