/**
 * Timing helpers shared by every benchmark: a seeded PRNG (so every run looks up the same peers), warm-up,
 * several rounds and min / median over the rounds. Figures are ns per operation unless a name says otherwise.
 */
import { readFileSync } from 'node:fs';

/** The figure of one metric over several rounds. */
export interface Figure {
  /** Best round. */
  readonly min: number;
  /** Median round: the value tables show. */
  readonly median: number;
  /** Rounds measured (after warm-up). */
  readonly runs: number;
}

/** mulberry32: a tiny seeded PRNG, floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export function figure(samples: readonly number[]): Figure {
  if (samples.length === 0) throw new Error('a figure needs at least one sample');
  return { min: Math.min(...samples), median: median(samples), runs: samples.length };
}

/**
 * `PM_BENCH_CLOCK=cpu` times with the CPU time of the main thread (Linux: `/proc/thread-self/schedstat`, ns;
 * elsewhere the process's user + system time) instead of real time: on a machine shared with other busy
 * processes, real time mostly measures the wait for a core. Figures are then CPU cost of the thread that runs the
 * store (V8's background GC threads not counted), and time spent waiting on the disk is not counted. That clock
 * moves in steps of a scheduler tick (a few ms) while the thread runs, so a timed stretch must span many ticks:
 * see {@link MIN_ROUND_MS}.
 */
export const CLOCK: 'real' | 'cpu' = process.env['PM_BENCH_CLOCK'] === 'cpu' ? 'cpu' : 'real';

const SCHEDSTAT = '/proc/thread-self/schedstat';
const hasSchedstat = ((): boolean => {
  try {
    return Number.isFinite(Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]));
  } catch {
    return false; // not Linux
  }
})();

function cpuNs(): bigint {
  if (hasSchedstat) return BigInt(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0] as string);
  const { user, system } = process.cpuUsage();
  return BigInt(user + system) * 1000n;
}

/** CPU time of the calling thread in ns, whatever the benchmarks' clock (elsewhere than Linux: the process's). */
export const threadCpuNs = (): bigint => cpuNs();

const realNs = (): bigint => process.hrtime.bigint();
let clockNs: () => bigint = CLOCK === 'cpu' ? cpuNs : realNs;
let clockName: 'real' | 'cpu' = CLOCK;

/** The benchmarks' clock in ns: real time, or the main thread's CPU time with `PM_BENCH_CLOCK=cpu`. */
export const nowNs = (): bigint => clockNs();

/** The clock `nowNs` reads in this process. */
export const processClock = (): 'real' | 'cpu' => clockName;

/**
 * Times this process in real time whatever `PM_BENCH_CLOCK` says: for a store whose work happens in another
 * process (a database server), whose cost the CPU time of this thread leaves out.
 */
export function timeInRealTime(): void {
  clockNs = realNs;
  clockName = 'real';
}

/**
 * The shortest timed round of fast operations: the CPU clock advances in steps of a few ms (2.4 ms measured here),
 * so a round of 8 ms (20,000 lookups of 0.4 µs) could read anywhere from 5 to 10 ms; over 200 ms the step is ~1%.
 */
export const MIN_ROUND_MS = 200;

export interface RoundsOptions {
  /** Rounds measured. */
  readonly rounds: number;
  /** Operations per round; with `budgetMs`, the minimum. */
  readonly ops: number;
  /**
   * Keep going, `ops` operations at a time, until this many ms passed in a round: for slow operations (scans), and
   * so that a round of fast ones spans many steps of the clock (see {@link MIN_ROUND_MS}).
   */
  readonly budgetMs?: number;
  /** Untimed operations first. @default ops / 10, at least 1 */
  readonly warmup?: number;
}

/**
 * ns per operation of `op(i)` over several rounds; `i` keeps counting across rounds and warm-up so each round
 * touches different keys when the caller maps `i` to a key.
 */
export async function timeRounds(
  opts: RoundsOptions,
  op: (i: number) => unknown | Promise<unknown>,
): Promise<Figure> {
  let i = 0;
  const warmup = opts.warmup ?? Math.max(1, Math.floor(opts.ops / 10));
  for (let w = 0; w < warmup; w++) await op(i++);
  const samples: number[] = [];
  const budget = BigInt(Math.round((opts.budgetMs ?? 0) * 1e6));
  for (let r = 0; r < opts.rounds; r++) {
    const start = nowNs();
    let n = 0;
    // The clock is read between steps of `ops` operations only: reading it costs a system call.
    do {
      for (let k = 0; k < opts.ops; k++) await op(i++);
      n += opts.ops;
    } while (nowNs() - start < budget);
    samples.push(Number(nowNs() - start) / n);
  }
  return figure(samples);
}

/** ns `run` takes (real time, or CPU time with `PM_BENCH_CLOCK=cpu`). */
export async function timeOnce(run: () => unknown | Promise<unknown>): Promise<number> {
  const start = nowNs();
  await run();
  return Number(nowNs() - start);
}
