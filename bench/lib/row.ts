/** One figure of a benchmark run, as printed and written to bench/results.json. */
export interface BenchRow {
  readonly suite: string;
  /** What is measured ("by id, cold", "updates/s"...). */
  readonly name: string;
  /** Who is measured, when a suite compares several ("pm sqlite", "gramjs MemorySession"...). */
  readonly subject?: string;
  readonly size?: number;
  /** The median over `runs`. */
  readonly value: number;
  /** The best run (the smallest time, or the largest rate). */
  readonly best?: number;
  readonly runs?: number;
  readonly unit: string;
  /** Which way is better; rows with a direction get ratios to the best subject. */
  readonly better?: 'lower' | 'higher';
  /** How many times worse than the best subject of the same name and size (1 = the best). */
  readonly ratioToBest?: number;
  readonly notes?: string;
  /** Set when the row was timed with another clock than the run's (`PM_BENCH_CLOCK`): a store timed in real time. */
  readonly clock?: 'real' | 'cpu';
}

/**
 * Fills `ratioToBest` for rows that compare subjects (same suite, name, size and clock, a direction): a row timed in
 * real time is not compared with rows timed in CPU time.
 */
export function withRatios(rows: readonly BenchRow[]): BenchRow[] {
  const bestOf = new Map<string, number>();
  const key = (r: BenchRow): string => `${r.suite}\u0000${r.name}\u0000${r.size ?? ''}\u0000${r.clock ?? ''}`;
  for (const r of rows) {
    if (!r.subject || !r.better || !Number.isFinite(r.value) || r.value <= 0) continue;
    const prev = bestOf.get(key(r));
    if (prev === undefined || (r.better === 'lower' ? r.value < prev : r.value > prev)) {
      bestOf.set(key(r), r.value);
    }
  }
  return rows.map((r) => {
    const best = bestOf.get(key(r));
    if (best === undefined || !r.subject || !r.better || !Number.isFinite(r.value) || r.value <= 0) return r;
    return { ...r, ratioToBest: r.better === 'lower' ? r.value / best : best / r.value };
  });
}
