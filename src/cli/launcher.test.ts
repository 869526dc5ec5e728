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

test('the bundle prints its version without loading any command group', () => {
  assert.equal(run().status, 0); // builds the bundle if it is stale
  const dir = mkdtempSync(join(tmpdir(), 'gf-launcher-'));
  try {
    // A module resolve hook (module.register) that appends every URL the process resolves to a
    // file, synchronously, before the loader gets it (a message port may not deliver before exit).
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(hooks, [
      "import { appendFileSync } from 'node:fs';",
      'let out;',
      'export function initialize(data) { out = data.out; }',
      "export async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(out, r.url + '\\n'); return r; }",
    ].join('\n'));
    const register = join(dir, 'register.mjs');
    const out = join(dir, 'resolved.txt');
    writeFileSync(register, [
      "import { register } from 'node:module';",
      `register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { out: ${JSON.stringify(out)} } });`,
    ].join('\n'));
    const chunksOf = (args: string[]) => {
      writeFileSync(out, '');
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, BUNDLE, ...args], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const urls = readFileSync(out, 'utf8').split('\n').filter(Boolean);
      assert.ok(urls.some((u) => u.endsWith('/dist/gigafactory.mjs')), `the hook saw no entry: ${urls.join(', ')}`);
      return urls.filter((u) => u.includes('/dist/chunks/')).map((u) => u.slice(u.lastIndexOf('/') + 1));
    };
    // Only the runtime helpers the entry imports statically, no command group.
    const shared = [...readFileSync(BUNDLE, 'utf8').matchAll(/from "\.\/chunks\/([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(chunksOf(['--version']).sort(), shared.sort());
    // A command loads its own group's chunk (and what it shares), never another group's.
    const fleet = chunksOf(['fleet', 'show', 'colossus-100k']);
    assert.ok(fleet.some((f) => f.startsWith('fleet-')), fleet.join(', '));
    assert.ok(!fleet.some((f) => /^(control|serve|slurm|sim|plan)-/.test(f)), fleet.join(', '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
