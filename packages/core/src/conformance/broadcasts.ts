/** Conformance: the broadcast repository. */
import { describe, expect, it } from 'vitest';
import { INT64_MAX } from '../storage/peer-ids.js';
import { type Suite, T0 } from './fixtures.js';

export function describeBroadcasts(s: Suite): void {
  const { name } = s;
  describe('broadcasts', () => {
    const JOB = { id: 'job-1', text: 'hello', options: '{}', status: 'preparing' as const, createdAt: T0 };
    const repo = () => {
      const broadcasts = s.provider.broadcasts;
      if (broadcasts === undefined) throw new Error(`${name} keeps no broadcasts`);
      return broadcasts;
    };

    it('creates a job once and returns the existing one unchanged', async (ctx) => {
      if (!s.provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
      expect(await repo().createJob(JOB)).toEqual({ ...JOB, updatedAt: T0 });
      expect(await repo().createJob({ ...JOB, text: 'other', createdAt: T0 + 5 })).toEqual({
        ...JOB,
        updatedAt: T0,
      });
      await repo().setJobStatus(JOB.id, 'ready', T0 + 10);
      expect(await repo().getJob(JOB.id)).toMatchObject({ status: 'ready', updatedAt: T0 + 10 });
      await repo().createJob({ ...JOB, id: 'job-0', createdAt: T0 + 1 });
      expect((await repo().listJobs()).map((j) => j.id)).toEqual(['job-1', 'job-0']);
      expect(await repo().getJob('missing')).toBeUndefined();
    });

    it('adds recipients idempotently and counts only the new ones', async (ctx) => {
      if (!s.provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
      await repo().createJob(JOB);
      expect(await repo().addRecipients(JOB.id, [3n, 1n, 2n])).toBe(3);
      expect(await repo().addRecipients(JOB.id, [2n, 3n, INT64_MAX, INT64_MAX])).toBe(1);
      expect(await repo().addRecipients(JOB.id, [])).toBe(0);
      expect(await repo().counts(JOB.id)).toEqual({
        total: 4,
        pending: 4,
        sent: 0,
        skipped: 0,
        skippedByReason: {},
      });
      expect(await repo().getRecipient(JOB.id, INT64_MAX)).toEqual({
        jobId: JOB.id,
        userId: INT64_MAX,
        status: 'pending',
        messageId: null,
        reason: null,
        updatedAt: null,
      });
    });

    it('claims pending recipients in id order, each for one worker only', async (ctx) => {
      if (!s.provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
      await repo().createJob(JOB);
      const ids = Array.from({ length: 60 }, (_, i) => BigInt(60 - i));
      await repo().addRecipients(JOB.id, ids);
      expect(await repo().claim(JOB.id, 'w1', 3, T0, 1000)).toEqual([1n, 2n, 3n]);
      // Claims made at once by several workers never overlap and together take every recipient once.
      const claims = await Promise.all(
        ['w2', 'w3', 'w4', 'w5'].map((w) => repo().claim(JOB.id, w, 20, T0, 1000)),
      );
      const all = claims.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(57);
      for (const c of claims) expect(c).toEqual([...c].sort((a, b) => (a < b ? -1 : 1)));
      expect(await repo().claim(JOB.id, 'w6', 10, T0 + 999, 1000)).toEqual([]);
    });

    it('lets another worker take over a claim once its lease has run out', async (ctx) => {
      if (!s.provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
      await repo().createJob(JOB);
      await repo().addRecipients(JOB.id, [1n, 2n]);
      expect(await repo().claim(JOB.id, 'dead', 2, T0, 500)).toEqual([1n, 2n]);
      expect(await repo().claim(JOB.id, 'alive', 2, T0 + 499, 500)).toEqual([]);
      expect(await repo().claim(JOB.id, 'alive', 2, T0 + 500, 500)).toEqual([1n, 2n]);
    });

    it("gives back every pending claim of one worker, and no other worker's", async (ctx) => {
      if (!s.provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
      await repo().createJob(JOB);
      await repo().addRecipients(JOB.id, [1n, 2n, 3n, 4n, 5n]);
      expect(await repo().claim(JOB.id, 'lost', 3, T0, 60_000)).toEqual([1n, 2n, 3n]);
      expect(await repo().claim(JOB.id, 'other', 5, T0, 60_000)).toEqual([4n, 5n]);
      await repo().markSent(JOB.id, 1n, 70, T0 + 1);
      // A worker never claims its own claims again.
      expect(await repo().claim(JOB.id, 'lost', 5, T0 + 30_000, 60_000)).toEqual([]);
      expect(await repo().releaseClaims(JOB.id, 'lost')).toBe(2);
      expect(await repo().releaseClaims(JOB.id, 'lost')).toBe(0);
      expect(await repo().releaseClaims('missing', 'lost')).toBe(0);
      expect(await repo().claim(JOB.id, 'lost', 5, T0 + 30_001, 60_000)).toEqual([2n, 3n]);
      expect(await repo().getRecipient(JOB.id, 1n)).toMatchObject({ status: 'sent', messageId: 70 });
      expect(await repo().releaseClaims(JOB.id, 'other')).toBe(2);
      expect(await repo().claim(JOB.id, 'third', 5, T0 + 30_002, 60_000)).toEqual([4n, 5n]);
    });

    it('marks recipients sent or skipped, counts skips by reason and releases claims', async (ctx) => {
      if (!s.provider.broadcasts) ctx.skip(`${name} keeps no broadcasts`);
      await repo().createJob(JOB);
      await repo().addRecipients(JOB.id, [1n, 2n, 3n, 4n, 5n]);
      expect(await repo().claim(JOB.id, 'w', 5, T0, 60_000)).toEqual([1n, 2n, 3n, 4n, 5n]);
      await repo().markSent(JOB.id, 1n, 77, T0 + 1);
      await repo().markSkipped(JOB.id, 2n, 'blocked', T0 + 2);
      await repo().markSkipped(JOB.id, 3n, 'blocked', T0 + 3);
      await repo().markSkipped(JOB.id, 4n, 'deactivated', T0 + 4);
      expect(await repo().getRecipient(JOB.id, 1n)).toMatchObject({
        status: 'sent',
        messageId: 77,
        updatedAt: T0 + 1,
      });
      expect(await repo().getRecipient(JOB.id, 2n)).toMatchObject({ status: 'skipped', reason: 'blocked' });
      expect(await repo().counts(JOB.id)).toEqual({
        total: 5,
        pending: 1,
        sent: 1,
        skipped: 3,
        skippedByReason: { blocked: 2, deactivated: 1 },
      });
      // Still claimed by w within the lease: nobody gets it until it is released.
      expect(await repo().claim(JOB.id, 'other', 5, T0 + 10, 60_000)).toEqual([]);
      await repo().release(JOB.id, [5n, 1n]);
      expect(await repo().claim(JOB.id, 'other', 5, T0 + 10, 60_000)).toEqual([5n]);
      expect(await repo().getRecipient(JOB.id, 1n)).toMatchObject({ status: 'sent' });
      expect(await repo().getRecipient('job-1', 99n)).toBeUndefined();
      expect(await repo().counts('missing')).toEqual({
        total: 0,
        pending: 0,
        sent: 0,
        skipped: 0,
        skippedByReason: {},
      });
    });
  });
}
