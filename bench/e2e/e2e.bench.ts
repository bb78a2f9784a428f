/**
 * End to end through the test server (in its own process, so this process's CPU time is the client's):
 * - updates: the same burst of user activity (everyone presses Start, writes a few messages, some block the bot)
 *   handled by a bare GramJS client versus GramJS + pm (memory and SQLite storage). Figures: updates handled per
 *   second (wall clock, first action to last update handled) and client CPU time per update; pm's overhead is
 *   the ratio to bare GramJS.
 * - resolve: contacts.resolveUsername round trips, bare GramJS `invoke` versus pm's `resolvePeer` on names it
 *   has not cached (one network round trip plus ingest), then the same names again (answered from the cache).
 * - pm's own cost per update (`pm-own.ts`): the same burst fed to pm's update path in this process without the
 *   network or GramJS, CPU per update with the cost of the pacing taken off: what pm adds to any GramJS bot.
 * Clients take turns within each round, starting each round with the next one, so drift in the machine's speed
 * and the order spread over all of them.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileChild } from '../lib/compile.js';
import { figure, median } from '../lib/measure.js';
import type { BenchRow } from '../lib/row.js';
import { type BenchClient, CLIENT_KINDS, type ClientKind, connect } from './clients.js';
import { type OwnSubject, ownCostOnce, pacingCostOnce } from './pm-own.js';
import type { BurstPlan, ServerCommand, ServerReply } from './server-child.js';

const here = dirname(fileURLToPath(import.meta.url));

setFlagsFromString('--expose-gc');
/** A full garbage collection (V8's gc(), exposed at run time). */
const collectGarbage = runInNewContext('gc') as () => void;
const SUITE = 'e2e';

/**
 * The test server process and a request/answer call over its IPC channel. The server runs compiled to JavaScript,
 * on node alone (../lib/compile.ts): under tsx it carried the TypeScript loader's thread, some 30 MiB of RSS.
 */
class ServerProcess {
  private readonly child: ChildProcess;
  private pending: ((r: ServerReply) => void) | undefined;

  static async start(): Promise<ServerProcess> {
    const build = mkdtempSync(join(tmpdir(), 'pm-e2e-server-'));
    try {
      return new ServerProcess(await compileChild(join(here, 'server-child.ts'), build), build);
    } catch (e) {
      rmSync(build, { recursive: true, force: true });
      throw e;
    }
  }

  private constructor(
    script: string,
    private readonly build: string,
  ) {
    this.child = fork(script, [], {
      execArgv: [],
      cwd: join(here, '..', '..'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: ServerReply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.(m);
    });
  }

  call<R extends ServerReply>(cmd: ServerCommand): Promise<R> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`test server process exited (${code})`));
      this.child.once('exit', onExit);
      this.pending = (r) => {
        this.child.off('exit', onExit);
        resolve(r as R);
      };
      this.child.send(cmd);
    });
  }

  async stop(): Promise<void> {
    try {
      await this.call({ cmd: 'stop' });
    } finally {
      rmSync(this.build, { recursive: true, force: true });
    }
  }
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** How long the CPU window of a burst stays open after its last update was handled, ms. */
const SETTLE_MS = 250;

interface BurstSample {
  readonly perSecond: number;
  readonly cpuUsPerUpdate: number;
}

async function burstOnce(
  server: ServerProcess,
  kind: ClientKind,
  users: number,
  plan: BurstPlan,
): Promise<BurstSample> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-bench-'));
  const { port, token } = await server.call<{ port: number; token: string; usernames: string[] }>({
    cmd: 'world',
    users,
    withUsernames: false,
  });
  let client: BenchClient | undefined;
  try {
    client = await connect(kind, port, token, dir);
    await new Promise((r) => setTimeout(r, 100));
    const c = client;
    // The garbage of the clients before this one is collected now, not in this one's window.
    collectGarbage();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { actions } = await server.call<{ actions: number }>({ cmd: 'burst', plan });
    await waitFor(() => c.handled() >= actions, 120_000, `${actions} updates in ${kind}`);
    const seconds = (performance.now() - t0) / 1000;
    // The CPU window stays open a little longer, for every client alike: what pm writes behind after the last update
    // (the group commit of the update state comes 50 ms after the queue runs dry) is part of its cost.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const cpu = process.cpuUsage(cpu0);
    return { perSecond: actions / seconds, cpuUsPerUpdate: (cpu.user + cpu.system) / actions };
  } finally {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ResolveSample {
  readonly network: number;
  readonly cached?: number;
}

async function resolveOnce(server: ServerProcess, kind: ClientKind, names: number): Promise<ResolveSample> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-bench-'));
  const { port, token, usernames } = await server.call<{ port: number; token: string; usernames: string[] }>({
    cmd: 'world',
    users: names,
    withUsernames: true,
  });
  let client: BenchClient | undefined;
  try {
    client = await connect(kind, port, token, dir);
    const pass = async (): Promise<number> => {
      const t = performance.now();
      for (const u of usernames) {
        if (!(await client!.resolve(u))) throw new Error(`${kind} did not resolve @${u}`);
      }
      return usernames.length / ((performance.now() - t) / 1000);
    };
    const network = await pass();
    return kind === 'gramjs' ? { network } : { network, cached: await pass() };
  } finally {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `clients` narrows the run (e.g. to profile one: `node --cpu-prof --import tsx e2e.bench.ts --client=gramjs`). */
export async function runE2eBench({
  quick,
  clients = CLIENT_KINDS,
  rounds = quick ? 1 : 7,
}: {
  quick: boolean;
  clients?: readonly ClientKind[];
  /** Timed rounds (a median is taken over them). @default 7 (1 with quick) */
  rounds?: number;
}): Promise<BenchRow[]> {
  const users = quick ? 300 : 2000;
  const plan: BurstPlan = { messagesPerUser: quick ? 2 : 4, blockEvery: 10 };
  const names = quick ? 200 : 1000;
  const server = await ServerProcess.start();
  const bursts = new Map<ClientKind, BurstSample[]>(clients.map((k) => [k, []]));
  const resolves = new Map<ClientKind, ResolveSample[]>(clients.map((k) => [k, []]));
  try {
    // Warm-up: a burst and a resolve pass per client, untimed (first connections, and the JIT: a few thousand
    // updates before the code is optimised, as in a bot that has been running for a while).
    const warmUsers = quick ? 50 : 1000;
    for (const k of clients) {
      await burstOnce(server, k, warmUsers, plan);
      await resolveOnce(server, k, 20);
    }
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < clients.length; i++) {
        const k = clients[(r + i) % clients.length]!;
        const b = await burstOnce(server, k, users, plan);
        bursts.get(k)!.push(b);
        process.stderr.write(
          `e2e bench: round ${r + 1}/${rounds}, ${k}: ${b.cpuUsPerUpdate.toFixed(0)} µs CPU per update, ${b.perSecond.toFixed(0)} updates/s\n`,
        );
        resolves.get(k)!.push(await resolveOnce(server, k, names));
      }
    }
  } finally {
    await server.stop();
  }
  const own = await ownCost(
    clients.filter((k): k is OwnSubject => k !== 'gramjs'),
    users,
    plan,
    rounds,
  );

  const updates = users * (1 + plan.messagesPerUser) + Math.ceil(users / plan.blockEvery);
  const burstNote = `${users} users: Start, ${plan.messagesPerUser} messages each, every ${plan.blockEvery}th blocks (${updates} updates)`;
  const rows: BenchRow[] = [];
  const base = (k: ClientKind) => ({
    suite: SUITE,
    subject: k === 'gramjs' ? 'gramjs (bare)' : `gramjs + ${k}`,
  });
  const gramBursts = bursts.get('gramjs');
  const gramResolves = resolves.get('gramjs');
  const gram =
    gramBursts && gramResolves
      ? {
          rate: figure(gramBursts.map((s) => s.perSecond)),
          cpu: figure(gramBursts.map((s) => s.cpuUsPerUpdate)),
          resolve: figure(gramResolves.map((s) => s.network)),
        }
      : undefined;
  for (const k of clients) {
    const rate = figure(bursts.get(k)!.map((s) => s.perSecond));
    const cpu = figure(bursts.get(k)!.map((s) => s.cpuUsPerUpdate));
    const overhead = (x: number | undefined): string =>
      x === undefined ? 'no baseline measured' : `${((x - 1) * 100).toFixed(1)}% vs bare GramJS`;
    rows.push({
      ...base(k),
      name: 'updates handled/s',
      value: rate.median,
      best: Math.max(...bursts.get(k)!.map((s) => s.perSecond)),
      runs: rate.runs,
      unit: '/s',
      better: 'higher',
      notes:
        k === 'gramjs'
          ? burstNote
          : `throughput overhead ${overhead(gram && gram.rate.median / rate.median)}`,
    });
    rows.push({
      ...base(k),
      name: 'client CPU per update',
      value: cpu.median,
      best: cpu.min,
      runs: cpu.runs,
      unit: 'µs',
      better: 'lower',
      notes:
        k === 'gramjs'
          ? 'user+system CPU of the client process'
          : `CPU ${overhead(gram && cpu.median / gram.cpu.median)}; paired by round (median of this client's ` +
            `CPU over bare GramJS's in the same round, steadier while the machine's speed drifts): ${overhead(
              gramBursts &&
                median(bursts.get(k)!.map((s, i) => s.cpuUsPerUpdate / gramBursts[i]!.cpuUsPerUpdate)),
            )}`,
    });
    const net = figure(resolves.get(k)!.map((s) => s.network));
    rows.push({
      ...base(k),
      name: 'resolve @username, uncached (round trips/s)',
      value: net.median,
      best: Math.max(...resolves.get(k)!.map((s) => s.network)),
      runs: net.runs,
      unit: '/s',
      better: 'higher',
      notes:
        k === 'gramjs'
          ? `contacts.resolveUsername via invoke, ${names} names, sequential`
          : `resolvePeer: round trip + ingest; overhead ${overhead(gram && gram.resolve.median / net.median)}`,
    });
    const cachedSamples = resolves.get(k)!.flatMap((s) => (s.cached === undefined ? [] : [s.cached]));
    if (cachedSamples.length > 0) {
      const cached = figure(cachedSamples);
      rows.push({
        ...base(k),
        name: 'resolve @username, cached (/s)',
        value: cached.median,
        best: Math.max(...cachedSamples),
        runs: cached.runs,
        unit: '/s',
        notes: 'the same names again: answered by the peer cache, no round trip',
      });
    }
  }
  for (const [k, samples] of own) {
    const fig = figure(samples.cpu);
    const commits = figure(samples.commits).median;
    rows.push({
      suite: SUITE,
      subject: k,
      name: "pm's own CPU per update (in process)",
      value: fig.median,
      best: fig.min,
      runs: fig.runs,
      unit: 'µs',
      better: 'lower',
      notes:
        `the burst fed to pm's update path without the network or GramJS (ingest, ordering, dialog state, events, ` +
        `${commits.toFixed(3)} commits per update), ${OWN_RATE} containers/s; CPU of the process minus the pacing's` +
        (gram
          ? `; ${((fig.median / gram.cpu.median) * 100).toFixed(1)}% of bare GramJS's CPU per update`
          : ''),
    });
  }
  return rows;
}

/** Containers per second fed to pm's update path by the in-process rows. */
const OWN_RATE = 2000;

/** pm's own cost per update, per subject: the pacing's CPU (measured in the same round) taken off each sample. */
async function ownCost(
  subjects: readonly OwnSubject[],
  users: number,
  plan: BurstPlan,
  rounds: number,
): Promise<Map<OwnSubject, { cpu: number[]; commits: number[] }>> {
  const out = new Map(subjects.map((k) => [k, { cpu: [] as number[], commits: [] as number[] }]));
  if (subjects.length === 0) return out;
  for (const k of subjects) await ownCostOnce(k, Math.min(users, 1000), plan, OWN_RATE); // warm-up (JIT)
  for (let r = 0; r < rounds; r++) {
    process.stderr.write(`e2e bench: pm's own cost, round ${r + 1}/${rounds}…\n`);
    const updates = users * (1 + plan.messagesPerUser) + Math.ceil(users / plan.blockEvery);
    const pacing = await pacingCostOnce(updates, OWN_RATE);
    for (let i = 0; i < subjects.length; i++) {
      const k = subjects[(r + i) % subjects.length]!;
      const x = await ownCostOnce(k, users, plan, OWN_RATE);
      out.get(k)!.cpu.push(Math.max(0, x.cpuUsPerUpdate - pacing));
      out.get(k)!.commits.push(x.commitsPerUpdate);
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // --client=gramjs,pm sqlite (one or several), --rounds=n
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = arg('client')?.split(',') as ClientKind[] | undefined;
  const rounds = arg('rounds');
  const rows = await runE2eBench({
    quick: process.argv.includes('--quick'),
    ...(only ? { clients: only } : {}),
    ...(rounds ? { rounds: Number(rounds) } : {}),
  });
  console.table(rows.map((r) => ({ subject: r.subject, name: r.name, value: r.value, notes: r.notes })));
  process.exit(0);
}
