// The `gigafactory` launcher runs the ahead-of-time bundle and never a stale one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = join(ROOT, 'dist', 'gigafactory.mjs');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const run = (env: Record<string, string> = {}) => spawnSync(join(ROOT, 'gigafactory'), ['--version'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });

test('a bundle older than the sources is rebuilt before it runs', () => {
  assert.equal(run().status, 0); // builds it if missing
  utimesSync(BUNDLE, new Date(1000), new Date(1000)); // now every source is newer
  const r = run();
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), VERSION);
  assert.ok(statSync(BUNDLE).mtimeMs > Date.now() - 60_000, 'the stale bundle was run instead of rebuilt');
});

test('the bundle and the TypeScript sources give the same CLI', () => {
  const bundled = spawnSync(join(ROOT, 'gigafactory'), ['fleet', 'show', 'colossus-100k'], { encoding: 'utf8', timeout: 60_000 });
  const viaTsx = spawnSync(join(ROOT, 'gigafactory'), ['fleet', 'show', 'colossus-100k'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, GIGAFACTORY_TSX: '1' } });
  assert.equal(bundled.status, 0, bundled.stderr);
  assert.equal(bundled.stdout, viaTsx.stdout);
  assert.equal(run({ GIGAFACTORY_TSX: '1' }).stdout.trim(), VERSION);
});

test('the bundle loads no OCI SDK to print its version (the OCI SDK alone cost 0.5 s a call)', () => {
  assert.equal(run().status, 0); // builds the bundle if it is stale
  const dir = mkdtempSync(join(tmpdir(), 'gf-launcher-'));
  try {
    const hook = join(dir, 'loaded.mjs');
    // Prints, at exit, every CommonJS package the process loaded (ESM imports of CJS land in require.cache too).
    writeFileSync(hook, [
      "import { createRequire } from 'node:module';",
      'const cache = createRequire(import.meta.url).cache;',
      "process.on('exit', () => { process.stderr.write(JSON.stringify([...new Set(Object.keys(cache).map((k) => /node_modules[\\\\/]((@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(k)?.[1]).filter(Boolean))])); });",
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, BUNDLE, '--version'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), VERSION);
    const loaded = JSON.parse(r.stderr) as string[];
    assert.deepEqual(loaded.filter((p) => p.startsWith('oci-')), [], `loaded at start: ${loaded.join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
