import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleet } from './fleet-arg.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { InputError, UnknownNameError } from '../lib/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gf-fleet-arg-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('preset names resolve to the presets', () => {
  for (const name of Object.keys(FLEET_PRESETS)) assert.equal(loadFleet(name), FLEET_PRESETS[name]);
});

test('local is this machine as one node', () => {
  const f = loadFleet('local');
  assert.equal(f.halls.length, 1);
  assert.equal(f.halls[0]!.nodes, 1);
  assert.ok(f.nodeTypes?.local);
});

test('a YAML path is parsed; its errors carry the path', () => {
  const good = join(tmp, 'good.yaml');
  writeFileSync(good, 'name: g\nhalls: [{ name: a, node_type: hgx-h100, nodes: 2 }]\n');
  assert.equal(loadFleet(good).halls[0]!.nodes, 2);
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'name: g\nhalls: [{ name: a, node_type: hgx-h100, nodes: 0 }]\n');
  assert.throws(() => loadFleet(bad), (e: unknown) => e instanceof InputError && e.file === bad && e.issues[0]!.field === 'halls[0].nodes');
});

test('unknown names list the presets; missing files say so', () => {
  assert.throws(() => loadFleet('colosus-100k'), (e: unknown) => e instanceof UnknownNameError && e.known.includes('colossus-100k'));
  assert.throws(() => loadFleet(join(tmp, 'missing.yaml')), (e: unknown) => e instanceof InputError && e.issues[0]!.field === 'FLEET');
  assert.throws(() => loadFleet(tmp), InputError); // a directory is not a fleet file
});
