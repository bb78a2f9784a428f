import type { PmClient } from '@pm/core';
import type { TestServer, UserHandle } from '@pm/testserver';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBot, eventually, startWorld } from '../e2e/helpers.js';

const USERS = 120;
const SEED = 20_240_611;

let tg: TestServer;
let client: PmClient;

beforeAll(async () => {
  const world = await startWorld();
  tg = world.tg;
  client = await connectBot(tg, world.bot.token);
});
afterAll(async () => {
  await client.disconnect();
  await tg.stop();
});

type Action = { readonly user: number; readonly kind: 'send' | 'block' };

/**
 * A burst of user activity with connection drops in between: every user presses Start, then the users write in
 * random order (fixed seed), a few block the bot at the end. The server drops every client connection at random
 * moments while the bot is still handling the burst; GramJS reconnects by itself and pm's update engine fetches
 * the difference.
 */
describe('connection drops during a burst', () => {
  it('delivers every update to the events exactly once after the connections come back', async () => {
    const users: UserHandle[] = Array.from({ length: USERS }, (_, i) =>
      tg.createUser({ firstName: `D${i}` }),
    );
    const byId = new Map(users.map((u, i) => [u.id, i]));
    const messages = users.map(() => new Map<number, number>()); // per user: messageId → times seen
    const started = users.map(() => 0);
    const blocked = users.map(() => 0);
    const index = (id: bigint): number => {
      const i = byId.get(id);
      if (i === undefined) throw new Error(`an event for a user the test did not create: ${id}`);
      return i;
    };
    client.on('message', (e) => {
      const seen = messages[index(e.user.id)]!;
      seen.set(e.messageId, (seen.get(e.messageId) ?? 0) + 1);
    });
    client.on('dialogStarted', (e) => {
      started[index(e.user.id)]!++;
    });
    client.on('blocked', (e) => {
      blocked[index(e.user.id)]!++;
    });

    const plan = fc.sample(
      fc.record({
        sends: fc.array(fc.nat({ max: USERS - 1 }), { minLength: 500, maxLength: 500 }),
        blockers: fc.uniqueArray(fc.nat({ max: USERS - 1 }), { minLength: 15, maxLength: 15 }),
        dropAfter: fc.array(fc.integer({ min: 10, max: 120 }), { minLength: 12, maxLength: 12 }),
      }),
      { seed: SEED, numRuns: 1 },
    )[0]!;
    const actions: Action[] = [
      ...plan.sends.map((user): Action => ({ user, kind: 'send' })),
      ...plan.blockers.map((user): Action => ({ user, kind: 'block' })),
    ];
    const sent = users.map(() => 1); // the /start
    let drops = 0;
    let nextDrop = plan.dropAfter[0]!;
    const tick = () => new Promise((r) => setTimeout(r, 1));

    for (const u of users) u.start();
    for (const [i, a] of actions.entries()) {
      const u = users[a.user]!;
      if (a.kind === 'block') u.block();
      else {
        u.send(`m${i}`);
        sent[a.user]!++;
      }
      if (i === nextDrop) {
        // Each drop must cut a live connection: wait for pm to have reconnected after the previous one.
        await eventually(() => {
          expect(tg.gatewayCounters?.connectionsOpen).toBeGreaterThan(0);
          expect(client.connectionState).toMatchObject({ state: 'ready', reconnects: drops });
        }, 10_000);
        tg.dropAllConnections();
        drops++;
        nextDrop += plan.dropAfter[drops] ?? Number.POSITIVE_INFINITY;
      }
      if (i % 5 === 0) await tick(); // let the client read in between, so drops land mid-stream
    }

    const expectedUpdates = sent.reduce((a, b) => a + b, 0) + plan.blockers.length;
    await eventually(() => {
      const got = messages.reduce((a, m) => a + m.size, 0) + blocked.reduce((a, b) => a + b, 0);
      expect(got).toBe(expectedUpdates);
    }, 30_000);
    await client.idle();
    await new Promise((r) => setTimeout(r, 300)); // room for a late duplicate to show up

    let duplicates = 0;
    let lost = 0;
    for (const [i, seen] of messages.entries()) {
      for (const n of seen.values()) duplicates += n - 1;
      lost += Math.max(0, sent[i]! - seen.size);
    }
    const startedTwice = started.filter((n) => n !== 1).length;
    const blockedWrong = blocked.filter((n, i) => n !== (plan.blockers.includes(i) ? 1 : 0)).length;
    const connections = tg.gatewayCounters?.connectionsAccepted ?? 0;
    const differences = tg.stats().rpc['updates.GetDifference'] ?? 0;
    console.log(
      `connection-drop fault test: ${USERS} users, ${actions.length + USERS} actions, ${drops} connection drops injected (${connections} connections accepted, ${differences} getDifference calls), ${expectedUpdates} updates checked per user, lost ${lost}, duplicates ${duplicates}, dialogStarted ≠ 1: ${startedTwice}, blocked wrong: ${blockedWrong}`,
    );
    expect(drops).toBeGreaterThanOrEqual(5);
    // The drops cut the live stream: the client had to reconnect and catch up through getDifference.
    expect(connections).toBeGreaterThan(drops);
    expect(differences).toBeGreaterThan(drops);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(startedTwice).toBe(0);
    expect(blockedWrong).toBe(0);
  }, 60_000);
});
