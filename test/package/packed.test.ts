/**
 * What a Node user gets from npm: every package is built, packed with `pnpm pack`, and the tarballs are installed
 * with `npm install` into a temporary project outside the workspace (no tsx, no TypeScript, no workspace links).
 * There, plain `node` runs a bot script, the installed bins answer --help, and a CommonJS file requires pm.
 *
 * better-sqlite3 has no prebuilt binary reachable here and compiling it takes minutes on a loaded machine, so the
 * install runs with --ignore-scripts and the native addon the workspace compiled from source for this very Node
 * and version is copied in. PM_PACK_TEST_BUILD_FROM_SOURCE=1 compiles it in the temporary project instead.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const PACKAGES = ['core', 'testserver', 'storage-postgres', 'cli'] as const;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const MINUTES = 60_000;

let work: string;
let project: string;
const tarballs: string[] = [];

/** Runs a command, failing with its output (not just "exit 1") when it fails. */
async function run(
  file: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(file, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      timeout: opts.timeout ?? 2 * MINUTES,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number | string };
    if (typeof err.code !== 'number') throw e;
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: err.code };
  }
}

async function must(file: string, args: string[], opts: Parameters<typeof run>[2]) {
  const r = await run(file, args, opts);
  if (r.code !== 0)
    throw new Error(`${file} ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The compiled addon of the workspace's better-sqlite3, if it is the version npm installed. */
async function workspaceSqliteAddon(version: string): Promise<string | undefined> {
  const fromCore = createRequire(join(ROOT, 'packages', 'core', 'package.json'));
  const pkg = fromCore.resolve('better-sqlite3/package.json');
  const { version: ours } = JSON.parse(await readFile(pkg, 'utf8')) as { version: string };
  return ours === version ? join(dirname(pkg), 'build', 'Release', 'better_sqlite3.node') : undefined;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pm-packed-'));
  project = join(work, 'project');
  const packs = join(work, 'tarballs');
  await mkdir(project);
  await mkdir(packs);

  await must(process.execPath, [TSC, '-b', 'tsconfig.build.json'], { cwd: ROOT, timeout: 5 * MINUTES });
  for (const name of PACKAGES) {
    await must('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', packs], {
      cwd: join(ROOT, 'packages', name),
    });
  }
  tarballs.push(...(await readdir(packs)).map((f) => join(packs, f)));

  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const fromSource = process.env.PM_PACK_TEST_BUILD_FROM_SOURCE === '1';
  await must(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...(fromSource ? [] : ['--ignore-scripts']),
      ...tarballs,
    ],
    { cwd: project, env: { npm_config_build_from_source: 'true' }, timeout: 10 * MINUTES },
  );
  if (!fromSource) {
    const installed = join(project, 'node_modules', 'better-sqlite3');
    const { version } = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      version: string;
    };
    const addon = await workspaceSqliteAddon(version);
    if (addon) {
      await mkdir(join(installed, 'build', 'Release'), { recursive: true });
      await copyFile(addon, join(installed, 'build', 'Release', 'better_sqlite3.node'));
    } else {
      await must('npm', ['rebuild', 'better-sqlite3'], {
        cwd: project,
        env: { npm_config_build_from_source: 'true' },
        timeout: 10 * MINUTES,
      });
    }
  }
  for (const f of ['bot.mjs', 'consumer.cjs']) await copyFile(join(FIXTURES, f), join(project, f));
}, 15 * MINUTES);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packages as npm installs them outside the workspace', () => {
  it('ship built JavaScript with types and source maps, and nothing that needs tsx', async () => {
    const listing = await must('tar', ['tzf', tarballs.find((t) => t.includes('pm-core-'))!], { cwd: work });
    const files = listing.stdout.split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/index.js.map');
    expect(files).toContain('package/dist/conformance/index.js');
    expect(files.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.tsbuildinfo'))).toEqual([]);

    for (const name of PACKAGES) {
      const manifest = JSON.parse(
        await readFile(join(project, 'node_modules', '@pm', name, 'package.json'), 'utf8'),
      ) as Record<string, any>;
      expect(manifest.engines.node).toBe('>=20.19');
      expect(JSON.stringify(manifest.exports)).not.toContain('./src/');
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      expect(Object.keys(manifest.dependencies ?? {})).not.toContain('tsx');
    }
    const storage = JSON.parse(
      await readFile(join(project, 'node_modules', '@pm', 'storage-postgres', 'package.json'), 'utf8'),
    ) as Record<string, any>;
    expect(storage.peerDependencies['@pm/core']).toBe('^0.1.0');
    const core = JSON.parse(
      await readFile(join(project, 'node_modules', '@pm', 'core', 'package.json'), 'utf8'),
    ) as Record<string, any>;
    expect(core.peerDependenciesMeta).toEqual({
      vitest: { optional: true },
      'fast-check': { optional: true },
    });
    await expect(readdir(join(project, 'node_modules', 'tsx'))).rejects.toThrow();
  });

  it(
    'runs a plain node bot: loopback Telegram, bot login, /start with payload, cached username, send',
    async () => {
      const r = await must(process.execPath, ['bot.mjs'], { cwd: project, timeout: 2 * MINUTES });
      const seen = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(seen).toMatchObject({
        via: 'start',
        payload: 'from-npm',
        first: true,
        networkLookups: 0,
        sent: true,
        inbox: ['Hola, Ann!'],
      });
      expect(seen.resolvedId).toBe(seen.annId);
    },
    3 * MINUTES,
  );

  it(
    "runs the README's plain node bot script as printed",
    async () => {
      const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
      const script = /A bot in a plain `bot\.mjs`[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(script).toBeDefined();
      // Its own folder (a fresh bot.session and bot.db); node_modules is found in the project above it.
      const folder = join(project, 'readme');
      await mkdir(folder);
      await writeFile(join(folder, 'bot.mjs'), script!);
      const r = await must(process.execPath, ['bot.mjs'], { cwd: folder, timeout: 2 * MINUTES });
      expect(r.stdout).toMatch(/ok: true/);
    },
    3 * MINUTES,
  );

  it('imports a pm export with the installed pm (its reader thread loads built JavaScript) and exports it back', async () => {
    const line = (id: number, name: string) =>
      JSON.stringify({
        id: String(id),
        type: 'user',
        accessHash: String(-1000n * BigInt(id) - 9_007_199_254_740_993n),
        min: false,
        usernames: [name],
        firstName: `U${id}`,
        lastName: null,
        title: null,
        phone: null,
        langCode: 'en',
        langCodeSeenAt: 1,
        premium: null,
        verified: null,
        deleted: false,
        photoId: null,
        firstSeen: 1,
        lastSeen: 1,
        lastUpdated: 1,
      });
    const folder = join(project, 'import');
    await mkdir(folder);
    await writeFile(
      join(folder, 'peers.jsonl'),
      `${[line(1, 'ann'), 'not json', line(2, 'bob')].join('\n')}\n`,
    );
    const pm = join(project, 'node_modules', '.bin', 'pm');
    const imported = await must(
      pm,
      ['--json', '--storage', 'sqlite:new.db', 'peers', 'import', 'peers.jsonl'],
      {
        cwd: folder,
      },
    );
    expect(JSON.parse(imported.stdout)).toMatchObject({
      ok: true,
      format: 'pm-jsonl',
      imported: 2,
      skipped: 1,
    });
    const exported = await must(pm, ['--storage', 'sqlite:new.db', 'peers', 'export'], { cwd: folder });
    expect(
      exported.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).accessHash),
    ).toEqual(['-9007199254741993', '-9007199254742993']);
  });

  it('installs pm and pm-testserver binaries that answer --help', async () => {
    const bin = join(project, 'node_modules', '.bin');
    const pm = await must(join(bin, 'pm'), ['--help'], { cwd: project });
    expect(pm.stdout).toContain('Usage: pm');
    expect(pm.stdout).toContain('Exit codes');
    const ts = await must(join(bin, 'pm-testserver'), ['--help'], { cwd: project });
    expect(ts.stdout).toContain('Usage: pm-testserver');
    expect(ts.stdout).toContain('--port');
  });

  it('lets a CommonJS file require the packages (Node >= 20.19)', async () => {
    const r = await must(process.execPath, ['consumer.cjs'], { cwd: project });
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({
      connect: 'function',
      testServer: 'function',
      ref: 'username',
    });
  });
});
