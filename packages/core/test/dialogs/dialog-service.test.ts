import { beforeEach, describe, expect, it } from 'vitest';
import { countCommits } from '../../../../test/e2e/count-commits.js';
import { DialogService } from '../../src/dialogs/dialog-service.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import type { StorageProvider } from '../../src/storage/types.js';
import type { BotUpdate } from '../../src/updates/types.js';

const ANN = 101n;
const BOB = 102n;
const CAT = 103n;
const T0 = 1_800_000_000_000;

let storage: StorageProvider;
let commits: () => number;
let dialogs: DialogService;
let rows: bigint[];

/** A private `/start` from `userId`, as the update engine delivers it. */
const start = (userId: bigint, messageId: number): BotUpdate => ({
  type: 'message',
  messageId,
  date: T0 / 1000,
  fromId: userId,
  chatId: userId,
  isPrivate: true,
  out: false,
  text: '/start',
});

beforeEach(() => {
  storage = createMemoryStorage();
  // The rows each dialog write carries, in order.
  rows = [];
  const upsert = storage.dialogs.upsertMany.bind(storage.dialogs);
  Object.assign(storage.dialogs, {
    upsertMany: async (states: Parameters<typeof upsert>[0]) => {
      rows.push(...states.map((s) => s.userId));
      await upsert(states);
    },
  });
  commits = countCommits(storage);
  dialogs = new DialogService({
    repo: storage.dialogs,
    clock: { now: () => T0 },
    getPeer: async () => undefined,
    emit: async () => {},
    botUsername: () => 'pm_bot',
  });
});

describe('what a probe or a send learned', () => {
  it("writes that user's state alone, at once; other users' starts wait for their group commit", async () => {
    await dialogs.handle(start(ANN, 1));
    await dialogs.handle(start(BOB, 2));
    expect(commits()).toBe(0); // written behind, with the next update state

    await dialogs.noteReachability(CAT, 'ok'); // a probe found CAT's dialog open
    expect(commits()).toBe(1);
    expect(rows).toEqual([CAT]);
    expect(await storage.dialogs.get(CAT)).toMatchObject({ startedAt: T0, blocked: false });
    expect(await storage.dialogs.get(ANN)).toBeUndefined();
    expect(await storage.dialogs.get(BOB)).toBeUndefined();

    await dialogs.noteReachability(ANN, 'blocked'); // a send found ANN had blocked the bot
    expect(rows).toEqual([CAT, ANN]);
    expect(await storage.dialogs.get(ANN)).toMatchObject({ startedAt: T0, blocked: true, blockedSince: T0 });
    expect(await storage.dialogs.get(BOB)).toBeUndefined();

    // The group commit writes what is still unwritten: BOB's start, not again the states written since.
    const batch = dialogs.unwritten();
    expect(batch.states.map((s) => s.userId)).toEqual([BOB]);
    await storage.dialogs.upsertMany(batch.states);
    batch.written();
    expect(dialogs.unwritten().states).toEqual([]);
    expect(await storage.dialogs.get(BOB)).toMatchObject({ startedAt: T0, via: 'start' });
  });

  it('writes it again with the next group commit when a batch holding an older state of it commits after it', async () => {
    await dialogs.handle(start(ANN, 1));
    // The update engine takes the unwritten states for its transaction, which commits later...
    const late = dialogs.unwritten();
    expect(late.states.map((s) => s.userId)).toEqual([ANN]);
    // ...after a send learned that ANN blocked the bot and wrote it.
    await dialogs.noteReachability(ANN, 'blocked');
    expect((await storage.dialogs.get(ANN))?.blocked).toBe(true);
    await storage.dialogs.upsertMany(late.states);
    late.written();
    expect((await storage.dialogs.get(ANN))?.blocked).toBe(false); // the late batch brought the old state back
    // The next group commit writes ANN's newest state again.
    const next = dialogs.unwritten();
    expect(next.states).toMatchObject([{ userId: ANN, blocked: true }]);
    await storage.dialogs.upsertMany(next.states);
    next.written();
    expect((await storage.dialogs.get(ANN))?.blocked).toBe(true);
    expect(dialogs.unwritten().states).toEqual([]);
  });

  it('keeps the states of a batch that failed unwritten, for the next one', async () => {
    await dialogs.handle(start(ANN, 1));
    const failed = dialogs.unwritten();
    failed.abandoned();
    await dialogs.noteReachability(ANN, 'blocked'); // nothing in flight any more: written, and done
    expect(dialogs.unwritten().states).toEqual([]);
    expect((await storage.dialogs.get(ANN))?.blocked).toBe(true);
  });
});
