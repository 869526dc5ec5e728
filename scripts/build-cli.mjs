#!/usr/bin/env node
// Compiles the CLI ahead of time: one ES module bundle, dist/gigafactory.mjs, from
// src/cli/main.ts (esbuild, a few hundred ms). Dependencies stay external (node_modules,
// better-sqlite3's native addon included). The launcher `gigafactory` runs the bundle and
// rebuilds it first when a source under src/ is newer. Run by `npm ci` (prepare).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = join(root, 'dist', 'gigafactory.mjs');

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
      const rel = relative(dirname(BUNDLE), args.path).split('\\').join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

/** Builds into memory, then writes each file by tmp + rename: a launcher started meanwhile never runs half a bundle. */
export async function buildCli() {
  const out = await build({
    write: false,
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    outfile: BUNDLE,
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
  mkdirSync(dirname(BUNDLE), { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  writeFileSync(tmp, out.outputFiles[0].contents);
  renameSync(tmp, BUNDLE);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildCli();
