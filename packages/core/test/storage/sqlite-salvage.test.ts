import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../src/conformance/fixtures.js';
import { openSqliteStorage, type SqliteStorageProvider } from '../../src/storage/sqlite/index.js';
import type { PeerRecord, SalvageReport } from '../../src/storage/types.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-salvage-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COUNT = 6000;
/** Ids in an order unlike their seqs (stored in one order, sorted in another), so seq and id differ. */
const records: PeerRecord[] = Array.from({ length: COUNT }, (_, i) =>
  sampleRecord(BigInt(((i * 7919) % COUNT) + 1) * 1000n, {
    usernames: [`salvage_${i}`],
    firstName: `Name ${i}`,
    accessHash: -(BigInt(i) << 40n) - 1n,
  }),
);
const byId = (a: PeerRecord, b: PeerRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A store holding `records`, written in batches as a bot writes them, closed (checkpointed into the file). */
async function store(): Promise<string> {
  const path = join(dir, `${n++}.db`);
  const s = await openSqliteStorage({ path });
  for (let i = 0; i < COUNT; i += 500) await s.peers.upsertMany(records.slice(i, i + 500));
  await s.close();
  return path;
}

/** The pages of a table or index, by kind (dbstat), of a closed store. */
function pages(path: string, name: string, type: 'leaf' | 'internal'): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db
        .prepare('SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno')
        .raw()
        .all(name, type) as [number][]
    ).map(([p]) => p);
  } finally {
    db.close();
  }
}

/** Overwrites whole pages with 0xFF bytes, as a bad disk sector or a torn copy would leave them. */
function damage(path: string, pageNumbers: readonly number[]): void {
  const fd = openSync(path, 'r+');
  try {
    for (const p of pageNumbers) writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, (p - 1) * 4096);
  } finally {
    closeSync(fd);
  }
}

async function salvage(s: SqliteStorageProvider): Promise<{ got: PeerRecord[]; report: SalvageReport }> {
  let report: SalvageReport | undefined;
  const got: PeerRecord[] = [];
  for await (const r of s.salvagePeers((done) => {
    report = done;
  }))
    got.push(r);
  if (report === undefined) throw new Error('no report');
  return { got, report };
}

describe('SQLite salvage: the peers of a damaged store, past the damage', () => {
  it('reads every record of a sound store, with nothing lost', async () => {
    const s = await openSqliteStorage({ path: await store() });
    try {
      const { got, report } = await salvage(s);
      expect(got.sort(byId)).toStrictEqual([...records].sort(byId));
      expect(report).toStrictEqual({ records: COUNT, losses: [], lostIds: undefined });
    } finally {
      await s.close();
    }
  });

  it('loses only the rows on damaged leaf pages, names them by id, and reads every other record whole', async () => {
    const path = await store();
    expect(pages(path, 'peers', 'leaf').length).toBeGreaterThan(20);
    const leaves = pages(path, 'peers', 'leaf');
    // Two damaged stretches with a sound leaf between them, and one damaged leaf further on.
    const hit = [leaves[5], leaves[6], leaves[8], leaves[15]] as number[];
    damage(path, hit);
    const s = await openSqliteStorage({ path });
    try {
      // The damage is real: the export's read fails.
      await expect(s.peers.page(null, COUNT)).rejects.toMatchObject({ code: 'STORAGE_DAMAGED' });
      const { got, report } = await salvage(s);
      const original = new Map(records.map((r) => [r.id, r]));
      for (const r of got) expect(r).toStrictEqual(original.get(r.id));
      const read = new Set(got.map((r) => r.id));
      const lost = records.filter((r) => !read.has(r.id)).map((r) => r.id);
      // A leaf holds a few dozen rows: four of them, not more.
      expect(lost.length).toBeGreaterThan(4);
      expect(lost.length).toBeLessThan(4 * 100);
      expect(report.records).toBe(got.length);
      expect(report.lostIds).toStrictEqual({
        count: lost.length,
        ids: lost.sort((a, b) => (a < b ? -1 : 1)),
        complete: true,
      });
      const stretches = report.losses.filter((l) => l.kind === 'damaged');
      expect(stretches.length).toBe(3);
      for (const l of stretches) expect(l.reason).toMatch(/malformed/);
      expect(report.losses.every((l) => l.kind === 'damaged')).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('reads every record when only the id index is damaged (the table is read by its own B-tree)', async () => {
    const path = await store();
    damage(path, pages(path, 'peers_id', 'leaf').slice(2, 5));
    const s = await openSqliteStorage({ path });
    try {
      await expect(s.peers.page(null, COUNT)).rejects.toMatchObject({ code: 'STORAGE_DAMAGED' });
      const { got, report } = await salvage(s);
      expect(got.sort(byId)).toStrictEqual([...records].sort(byId));
      expect(report.losses).toStrictEqual([]);
    } finally {
      await s.close();
    }
  });

  it('names what it can of the lost peers when the id index is damaged too, and says the list is not whole', async () => {
    const path = await store();
    const leaves = pages(path, 'peers', 'leaf');
    const indexLeaves = pages(path, 'peers_id', 'leaf');
    damage(path, [leaves[4], leaves[12], indexLeaves[3]] as number[]);
    const s = await openSqliteStorage({ path });
    try {
      const { got, report } = await salvage(s);
      const read = new Set(got.map((r) => r.id));
      const lost = new Set(records.filter((r) => !read.has(r.id)).map((r) => r.id));
      expect(lost.size).toBeGreaterThan(0);
      expect(report.lostIds?.complete).toBe(false);
      expect(report.lostIds?.count).toBeGreaterThan(0);
      expect(report.lostIds?.count).toBeLessThanOrEqual(lost.size);
      for (const id of report.lostIds?.ids ?? []) expect(lost.has(id)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('ends with everything under a damaged interior page reported, and the rest read', async () => {
    const path = await store();
    const interior = pages(path, 'peers', 'internal');
    expect(interior.length).toBeGreaterThan(0);
    damage(path, interior);
    const s = await openSqliteStorage({ path });
    try {
      const { got, report } = await salvage(s);
      expect(got).toStrictEqual([]);
      expect(report.records).toBe(0);
      expect(report.losses).toMatchObject([{ kind: 'damaged', fromSeq: 1n, unread: null }]);
      // The id index still names every row the table lost.
      expect(report.lostIds?.count).toBe(COUNT);
    } finally {
      await s.close();
    }
  });

  it('sets aside a row that reads but is no record, naming its id, and reads the rest', async () => {
    const path = await store();
    const db = new Database(path);
    db.prepare("UPDATE peers SET type = 'spaceship' WHERE id = ?").run(records[10]?.id);
    db.close();
    const s = await openSqliteStorage({ path });
    try {
      const { got, report } = await salvage(s);
      expect(got.length).toBe(COUNT - 1);
      expect(report.losses).toMatchObject([{ kind: 'record', id: records[10]?.id }]);
      expect(report.lostIds).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
