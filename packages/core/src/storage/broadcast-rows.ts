import type { BroadcastCounts, BroadcastRecipient, RecipientStatus } from './broadcast-types.js';

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
