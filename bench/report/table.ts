/**
 * Markdown tables of a results file (bench/results.json), for the README: the `peers` suite at its largest size
 * with a column per store, how each store's cost grows from the smallest size to the largest, and the rows of the
 * other suites as they are.
 */
import type { BenchRow } from '../lib/row.js';

/** Figures of the peers table, in order, and how to label them. */
const PEER_FIGURES: readonly [name: string, label: string][] = [
  ['ingest', 'ingest of new peers, peers/s'],
  ['re-sighting, unchanged, hot', 're-sighting, nothing changed, hot, peers/s'],
  ['re-sighting, unchanged, cold', 're-sighting, nothing changed, cold, peers/s'],
  ['by id, hot', 'by id, hot, µs'],
  ['by id, cold', 'by id, cold, µs'],
  ['by username, hot', 'by username, hot, µs'],
  ['by username, cold', 'by username, cold, µs'],
  ['start-up to first lookup', 'start-up to first lookup, ms'],
  ['event-loop delay during ingest, max', 'longest event-loop stall during ingest, ms'],
  ['RSS after ingest', 'RSS after ingest, MiB'],
  ['RSS after ingest, mapped store left out', 'RSS after ingest less the mapped store file, MiB'],
  ['RSS after lookups', 'RSS after lookups of any peer, MiB'],
  ['RSS after lookups, mapped store left out', 'RSS after lookups less the mapped store file, MiB'],
  ['RSS peak during ingest', 'RSS peak during ingest, MiB'],
  ['JS heap after ingest', 'JS heap after ingest, MiB'],
  ['memory per cached peer (JS heap)', 'JS heap per peer, bytes'],
];

const SCALING_FIGURES: readonly string[] = ['ingest', 'by id, cold', 'by username, cold', 'by username, hot'];

export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  if (unit === 'peers/s' || unit === '/s' || unit.endsWith('/s'))
    return Math.round(value).toLocaleString('en');
  if (unit === 'MiB' || unit === 'B') return Math.round(value).toLocaleString('en');
  if (unit === '× cost') return `${value.toFixed(1)}×`;
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en');
  return String(Number(value.toPrecision(3)));
}

const label = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** A Markdown table, columns padded as the formatter (Biome) lays them out: the first left-aligned, the rest right. */
function markdown(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const cell = (text: string, i: number): string =>
    i === 0 ? text.padEnd(widths[i] as number) : text.padStart(widths[i] as number);
  const row = (cells: readonly string[]): string =>
    `| ${header.map((_, i) => cell(cells[i] ?? '', i)).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [row(header), rule, ...lines.map(row)].join('\n');
}

/** pm's own rows first (SQLite, its floor, memory), the lookup floor, then the other libraries in the order they were measured. */
export function orderSubjects(rows: readonly { readonly subject?: string | undefined }[]): string[] {
  const first = [
    'pm sqlite',
    'pm sqlite, flush per batch',
    'pm sqlite, no mmap',
    'bare better-sqlite3 (pm schema)',
    'pm memory',
    'plain Map (lookup floor)',
  ];
  const seen = [...new Set(rows.map((r) => r.subject).filter((s): s is string => s !== undefined))];
  return [...first.filter((s) => seen.includes(s)), ...seen.filter((s) => !first.includes(s))];
}

/** Rows read from a results file: `value` may be null (JSON has no NaN). */
export type ResultRow = Omit<BenchRow, 'value'> & { readonly value: number | null };

export function peersTable(rows: readonly ResultRow[]): string {
  const peers = rows.filter((r) => r.suite === 'peers' && r.subject && r.size);
  if (peers.length === 0) return '_No `peers` rows in this results file._';
  const size = Math.max(...peers.map((r) => r.size as number));
  const subjects = orderSubjects(peers);
  const at = (subject: string, name: string) =>
    peers.find((r) => r.subject === subject && r.name === name && r.size === size);
  const lines: string[][] = [];
  for (const [name, text] of PEER_FIGURES) {
    if (!subjects.some((s) => at(s, name))) continue;
    lines.push([
      text,
      ...subjects.map((s) => {
        const r = at(s, name);
        return r ? formatValue(r.value, r.unit) : '—';
      }),
    ]);
  }
  const scaling = rows.filter((r) => r.suite === 'peers scaling');
  for (const name of SCALING_FIGURES) {
    const of = (s: string) => scaling.find((r) => r.subject === s && r.name.startsWith(`${name}: `));
    const any = subjects.map(of).find((r) => r !== undefined);
    if (!any) continue;
    const range = any.name.slice(name.length + 2);
    lines.push([
      `cost of ${name}, ${range}`,
      ...subjects.map((s) => {
        const r = of(s);
        return r ? formatValue(r.value, r.unit) : '—';
      }),
    ]);
  }
  // A store timed with another clock than the run's (a database server's work is not in this process's CPU time).
  const heading = (s: string): string => {
    const clock = peers.find((r) => r.subject === s && r.size === size && r.clock)?.clock;
    return clock ? `${s} (${clock === 'real' ? 'real time' : 'CPU time'})` : s;
  };
  return markdown([`at ${label(size)} peers`, ...subjects.map(heading)], lines);
}

/** Every row of the other suites, one line each. */
export function otherTable(rows: readonly ResultRow[]): string {
  const other = rows.filter((r) => !r.suite.startsWith('peers'));
  if (other.length === 0) return '';
  return markdown(
    ['suite', 'figure', 'subject', 'size', 'value', 'unit'],
    other.map((r) => [
      r.suite,
      r.name,
      // A row timed with another clock than the run's says which.
      (r.subject ?? '') +
        (r.clock ? ` (${r.clock === 'real' ? 'real time' : 'CPU time of the main thread'})` : ''),
      r.size ? label(r.size) : '',
      formatValue(r.value, r.unit),
      r.unit,
    ]),
  );
}
