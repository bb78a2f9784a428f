import { afterEach, describe, expect, it, vi } from 'vitest';
import { HandlerScope } from '../../src/handler-scope.js';
import type { BotUpdate, Difference, SequencedUpdate, UpdateState } from '../../src/updates/types.js';
import { UpdateEngine } from '../../src/updates/update-engine.js';

const msg = (id: number): BotUpdate => ({
  type: 'message',
  messageId: id,
  date: 1000 + id,
  fromId: 7n,
  chatId: 7n,
  isPrivate: true,
  out: false,
  text: `m${id}`,
});
const ptsU = (id: number, pts: number): SequencedUpdate => ({
  update: msg(id),
  seq: { box: 'pts', pts, ptsCount: 1 },
});
const qtsU = (qts: number): SequencedUpdate => ({
  update: { type: 'botStopped', userId: 7n, stopped: qts % 2 === 1, date: 2000 + qts },
  seq: { box: 'qts', qts },
});
const batch = (...updates: SequencedUpdate[]) => ({
  kind: 'updates' as const,
  updates,
  seq: 0,
  seqStart: 0,
  date: 5,
});

function harness(opts: { saved?: UpdateState; server: { state: UpdateState; log: SequencedUpdate[] } }) {
  const delivered: string[] = [];
  let saved = opts.saved;
  const diffs: UpdateState[] = [];
  const engine = new UpdateEngine({
    loadState: async () => saved,
    saveState: async (s) => {
      saved = s;
    },
    fetchState: async () => opts.server.state,
    fetchDifference: async (from): Promise<Difference> => {
      diffs.push(from);
      const missed = opts.server.log.filter((u) =>
        u.seq.box === 'pts' ? u.seq.pts > from.pts : u.seq.box === 'qts' ? u.seq.qts > from.qts : false,
      );
      if (missed.length === 0)
        return { kind: 'empty', date: opts.server.state.date, seq: opts.server.state.seq };
      return { kind: 'difference', updates: missed, state: opts.server.state };
    },
    deliver: async (u) => {
      delivered.push(u.type === 'message' ? u.text : `${u.type}`);
    },
    onError: (e) => {
      throw e;
    },
  });
  return { engine, delivered, diffs, saved: () => saved };
}

describe('UpdateEngine', () => {
  it('starts from the server state on first run and replays nothing old', async () => {
    const server = { state: { pts: 10, qts: 3, seq: 1, date: 1 }, log: [ptsU(1, 10)] };
    const h = harness({ server });
    await h.engine.start();
    expect(h.delivered).toEqual([]);
    expect(h.saved()).toEqual(server.state);
  });

  it('applies the next pts, skips an update already applied, and fetches the difference on a gap', async () => {
    const server = { state: { pts: 3, qts: 0, seq: 0, date: 9 }, log: [ptsU(1, 1), ptsU(2, 2), ptsU(3, 3)] };
    const h = harness({
      saved: { pts: 0, qts: 0, seq: 0, date: 0 },
      server: { state: server.state, log: [] },
    });
    await h.engine.start(); // the server's log is empty for this client: nothing to catch up
    await h.engine.push(batch(ptsU(1, 1)));
    await h.engine.push(batch(ptsU(1, 1))); // the same update again
    expect(h.delivered).toEqual(['m1']);
    expect(h.engine.stats.duplicatesSkipped).toBe(1);

    // pts 3 arrives while pts 2 was never seen: the difference brings 2 and 3, each once
    const live = { state: { pts: 1, qts: 0, seq: 0, date: 9 }, log: [] as SequencedUpdate[] };
    const h2 = harness({ saved: { pts: 1, qts: 0, seq: 0, date: 0 }, server: live });
    await h2.engine.start();
    live.log = [ptsU(2, 2), ptsU(3, 3)];
    live.state = { ...live.state, pts: 3 };
    await h2.engine.push(batch(ptsU(3, 3)));
    await h2.engine.push(batch(ptsU(3, 3)));
    expect(h2.delivered).toEqual(['m2', 'm3']);
    expect(h2.engine.stats.gaps).toBe(1);
    expect(h2.engine.stats.duplicatesSkipped).toBe(1);
  });

  it('delivers updates missed while stopped exactly once, in order, after a restart', async () => {
    const server = {
      state: { pts: 2, qts: 2, seq: 0, date: 9 },
      log: [ptsU(1, 1), qtsU(1), ptsU(2, 2), qtsU(2)],
    };
    const h = harness({ saved: { pts: 0, qts: 0, seq: 0, date: 0 }, server });
    await h.engine.start();
    expect(h.delivered).toEqual(['m1', 'botStopped', 'm2', 'botStopped']);
    await h.engine.push({ kind: 'connection', state: 'connected' });
    expect(h.delivered).toHaveLength(4);
    expect(h.saved()).toEqual(server.state);
  });

  it('skips a qts update already applied and catches up on a qts gap', async () => {
    const server = { state: { pts: 0, qts: 3, seq: 0, date: 9 }, log: [qtsU(1), qtsU(2), qtsU(3)] };
    const h = harness({ saved: { pts: 0, qts: 1, seq: 0, date: 0 }, server: { ...server, log: [] } });
    await h.engine.start();
    await h.engine.push(batch(qtsU(1)));
    await h.engine.push(batch(qtsU(2)));
    expect(h.delivered).toEqual(['botStopped']);
    expect(h.engine.stats.duplicatesSkipped).toBe(1);
  });

  it('ignores a container whose seq was already applied and catches up on a seq gap', async () => {
    const server = { state: { pts: 0, qts: 0, seq: 5, date: 9 }, log: [] };
    const h = harness({ saved: { pts: 0, qts: 0, seq: 3, date: 0 }, server });
    await h.engine.start();
    const unsequenced = { update: msg(9), seq: { box: 'none' as const } };
    await h.engine.push({ kind: 'updates', updates: [unsequenced], seq: 3, seqStart: 3, date: 5 });
    expect(h.delivered).toEqual([]);
    await h.engine.push({ kind: 'updates', updates: [unsequenced], seq: 9, seqStart: 9, date: 5 });
    expect(h.engine.stats.gaps).toBe(1);
    expect(h.saved()?.seq).toBe(5);
  });

  it('keeps going after a handler throws', async () => {
    const errors: unknown[] = [];
    const delivered: number[] = [];
    const engine = new UpdateEngine({
      loadState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
      saveState: async () => {},
      fetchState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
      fetchDifference: async () => ({ kind: 'empty', date: 0, seq: 0 }),
      deliver: async (u) => {
        if (u.type === 'message' && u.messageId === 1) throw new Error('boom');
        if (u.type === 'message') delivered.push(u.messageId);
      },
      onError: (e) => errors.push(e),
    });
    await engine.start();
    await engine.push(batch(ptsU(1, 1), ptsU(2, 2)));
    expect(delivered).toEqual([2]);
    expect(errors).toHaveLength(1);
  });
});

describe('UpdateEngine backlog', () => {
  it('tells a queue that grows past backlogWarnAt, at each tenfold, and once when it has cleared', async () => {
    const told: [number, boolean][] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const engine = new UpdateEngine(
      {
        loadState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
        saveState: async () => {},
        fetchState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
        fetchDifference: async () => ({ kind: 'empty', date: 0, seq: 0 }),
        deliver: () => gate, // a listener that is slow to come back
        onError: (e) => {
          throw e;
        },
        onBacklog: (waiting, cleared) => told.push([waiting, cleared]),
      },
      { backlogWarnAt: 5 },
    );
    await engine.start();
    const pushed = Array.from({ length: 60 }, (_, i) => engine.push(batch(ptsU(i + 1, i + 1))));
    // All 60 wait: the first for its turn after start(), the rest behind it; the listener holds the first.
    expect(told).toEqual([
      [5, false],
      [50, false],
    ]);
    open();
    await Promise.all(pushed);
    expect(told.at(-1)).toEqual([60, true]);
    expect(told).toHaveLength(3);
    // Below the mark again: a short burst tells nothing.
    await Promise.all([1, 2, 3].map((i) => engine.push(batch(ptsU(60 + i, 60 + i)))));
    expect(told).toHaveLength(3);
    await engine.stop();
  });
});

describe('UpdateEngine state saving (group commit)', () => {
  const saving = (options?: ConstructorParameters<typeof UpdateEngine>[1]) => {
    const saves: UpdateState[] = [];
    const engine = new UpdateEngine(
      {
        loadState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
        saveState: async (s) => {
          saves.push(s);
        },
        fetchState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
        fetchDifference: async () => ({ kind: 'empty', date: 0, seq: 0 }),
        deliver: async () => {},
        onError: (e) => {
          throw e;
        },
      },
      options,
    );
    return { engine, saves };
  };
  afterEach(() => {
    vi.useRealTimers();
  });

  it('saves the state once, saveDelayMs after the queue runs dry, for every container that came meanwhile', async () => {
    vi.useFakeTimers();
    const { engine, saves } = saving({ saveDelayMs: 50 });
    await engine.start();
    const before = saves.length;
    await Promise.all([1, 2, 3].map((i) => engine.push(batch(ptsU(i, i)))));
    // Handled, not saved yet: more may come within the delay.
    expect(saves.length - before).toBe(0);
    await vi.advanceTimersByTimeAsync(20);
    await engine.push(batch(ptsU(4, 4)));
    await engine.push(batch(ptsU(5, 5)));
    expect(saves.length - before).toBe(0);
    await vi.advanceTimersByTimeAsync(30);
    expect(saves.length - before).toBe(1);
    expect(saves.at(-1)?.pts).toBe(5);
    // Nothing new: no further save.
    await vi.advanceTimersByTimeAsync(500);
    expect(saves.length - before).toBe(1);
  });

  it('tries a failed save again, at the latest on stop', async () => {
    vi.useFakeTimers();
    const saves: UpdateState[] = [];
    const errors: unknown[] = [];
    let failing = true;
    const engine = new UpdateEngine(
      {
        loadState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
        saveState: async (s) => {
          if (failing && s.pts > 0) throw new Error('store down');
          saves.push(s);
        },
        fetchState: async () => ({ pts: 0, qts: 0, seq: 0, date: 0 }),
        fetchDifference: async () => ({ kind: 'empty', date: 0, seq: 0 }),
        deliver: async () => {},
        onError: (e) => errors.push(e),
      },
      { saveDelayMs: 50 },
    );
    await engine.start();
    await engine.push(batch(ptsU(1, 1)));
    await vi.advanceTimersByTimeAsync(50);
    expect(errors).toHaveLength(1);
    failing = false;
    await engine.stop();
    expect(saves.at(-1)?.pts).toBe(1);
  });

  it('saves every saveEvery containers during a burst, and at once on stop', async () => {
    vi.useFakeTimers();
    const { engine, saves } = saving({ saveEvery: 4, saveDelayMs: 1000 });
    await engine.start();
    const before = saves.length;
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => engine.push(batch(ptsU(i, i)))));
    expect(saves.slice(before).map((s) => s.pts)).toEqual([4, 8]);
    await engine.stop();
    expect(saves.slice(before).map((s) => s.pts)).toEqual([4, 8, 10]);
    // The delayed save of a stopped engine does not come.
    await vi.advanceTimersByTimeAsync(2000);
    expect(saves.length - before).toBe(3);
  });
});

describe('UpdateEngine stopped from a handler', () => {
  const base = { pts: 0, qts: 0, seq: 0, date: 0 };
  // The bot's listeners run in a HandlerScope (as the client's emitter runs them).
  const scope = new HandlerScope();
  const listener =
    (fn: () => Promise<unknown>) =>
    async (u?: unknown): Promise<void> => {
      await scope.call(fn, u);
    };
  const make = (
    over: Partial<ConstructorParameters<typeof UpdateEngine>[0]>,
  ): { engine: UpdateEngine; saves: UpdateState[] } => {
    const saves: UpdateState[] = [];
    const engine = new UpdateEngine({
      insideHandler: () => scope.inside,
      loadState: async () => base,
      saveState: async (s) => {
        saves.push(s);
      },
      fetchState: async () => base,
      fetchDifference: async () => ({ kind: 'empty', date: 0, seq: 0 }),
      deliver: async () => {},
      onError: (e) => {
        throw e;
      },
      ...over,
    });
    return { engine, saves };
  };

  it('stops at once when a delivered update, an ingest or a catch-up handler awaits stop()', async () => {
    let engine!: UpdateEngine;
    const built = make({ deliver: listener(async () => engine.stop()) });
    engine = built.engine;
    await engine.start();
    await engine.push(batch(ptsU(1, 1), ptsU(2, 2)));
    expect(built.saves.at(-1)?.pts).toBe(1);

    const second = make({});
    await second.engine.start();
    await second.engine.push(
      batch(ptsU(1, 1)),
      listener(async () => second.engine.stop()),
    );

    let third!: UpdateEngine;
    let round = 0;
    const built3 = make({
      fetchDifference: async (s): Promise<Difference> =>
        round++ === 0
          ? { kind: 'empty', date: 0, seq: 0 }
          : { kind: 'difference', updates: [ptsU(9, 1)], state: { ...s, pts: 1 } },
      deliver: listener(async () => third.stop()),
    });
    third = built3.engine;
    await third.start();
    await third.push({ kind: 'connection', state: 'connected' });
    expect(round).toBe(2);
  });

  it('stops at once when the handler awaits stop() after a timer, or is a plain function returning a promise', async () => {
    const later = () => new Promise((r) => setTimeout(r, 2));
    let first!: UpdateEngine;
    const a = make({
      deliver: listener(async () => {
        await later();
        await first.stop();
      }),
    });
    first = a.engine;
    await first.start();
    await first.push(batch(ptsU(1, 1), ptsU(2, 2)));
    expect(a.saves.at(-1)?.pts).toBe(1);

    let second!: UpdateEngine;
    const b = make({
      deliver: (u) => scope.call(() => later().then(() => second.stop()), u) as Promise<unknown>,
    });
    second = b.engine;
    await second.start();
    await second.push(batch(ptsU(1, 1), ptsU(2, 2)));
    expect(b.saves.at(-1)?.pts).toBe(1);
  });

  it('still waits for the queue when stop() comes from outside, even while a handler runs', async () => {
    let release!: () => void;
    const delivered: number[] = [];
    const { engine } = make({
      deliver: async (u) =>
        scope.call(async () => {
          if (delivered.length === 0) await new Promise<void>((r) => (release = r));
          delivered.push((u as { messageId: number }).messageId);
        }, u),
    });
    await engine.start();
    void engine.push(batch(ptsU(1, 1)));
    void engine.push(batch(ptsU(2, 2)));
    await new Promise((r) => setTimeout(r, 5));
    const stopped = engine.stop();
    release();
    await stopped;
    expect(delivered).toEqual([1, 2]);
  });
});
