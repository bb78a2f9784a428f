/**
 * The test server in its own process for the end-to-end benchmarks, so the client process's CPU time is the
 * client's alone. Driven over the IPC channel of `fork`:
 *   { cmd: 'world', users, withUsernames }  → { port, token, usernames }   a fresh server, bot and users
 *   { cmd: 'burst', plan }                  → { actions }                  the users act (see BurstPlan)
 *   { cmd: 'stop' }                         → { stopped: true }            then the process exits
 */
import { TestServer, type UserHandle } from '@pm/testserver';
import { seededRandom } from '../lib/measure.js';

export interface BurstPlan {
  /** Messages each user sends after pressing Start. */
  readonly messagesPerUser: number;
  /** Every how-many-th user blocks the bot at the end (0: none). */
  readonly blockEvery: number;
}

export type ServerCommand =
  | { readonly cmd: 'world'; readonly users: number; readonly withUsernames: boolean }
  | { readonly cmd: 'burst'; readonly plan: BurstPlan }
  | { readonly cmd: 'stop' };

export type ServerReply =
  | { readonly port: number; readonly token: string; readonly usernames: readonly string[] }
  | { readonly actions: number }
  | { readonly stopped: true };

let tg: TestServer | undefined;
let users: UserHandle[] = [];

async function handle(m: ServerCommand): Promise<ServerReply> {
  switch (m.cmd) {
    case 'world': {
      await tg?.stop();
      tg = await TestServer.start({ flood: false, difference: { logLimit: 1_000_000 } });
      const bot = tg.createBot({ username: 'bench_bot' });
      const rnd = seededRandom(7);
      users = Array.from({ length: m.users }, (_, i) =>
        tg!.createUser({
          firstName: `U${i}`,
          langCode: rnd() < 0.5 ? 'en' : 'es',
          ...(m.withUsernames ? { username: `bench_user_${i}` } : {}),
        }),
      );
      return { port: tg.port, token: bot.token, usernames: users.map((u) => u.username ?? '') };
    }
    case 'burst': {
      // Interleaved as real traffic is: everyone starts, then the messages come in rounds, then some block.
      let actions = 0;
      for (const u of users) {
        u.start();
        actions++;
      }
      for (let k = 0; k < m.plan.messagesPerUser; k++) {
        for (const u of users) {
          u.send(`message ${k}`);
          actions++;
        }
      }
      if (m.plan.blockEvery > 0) {
        users.forEach((u, i) => {
          if (i % m.plan.blockEvery === 0) {
            u.block();
            actions++;
          }
        });
      }
      return { actions };
    }
    case 'stop':
      await tg?.stop();
      tg = undefined;
      return { stopped: true };
  }
}

process.on('message', (m: ServerCommand) => {
  handle(m).then(
    (reply) => {
      process.send?.(reply);
      if (m.cmd === 'stop') setImmediate(() => process.exit(0));
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
});
