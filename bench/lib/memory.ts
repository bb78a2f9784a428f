/**
 * Where a process's resident memory is (Linux): `/proc/self/smaps` grouped by mapping, and V8's heap spaces.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

export interface Mapping {
  readonly name: string;
  readonly rssKiB: number;
  readonly anonKiB: number;
  readonly count: number;
}

/** Resident KiB per mapped file / kind, largest first. */
export function smapsByName(): Mapping[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return [];
  }
  const by = new Map<string, { rssKiB: number; anonKiB: number; count: number }>();
  let current: { rssKiB: number; anonKiB: number; count: number } | undefined;
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1] || '[anon]';
      current = by.get(name);
      if (!current) {
        current = { rssKiB: 0, anonKiB: 0, count: 0 };
        by.set(name, current);
      }
      current.count++;
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && current) {
      if (field[1] === 'Rss') current.rssKiB += Number(field[2]);
      else current.anonKiB += Number(field[2]);
    }
  }
  return [...by.entries()].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.rssKiB - a.rssKiB);
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const kibToMib = (kib: number): string => (kib / 1024).toFixed(0);

/**
 * One line on where the resident memory is, for a figure's notes: V8's heap (young generation, old generation and
 * how much of it is live), the main thread's malloc heap (`[heap]`: SQLite's page cache, native libraries), other
 * anonymous memory (threads' stacks and malloc arenas, worker threads' V8 heaps), and mapped files: those under
 * `storeDir` (a store read through mmap) and the rest (node's code, libraries). Null where /proc is not there.
 */
export function rssBreakdown(storeDir: string): string | null {
  const maps = smapsByName();
  if (maps.length === 0) return null;
  let anon = 0;
  let mallocHeap = 0;
  let store = 0;
  let code = 0;
  for (const m of maps) {
    anon += m.anonKiB;
    if (m.name === '[heap]') mallocHeap += m.anonKiB;
    const file = m.rssKiB - m.anonKiB;
    if (m.name.startsWith(storeDir)) store += file;
    else code += file;
  }
  const spaces = new Map(getHeapSpaceStatistics().map((s) => [s.space_name, s]));
  const v8 = getHeapStatistics().total_physical_size / 1024;
  const young = (spaces.get('new_space')?.physical_space_size ?? 0) / 1024;
  const old = spaces.get('old_space');
  return [
    `RssAnon ${kibToMib(anon)} MiB: V8 heap ${kibToMib(v8)} (young generation ${kibToMib(young)}, old ${kibToMib((old?.physical_space_size ?? 0) / 1024)} holding ${kibToMib((old?.space_used_size ?? 0) / 1024)} live)`,
    `malloc heap ${kibToMib(mallocHeap)} (SQLite's page cache, native code)`,
    `other ${kibToMib(anon - v8 - mallocHeap)} (threads: stacks, arenas, workers' heaps). RssFile ${kibToMib(store + code)} MiB: the store's file mapped ${kibToMib(store)}, code ${kibToMib(code)} (node, libraries)`,
  ].join(', ');
}

/**
 * Resident bytes of the files under `storeDir` mapped into the process (a SQLite store read through mmap): the
 * kernel's file cache, shared and dropped under memory pressure, but counted in RSS. 0 where /proc is not there.
 */
export function mappedStoreBytes(storeDir: string): number {
  let kib = 0;
  for (const m of smapsByName()) if (m.name.startsWith(storeDir)) kib += m.rssKiB - m.anonKiB;
  return kib * 1024;
}

/** A multi-line report of the process's memory, for a closer look (`PM_BENCH_MEMORY=1`). */
export function memoryReport(): string {
  const lines: string[] = [];
  const status = readFileSync('/proc/self/status', 'utf8');
  for (const key of ['VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'Threads']) {
    const m = new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(status);
    if (m) lines.push(`${key}: ${m[1]}`);
  }
  const h = getHeapStatistics();
  lines.push(
    `v8: total_heap ${mib(h.total_heap_size)} physical ${mib(h.total_physical_size)} used ${mib(h.used_heap_size)} malloced ${mib(h.malloced_memory)} (peak ${mib(h.peak_malloced_memory)}) external ${mib(h.external_memory)}`,
  );
  for (const s of getHeapSpaceStatistics()) {
    lines.push(
      `  ${s.space_name.padEnd(24)} size ${mib(s.space_size).padStart(7)} physical ${mib(s.physical_space_size).padStart(7)} used ${mib(s.space_used_size).padStart(7)}`,
    );
  }
  const m = process.memoryUsage();
  lines.push(
    `memoryUsage: rss ${mib(m.rss)} heapTotal ${mib(m.heapTotal)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}`,
  );
  const maps = smapsByName();
  const total = maps.reduce((a, m) => a + m.rssKiB, 0);
  const totalAnon = maps.reduce((a, m) => a + m.anonKiB, 0);
  lines.push(
    `smaps: ${maps.length} names, rss ${(total / 1024).toFixed(1)} MiB, anonymous ${(totalAnon / 1024).toFixed(1)} MiB`,
  );
  try {
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    lines.push(
      `rollup: ${rollup
        .split('\n')
        .filter((l) => /^(Rss|Anonymous|Private_Dirty|Shared_Clean|Private_Clean):/.test(l))
        .map((l) => l.replace(/\s+/g, ' '))
        .join(', ')}`,
    );
  } catch {}
  for (const map of maps.slice(0, 14)) {
    lines.push(
      `  ${(map.rssKiB / 1024).toFixed(1).padStart(7)} MiB (anon ${(map.anonKiB / 1024).toFixed(1)}) x${map.count} ${map.name}`,
    );
  }
  return lines.join('\n');
}
