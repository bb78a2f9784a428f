/**
 * The SVG chart `pnpm bench` writes to bench/chart.svg: for each store of the `peers` suite, lookup time (by id and
 * by username, cold) and ingest rate against the number of peers stored, both axes on a log scale. Plain SVG, no
 * library: one panel per figure, one line per store, the same colour for a store in every panel.
 */
import type { BenchRow } from '../lib/row.js';
import { orderSubjects } from './table.js';

interface Panel {
  readonly figure: string;
  readonly title: string;
  readonly unit: string;
}

const PANELS: readonly Panel[] = [
  { figure: 'by id, cold', title: 'Lookup by id, cold', unit: 'µs' },
  { figure: 'by username, cold', title: 'Lookup by username, cold', unit: 'µs' },
  { figure: 'ingest', title: 'Ingest of new peers', unit: 'peers/s' },
];

const COLOURS = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 330;
const H = 260;
const M = { left: 58, right: 12, top: 28, bottom: 40 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmt(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

/** Powers of ten covering [lo, hi]. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function panel(p: Panel, rows: readonly BenchRow[], subjects: readonly string[], x0: number): string {
  const mine = rows.filter((r) => r.name === p.figure && r.size && Number.isFinite(r.value) && r.value > 0);
  const parts: string[] = [`<g transform="translate(${x0},0)">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  if (mine.length === 0) return `${parts.join('')}</g>`;
  const sizes = [...new Set(mine.map((r) => r.size as number))].sort((a, b) => a - b);
  const xs = decades(sizes[0] as number, sizes.at(-1) as number);
  const ys = decades(Math.min(...mine.map((r) => r.value)), Math.max(...mine.map((r) => r.value)));
  const lx = (v: number) => Math.log10(v);
  const [x1, x2] = [lx(xs[0] as number), lx(xs.at(-1) as number)];
  const [y1, y2] = [lx(ys[0] as number), lx(ys.at(-1) as number)];
  const px = (v: number) => M.left + ((lx(v) - x1) / Math.max(1e-9, x2 - x1)) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - ((lx(v) - y1) / Math.max(1e-9, y2 - y1)) * (H - M.top - M.bottom);
  for (const x of xs) {
    parts.push(
      `<line x1="${px(x)}" y1="${M.top}" x2="${px(x)}" y2="${H - M.bottom}" stroke="#ddd"/>`,
      `<text x="${px(x)}" y="${H - M.bottom + 14}" text-anchor="middle">${fmt(x)}</text>`,
    );
  }
  for (const y of ys) {
    parts.push(
      `<line x1="${M.left}" y1="${py(y)}" x2="${W - M.right}" y2="${py(y)}" stroke="#ddd"/>`,
      `<text x="${M.left - 4}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`,
    );
  }
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle">peers stored</text>`,
    `<text transform="translate(12,${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(p.unit)}</text>`,
  );
  subjects.forEach((s, i) => {
    const pts = mine
      .filter((r) => r.subject === s)
      .sort((a, b) => (a.size as number) - (b.size as number))
      .map((r) => [px(r.size as number), py(r.value)] as const);
    if (pts.length === 0) return;
    const colour = COLOURS[i % COLOURS.length] as string;
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`,
      ...pts.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${colour}"/>`),
    );
  });
  parts.push('</g>');
  return parts.join('\n');
}

/** The chart of the `peers` rows of a results file, as an SVG document. */
export function peersChart(rows: readonly BenchRow[], caption: string): string {
  const peers = rows.filter((r) => r.suite === 'peers' && r.subject);
  const subjects = orderSubjects(peers);
  const width = W * PANELS.length;
  const legendRows = Math.ceil(subjects.length / 3);
  const height = H + 20 + legendRows * 18 + 20;
  const legend = subjects.map((s, i) => {
    const x = 20 + (i % 3) * (width / 3);
    const y = H + 18 + Math.floor(i / 3) * 18;
    const colour = COLOURS[i % COLOURS.length] as string;
    return `<rect x="${x}" y="${y - 9}" width="14" height="4" fill="${colour}"/><text x="${x + 20}" y="${y - 3}">${esc(s)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(`Lookup time and ingest rate against peers stored, log scales (${caption})`)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...PANELS.map((p, i) => panel(p, peers, subjects, i * W)),
    ...legend,
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
