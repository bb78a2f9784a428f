import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerCache } from '../../src/storage/peer-cache.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'ingest-until-killed.ts');
const repoRoot = join(here, '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pm-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRIALS = 16;
const PARALLEL = 4;

/**
 * Runs the ingesting child and SIGKILLs it a random moment after `killFrom` ('ready': right after start;
 * 'flushed': after its first reported flush, so the kill lands mid-ingest however slow the machine is);
 * returns the last id reported flushed.
 */
function runAndKill(path: string, killFrom: 'ready' | 'flushed', killAfterMs: number): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let flushed = 0n;
    let armed = false;
    const arm = () => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    };
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready' && killFrom === 'ready') arm();
        else if (line.startsWith('flushed ')) {
          flushed = BigInt(line.slice('flushed '.length));
          if (killFrom === 'flushed') arm();
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal === 'SIGKILL') resolve(flushed);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe('SQLite durability', () => {
  it('loses nothing reported flushed when the process is SIGKILLed at random moments', async () => {
    const trials = Array.from({ length: TRIALS }, (_, i) => ({
      path: join(dir, `trial-${i}.db`),
      // Spread the kills from "right after start" to "well into ingest".
      killFrom: i % 2 === 0 ? ('ready' as const) : ('flushed' as const),
      killAfterMs: Math.floor(Math.random() * 250),
    }));
    const outcomes: { path: string; flushed: bigint }[] = [];
    for (let i = 0; i < trials.length; i += PARALLEL) {
      const group = trials.slice(i, i + PARALLEL);
      const flushed = await Promise.all(group.map((t) => runAndKill(t.path, t.killFrom, t.killAfterMs)));
      group.forEach((t, j) => {
        outcomes.push({ path: t.path, flushed: flushed[j] as bigint });
      });
    }
    for (const { path, flushed } of outcomes) {
      const db = new Database(path);
      db.defaultSafeIntegers(true);
      expect(db.pragma('integrity_check', { simple: true }), path).toBe('ok');
      const present = db.prepare('SELECT count(*) AS n FROM peers WHERE id BETWEEN 1 AND ?').get(flushed) as {
        n: bigint;
      };
      expect(present.n, `${path}: records 1..${flushed} reported flushed`).toBe(flushed);
      const indexed = db
        .prepare(
          // A peer's first username is indexed in its own row (schema 4, see migrations.ts).
          'SELECT count(*) AS n FROM peers WHERE id BETWEEN 1 AND ? AND username = ? || id',
        )
        .get(flushed, 'user_') as { n: bigint };
      expect(indexed.n, `${path}: usernames of 1..${flushed}`).toBe(flushed);
      db.close();
      // The store opens again after the crash and answers through the cache.
      const cache = new PeerCache({ storage: await openSqliteStorage({ path }) });
      if (flushed > 0n) expect((await cache.getByUsername(`user_${flushed}`))?.accessHash).toBe(-flushed);
      await cache.close();
    }
    // The kills armed after a flush landed mid-ingest (or the test would prove little).
    expect(outcomes.filter((o) => o.flushed > 0n).length).toBeGreaterThanOrEqual(TRIALS / 2);
  }, 120_000);
});
