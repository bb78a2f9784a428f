/**
 * The transcoder's cost where a client sees it: updates per second pushed to a bare session that declared
 * GramJS's layer (198, the world's own: no transcoding) and to one that declared mtcute's (227: every update
 * rewritten), each counted by CountingSession (layer-client.ts), which costs the client the same in both layers.
 *
 * The machine is shared: a round alone moves by a third with the other processes' load. So the layers take turns,
 * round after round, and the figures are medians: of each layer's rounds, and of each pair's ratio (a layer-227
 * round over the layer-198 round beside it, both under about the same load).
 */
import type { AuthKey } from 'telegram/crypto/AuthKey.js';
import type { LayerBook } from '../src/layers/layer-book.js';
import type { UserHandle } from '../src/scenario.js';
import type { TestServer } from '../src/test-server.js';
import { CountingSession } from './layer-client.js';

/** One figure of the testserver suite (the root bench adds the suite's name). */
export interface ServerFigure {
  readonly name: string;
  /** The median over `runs` rounds. */
  readonly value: number;
  readonly best?: number;
  readonly runs?: number;
  readonly unit: string;
  readonly notes?: string;
}

export interface LayerBenchOptions {
  readonly tg: TestServer;
  readonly layers: LayerBook;
  /** The auth key of a logged-in bot (the bare sessions reuse it). */
  readonly authKey: AuthKey;
  /** A user who started the bot: their messages are the updates. */
  readonly sender: UserHandle;
  readonly internalLayer: number;
  readonly clientLayer: number;
  readonly quick: boolean;
  /** The clock, in ns (real time, or the main thread's CPU time on a shared machine). */
  readonly clockNs: () => bigint;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Updates per second (of `clockNs`) delivered to a fresh session declaring `layer`. */
async function round(o: LayerBenchOptions, layer: number, n: number): Promise<number> {
  const session = await CountingSession.open(o.tg.port, o.authKey, layer);
  try {
    const start = o.clockNs();
    const deadline = Date.now() + 120_000;
    let sent = 0;
    // At most `window` updates in flight, as a live bot sees them (a burst of thousands in one tick would
    // measure the server's buffer caps instead).
    const window = 64;
    while (session.updates < n) {
      while (sent < n && sent - session.updates < window) o.sender.send(`l${sent++}`);
      if (Date.now() > deadline) throw new Error(`layer ${layer}: ${session.updates}/${n} updates arrived`);
      await new Promise((r) => setImmediate(r));
    }
    return n / (Number(o.clockNs() - start) / 1e9);
  } finally {
    session.close();
  }
}

export async function runLayerBench(o: LayerBenchOptions): Promise<ServerFigure[]> {
  const { layers, internalLayer: internal, clientLayer: client } = o;
  const n = o.quick ? 300 : 500;
  const rounds = o.quick ? 3 : 25;
  // Warm-up: the newer schema loads and its plans compile on first use; the JIT settles.
  await round(o, internal, n);
  await round(o, client, n);
  const plain: number[] = [];
  const planned: number[] = [];
  const trees: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Each pair in turn order A-B then B-A, so a drift in the machine's load (or GC debt left by the round
    // before) does not always fall on the same layer.
    let base: number;
    let withPlans: number;
    if (r % 2 === 0) {
      base = await round(o, internal, n);
      withPlans = await round(o, client, n);
    } else {
      withPlans = await round(o, client, n);
      base = await round(o, internal, n);
    }
    plain.push(base);
    planned.push(withPlans);
    ratios.push(withPlans / base);
    if (r % 3 === 0) {
      // The third side, in fewer rounds: the same transcoding through a tree per object (the path the compiled
      // plans replace).
      layers.fastPath = false;
      try {
        trees.push(await round(o, client, n));
      } finally {
        layers.fastPath = true;
      }
    }
  }
  const perRound = `median of ${rounds} rounds of ${n} updates, layers taking turns`;
  return [
    {
      name: `updates delivered/s to a layer-${internal} session`,
      value: median(plain),
      best: Math.max(...plain),
      runs: rounds,
      unit: '/s',
      notes: perRound,
    },
    {
      name: `updates delivered/s to a layer-${client} session (transcoded)`,
      value: median(planned),
      best: Math.max(...planned),
      runs: rounds,
      unit: '/s',
      notes: perRound,
    },
    {
      name: `updates delivered/s to a layer-${client} session (transcoded through trees, no plans)`,
      value: median(trees),
      best: Math.max(...trees),
      runs: trees.length,
      unit: '/s',
      notes: `median of ${trees.length} rounds of ${n} updates, between the others`,
    },
    {
      name: `layer-${client} updates/s as a share of layer-${internal}'s`,
      value: 100 * median(ratios),
      best: 100 * Math.max(...ratios),
      runs: rounds,
      unit: '%',
      notes: `median of ${rounds} pairs of rounds (a layer-${client} round over the layer-${internal} round beside it); target ≥ 80`,
    },
  ];
}
