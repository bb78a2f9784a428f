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
});
