/**
 * The import graph of @pm/core and @pm/cli, read from the sources: no import cycle between files or between the
 * folders of `src/` (each folder has one owner side), and `telegram` imported only inside `core/src/gram/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const PACKAGES = ['core', 'cli'] as const;
const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every import specifier of a file (static, re-exports, dynamic), comments removed first. */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(IMPORT_RE)].map((m) => (m[1] ?? m[2]) as string);
}

/** file → files it imports (relative imports resolved, `.js` → `.ts`), within one package's src/. */
function graphOf(src: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const deps = importsOf(readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(src, resolve(dirname(file), s.replace(/\.js$/, '.ts'))));
    graph.set(relative(src, file), deps);
  }
  return graph;
}

/** The strongly connected components with more than one node (or a self-loop): the cycles. */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return cycles;
}

/** The folder a file belongs to: its first path segment under src/ (a top-level file is its own). */
const folderOf = (file: string): string => file.split('/')[0]!.replace(/\.ts$/, '');

describe('the import graph', () => {
  it('finds a cycle where there is one (the checker itself works)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cyclesOf(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(
      importsOf("import { x } from './a.js';\nexport * from '../b.js';\nconst y = await import('./c.js');"),
    ).toEqual(['./a.js', '../b.js', './c.js']);
  });

  for (const pkg of PACKAGES) {
    const src = join(ROOT, 'packages', pkg, 'src');

    it(`has no import cycle between the files of ${pkg}/src`, () => {
      expect(cyclesOf(graphOf(src))).toEqual([]);
    });

    it(`has no import cycle between the folders of ${pkg}/src`, () => {
      const folders = new Map<string, Set<string>>();
      for (const [file, deps] of graphOf(src)) {
        // index.ts only re-exports: it sits above everything.
        if (file === 'index.ts') continue;
        const from = folderOf(file);
        const set = folders.get(from) ?? new Set<string>();
        for (const dep of deps) if (folderOf(dep) !== from) set.add(folderOf(dep));
        folders.set(from, set);
      }
      const graph = new Map([...folders].map(([k, v]) => [k, [...v]]));
      expect(cyclesOf(graph)).toEqual([]);
    });
  }

  it('imports telegram only inside core/src/gram/', () => {
    const outside: string[] = [];
    for (const pkg of PACKAGES) {
      const src = join(ROOT, 'packages', pkg, 'src');
      for (const file of sourceFiles(src)) {
        const rel = relative(join(ROOT, 'packages'), file);
        if (rel.startsWith('core/src/gram/')) continue;
        if (importsOf(readFileSync(file, 'utf8')).some((s) => s === 'telegram' || s.startsWith('telegram/')))
          outside.push(rel);
      }
    }
    expect(outside).toEqual([]);
  });
});
