/**
 * One configuration of the peer-cache benchmark, in a fresh process so memory figures of one store do not
 * pollute another's. Run by peers.bench.ts; prints one `RESULT <json>` line.
 *   node --expose-gc --import tsx bench/peers/child.ts measure <subject> <n> <dir> <quick 0|1>
 *   node --expose-gc --import tsx bench/peers/child.ts startup <subject> <n> <dir>
 * (peers.bench.ts runs it compiled to JavaScript, on node alone: see ../lib/compile.ts.)
 * PM_BENCH_MEMORY=1 prints where the memory is (V8's heap spaces, the largest mappings) before and after the
 * ingest, to stderr.
 * `measure` ingests n users into a new store in <dir> (left there), then times lookups; `startup` opens that
 * store and answers one lookup (module loading is not counted).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type Figure,
  figure,
  MIN_ROUND_MS,
  nowNs,
  processClock,
  timeInRealTime,
  timeOnce,
  timeRounds,
} from '../lib/measure.js';
import { mappedStoreBytes, memoryReport, rssBreakdown } from '../lib/memory.js';
import { batchAt, idAt, pickIds, sightingOf, usernameOf } from './data.js';
import type { ChildFigure, ChildResult, Lookups, OpenStore, Subject } from './subject.js';
import { loadSubject } from './subjects/all.js';

const BATCH = 1000;
/** Users the "hot" lookups cycle through: a bot's recently active users. */
const HOT_SET = 10_000;
/** The peak RSS during ingest is sampled before every PEAK_EVERY-th peer. */
const PEAK_EVERY = 20 * 1000;
/** Peers ingested into a throwaway store first. */
const WARM_UP = 1000;

/**
 * A full GC, then a pause for what it frees to leave the process: V8 hands freed pages back to the OS from
 * background threads after the collection returns (right after `gc()`, RSS still counted some 50-100 MiB of a
 * large heap that was gone 100 ms later), so memory read at once measured a GC half done.
 */
const gc = async (): Promise<void> => {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
};
/** How long freed memory is given to leave the process after a GC, ms. */
const SETTLE_MS = 500;

function sample(peak: { rss: number; heapTotal: number }): void {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
}

/**
 * Ingests n users in batches of BATCH; returns the time taken (ns). Between batches the event loop gets a turn, as
 * with a bot whose updates arrive from the network, so `delay` (when given) sees how long a write holds the loop.
 */
async function ingest(
  store: OpenStore,
  n: number,
  delay?: { enable(): void; disable(): void },
  peak?: { rss: number; heapTotal: number },
): Promise<number> {
  let ns = 0;
  delay?.enable();
  for (let i = 0; i < n; i += BATCH) {
    await new Promise((resolve) => setImmediate(resolve));
    if (peak !== undefined && i % PEAK_EVERY === 0) sample(peak); // untimed, between batches
    const prepared = store.prepare(batchAt(i, Math.min(n, i + BATCH), n));
    try {
      ns += await timeOnce(() => store.write(prepared));
    } catch (e) {
      const what = e instanceof Error ? `${e.name} ${e.message}`.trim() : String(e);
      throw new Error(`failed after ${i.toLocaleString('en')} peers were stored: ${what.slice(0, 120)}`);
    }
  }
  if (store.settle) ns += await timeOnce(() => store.settle?.());
  if (peak !== undefined) sample(peak);
  delay?.disable();
  return ns;
}

/**
 * Sightings of peers the store already holds, nothing changed (the common case of a live bot): batches of
 * `BATCH` from `ids`, peers/s. Timed to the last commit, as ingest. A round goes over the batches again until it
 * took MIN_ROUND_MS (a fast store passes 10,000 sightings in a few ms, about one step of the CPU clock).
 */
async function resightings(
  store: OpenStore,
  through: Pick<OpenStore, 'write' | 'settle'>,
  ids: readonly bigint[],
  quick: boolean,
): Promise<number[]> {
  const batches: unknown[] = [];
  const upTo = quick ? Math.min(ids.length, 2 * BATCH) : ids.length;
  for (let i = 0; i + BATCH <= upTo; i += BATCH) {
    batches.push(store.prepare(ids.slice(i, i + BATCH).map(sightingOf)));
  }
  const rates: number[] = [];
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    const start = nowNs();
    let peers = 0;
    do {
      for (const b of batches) await through.write(b);
      await through.settle?.();
      peers += batches.length * BATCH;
    } while (!quick && nowNs() - start < BigInt(MIN_ROUND_MS * 1e6));
    rates.push(peers / (Number(nowNs() - start) / 1e9));
  }
  return rates;
}

/** Times lookups of `keys` (cycled); slow ones (scans) are timed for a budget instead of a count. */
async function lookupFigure<K>(
  lookup: (key: K) => unknown,
  keys: readonly K[],
  quick: boolean,
): Promise<Figure> {
  for (const k of keys.slice(0, 3)) {
    if (!(await lookup(k))) throw new Error(`lookup of ${String(k)} found nothing`);
  }
  const probe = await timeOnce(async () => {
    for (const k of keys.slice(0, 3)) await lookup(k);
  });
  const at = (i: number): K => keys[i % keys.length] as K;
  const slow = probe / 3 > 200_000;
  return slow
    ? timeRounds({ rounds: quick ? 2 : 3, ops: 2, budgetMs: quick ? 50 : 300, warmup: 1 }, (i) =>
        lookup(at(i)),
      )
    : timeRounds(
        { rounds: quick ? 3 : 5, ops: quick ? 1000 : 20_000, budgetMs: quick ? 0 : MIN_ROUND_MS },
        (i) => lookup(at(i)),
      );
}

async function measure(subject: Subject, n: number, dir: string, quick: boolean): Promise<ChildResult> {
  const figures: Record<string, ChildFigure> = {};
  const failures: Record<string, string> = {};
  const us = (f: Figure, notes?: string): ChildFigure => ({
    min: f.min / 1000,
    median: f.median / 1000,
    runs: f.runs,
    unit: 'µs/op',
    ...(notes ? { notes } : {}),
  });

  // Warm-up on a throwaway store: the JIT compiles the ingest and lookup paths and the library sets up what it
  // keeps whatever its size, so neither is counted in the timings or in the memory per peer below.
  const warmDir = join(dir, 'warm-up');
  mkdirSync(warmDir, { recursive: true });
  const warm = await subject.open(warmDir, false);
  await ingest(warm, WARM_UP);
  for (let i = 0; i < WARM_UP; i++) await warm.hot.byId(idAt(i, WARM_UP));
  await warm.close();
  await gc();
  const before = process.memoryUsage();
  if (process.env['PM_BENCH_MEMORY'])
    process.stderr.write(`MEMORY before ${subject.name} ${n}\n${memoryReport()}\n`);
  const first = join(dir, 'store');
  mkdirSync(first, { recursive: true });
  const store = await subject.open(first, false);
  const ingestRates: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const peak = { rss: 0, heapTotal: 0 };
  try {
    ingestRates.push(n / ((await ingest(store, n, loop, peak)) / 1e9));
  } catch (e) {
    failures['ingest'] = e instanceof Error ? e.message : String(e);
    await store.close();
    return { subject: subject.name, size: n, figures, failures, clock: processClock() };
  }

  const hotIds = pickIds(HOT_SET, Math.min(n, HOT_SET), n, 1);
  const coldIds = pickIds(HOT_SET, n, n, 2);
  // Warm the hot set as a bot's traffic would: its users looked up by id and by username. Stores that scan on
  // every lookup have nothing to warm, so a time budget stops them early instead of scanning 10k times. The budget
  // is generous (10 s) so that a store that can warm does so even on a loaded machine: at 3 s, pm's 20,000 warming
  // lookups at 1M were cut short under load and its "hot" figures measured partly cold lookups.
  const warmUntil = performance.now() + (quick ? 300 : 10_000);
  if (store.warm) await store.warm([...new Set(hotIds)]);
  else
    for (const id of new Set(hotIds)) {
      if (performance.now() > warmUntil) break;
      await store.hot.byId(id);
      if (!store.unsupported?.byUsername) await store.hot.byUsername(usernameOf(id));
    }
  await gc();
  const after = process.memoryUsage();
  if (process.env['PM_BENCH_MEMORY'])
    process.stderr.write(
      `MEMORY ${subject.name} ${n} (ingest ${ingestRates[0]?.toFixed(0)} peers/s, peak RSS ${(peak.rss / 2 ** 20).toFixed(0)} MiB)\n${memoryReport()}\n`,
    );
  const parts = rssBreakdown(dir);
  figures['event-loop delay during ingest, max'] = {
    min: loop.max / 1e6,
    median: loop.max / 1e6,
    runs: 1,
    unit: 'ms',
    notes: `longest a timer waited while n peers were ingested (p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms)`,
  };
  figures['RSS peak during ingest'] = {
    min: peak.rss / 2 ** 20,
    median: peak.rss / 2 ** 20,
    runs: 1,
    unit: 'MiB',
    notes: `the most RSS seen between batches (sampled every ${PEAK_EVERY.toLocaleString('en')} peers and at the end); V8 heap then up to ${(peak.heapTotal / 2 ** 20).toFixed(0)} MiB`,
  };
  figures['JS heap after ingest'] = {
    min: after.heapUsed / 2 ** 20,
    median: after.heapUsed / 2 ** 20,
    runs: 1,
    unit: 'MiB',
    notes: `heapUsed after GC; heapTotal ${(after.heapTotal / 2 ** 20).toFixed(0)} MiB, external ${(after.external / 2 ** 20).toFixed(0)} MiB`,
  };
  figures['RSS after ingest'] = {
    min: after.rss / 2 ** 20,
    median: after.rss / 2 ** 20,
    runs: 1,
    unit: 'MiB',
    ...(parts ? { notes: parts } : {}),
  };
  const withoutStore = (rss: number, notes: string): ChildFigure => {
    const value = (rss - mappedStoreBytes(dir)) / 2 ** 20;
    return { min: value, median: value, runs: 1, unit: 'MiB', notes };
  };
  figures['RSS after ingest, mapped store left out'] = withoutStore(
    after.rss,
    "RSS after ingest less the store's file pages mapped in (the kernel's file cache, shared and reclaimable): the process's own memory and its code",
  );
  const perPeer = (after.rss - before.rss) / n;
  figures['memory per cached peer (RSS growth)'] = {
    min: perPeer,
    median: perPeer,
    runs: 1,
    unit: 'B',
    notes: 'RSS growth over n peers, after a warm-up store and GC (SQLite page cache included)',
  };
  const heapPerPeer = (after.heapUsed + after.external - before.heapUsed - before.external) / n;
  figures['memory per cached peer (JS heap)'] = {
    min: heapPerPeer,
    median: heapPerPeer,
    runs: 1,
    unit: 'B',
    notes: 'heapUsed + external growth over n peers, after GC',
  };

  const lookupsOf = async (tier: 'hot' | 'cold', l: Lookups, ids: readonly bigint[]): Promise<void> => {
    figures[`by id, ${tier}`] = us(await lookupFigure((id: bigint) => l.byId(id), ids, quick));
    const why = store.unsupported?.byUsername;
    if (why) failures[`by username, ${tier}`] = why;
    else {
      const names = ids.map(usernameOf);
      figures[`by username, ${tier}`] = us(
        await lookupFigure((name: string) => l.byUsername(name), names, quick),
      );
    }
  };
  await lookupsOf('hot', store.hot, hotIds);
  await lookupsOf('cold', store.cold, coldIds);
  for (const [tier, ids] of [
    ['hot', hotIds],
    ['cold', coldIds],
  ] as const) {
    const rates = await resightings(store, tier === 'cold' ? (store.coldWrite ?? store) : store, ids, quick);
    const f = figure(rates);
    figures[`re-sighting, unchanged, ${tier}`] = {
      min: Math.max(...rates),
      median: f.median,
      runs: f.runs,
      unit: 'peers/s',
      notes: `batches of ${BATCH} peers the store holds, ${tier === 'hot' ? 'from the hot set' : `any of the n${store.coldWrite ? ', through a cache that holds none of them (LRU of one entry)' : ''}`}, nothing changed`,
    };
  }
  // Memory once the store has answered lookups of any of its peers, as a bot's does over time: a store read through
  // mmap then has more of its file mapped in (the kernel maps a fault's neighbours too), which "after ingest" does
  // not show yet.
  await gc();
  const later = process.memoryUsage();
  figures['RSS after lookups'] = {
    min: later.rss / 2 ** 20,
    median: later.rss / 2 ** 20,
    runs: 1,
    unit: 'MiB',
    notes:
      `after the lookups and re-sightings above (${coldIds.length.toLocaleString('en')} cold ids among them), GC. ${rssBreakdown(dir) ?? ''}`.trim(),
  };
  figures['RSS after lookups, mapped store left out'] = withoutStore(
    later.rss,
    "RSS after lookups less the store's file pages mapped in: the process's own memory and its code",
  );
  await store.close();

  // More ingest runs on fresh stores, after the memory figures were taken.
  const extraRuns = quick ? 0 : n <= 10_000 ? 4 : n <= 100_000 ? 2 : 0;
  for (let r = 0; r < extraRuns; r++) {
    const d = join(dir, `again-${r}`);
    mkdirSync(d, { recursive: true });
    const s = await subject.open(d, false);
    ingestRates.push(n / ((await ingest(s, n)) / 1e9));
    await s.close();
  }
  const rate = figure(ingestRates);
  figures['ingest'] = {
    // Higher is better: the best run is the max.
    min: Math.max(...ingestRates),
    median: rate.median,
    runs: rate.runs,
    unit: 'peers/s',
    notes: `batches of ${BATCH}, ${store.commits ?? 'each committed'}`,
  };
  return { subject: subject.name, size: n, figures, failures, clock: processClock() };
}

async function startup(subject: Subject, n: number, dir: string): Promise<ChildResult> {
  const id = idAt(Math.floor(n / 3), n);
  let found: unknown;
  const ns = await timeOnce(async () => {
    const store = await subject.open(join(dir, 'store'), true);
    found = await store.hot.byId(id);
  });
  if (!found) throw new Error(`start-up lookup of ${id} found nothing`);
  const ms = ns / 1e6;
  return {
    subject: subject.name,
    size: n,
    figures: { 'start-up to first lookup': { min: ms, median: ms, runs: 1, unit: 'ms' } },
    failures: {},
    clock: processClock(),
  };
}

const [mode, name, size, dir, quick] = process.argv.slice(2);
if (!mode || !name || !size || !dir) {
  throw new Error('usage: child.ts measure|startup <subject> <n> <dir> [quick 0|1]');
}
const subject = await loadSubject(name);
if (subject.clock === 'real') timeInRealTime();
const result =
  mode === 'startup'
    ? await startup(subject, Number(size), dir)
    : await measure(subject, Number(size), dir, quick === '1');
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
