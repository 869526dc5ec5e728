// End to end: spawn the real launcher and check exit codes and messages.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'gf-fleet-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(root, 'gigafactory'), args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at /, 'no stack trace');

test('fleet show colossus-100k prints GPUs, network tiers, power and cost', () => {
  const r = cli('fleet', 'show', 'colossus-100k');
  assert.equal(r.code, 0, r.stderr);
  for (const s of ['100,000', '12,500', 'PFLOP/s', 'bisection', 'PUE', 'capex', 'renting']) assert.ok(r.stdout.includes(s), s);
});

test('fleet show --json is machine-readable and totals a mixed example', () => {
  const r = cli('fleet', 'show', 'examples/fleets/mixed.yaml', '--json');
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { groups: { kind: string }[]; totals: { gpus: number } };
  assert.deepEqual(s.groups.map((g) => g.kind), ['owned', 'owned', 'rented']);
  assert.equal(s.totals.gpus, 16_384 * 2 + 4_000);
});

test('fleet validate of a broken file: exit 2, every problem with line, no stack', () => {
  const r = cli('fleet', 'validate', 'examples/fleets/broken.yaml');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: examples\/fleets\/broken\.yaml:5: halls\[0\]\.node_type: got "hgx-h1000"; expected one of: hgx-h100/);
  for (const f of ['halls[0].nodes', 'halls[1].colour', 'pools[0].max_nodes', 'network.nic_gbps', 'facility.pue']) assert.ok(r.stderr.includes(f), f);
  noStack(r.stderr);
});

test('fleet validate: missing file, YAML syntax error, and a good file', () => {
  const missing = cli('fleet', 'validate', join(tmp, 'nope.yaml'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /FILE: got ".*nope\.yaml"; expected a readable fleet YAML file/);
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'name: x\nhalls: [\n');
  const syntax = cli('fleet', 'validate', bad);
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, /yaml syntax/);
  noStack(syntax.stderr);
  const ok = cli('fleet', 'validate', 'examples/fleets/rented-only.yaml');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /ok: fleet rented-only, 0 hall\(s\), 2 pool\(s\)/);
});

test('fleet show of an unknown preset names the known ones; exit 2', () => {
  const r = cli('fleet', 'show', 'colossus-1m');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown fleet preset "colossus-1m"; known: colossus-100k, h100-16k, oci-h100, local/);
  noStack(r.stderr);
});

test('fleet show --help documents the argument and options', () => {
  const r = cli('fleet', 'show', '--help');
  assert.equal(r.code, 0);
  for (const s of ['--json', 'colossus-100k', 'local', 'owning versus renting']) assert.ok(r.stdout.includes(s), s);
});

test('output into a closed pipe (| head) ends quietly with exit 0, no EPIPE stack trace', () => {
  const r = spawnSync('bash', ['-c', `'${join(root, 'gigafactory')}' fleet show colossus-100k | head -c 0; exit "\${PIPESTATUS[0]}"`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE/);
  noStack(r.stderr);
});
