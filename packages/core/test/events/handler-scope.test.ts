import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../src/events.js';
import { HandlerScope } from '../../src/handler-scope.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

describe('HandlerScope', () => {
  it('tells code inside a listener from code outside, across awaits and timers of an async listener', async () => {
    const scope = new HandlerScope();
    const em = new TypedEmitter<{ e: number }>(undefined, scope);
    const seen: string[] = [];
    em.on('e', () => {
      seen.push(`sync ${scope.inside}`);
    });
    em.on('e', async () => {
      await tick();
      seen.push(`after await ${scope.inside}`);
      await new Promise<void>((r) =>
        setTimeout(() => {
          seen.push(`in its timer ${scope.inside}`);
          r();
        }, 1),
      );
    });
    const outside: boolean[] = [];
    const watcher = setInterval(() => outside.push(scope.inside), 0);
    await em.emit('e', 1);
    clearInterval(watcher);
    expect(seen).toEqual(['sync true', 'after await true', 'in its timer true']);
    // Timers started outside any listener stay outside, even while an async listener is pending.
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.every((x) => x === false)).toBe(true);
    expect(scope.inside).toBe(false);
  });

  it('counts a plain function returning a promise as inside until the promise settles, then tracks it', async () => {
    const scope = new HandlerScope();
    const seen: boolean[] = [];
    const listener = () => tick().then(() => seen.push(scope.inside));
    await scope.call(listener, undefined);
    expect(scope.inside).toBe(false);
    await scope.call(listener, undefined);
    expect(seen).toEqual([true, true]);
    expect(scope.inside).toBe(false);
  });

  it('is outside again after a listener throws, synchronously or not', async () => {
    const scope = new HandlerScope();
    expect(() =>
      scope.call(() => {
        throw new Error('sync');
      }, undefined),
    ).toThrow('sync');
    await expect(
      scope.call(async () => {
        throw new Error('async');
      }, undefined),
    ).rejects.toThrow('async');
    expect(scope.inside).toBe(false);
  });

  it('stops counting a listener emit() gave up on after its deadline, so code elsewhere is outside again', async () => {
    const scope = new HandlerScope();
    const em = new TypedEmitter<{ e: number }>(undefined, scope, { listenerTimeoutMs: 20 });
    // A plain function whose promise never settles: counted as inside while emit() waits for it...
    em.on('e', () => new Promise<void>(() => {}));
    const during: boolean[] = [];
    const watcher = setInterval(() => during.push(scope.inside), 2);
    await em.emit('e', 1);
    clearInterval(watcher);
    expect(during).toContain(true);
    // ...and no longer once emit() went on without it: a later disconnect() is not taken for the listener's own.
    expect(scope.inside).toBe(false);
    // An async one that hangs for good: released too (its AsyncLocalStorage is off again once none is pending).
    const em2 = new TypedEmitter<{ e: number }>(undefined, scope, { listenerTimeoutMs: 20 });
    em2.on('e', async () => {
      await new Promise<void>(() => {});
    });
    await em2.emit('e', 1);
    expect(scope.inside).toBe(false);
    // Releasing twice, or a promise it never handed out, changes nothing.
    scope.release(Promise.resolve());
    scope.release(undefined);
    expect(scope.inside).toBe(false);
  });
});
