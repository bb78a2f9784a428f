import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  INT64_MAX,
  INT64_MIN,
  openStorage,
  PeerCache,
  type PeerInput,
  type SqliteStorageProvider,
} from '@pm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, buildPyrogram, buildTelethon, PEERS } from '../../packages/core/test/import/fixtures.js';
import { json, PM_BIN, pm } from './helpers.js';

let dir: string;
let source: string;

/** Peers at the edges of the 64-bit ranges, with every optional field filled or null. */
const EDGE_PEERS: PeerInput[] = [
  {
    id: 2n ** 53n + 1n,
    type: 'user',
    accessHash: INT64_MIN,
    firstName: 'Ann',
    lastName: 'Edge, "quoted"',
    usernames: ['Ann_Edge', 'ann_collectible'],
    phone: '15550001',
    langCode: 'pt-BR',
    premium: true,
    verified: false,
    photoId: INT64_MAX,
  },
  { id: 777000n, type: 'user', accessHash: INT64_MAX, firstName: 'Line\nbreak', langCode: 'en' },
  { id: 93372553n, type: 'bot', accessHash: -1n, firstName: 'Helper', usernames: ['helper_bot'] },
  { id: -4567890123n, type: 'chat', title: 'Team chat' },
  { id: -1001234567890n, type: 'channel', accessHash: 5555555555555555555n, title: 'News 👋' },
  { id: -1001987654321n, type: 'supergroup', accessHash: -123n, min: true, title: 'Group' },
];

/** Overwrites `count` 4 KiB pages of a store from page `first` (1-based) with `fill`, as a bad sector would. */
function overwrite(path: string, first: number, count: number, fill: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(4096 * count, fill), 0, 4096 * count, (first - 1) * 4096);
  } finally {
    closeSync(fd);
  }
}

async function seed(storage: string, ...batches: PeerInput[][]): Promise<void> {
  const cache = new PeerCache({ storage: await openStorage(storage) });
  for (const batch of batches) await cache.upsert(batch);
  await cache.close();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pm-cli-peers-'));
  source = `sqlite:${join(dir, 'source.db')}`;
  // The second sighting makes lastUpdated differ from firstSeen, which a lossless import must keep.
  await seed(source, EDGE_PEERS, [{ id: 777000n, firstName: 'Renamed' }]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pm peers stats', () => {
  it('counts peers by type, usernames and languages without a session', async () => {
    const r = await pm([
      '--storage',
      source,
      '--session',
      join(dir, 'none.session'),
      'peers',
      'stats',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({
      ok: true,
      peers: 6,
      byType: { user: 2, bot: 1, chat: 1, channel: 1, supergroup: 1 },
      withUsername: 2,
      minOnly: 1,
      languages: { 'pt-BR': 1, en: 1 },
    });
    const text = await pm(['--storage', source, 'peers', 'stats']);
    expect(text.stdout).toMatch(/6 peers seen/);
  });
});

describe('pm peers on a store that does not exist', () => {
  it('refuses (exit 1, STORAGE_NOT_FOUND naming the path) in stats, check and export, and creates nothing', async () => {
    const missing = join(dir, 'typo', 'no-such.db');
    for (const cmd of [['stats'], ['check'], ['export'], ['export', '-o', join(dir, 'never.jsonl')]]) {
      const text = await pm(['--storage', `sqlite:${missing}`, 'peers', ...cmd]);
      expect(text.code, cmd.join(' ')).toBe(1);
      expect(text.stdout).toBe('');
      expect(text.stderr.trim().split('\n')).toEqual([
        `pm peers ${cmd[0]}: SQLite storage ${missing} does not exist (nothing was created): check the path; commands that write create it`,
      ]);
      const asJson = await pm(['--storage', `sqlite:${missing}`, '--json', 'peers', ...cmd]);
      expect(asJson.code, cmd.join(' ')).toBe(1);
      expect(json(asJson)).toEqual({
        ok: false,
        error: 'STORAGE_NOT_FOUND',
        message: expect.stringContaining(`SQLite storage ${missing} does not exist`),
      });
    }
    expect(existsSync(join(dir, 'typo'))).toBe(false);
    expect(existsSync(join(dir, 'never.jsonl'))).toBe(false);
    // A bare path is a SQLite store too.
    const bare = await pm(['--storage', join(dir, 'bare-typo.db'), 'peers', 'stats']);
    expect(bare.code).toBe(1);
    expect(existsSync(join(dir, 'bare-typo.db'))).toBe(false);
    // An empty file (touched by mistake) holds no store either, and stays empty.
    const empty = join(dir, 'touched.db');
    closeSync(openSync(empty, 'w'));
    const touched = await pm(['--storage', `sqlite:${empty}`, '--json', 'peers', 'stats']);
    expect(touched.code).toBe(1);
    expect(json(touched)).toMatchObject({ ok: false, error: 'STORAGE_NOT_FOUND' });
    expect(statSync(empty).size).toBe(0);
  });

  it('creates the store on import, which writes', async () => {
    const file = join(dir, 'one.jsonl');
    expect((await pm(['--storage', source, 'peers', 'export', '-o', file])).code).toBe(0);
    const fresh = join(dir, 'new-folder', 'fresh.db');
    const r = await pm(['--storage', `sqlite:${fresh}`, 'peers', 'import', file, '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, imported: 6 });
    expect(json(await pm(['--storage', `sqlite:${fresh}`, 'peers', 'stats', '--json'])).peers).toBe(6);
  });
});

describe('pm peers check', () => {
  it('says a sound store is sound, and finds the pages damaged in the middle of another (exit 1)', async () => {
    const sound = await pm(['--storage', source, 'peers', 'check', '--json']);
    expect(sound.code).toBe(0);
    expect(json(sound)).toMatchObject({ ok: true, problems: [] });
    const path = join(dir, 'damaged.db');
    await seed(
      `sqlite:${path}`,
      Array.from({ length: 3000 }, (_, i) => ({
        id: BigInt(i + 1),
        type: 'user' as const,
        accessHash: BigInt(i + 1),
        firstName: `A longer first name ${i}`,
        usernames: [`check_${i}`],
      })),
    );
    const size = statSync(path).size;
    overwrite(path, Math.floor(size / 2 / 4096) + 1, 4, 0x5a);
    const damaged = await pm(['--storage', `sqlite:${path}`, 'peers', 'check']);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain('is damaged');
    expect(damaged.stderr).not.toMatch(/SqliteError|\n\s+at /);
    expect(damaged.stderr).toContain(
      '`pm peers export --salvage -o saved.jsonl` saves the peers still readable',
    );
    const asJson = await pm(['--storage', `sqlite:${path}`, 'peers', 'check', '--json']);
    expect(asJson.code).toBe(1);
    expect(json(asJson)).toMatchObject({ ok: false, error: 'STORAGE_DAMAGED' });
    expect((json(asJson) as { problems: string[] }).problems.length).toBeGreaterThan(0);
  });

  it('reports a store damaged where opening reads it (its schema) as the damage found, exit 1', async () => {
    const path = join(dir, 'damaged-schema.db');
    await seed(`sqlite:${path}`, EDGE_PEERS);
    // Pages 2 and 3: the schema's continuation and the first tables, which opening the store reads.
    overwrite(path, 2, 2, 0xab);
    for (const asJson of [true, false]) {
      const r = await pm(['--storage', `sqlite:${path}`, 'peers', 'check', ...(asJson ? ['--json'] : [])]);
      expect(r.code).toBe(1);
      const message = asJson ? (json(r) as { message: string }).message : r.stderr;
      expect(message).toMatch(/is damaged: 1 problem found: the store cannot be opened: .*malformed/);
      // Not a pointer back to the check that was just run.
      expect(message).not.toContain('`pm peers check` reports');
      expect(message).toContain('pm can salvage nothing');
      if (asJson)
        expect(json(r)).toMatchObject({
          ok: false,
          error: 'STORAGE_DAMAGED',
          problems: [expect.any(String)],
        });
    }
  });
});

describe('pm peers export --salvage', () => {
  const many: PeerInput[] = Array.from({ length: 3000 }, (_, i) => ({
    id: BigInt(((i * 7919) % 3000) + 1) * 1000n,
    type: 'user',
    accessHash: -(BigInt(i) << 40n) - 1n,
    firstName: `Salvaged ${i}`,
    usernames: [`salvaged_${i}`],
  }));
  /** A store of `many`, its records as `pm peers export` writes them (sound), and the pages of its peers table. */
  async function damagedStore(name: string): Promise<{ path: string; lines: Set<string> }> {
    const path = join(dir, name);
    await seed(`sqlite:${path}`, many);
    const exported = await pm(['--storage', `sqlite:${path}`, 'peers', 'export']);
    expect(exported.code, exported.stderr).toBe(0);
    const storage = (await openStorage(`sqlite:${path}`)) as SqliteStorageProvider;
    const leaves = (
      storage.driver.db
        .prepare("SELECT pageno FROM dbstat WHERE name = 'peers' AND pagetype = 'leaf' ORDER BY pageno")
        .raw()
        .all() as [bigint][]
    ).map(([p]) => Number(p));
    await storage.close();
    expect(leaves.length).toBeGreaterThan(10);
    for (const p of [leaves[3], leaves[4], leaves[9]] as number[]) overwrite(path, p, 1, 0xff);
    return { path, lines: new Set(exported.stdout.trim().split('\n')) };
  }

  it('writes every peer still readable to the file, names the lost ones and exits 1; the file imports', async () => {
    const { path, lines } = await damagedStore('salvage-file.db');
    const plain = await pm(['--storage', `sqlite:${path}`, 'peers', 'export']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('`pm peers export --salvage` saves the peers still readable');
    const saved = join(dir, 'saved.jsonl');
    const r = await pm([
      '--storage',
      `sqlite:${path}`,
      'peers',
      'export',
      '--salvage',
      '-o',
      saved,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const report = json(r) as { exported: number; lostPeers: number; lostIds: string[]; damaged: unknown[] };
    expect(report).toMatchObject({ ok: false, error: 'STORAGE_DAMAGED', format: 'jsonl', output: saved });
    const got = readFileSync(saved, 'utf8').trim().split('\n');
    // Each line as the sound store exported it; the lost ones are exactly those not written.
    for (const line of got) expect(lines.has(line)).toBe(true);
    expect(got.length).toBe(report.exported);
    expect(report.lostPeers).toBe(many.length - got.length);
    expect(report.lostPeers).toBeGreaterThan(0);
    expect(report.damaged).toHaveLength(2);
    const written = new Set(got.map((l) => (JSON.parse(l) as { id: string }).id));
    const lost = many.map((p) => String(p.id)).filter((id) => !written.has(id));
    expect(new Set(report.lostIds)).toStrictEqual(new Set(lost));
    expect(report.lostIds).toHaveLength(lost.length);
    const imported = await pm([
      '--storage',
      `sqlite:${join(dir, 'salvage-new.db')}`,
      'peers',
      'import',
      saved,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`imported ${got.length} peers`);
  });

  it('keeps stdout the records alone when writing there: the loss goes to stderr, exit 1', async () => {
    const { path, lines } = await damagedStore('salvage-stdout.db');
    const r = await pm(['--storage', `sqlite:${path}`, 'peers', 'export', '--salvage', '--json']);
    expect(r.code).toBe(1);
    const got = r.stdout.trim().split('\n');
    for (const line of got) expect(lines.has(line)).toBe(true);
    expect(got.length).toBeGreaterThan(many.length / 2);
    expect(r.stderr).toMatch(
      /^pm peers export: salvaged \d+ peers \(jsonl\) from sqlite:.*which is damaged: 2 damaged parts of the peers table, holding \d+ peers \(ids /,
    );
  });

  it('exports a sound store whole with exit 0, and refuses a store with no salvage as a usage error', async () => {
    const r = await pm(['--storage', source, 'peers', 'export', '--salvage']);
    expect(r.code, r.stderr).toBe(0);
    const plain = await pm(['--storage', source, 'peers', 'export']);
    expect(new Set(r.stdout.trim().split('\n'))).toStrictEqual(new Set(plain.stdout.trim().split('\n')));
    expect(r.stderr).toBe('salvaged 6 peers (jsonl): nothing was damaged\n');
    const memory = await pm(['--storage', 'memory', 'peers', 'export', '--salvage', '--json']);
    expect(memory.code).toBe(2);
    expect(json(memory)).toMatchObject({ ok: false, error: 'USAGE' });
  });

  it('says nothing can be salvaged when the damage is in the schema, exit 1', async () => {
    const path = join(dir, 'salvage-schema.db');
    await seed(`sqlite:${path}`, EDGE_PEERS);
    overwrite(path, 2, 2, 0xab); // the schema's continuation, which opening reads
    const r = await pm(['--storage', `sqlite:${path}`, 'peers', 'export', '--salvage', '--json']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ ok: false, error: 'STORAGE_DAMAGED' });
    expect((json(r) as { message: string }).message).toMatch(/cannot be opened .*pm can salvage nothing/);
  });
});

describe('pm peers export and import', () => {
  it("takes --output - as stdout, not as a file named '-'", async () => {
    const dash = join(process.cwd(), '-');
    const existed = existsSync(dash);
    try {
      const run = await pm(['--storage', source, 'peers', 'export', '--output', '-']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim().split('\n')).toHaveLength(6);
      expect(run.stdout).toContain(INT64_MAX.toString());
      expect(run.stderr).toBe('exported 6 peers (jsonl)\n');
      expect(existed || !existsSync(dash)).toBe(true);
    } finally {
      if (!existed) rmSync(dash, { force: true });
    }
  });

  it.each(['jsonl', 'csv'] as const)(
    'round-trips through %s losslessly, 64-bit values intact',
    async (format) => {
      const file = join(dir, `peers.${format}`);
      const exported = await pm([
        '--storage',
        source,
        'peers',
        'export',
        '--format',
        format,
        '-o',
        file,
        '--json',
      ]);
      expect(exported.code).toBe(0);
      expect(json(exported)).toMatchObject({ exported: 6, format });
      const text = readFileSync(file, 'utf8');
      expect(text).toContain(INT64_MIN.toString());
      expect(text).toContain(INT64_MAX.toString());

      const target = `sqlite:${join(dir, `target-${format}.db`)}`;
      const imported = await pm(['--storage', target, 'peers', 'import', file, '--json']);
      expect(imported.code).toBe(0);
      expect(json(imported)).toMatchObject({ format: `pm-${format}`, imported: 6, restored: 6, merged: 0 });

      const again = join(dir, `again.${format}`);
      expect((await pm(['--storage', target, 'peers', 'export', '--format', format, '-o', again])).code).toBe(
        0,
      );
      expect(readFileSync(again, 'utf8')).toBe(text);
    },
  );

  it('exports to stdout: the records alone on stdout, the count on stderr', async () => {
    const r = await pm(['--storage', source, 'peers', 'export']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines.find((p) => p.id === (2n ** 53n + 1n).toString())).toMatchObject({
      accessHash: INT64_MIN.toString(),
      photoId: INT64_MAX.toString(),
      usernames: ['Ann_Edge', 'ann_collectible'],
    });
    expect(r.stderr).toMatch(/exported 6 peers/);
  });

  it('merges into a storage that knows some peers already, keeping the full access hash', async () => {
    const file = join(dir, 'merge.jsonl');
    await pm(['--storage', source, 'peers', 'export', '-o', file]);
    const target = `sqlite:${join(dir, 'merge.db')}`;
    await seed(target, [{ id: -1001987654321n, type: 'supergroup', accessHash: 99n, title: 'Known group' }]);
    const r = await pm(['--storage', target, 'peers', 'import', file, '--json']);
    expect(json(r)).toMatchObject({ imported: 6, restored: 5, merged: 1 });
    const cache = new PeerCache({ storage: await openStorage(target) });
    expect((await cache.get(-1001987654321n))?.accessHash).toBe(99n); // a min hash never replaces a full one
    expect((await cache.getByUsername('ann_edge'))?.accessHash).toBe(INT64_MIN);
    await cache.close();
  });

  it('detects Telethon and Pyrogram session files', async () => {
    const telethon = buildTelethon(dir);
    const target = `sqlite:${join(dir, 'foreign.db')}`;
    const r = await pm(['--storage', target, 'peers', 'import', telethon, '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ format: 'telethon', imported: PEERS.filter((p) => !p.min).length });
    const pyroDir = join(dir, 'pyro');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(pyroDir);
    const pyrogram = buildPyrogram(pyroDir, 'pyrogram');
    const p = await pm(['--storage', target, 'peers', 'import', pyrogram]);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/\(pyrogram\)/);
    const cache = new PeerCache({ storage: await openStorage(target) });
    expect((await cache.get(ALICE.id))?.accessHash).toBe(ALICE.hash);
    await cache.close();
  });

  it('names an export file it cannot write (no such folder, a folder), exit 1, and creates nothing', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    for (const [output, why] of [
      [join(dir, 'no-such-folder', 'peers.jsonl'), 'its folder does not exist'],
      [folder, 'it is a folder'],
    ] as const) {
      const r = await pm(['--storage', source, 'peers', 'export', '-o', output, '--json']);
      expect(r.code).toBe(1);
      expect(json(r)).toEqual({
        ok: false,
        error: 'EXPORT_UNWRITABLE',
        message: `cannot write the export to ${output}: ${why}`,
        output,
      });
    }
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it('puts an export file in place whole or not at all: a failed export leaves the earlier file as it was', async () => {
    const path = join(dir, 'half.db');
    await seed(
      `sqlite:${path}`,
      Array.from({ length: 3000 }, (_, i) => ({ id: BigInt(i + 1), accessHash: 1n, firstName: `Half ${i}` })),
    );
    const output = join(dir, 'half.jsonl');
    const first = await pm(['--storage', `sqlite:${path}`, 'peers', 'export', '-o', output]);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(output, 'utf8');
    expect(before.trim().split('\n')).toHaveLength(3000);
    // Damage past the first pages: the export reads some records, then fails.
    const size = statSync(path).size;
    overwrite(path, Math.floor((size * 0.7) / 4096) + 1, 4, 0x5a);
    const r = await pm(['--storage', `sqlite:${path}`, 'peers', 'export', '-o', output, '--json']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ ok: false, error: 'STORAGE_DAMAGED' });
    expect(readFileSync(output, 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    // Through a symbolic link, the file it points to is the export, and the link stays a link; it keeps its mode.
    chmodSync(output, 0o600);
    const link = join(dir, 'half-link.jsonl');
    symlinkSync(output, link);
    const viaLink = await pm(['--storage', source, 'peers', 'export', '-o', link]);
    expect(viaLink.code, viaLink.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(output).mode & 0o777).toBe(0o600);
    expect(readFileSync(output, 'utf8').trim().split('\n')).toHaveLength(6);
  });

  it('names a device that is full, to -o or as stdout, exit 1 (EXPORT_UNWRITABLE), never a bare errno', async () => {
    if (!existsSync('/dev/full')) return;
    const r = await pm(['--storage', source, 'peers', 'export', '-o', '/dev/full', '--json']);
    expect(r.code).toBe(1);
    expect(json(r)).toEqual({
      ok: false,
      error: 'EXPORT_UNWRITABLE',
      message: 'cannot write the export to /dev/full: no space left on the device (ENOSPC)',
      output: '/dev/full',
    });
    // As `pm peers export > /dev/full`.
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [PM_BIN, '--storage', source, 'peers', 'export'], {
        stdio: ['ignore', full, 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const [code] = await once(child, 'close');
      expect(code).toBe(1);
      expect(stderr).toBe(
        'pm peers export: cannot write the export to stdout: no space left on the device (ENOSPC)\n',
      );
    } finally {
      closeSync(full);
    }
  });

  it('fails (exit 1) in one line, never a stack, when the reader of its output goes away (EPIPE)', async () => {
    const path = join(dir, 'many.db');
    await seed(
      `sqlite:${path}`,
      Array.from({ length: 3000 }, (_, i) => ({ id: BigInt(i + 1), accessHash: 1n, firstName: `Many ${i}` })),
    );
    for (const asJson of [true, false]) {
      // As `pm peers export | head -c 100`: the reader takes one chunk and closes the pipe.
      const child = spawn(
        process.execPath,
        [PM_BIN, '--storage', `sqlite:${path}`, 'peers', 'export', ...(asJson ? ['--json'] : [])],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
      });
      child.stdout.once('data', () => child.stdout.destroy());
      const [code] = (await once(child, 'close')) as [number | null];
      expect(code, stderr).toBe(1);
      expect(stderr).not.toMatch(/\n\s+at |node:events/);
      const message = 'its output was closed before it ended (EPIPE: the reading end of the pipe went away)';
      if (asJson) {
        // The document goes to stderr: stdout has no reader any more.
        expect(JSON.parse(stderr)).toEqual({ ok: false, error: 'OUTPUT_CLOSED', message });
      } else expect(stderr).toBe(`pm peers export: ${message}\n`);
    }
  });

  it('fails with exit 1 on a file it cannot read, and 2 on an unknown format name', async () => {
    const missing = await pm(['--storage', 'memory', 'peers', 'import', join(dir, 'nope.session')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^pm peers import: /);
    const bad = await pm(['--storage', 'memory', 'peers', 'import', 'x', '--format', 'excel']);
    expect(bad.code).toBe(2);
  });
});
