/**
 * Test server throughput through one real GramJS client over loopback TCP:
 *   - RPC round trips per second (sequential, and 64 in flight);
 *   - messages.sendMessage calls per second (flood control off);
 *   - updates per second delivered to the client (scenario users writing to the bot);
 *   - the same to bare sessions of layer 198 and 227: the transcoder's cost (layer.bench.ts).
 * `runTestserverBench({ quick })` is called by the root `pnpm bench`; run alone with
 * `npx tsx packages/testserver/bench/server.bench.ts [--quick]`.
 */
import { fileURLToPath } from 'node:url';
import bigInt from 'big-integer';
import { Api, TelegramClient } from 'telegram';
import { Raw } from 'telegram/events/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import { Bench } from 'tinybench';
import { defaultLayerSources, LayerBook } from '../src/layers/layer-book.js';
import { TestServer } from '../src/test-server.js';
import { LAYER } from '../src/tl.js';
import { runLayerBench, type ServerFigure } from './layer.bench.js';

async function loggedIn(tg: TestServer, token: string): Promise<TelegramClient> {
  const client = new TelegramClient(new StringSession(''), 12345, 'bench', {
    networkSocket: tg.clientSocket,
    useWSS: false,
    autoReconnect: false,
    connectionRetries: 1,
    floodSleepThreshold: 0,
    baseLogger: new Logger(LogLevel.NONE),
  });
  client.session.setDC(2, '127.0.0.1', 443);
  await client.start({ botAuthToken: token });
  return client;
}

function opsPerSecond(bench: Bench, name: string): number {
  const task = bench.getTask(name);
  const r = task?.result;
  if (!r || !('period' in r) || r.period <= 0) throw new Error(`bench task "${name}" did not complete`);
  return 1000 / r.period;
}

/** Real seconds `run` takes. */
async function timed(run: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await run();
  return (performance.now() - t) / 1000;
}

export interface TestserverBenchOptions {
  readonly quick: boolean;
  /** The layer figures' clock in ns. @default real time */
  readonly clockNs?: () => bigint;
}

export async function runTestserverBench({
  quick,
  clockNs = () => process.hrtime.bigint(),
}: TestserverBenchOptions): Promise<ServerFigure[]> {
  const layers = new LayerBook();
  const tg = await TestServer.start({ flood: false, difference: { logLimit: 1_000_000 }, layers });
  const bot = tg.createBot({ username: 'bench_bot' });
  const client = await loggedIn(tg, bot.token);
  const alice = tg.createUser({ firstName: 'Alice' });
  alice.start();
  const peer = alice.inputPeer(bot);
  try {
    let rid = 1;
    const bench = new Bench({ time: quick ? 200 : 2000, warmupTime: quick ? 50 : 300 });
    bench
      .add('rpc round trip (updates.getState)', async () => {
        await client.invoke(new Api.updates.GetState());
      })
      .add('messages.sendMessage', async () => {
        await client.invoke(
          new Api.messages.SendMessage({ peer, message: 'bench', randomId: bigInt(rid++) }),
        );
      });
    await bench.run();

    const inFlight = 64;
    const rounds = quick ? 10 : 100;
    const pipelined = await timed(async () => {
      for (let i = 0; i < rounds; i++) {
        await Promise.all(Array.from({ length: inFlight }, () => client.invoke(new Api.updates.GetState())));
      }
    });

    const updates = quick ? 500 : 10_000;
    let received = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    client.addEventHandler(
      () => {
        received++;
        if (received === updates) done();
      },
      new Raw({ types: [Api.UpdateNewMessage] }),
    );
    const delivery = await timed(async () => {
      for (let i = 0; i < updates; i++) alice.send(`u${i}`);
      await all;
    });

    // The same pushes to a bare session that declared GramJS's layer, then to one that declared mtcute's (every
    // update transcoded): the difference is the transcoder's cost.
    const authKey = client.session.getAuthKey()!;
    await client.destroy();
    const layerFigures = await runLayerBench({
      tg,
      layers,
      authKey,
      sender: alice,
      internalLayer: LAYER,
      clientLayer: Math.max(...defaultLayerSources().map((l) => l.layer)),
      quick,
      clockNs,
    });

    const rate = (name: string, value: number): ServerFigure => ({ name, value, unit: '/s' });
    return [
      ...layerFigures,
      rate('rpc round trips/s (sequential)', opsPerSecond(bench, 'rpc round trip (updates.getState)')),
      rate(`rpc round trips/s (${inFlight} in flight)`, (rounds * inFlight) / pipelined),
      rate('messages.sendMessage/s', opsPerSecond(bench, 'messages.sendMessage')),
      rate('updates delivered/s', updates / delivery),
    ];
  } finally {
    await client.destroy().catch(() => {});
    await tg.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runTestserverBench({ quick: process.argv.includes('--quick') }).then(
    (figures) => {
      console.table(figures.map((f) => ({ ...f, value: Math.round(f.value) })));
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
