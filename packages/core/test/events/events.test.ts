import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../src/events.js';

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
});
