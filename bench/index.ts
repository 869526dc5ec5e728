// `npm run bench [-- NAME...]`: runs each bench/*.bench.ts in its own process (so wall time and
// peak memory are its own) and prints one JSON object: { name: figures }. Each bench prints a
// single JSON object on stdout.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
const known = all.map((f) => f.replace(/\.bench\.ts$/, ''));
// Exact names: `lifecycle` must not also start the minutes-long `lifecycle-slurm`.
const unknown = wanted.filter((w) => !known.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`npm run bench: unknown bench ${unknown.map((w) => `"${w}"`).join(', ')}; known: ${known.join(', ')}\n`);
  process.exit(2);
}
const files = all.filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')));
const results: Record<string, unknown> = {};
for (const f of files) {
  const name = f.replace(/\.bench\.ts$/, '');
  process.stderr.write(`bench ${name}...\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, f)], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (r.status !== 0) { results[name] = { error: `exit ${r.status}`, stderr: r.stderr.slice(-2000) }; continue; }
  try { results[name] = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}'); } catch { results[name] = { error: 'bad JSON', stdout: r.stdout.slice(-2000) }; }
}
process.stdout.write(JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, results }, null, 2) + '\n');
