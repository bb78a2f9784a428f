import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, loginArgs, pm, startWorld, type World } from './helpers.js';

let w: World;

beforeAll(async () => {
  w = await startWorld();
  expect((await pm(loginArgs(w))).code).toBe(0);
  await w.tg.goOffline(); // nothing listens on the port any more
});

afterAll(async () => {
  await w?.close();
});

describe('pm --timeout', () => {
  it('settles within the deadline when Telegram cannot be reached: exit 1 and a typed error', async () => {
    const started = Date.now();
    const r = await pm([...w.globals, '--timeout', '1', 'whoami']);
    const took = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pm whoami: .*cannot reach Telegram at 127\.0\.0\.1:\d+ within 1000 ms/m);
    expect(took).toBeLessThan(20_000); // the default (60 s) would still be waiting
  });

  it('bounds pm login too: exit 1 within the deadline, CONNECTION_LOST', async () => {
    const started = Date.now();
    const r = await pm([
      '--timeout',
      '1',
      '--json',
      ...loginArgs({ ...w, session: `${w.dir}/later.session` }),
    ]);
    const took = Date.now() - started;
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({
      ok: false,
      error: 'CONNECTION_LOST',
      message: expect.stringMatching(/cannot reach Telegram at 127\.0\.0\.1:\d+ within 1000 ms/),
    });
    expect(took).toBeLessThan(20_000); // the default (60 s) would still be waiting
  });

  it('answers --json with CONNECTION_LOST', async () => {
    const r = await pm([...w.globals, '--timeout', '0.5', '--json', 'send', '@nobody_here', 'hi']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ ok: false });
    expect(JSON.stringify(json(r))).toMatch(/CONNECTION_LOST/);
  });

  it('refuses a timeout that is not a positive number of seconds, echoing it', async () => {
    for (const bad of ['abc', '0', '-3', '']) {
      const r = await pm([...w.globals, '--timeout', bad, 'whoami']);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain(`expected seconds between 0 and 86400, got "${bad}"`);
    }
  });
});
