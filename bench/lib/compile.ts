/**
 * Compiles a benchmark child (TypeScript, with pm's workspace sources) to plain JavaScript once, so that the child
 * runs on `node` alone, as a bot built from pm's published JavaScript does.
 *
 * Why: under `node --import tsx` the TypeScript loader runs its module hooks in a thread of its own, a second V8
 * isolate with tsx and esbuild loaded: about 23 MiB of RssAnon and 9 MiB of RssFile in every child (measured on a
 * script that only prints its memory: 42 MiB plain, 75 MiB under tsx). That memory is the harness's, not the
 * store's, and it was counted in every store's "RSS after ingest".
 *
 * The child is bundled with esbuild (the transform tsx runs too): every module of this repository is bundled, each
 * keeping its own `import.meta.url` (so paths it resolves from its own location, such as a package.json or a
 * worker's module, are the ones it resolves under tsx), and every package from node_modules stays outside the
 * bundle, resolved from the file that imports it. Dynamic imports stay separate chunks, loaded only when reached,
 * so a child that measures one store loads only that store's library.
 *
 * A module that starts a worker thread from a module beside its own (the import's reader thread, `.ts` from source
 * and through tsx, `.js` when built) would start it under tsx from the bundle too: the worker's module is bundled as
 * an entry of its own, and the starting module sees its URL in the output folder, as a `.js` file, so it starts the
 * bundled worker on node alone, as pm's published build does.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Source of a module that starts a worker from a module beside it → that module's entry name in the output. */
const WORKER_STARTERS: ReadonlyMap<string, string> = new Map([
  [join(root, 'packages/core/src/import/reader-thread.ts'), 'read-worker'],
]);

const sourceUrls = (outDir: string): Plugin => ({
  name: 'pm-bench-sources',
  setup(b) {
    // Packages stay packages: resolved (as esbuild resolves for Node, ESM conditions) from the importing file, and
    // imported by absolute path from the bundle.
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.path.startsWith('@pm/') || isAbsolute(args.path))
        return undefined;
      if (args.pluginData === 'resolving') return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'resolving',
      });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: found.path, external: true };
    });
    // Each module of the repository sees its own URL as import.meta.url; one that starts a worker, its URL among
    // the bundle's JavaScript.
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const starter = WORKER_STARTERS.has(args.path);
      const own = starter ? join(outDir, 'worker-starter.js') : args.path;
      const url = JSON.stringify(pathToFileURL(own).href);
      return {
        contents: source.replaceAll('import.meta.url', url),
        loader: 'ts',
        resolveDir: dirname(args.path),
      };
    });
  },
});

/** Bundles `entry` into `outDir` (with the worker modules it may start); returns the path of its JavaScript there. */
export async function compileChild(entry: string, outDir: string): Promise<string> {
  const workers = Object.fromEntries(
    [...WORKER_STARTERS].map(([starter, name]) => [name, join(dirname(starter), `${name}.ts`)]),
  );
  // `.js` files, ES modules (the worker starters name their workers `.js`, as in pm's build).
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  const result = await build({
    entryPoints: { child: entry, ...workers },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: false,
    logLevel: 'silent',
    plugins: [sourceUrls(outDir)],
  });
  if (result.errors.length > 0) throw new Error(`compiling ${entry}: ${result.errors[0]?.text}`);
  return join(outDir, 'child.js');
}
