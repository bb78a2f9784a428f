/**
 * End to end through the test server (in its own process, so this process's CPU time is the client's):
 * - updates: the same burst of user activity (everyone presses Start, writes a few messages, some block the bot)
 *   handled by a bare GramJS client versus GramJS + pm (memory and SQLite storage). Figures: updates handled per
 *   second (wall clock, first action to last update handled) and client CPU time per update; pm's overhead is
 *   the ratio to bare GramJS.
 * - resolve: contacts.resolveUsername round trips, bare GramJS `invoke` versus pm's `resolvePeer` on names it
 *   has not cached (one network round trip plus ingest), then the same names again (answered from the cache).
 * Clients take turns within each round, so drift in the machine's speed spreads over all of them.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { figure } from '../lib/measure.js';
import type { BenchRow } from '../lib/row.js';
import { type BenchClient, CLIENT_KINDS, type ClientKind, connect } from './clients.js';
import type { BurstPlan, ServerCommand, ServerReply } from './server-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const SUITE = 'e2e';

/** The test server process and a request/answer call over its IPC channel. */
class ServerProcess {
  private readonly child: ChildProcess;
  private pending: ((r: ServerReply) => void) | undefined;

  constructor() {
    this.child = fork(join(here, 'server-child.ts'), [], {
      execArgv: ['--import', 'tsx'],
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
    await this.call({ cmd: 'stop' });
  }
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

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
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { actions } = await server.call<{ actions: number }>({ cmd: 'burst', plan });
    await waitFor(() => c.handled() >= actions, 120_000, `${actions} updates in ${kind}`);
    const seconds = (performance.now() - t0) / 1000;
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
  rounds = quick ? 1 : 5,
}: {
  quick: boolean;
  clients?: readonly ClientKind[];
  /** Timed rounds (a median is taken over them). @default 5 (1 with quick) */
  rounds?: number;
}): Promise<BenchRow[]> {
  const users = quick ? 300 : 2000;
  const plan: BurstPlan = { messagesPerUser: quick ? 2 : 4, blockEvery: 10 };
  const names = quick ? 200 : 1000;
  const server = new ServerProcess();
  const bursts = new Map<ClientKind, BurstSample[]>(clients.map((k) => [k, []]));
  const resolves = new Map<ClientKind, ResolveSample[]>(clients.map((k) => [k, []]));
  try {
    // Warm-up: one small burst and resolve pass per client, untimed (JIT, first connections).
    for (const k of clients) {
      await burstOnce(server, k, 50, { messagesPerUser: 1, blockEvery: 10 });
      await resolveOnce(server, k, 20);
    }
    for (let r = 0; r < rounds; r++) {
      for (const k of clients) {
        process.stderr.write(`e2e bench: round ${r + 1}/${rounds}, ${k}…\n`);
        bursts.get(k)!.push(await burstOnce(server, k, users, plan));
        resolves.get(k)!.push(await resolveOnce(server, k, names));
      }
    }
  } finally {
    await server.stop();
  }

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
          : `CPU ${overhead(gram && cpu.median / gram.cpu.median)}`,
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
  return rows;
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
