import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchRow, withRatios } from '../../bench/lib/row.js';
import { peersChart } from '../../bench/report/chart.js';
import { CHART, chartOf, RESULTS, type ResultsFile, sectionOf } from '../../bench/report/readme.js';
import { formatValue, peersTable } from '../../bench/report/table.js';

const README = join(import.meta.dirname, '..', '..', 'README.md');

describe('the README benchmark section', () => {
  it('is what bench/results.json gives, table and chart (pnpm bench:readme rewrites both)', () => {
    const results = JSON.parse(readFileSync(RESULTS, 'utf8')) as ResultsFile;
    expect(readFileSync(README, 'utf8')).toContain(sectionOf(results));
    expect(readFileSync(CHART, 'utf8')).toBe(chartOf(results));
  });

  it('puts each store in a column and each figure in a line, at the largest size measured', () => {
    const row = (subject: string, name: string, size: number, value: number | null, unit: string) => ({
      suite: 'peers',
      subject,
      name,
      size,
      value,
      unit,
    });
    const table = peersTable([
      row('pm sqlite', 'ingest', 10_000, 1, 'peers/s'),
      row('pm sqlite', 'ingest', 1_000_000, 51_234.4, 'peers/s'),
      row('other', 'ingest', 1_000_000, null, 'peers/s'),
      row('pm sqlite', 'by id, cold', 1_000_000, 5.4321, 'µs/op'),
    ]);
    expect(table.split('\n')).toEqual([
      '| at 1M peers                  | pm sqlite | other |',
      '| ---------------------------- | --------: | ----: |',
      '| ingest of new peers, peers/s |    51,234 |   n/a |',
      '| by id, cold, µs              |      5.43 |     — |',
    ]);
    expect(formatValue(2.5, '× cost')).toBe('2.5×');
  });

  it('says which store was timed with another clock, and ranks it only against stores timed with the same', () => {
    const cold = { suite: 'peers', name: 'by id, cold', size: 1000, unit: 'µs/op', better: 'lower' } as const;
    const rows: BenchRow[] = [
      { ...cold, subject: 'pm sqlite', value: 5 },
      { ...cold, subject: 'pm postgres', value: 900, clock: 'real' },
    ];
    expect(peersTable(rows).split('\n')[0]).toBe('| at 1k peers     | pm sqlite | pm postgres (real time) |');
    expect(withRatios(rows).map((r) => r.ratioToBest)).toEqual([1, 1]);
  });

  it('draws one line per store in each panel, on log scales', () => {
    const svg = peersChart(
      [10_000, 100_000, 1_000_000].flatMap((size, i) => [
        { suite: 'peers', subject: 'a', name: 'ingest', size, value: 10 ** (5 - i), unit: 'peers/s' },
        { suite: 'peers', subject: 'b', name: 'ingest', size, value: 10 ** 4, unit: 'peers/s' },
      ]),
      'caption',
    );
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('>1M<');
    expect(svg).toContain('>100k<');
    expect(svg).toContain('caption');
  });
});
