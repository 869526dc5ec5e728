#!/usr/bin/env node
// Compiles the CLI ahead of time: an ES module bundle, dist/gigafactory.mjs, from
// src/cli/main.ts (esbuild, a few hundred ms), split into chunks (dist/chunks/) so that each
// command group loads only its own code and libraries (src/cli/program.ts). Dependencies stay external (node_modules,
// better-sqlite3's native addon included). The launcher `gigafactory` runs the bundle and
// rebuilds it first when a source under src/ is newer. Run by `npm ci` (prepare).
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = join(root, 'dist', 'gigafactory.mjs');
const CHUNKS = join(root, 'dist', 'chunks');
/**
 * A chunk no longer built is removed once it is this old: a CLI started from a previous bundle
 * (a control plane that has run for hours) may still import it lazily. `--clean` (npm pack)
 * removes every chunk not built now.
 */
const STALE_CHUNK_MS = 24 * 3600 * 1000;

/**
 * Files that locate data next to themselves (`new URL('../../examples', import.meta.url)`)
 * keep doing so: each `import.meta.url` becomes the URL of its own source file, written
 * relative to the bundle so the package works wherever it is installed.
 */
const sourceUrlPlugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      // Chunks live in dist/chunks/: a path relative to that folder (the entry's own file has none of these).
      const rel = relative(CHUNKS, args.path).split('\\').join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

/** Builds into memory, then writes each file by tmp + rename: a launcher started meanwhile never runs half a bundle. */
export async function buildCli({ clean = false } = {}) {
  const out = await build({
    write: false,
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    outdir: dirname(BUNDLE),
    entryNames: 'gigafactory',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Pure-JS dependencies are bundled (one file parses faster than hundreds resolved at start);
    // native addons and optional peers stay external.
    external: ['better-sqlite3', 'pg-native', 'playwright-core', 'esbuild', 'oci-core', 'oci-common'],
    // CommonJS dependencies call require() for Node's own modules.
    banner: { js: "import { createRequire as __gfCreateRequire } from 'node:module'; const require = __gfCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    plugins: [sourceUrlPlugin],
  });
  const entry = out.outputFiles.find((f) => f.path === BUNDLE);
  // The plugin writes source URLs relative to dist/chunks/; a file using import.meta.url that
  // landed in the entry itself would resolve one folder off.
  if (entry === undefined || entry.text.includes('new URL("../../src/')) throw new Error(`build-cli: ${BUNDLE} must import its commands lazily and hold no file that uses import.meta.url`);
  mkdirSync(CHUNKS, { recursive: true });
  // Chunks first (content-hashed names), the entry that imports them last.
  const files = [...out.outputFiles].sort((a, b) => Number(a.path === BUNDLE) - Number(b.path === BUNDLE));
  for (const f of files) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
  const built = new Set(files.map((f) => f.path));
  for (const name of readdirSync(CHUNKS)) {
    const path = join(CHUNKS, name);
    if (!built.has(path) && (clean || Date.now() - statSync(path).mtimeMs > STALE_CHUNK_MS)) rmSync(path, { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildCli({ clean: process.argv.includes('--clean') });
