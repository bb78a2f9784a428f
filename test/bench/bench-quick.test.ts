import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results.quick.json');

interface Row {
  suite: string;
  name: string;
  subject?: string;
  size?: number;
  value: number | null;
}

function runQuickBench(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--quick'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('pnpm bench --quick', () => {
  it('runs every suite and writes results.quick.json with the expected rows', async () => {
    const started = Date.now();
    const { code, out } = await runQuickBench();
    expect(code, out.slice(-3000)).toBe(0);
    expect((await stat(RESULTS)).mtimeMs).toBeGreaterThanOrEqual(started - 1000);
    const json = JSON.parse(await readFile(RESULTS, 'utf8')) as { quick: boolean; rows: Row[] };
    expect(json.quick).toBe(true);
    const has = (suite: string, name: string, subject?: string) =>
      json.rows.some(
        (r) => r.suite === suite && r.name === name && (subject === undefined || r.subject === subject),
      );

    const stores = [
      'pm memory',
      'pm sqlite',
      'bare better-sqlite3 (pm schema)',
      'gramjs MemorySession',
      'gramjs StoreSession',
      'mtcute SqliteStorage',
      'telethon .session (replayed)',
    ];
    for (const s of stores) {
      for (const f of [
        'ingest',
        'by id, hot',
        'by id, cold',
        'RSS after ingest',
        'RSS after lookups',
        'RSS peak during ingest',
        'JS heap after ingest',
        'event-loop delay during ingest, max',
        'memory per cached peer (RSS growth)',
        'memory per cached peer (JS heap)',
      ]) {
        expect(has('peers', f, s), `peers: ${f} of ${s}`).toBe(true);
      }
    }
    for (const s of [
      'pm sqlite',
      'mtcute SqliteStorage',
      'telethon .session (replayed)',
      'gramjs StoreSession',
    ]) {
      expect(has('peers', 'start-up to first lookup', s), `start-up of ${s}`).toBe(true);
    }
    for (const s of ['pm memory', 'pm sqlite']) {
      expect(has('peers', 're-sighting, unchanged, hot', s), `re-sightings of ${s}`).toBe(true);
      expect(has('peers', 're-sighting, unchanged, cold', s), `re-sightings of ${s}`).toBe(true);
    }
    expect(has('import', 'pm peers import (JSONL export → empty store)', 'pm sqlite')).toBe(true);
    if (process.env['PM_TEST_POSTGRES_URL']) {
      for (const f of ['ingest', 'by id, cold', 'by username, cold', 'start-up to first lookup']) {
        expect(has('peers', f, 'pm postgres'), `peers: ${f} of pm postgres`).toBe(true);
      }
      const pg = (name: string) =>
        json.rows.find((r) => r.suite === 'postgres' && r.name === name && r.subject === 'pm postgres');
      expect(pg('ingest, 4 processes at once')?.value).toBeGreaterThan(0);
      expect(pg('peers lost')?.value).toBe(0);
      expect(pg('usernames where index and records disagree')?.value).toBe(0);
    } else {
      expect(json.rows.some((r) => r.subject === 'pm postgres')).toBe(false);
    }
    expect((await stat(join(ROOT, 'bench', 'chart.quick.svg'))).mtimeMs).toBeGreaterThanOrEqual(
      started - 1000,
    );
    expect(json.rows.filter((r) => r.suite === 'peers').every((r) => r.size === 10_000)).toBe(true);
    for (const s of ['gramjs (bare)', 'gramjs + pm memory', 'gramjs + pm sqlite']) {
      expect(has('e2e', 'updates handled/s', s), s).toBe(true);
      expect(has('e2e', 'resolve @username, uncached (round trips/s)', s), s).toBe(true);
    }
    expect(has('send', 'broadcast sustained rate, share of 30/s', 'pm sqlite')).toBe(true);
    expect(has('send', 'broadcast FLOOD_WAIT answers', 'pm sqlite')).toBe(true);
    expect(has('send', 'acquire, no wait, one chat')).toBe(true);
    expect(has('testserver', 'updates delivered/s')).toBe(true);
    expect(has('connection', 'server back after 1 s → first update', 'pm')).toBe(true);
    expect(has('connection', 'connection dropped, server up → first update', 'pm')).toBe(true);
    // Figures that must exist are numbers, and pm's rows have a ratio to the best store.
    const pmHot = json.rows.find(
      (r) => r.suite === 'peers' && r.name === 'by id, hot' && r.subject === 'pm sqlite',
    );
    expect(typeof pmHot?.value).toBe('number');
    expect(pmHot).toHaveProperty('ratioToBest');
  }, 600_000);
});
