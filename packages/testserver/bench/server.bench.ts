/**
 * Test server throughput through one real GramJS client over loopback TCP:
 *   - RPC round trips per second (sequential, and 64 in flight);
 *   - messages.sendMessage calls per second (flood control off);
 *   - updates per second delivered to the client (scenario users writing to the bot).
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
import { TestServer } from '../src/scenario.js';
import { LAYER } from '../src/tl.js';
import { CountingSession } from './layer-client.js';

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

export async function runTestserverBench({ quick }: { quick: boolean }): Promise<Record<string, number>> {
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
    const layered = async (layer: number): Promise<number> => {
      const session = await CountingSession.open(tg.port, authKey, layer);
      try {
        const n = quick ? 500 : 10_000;
        const t = performance.now();
        const deadline = Date.now() + 120_000;
        let sent = 0;
        // At most `window` updates in flight, as a live bot sees them (a burst of thousands in one tick would
        // measure the server's buffer caps instead).
        const window = 64;
        while (session.updates < n) {
          while (sent < n && sent - session.updates < window) alice.send(`l${sent++}`);
          if (Date.now() > deadline)
            throw new Error(`layer ${layer}: ${session.updates}/${n} updates arrived`);
          await new Promise((r) => setImmediate(r));
        }
        return n / ((performance.now() - t) / 1000);
      } finally {
        session.close();
      }
    };
    const newest = Math.max(...defaultLayerSources().map((l) => l.layer));
    await layered(LAYER); // warm-up (and the newer schema loads on first use)
    await layered(newest);
    // Alternating rounds, best of each: the machine's other load hits both sides alike.
    // The third side: the same transcoding through a tree per object (the path the compiled plans replace).
    let internal = 0;
    let transcoded = 0;
    let treePath = 0;
    for (let round = 0; round < 3; round++) {
      internal = Math.max(internal, await layered(LAYER));
      transcoded = Math.max(transcoded, await layered(newest));
      layers.fastPath = false;
      treePath = Math.max(treePath, await layered(newest));
      layers.fastPath = true;
    }

    return {
      [`updates delivered/s to a layer-${LAYER} session`]: internal,
      [`updates delivered/s to a layer-${newest} session (transcoded)`]: transcoded,
      [`updates delivered/s to a layer-${newest} session (transcoded through trees, no plans)`]: treePath,
      'rpc round trips/s (sequential)': opsPerSecond(bench, 'rpc round trip (updates.getState)'),
      [`rpc round trips/s (${inFlight} in flight)`]: (rounds * inFlight) / pipelined,
      'messages.sendMessage/s': opsPerSecond(bench, 'messages.sendMessage'),
      'updates delivered/s': updates / delivery,
    };
  } finally {
    await client.destroy().catch(() => {});
    await tg.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runTestserverBench({ quick: process.argv.includes('--quick') }).then(
    (figures) => {
      console.table(Object.entries(figures).map(([name, value]) => ({ name, value: Math.round(value) })));
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
