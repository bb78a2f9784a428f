/**
 * pm's own cost per update, in one process and without the network: the containers GramJS would hand over (already
 * mapped to pm's types, with the users they carry) are fed to pm's update path (ingest into the peer cache, the
 * update engine's ordering, dialog state, events, the update state and its commits) at a steady pace, as a
 * connection delivers them, and the CPU time of the process is divided by the updates handled. What GramJS costs
 * (MTProto decryption, TL parsing, its dispatcher) is not in it: that is the `gramjs (bare)` row of the e2e suite.
 *
 * The burst is the e2e suite's (everyone presses Start, writes a few messages, every 10th blocks the bot), fed one
 * container at a time with a turn of the event loop and a pause between them, so the update engine's queue runs dry
 * as it does behind a real connection: the pauses are not counted (CPU time), the timers and commits they let run are.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { wireClient } from '../../packages/core/src/client/wiring.js';
import type { GramConnection } from '../../packages/core/src/gram/connection.js';
import { openStorage } from '../../packages/core/src/storage/open.js';
import type { PeerInput } from '../../packages/core/src/storage/types.js';
import type { IncomingUpdates, UpdateState } from '../../packages/core/src/updates/types.js';
import { countCommits } from '../../test/e2e/count-commits.js';
import type { BurstPlan } from './server-child.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export type OwnSubject = 'pm memory' | 'pm sqlite';

const BOT_ID = 999_000_001n;

interface Container {
  readonly incoming: IncomingUpdates;
  readonly peers: readonly PeerInput[];
}

/** The burst as the connection would hand it to pm: one container per update, each with its user. */
function burstContainers(users: number, plan: BurstPlan, date0: number): Container[] {
  const out: Container[] = [];
  let pts = 0;
  let qts = 0;
  let messageId = 0;
  const user = (i: number): PeerInput => ({
    id: 100_000_000n + BigInt(i),
    type: 'user',
    accessHash: 0x1234_5678_9abc_def0n ^ BigInt(i * 7919),
    min: false,
    firstName: `U${i}`,
    lastName: null,
    usernames: [],
    langCode: i % 2 === 0 ? 'en' : 'es',
    premium: false,
    verified: false,
    deleted: false,
    photoId: null,
  });
  const message = (i: number, text: string): Container => {
    const id = 100_000_000n + BigInt(i);
    pts++;
    messageId++;
    const date = date0 + Math.floor(out.length / 100);
    return {
      incoming: {
        kind: 'updates',
        updates: [
          {
            update: {
              type: 'message',
              messageId,
              date,
              fromId: id,
              chatId: id,
              isPrivate: true,
              out: false,
              text,
            },
            seq: { box: 'pts', pts, ptsCount: 1 },
          },
        ],
        seq: 0,
        seqStart: 0,
        date,
      },
      peers: [user(i)],
    };
  };
  for (let i = 0; i < users; i++) out.push(message(i, '/start'));
  for (let k = 0; k < plan.messagesPerUser; k++)
    for (let i = 0; i < users; i++) out.push(message(i, `message ${k}`));
  if (plan.blockEvery > 0) {
    for (let i = 0; i < users; i += plan.blockEvery) {
      qts++;
      const date = date0 + Math.floor(out.length / 100);
      out.push({
        incoming: {
          kind: 'updates',
          updates: [
            {
              update: { type: 'botStopped', userId: 100_000_000n + BigInt(i), stopped: true, date },
              seq: { box: 'qts', qts },
            },
          ],
          seq: 0,
          seqStart: 0,
          date,
        },
        peers: [user(i)],
      });
    }
  }
  return out;
}

/** Per thread (name → CPU ticks) of this process, for PM_OWN_THREADS=1. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]);
      out.set(`${name}#${tid}`, ticks);
    } catch {}
  }
  return out;
}

const cpuUs = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

export interface OwnSample {
  /** CPU µs of the process per update handled. */
  readonly cpuUsPerUpdate: number;
  /** Storage transactions per update. */
  readonly commitsPerUpdate: number;
}

/**
 * Feeds the burst to a fresh pm over a fresh store, at about `rate` containers per second: every 10 ms a read's worth
 * of containers, each in its own turn of the event loop (so the update engine's queue runs dry between them), so the
 * timers of the write-behind and of the group commit run as they would behind a connection.
 */
/** The pacing alone (no pm): its CPU per update is taken off pm's figures. */
export async function pacingCostOnce(updates: number, rate = DEFAULT_RATE): Promise<number> {
  collectGarbage();
  const cpu0 = cpuUs();
  await paced(updates, rate, () => {});
  return (cpuUs() - cpu0) / updates;
}

const DEFAULT_RATE = 1000;
const TICK_MS = 10;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Calls `feed(i)` for i < n, `rate` per second: a tick's worth every 10 ms, one per turn of the event loop. */
async function paced(n: number, rate: number, feed: (i: number) => void): Promise<void> {
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  for (let i = 0; i < n; ) {
    for (let k = 0; k < perTick && i < n; k++, i++) {
      feed(i);
      await turn();
    }
    await sleep(TICK_MS);
  }
}

export async function ownCostOnce(
  subject: OwnSubject,
  users: number,
  plan: BurstPlan,
  rate = DEFAULT_RATE,
): Promise<OwnSample> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-own-bench-'));
  const storage = await openStorage(subject === 'pm memory' ? 'memory' : `sqlite:${join(dir, 'own.db')}`);
  const commits = countCommits(storage);
  const date = 1_700_000_000;
  const gram = {
    getState: async (): Promise<UpdateState> => ({ pts: 0, qts: 0, seq: 0, date }),
    getDifference: async () => ({ kind: 'empty' as const, date, seq: 0 }),
  } as unknown as GramConnection;
  const parts = wireClient(
    { apiId: 1, apiHash: '0'.repeat(32) } as never,
    storage,
    { now: () => date * 1000 },
    {
      gram: () => gram,
      me: () => ({ id: BOT_ID, username: 'bench_bot', firstName: 'Bench' }),
      closed: () => false,
    },
  );
  let handled = 0;
  parts.emitter.on('dialogStarted', () => {});
  parts.emitter.on('blocked', () => {});
  parts.emitter.on('message', () => {});
  parts.emitter.on('update', (u) => {
    if (u.type === 'message' || u.type === 'botStopped') handled++;
  });
  parts.updates.attach(BOT_ID);
  await parts.updates.start();
  const containers = burstContainers(users, plan, date);
  collectGarbage(); // the garbage of the rounds before is not this one's
  const commits0 = commits();
  const threads0 = process.env['PM_OWN_THREADS'] ? threadTicks() : undefined;
  const cpu0 = cpuUs();
  try {
    await paced(containers.length, rate, (i) => {
      const c = containers[i]!;
      parts.updates.incoming(c.incoming, c.peers);
    });
    await parts.updates.idle();
    if (handled !== containers.length)
      throw new Error(`${subject}: ${handled} of ${containers.length} handled`);
    const cpu = cpuUs() - cpu0;
    if (threads0) {
      const t1 = threadTicks();
      const parts = [...t1]
        .map(([k, v]) => `${k}: ${v - (threads0.get(k) ?? 0)}`)
        .filter((x) => !x.endsWith(': 0'));
      console.log(`  threads (ticks of 10 ms): ${parts.join(', ')}`);
    }
    return {
      cpuUsPerUpdate: cpu / containers.length,
      commitsPerUpdate: (commits() - commits0) / containers.length,
    };
  } finally {
    await parts.updates.stop();
    await parts.peers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // --rounds=n --users=n --rate=containers/s --subject=pm sqlite
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const rounds = Number(arg('rounds') ?? 5);
  const users = Number(arg('users') ?? 2000);
  const pace = Number(arg('rate') ?? DEFAULT_RATE);
  const subjects = (arg('subject')?.split(',') ?? ['pm memory', 'pm sqlite']) as OwnSubject[];
  const plan: BurstPlan = { messagesPerUser: 4, blockEvery: 10 };
  for (const s of subjects) await ownCostOnce(s, Math.min(users, 1000), plan, pace); // warm-up (JIT)
  const samples = new Map<OwnSubject, OwnSample[]>(subjects.map((s) => [s, []]));
  const pacing: number[] = [];
  for (let r = 0; r < rounds; r++) {
    pacing.push(await pacingCostOnce(users * 5, pace));
    console.log(`pacing round ${r + 1}: ${pacing.at(-1)!.toFixed(1)} µs/update`);
    for (const s of subjects) {
      const x = await ownCostOnce(s, users, plan, pace);
      samples.get(s)!.push(x);
      console.log(
        `${s} round ${r + 1}: ${x.cpuUsPerUpdate.toFixed(1)} µs/update, ${x.commitsPerUpdate.toFixed(3)} commits/update`,
      );
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const p = med(pacing);
  for (const [s, xs] of samples) {
    const m = med(xs.map((x) => x.cpuUsPerUpdate));
    console.log(
      `${s}: median ${m.toFixed(1)} µs/update, ${(m - p).toFixed(1)} without the pacing (${p.toFixed(1)})`,
    );
  }
  process.exit(0);
}
