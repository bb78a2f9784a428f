import type {
  BroadcastCounts,
  BroadcastJob,
  BroadcastJobStatus,
  BroadcastRecipient,
  RecipientStatus,
} from './broadcast-types.js';

/** A broadcast_jobs row as SQL providers read it. */
export interface JobRow {
  readonly id: string;
  readonly text: string;
  readonly options: string;
  readonly status: string;
  readonly created_at: bigint | number;
  readonly updated_at: bigint | number;
}

export function jobFromRow(r: JobRow): BroadcastJob {
  return {
    id: r.id,
    text: r.text,
    options: r.options,
    status: r.status as BroadcastJobStatus,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** A recipient row as SQL providers read it (64-bit columns as bigint). */
export interface RecipientRow {
  readonly status: string;
  readonly message_id: bigint | number | null;
  readonly reason: string | null;
  readonly updated_at: bigint | number | null;
}

export function recipientFromRow(jobId: string, userId: bigint, r: RecipientRow): BroadcastRecipient {
  return {
    jobId,
    userId,
    status: r.status as RecipientStatus,
    messageId: r.message_id === null ? null : Number(r.message_id),
    reason: r.reason,
    updatedAt: r.updated_at === null ? null : Number(r.updated_at),
  };
}

/** Folds `(status, reason, count)` groups — or one entry per recipient with n = 1 — into BroadcastCounts. */
export function countsFromGroups(
  groups: Iterable<{ readonly status: string; readonly reason: string | null; readonly n: bigint | number }>,
): BroadcastCounts {
  let pending = 0;
  let sent = 0;
  let skipped = 0;
  const skippedByReason: Record<string, number> = {};
  for (const g of groups) {
    const n = Number(g.n);
    if (g.status === 'pending') pending += n;
    else if (g.status === 'sent') sent += n;
    else {
      skipped += n;
      const reason = g.reason ?? 'unknown';
      skippedByReason[reason] = (skippedByReason[reason] ?? 0) + n;
    }
  }
  return { total: pending + sent + skipped, pending, sent, skipped, skippedByReason };
}
