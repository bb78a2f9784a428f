import {
  type BroadcastReport,
  ConnectionLostError,
  type ConnectionState,
  type PmClient,
  SessionInvalidError,
} from '@pm/core';
import type { TestServer, UserHandle } from '@pm/testserver';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBot, eventually, startWorld } from '../e2e/helpers.js';

/**
 * The fault matrix of a bot that must never wedge: outages of the loopback Telegram of several lengths, a server
 * that freezes with its sockets open, a restart that forgets the session's key. Each runs during a burst of user
 * activity and a running broadcast, with calls pending; each prints its totals.
 *
 * Time is scaled for server and client alike: one Telegram-second lasts SCALE seconds, so the client pings every
 * 15 Telegram-s, gives a pong 10 Telegram-s, backs off up to 30 Telegram-s and settles calls within 60 Telegram-s.
 */
const SCALE = 0.03;
const TS = (telegramSeconds: number): number => telegramSeconds * 1000 * SCALE;
const CALL_TIMEOUT_MS = TS(60);
/** How late past its deadline a call may settle on a loaded machine (timer and event loop lag), ms. */
const LATE_MS = 1500;
const USERS = 30;
const SEED = 13_2026;

type Fault =
  | { readonly kind: 'outage'; readonly seconds: number }
  | { readonly kind: 'freeze'; readonly seconds: number }
  | { readonly kind: 'forgetKey' };

const MATRIX: readonly Fault[] = [
  { kind: 'outage', seconds: 0.1 },
  { kind: 'outage', seconds: 1 },
  { kind: 'outage', seconds: 2 },
  { kind: 'outage', seconds: 5 },
  { kind: 'outage', seconds: 30 },
  { kind: 'outage', seconds: 120 },
  { kind: 'freeze', seconds: 30 },
  { kind: 'forgetKey' },
];

const label = (f: Fault): string =>
  f.kind === 'forgetKey' ? 'restart that forgets the key' : `${f.kind} of ${f.seconds} Telegram-s`;

let tg: TestServer | undefined;
let client: PmClient | undefined;

afterEach(async () => {
  await client?.disconnect().catch(() => {});
  await tg?.stop();
  client = undefined;
  tg = undefined;
});

interface PendingCall {
  readonly name: string;
  readonly started: number;
  settled?: { readonly at: number; readonly outcome: 'resolved' | 'typed error' | 'untyped error' };
}

function track(name: string, p: Promise<unknown>): PendingCall {
  const call: PendingCall = { name, started: Date.now() };
  p.then(
    (v) => {
      const networkResult = (v as { ok?: boolean; reason?: string }).reason === 'network';
      call.settled = { at: Date.now(), outcome: networkResult ? 'typed error' : 'resolved' };
    },
    (e: unknown) => {
      const typed = e instanceof ConnectionLostError || e instanceof SessionInvalidError;
      call.settled = { at: Date.now(), outcome: typed ? 'typed error' : 'untyped error' };
    },
  );
  return call;
}

async function runFault(fault: Fault): Promise<void> {
  const world = await startWorld({ timeScale: SCALE });
  tg = world.tg;
  const server = world.tg;
  const c = await connectBot(server, world.bot.token, {
    connection: { timeScale: SCALE, connectTimeoutMs: 5000 },
    limits: { globalPerSecond: 20, globalBurst: 2 },
  });
  client = c;
  const users: UserHandle[] = Array.from({ length: USERS }, (_, i) =>
    server.createUser({ firstName: `O${i}`, username: `outage_user_${i}` }),
  );
  for (const u of users) u.start();
  await eventually(async () => expect((await c.dialogs.counts()).started).toBe(USERS), 10_000);

  // What the bot's handlers see, per text (each text is sent once).
  const received = new Map<string, number>();
  c.on('message', (e) => {
    received.set(e.text, (received.get(e.text) ?? 0) + 1);
  });
  const states: Array<{ at: number; state: ConnectionState }> = [];
  c.on('connectionState', (state) => {
    states.push({ at: Date.now(), state });
  });
  let firstUpdateAfterReturn: number | undefined;
  let returnedAt: number | undefined;
  c.on('update', () => {
    if (returnedAt !== undefined && firstUpdateAfterReturn === undefined) firstUpdateAfterReturn = Date.now();
  });

  // A burst of user activity (fixed seed), before, during and after the fault.
  const order = fc.sample(fc.array(fc.nat({ max: USERS - 1 }), { minLength: 4000, maxLength: 4000 }), {
    seed: SEED,
    numRuns: 1,
  })[0]!;
  const sentTexts: string[] = [];
  let bursting = true;
  const burst = (async () => {
    for (let i = 0; bursting && i < order.length; i++) {
      const text = `m${i}`;
      users[order[i]!]!.send(text);
      sentTexts.push(text);
      await new Promise((r) => setTimeout(r, 4));
    }
  })();

  // A broadcast running across the fault (20 messages/s: it takes longer than the fault).
  const job = c.broadcast({
    id: 'news',
    text: 'news!',
    recipients: { dialogs: { started: true } },
    concurrency: 4,
  });
  let pausedSeen = false;
  job.on('progress', (p) => {
    if (p.paused) pausedSeen = true;
  });
  const broadcastDone = job.done.then(
    (r): BroadcastReport | SessionInvalidError => r,
    (e: unknown) => {
      if (e instanceof SessionInvalidError) return e;
      throw e;
    },
  );
  await new Promise((r) => setTimeout(r, 300));

  // The fault, with calls made while it lasts.
  server.createUser({ firstName: 'New', username: 'outage_newcomer' }); // resolved over the network
  const calls: PendingCall[] = [];
  const t0 = Date.now();
  let backAt: number;
  if (fault.kind === 'freeze') {
    server.freeze();
  } else {
    await server.goOffline();
    if (fault.kind === 'forgetKey') server.forgetAuthKeys();
  }
  calls.push(track('send', c.send(users[0]!.id, 'held')));
  calls.push(track('resolveUser', c.resolveUser('@outage_newcomer')));
  calls.push(track('canMessage', c.canMessage(users[1]!.id)));
  const downMs = fault.kind === 'forgetKey' ? TS(1) : TS(fault.seconds);
  await new Promise((r) => setTimeout(r, downMs));
  if (fault.kind === 'freeze') server.unfreeze();
  else await server.comeBack();
  backAt = Date.now();
  returnedAt = backAt;

  // Every pending call settles: resolved after recovery, or a typed error within its deadline.
  await eventually(
    () => expect(calls.every((x) => x.settled)).toBe(true),
    CALL_TIMEOUT_MS + LATE_MS + downMs,
  );
  bursting = false;
  await burst;
  const report = await broadcastDone;

  let recoveryMs: number | undefined;
  if (fault.kind === 'forgetKey') {
    await eventually(() => expect(c.connectionState.state).toBe('stopped'), 10_000);
    expect(c.connectionState).toMatchObject({ error: expect.any(SessionInvalidError) });
    expect(report).toBeInstanceOf(SessionInvalidError);
    expect(calls.every((x) => x.settled?.outcome !== 'resolved' || x.name === 'resolveUser')).toBe(true);
  } else {
    await eventually(() => expect(c.connectionState.state).toBe('ready'), 20_000);
    const ready = states.find((s) => s.at >= backAt && s.state.state === 'ready');
    recoveryMs = ready ? ready.at - backAt : 0; // 0: the connection never noticed (a blip shorter than a ping)
    // Every update reaches the handlers once: nothing lost across the reconnect, nothing doubled.
    await eventually(() => expect(sentTexts.filter((t) => !received.has(t))).toEqual([]), 20_000);
    await c.idle();
    expect(report).toMatchObject({ total: USERS, sent: USERS, skipped: 0, pending: 0 });
    // The client works again.
    expect(await c.send(users[2]!.id, 'after')).toMatchObject({ ok: true });
  }
  await new Promise((r) => setTimeout(r, 200)); // room for a late duplicate to show up

  const lost = fault.kind === 'forgetKey' ? 0 : sentTexts.filter((t) => !received.has(t)).length;
  const doubled = [...received.values()].filter((n) => n > 1).length;
  let duplicateSends = 0;
  let broadcastReceived = 0;
  for (const u of users) {
    const texts = server.inbox(u).map((m) => m.text);
    const news = texts.filter((t) => t === 'news!').length;
    broadcastReceived += Math.min(news, 1);
    duplicateSends += Math.max(0, news - 1) + Math.max(0, texts.filter((t) => t === 'held').length - 1);
  }
  const late = calls.filter((x) => x.settled!.at - x.started > CALL_TIMEOUT_MS + LATE_MS);
  const outcomes = calls.map((x) => `${x.name} ${x.settled!.outcome} after ${x.settled!.at - x.started} ms`);
  const reconnects = states.filter((s) => s.state.state === 'connecting').length;
  console.log(
    `outage fault test, ${label(fault)} (${Math.round(downMs)} ms real): ${calls.length} pending calls settled [${outcomes.join('; ')}], ` +
      `${sentTexts.length} user updates, lost ${lost}, doubled ${doubled}, duplicate sends ${duplicateSends}, ` +
      `broadcast ${broadcastReceived}/${USERS} delivered${pausedSeen ? ' (paused while offline)' : ''}, ${reconnects} connection attempts, ` +
      (fault.kind === 'forgetKey'
        ? `client stopped with SessionInvalidError ${Date.now() - t0} ms after the fault began`
        : `ready again ${recoveryMs} ms after the server returned, first update ${firstUpdateAfterReturn === undefined ? '-' : firstUpdateAfterReturn - backAt} ms after`),
  );
  expect(calls.map((x) => x.settled?.outcome)).not.toContain('untyped error');
  // Offline longer than a send's deadline: the broadcast paused instead of failing its recipients.
  if (fault.kind === 'outage' && downMs > CALL_TIMEOUT_MS * 1.5) expect(pausedSeen).toBe(true);
  expect(late.map((x) => x.name)).toEqual([]);
  expect(lost).toBe(0);
  expect(doubled).toBe(0);
  expect(duplicateSends).toBe(0);
}

describe('a bot that never wedges', () => {
  for (const fault of MATRIX) {
    it(`settles every call and loses nothing through a ${label(fault)}`, () => runFault(fault), 90_000);
  }
});
