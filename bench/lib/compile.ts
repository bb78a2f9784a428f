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
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const sourceUrls: Plugin = {
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
    // Each module of the repository sees its own URL as import.meta.url.
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return {
        contents: source.replaceAll('import.meta.url', url),
        loader: 'ts',
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** Bundles `entry` into `outDir`; returns the path of the entry's JavaScript there. */
export async function compileChild(entry: string, outDir: string): Promise<string> {
  const result = await build({
    entryPoints: { child: entry },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: false,
    logLevel: 'silent',
    plugins: [sourceUrls],
  });
  if (result.errors.length > 0) throw new Error(`compiling ${entry}: ${result.errors[0]?.text}`);
  return join(outDir, 'child.mjs');
}
