import { describe, expect, it } from 'vitest';
import { type DropBurst, TypedEmitter } from '../../src/events.js';

type E = { tick: number; other: string };

describe('TypedEmitter', () => {
  it('delivers to listeners in order and keeps going when one throws', async () => {
    const errors: unknown[] = [];
    const em = new TypedEmitter<E>((e) => errors.push(e));
    const seen: string[] = [];
    em.on('tick', (n) => {
      seen.push(`a${n}`);
    });
    em.on('tick', () => {
      throw new Error('x');
    });
    em.on('tick', async (n) => {
      seen.push(`c${n}`);
    });
    await em.emit('tick', 1);
    expect(seen).toEqual(['a1', 'c1']);
    expect(errors).toHaveLength(1);
  });

  it('yields events as an async iterable from the moment it is created, and stops on break', async () => {
    const em = new TypedEmitter<E>();
    const it = em.events('tick');
    await em.emit('tick', 1);
    await em.emit('tick', 2);
    const got: number[] = [];
    setTimeout(() => void em.emit('tick', 3), 5);
    for await (const n of it) {
      got.push(n);
      if (got.length === 3) break;
    }
    expect(got).toEqual([1, 2, 3]);
    expect(em.listenerCount('tick')).toBe(0);
  });

  it('on close, ends every iterable after what it buffered and rejects every once(), now and later', async () => {
    const em = new TypedEmitter<E>();
    const it = em.events('tick');
    const pending = em.once('other');
    await em.emit('tick', 1);
    em.close(() => new Error('closed'));
    const got: number[] = [];
    for await (const n of it) got.push(n);
    expect(got).toEqual([1]);
    await expect(pending).rejects.toThrow('closed');
    await expect(em.once('tick')).rejects.toThrow('closed');
    const late: number[] = [];
    for await (const n of em.events('tick')) late.push(n);
    expect(late).toEqual([]);
    expect(em.listenerCount('tick') + em.listenerCount('other')).toBe(0);
  });

  it('rejects once() with the reason of its signal, and resolves it with the event otherwise', async () => {
    const em = new TypedEmitter<E>();
    const ac = new AbortController();
    const aborted = em.once('tick', { signal: ac.signal });
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    const next = em.once('tick', { signal: new AbortController().signal });
    await em.emit('tick', 7);
    await expect(next).resolves.toBe(7);
    expect(em.listenerCount('tick')).toBe(0);
  });

  it('ends the iterable when the signal aborts', async () => {
    const em = new TypedEmitter<E>();
    const ac = new AbortController();
    const it = em.events('other', { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    const got: string[] = [];
    for await (const s of it) got.push(s);
    expect(got).toEqual([]);
  });

  it('drops the oldest events of a loop that falls bufferSize behind, counts them, and tells each burst', async () => {
    const bursts: DropBurst[] = [];
    const em = new TypedEmitter<E>(undefined, undefined, {
      onDropped: (name, burst) => {
        expect(name).toBe('tick');
        bursts.push(burst);
      },
    });
    const it = em.events('tick', { bufferSize: 3 });
    for (let n = 1; n <= 7; n++) await em.emit('tick', n);
    // Told at the first drop, not at each: a loop far behind is one message, not thousands.
    expect(bursts).toEqual([{ dropped: 1, bufferSize: 3, caughtUp: false }]);
    expect(it.dropped).toBe(4);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as number);
    expect(got).toEqual([5, 6, 7]);
    // The loop waits on an empty buffer: it has caught up, and the burst is told whole.
    const waiting = it.next();
    await Promise.resolve();
    expect(bursts[1]).toEqual({ dropped: 4, bufferSize: 3, caughtUp: true });
    await em.emit('tick', 8);
    expect((await waiting).value).toBe(8);
    // A loop that keeps up loses nothing and tells nothing more; a new burst is told anew.
    for (let n = 9; n <= 13; n++) await em.emit('tick', n);
    expect(it.dropped).toBe(6);
    expect(bursts).toHaveLength(3);
    expect(bursts[2]).toEqual({ dropped: 1, bufferSize: 3, caughtUp: false });
    await it.return?.();
  });

  it('keeps every event with bufferSize Infinity, and keeps order through a deep buffer', async () => {
    const em = new TypedEmitter<E>(undefined, undefined, {
      onDropped: () => {
        throw new Error('nothing should be dropped');
      },
    });
    const it = em.events('tick', { bufferSize: Number.POSITIVE_INFINITY });
    for (let n = 0; n < 25_000; n++) await em.emit('tick', n);
    em.close(() => new Error('closed'));
    let expected = 0;
    for await (const n of it) expect(n).toBe(expected++);
    expect(expected).toBe(25_000);
    expect(it.dropped).toBe(0);
  });

  it('refuses a bufferSize that is not a whole number of events, naming it', () => {
    const em = new TypedEmitter<E>();
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => em.events('tick', { bufferSize: bad })).toThrow(
        `events('tick'): bufferSize must be a whole number >= 1 or Infinity, got ${bad}`,
      );
    }
    expect(em.listenerCount('tick')).toBe(0);
  });

  it('reports a throwing drop hearer to onError and still delivers', async () => {
    const errors: unknown[] = [];
    const em = new TypedEmitter<E>((e) => errors.push(e), undefined, {
      onDropped: () => {
        throw new Error('hearer broke');
      },
    });
    const it = em.events('tick', { bufferSize: 1 });
    await em.emit('tick', 1);
    await em.emit('tick', 2);
    expect(errors).toEqual([new Error('hearer broke')]);
    expect((await it.next()).value).toBe(2);
    await it.return?.();
  });

  it('goes on without a listener still running after listenerTimeoutMs, tells it, and still hears its failure', async () => {
    const errors: unknown[] = [];
    const late: [string, number][] = [];
    const em = new TypedEmitter<E>((e) => errors.push(e), undefined, {
      listenerTimeoutMs: 30,
      onListenerTimeout: (name, ms) => late.push([String(name), ms]),
    });
    let fail!: (e: Error) => void;
    const seen: number[] = [];
    em.on('tick', async (n) => {
      if (n === 1) await new Promise<void>((_, reject) => (fail = reject));
      seen.push(n);
    });
    em.on('tick', async (n) => {
      seen.push(n * 10);
    });
    const t0 = Date.now();
    await em.emit('tick', 1);
    // Waited its deadline, then the next listener ran; the next event is not held back for good.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(late).toEqual([['tick', 30]]);
    expect(seen).toEqual([10]);
    await em.emit('tick', 2);
    expect(seen).toEqual([10, 2, 20]);
    fail(new Error('late failure'));
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toEqual([new Error('late failure')]);
    // A listener within its deadline is waited for, and nothing is told.
    em.on('other', async () => {
      await new Promise((r) => setTimeout(r, 5));
    });
    await em.emit('other', 'x');
    expect(late).toHaveLength(1);
  });

  it('waits for a listener for good by default, and refuses a listenerTimeoutMs that is not > 0', async () => {
    const em = new TypedEmitter<E>();
    let release!: () => void;
    em.on('tick', () => new Promise<void>((r) => (release = r)));
    let done = false;
    const emitted = em.emit('tick', 1).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    release();
    await emitted;
    expect(done).toBe(true);
    for (const bad of [0, -5, Number.NaN]) {
      expect(() => new TypedEmitter<E>(undefined, undefined, { listenerTimeoutMs: bad })).toThrow(
        `listenerTimeoutMs must be a number > 0 or Infinity, got ${bad}`,
      );
    }
  });

  it('tells an event emitted while nothing listens, and not one that is heard', async () => {
    const unheard: [string, unknown][] = [];
    const em = new TypedEmitter<E>(undefined, undefined, {
      onUnheard: (name, payload) => unheard.push([String(name), payload]),
    });
    await em.emit('tick', 1);
    const off = em.on('tick', () => {});
    await em.emit('tick', 2);
    off();
    const it = em.events('tick');
    await em.emit('tick', 3);
    await it.return?.();
    await em.emit('other', 'x');
    expect(unheard).toEqual([
      ['tick', 1],
      ['other', 'x'],
    ]);
  });

  it('takes a listenerTimeoutMs past the longest timer as waiting for good, not as firing at once', async () => {
    const late: unknown[] = [];
    const em = new TypedEmitter<E>(undefined, undefined, {
      listenerTimeoutMs: 2 ** 31,
      onListenerTimeout: (name) => late.push(name),
    });
    let done = false;
    em.on('tick', async () => {
      await new Promise((r) => setTimeout(r, 30));
      done = true;
    });
    await em.emit('tick', 1);
    expect(done).toBe(true);
    expect(late).toEqual([]);
  });
});
