import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../lib/errors.ts';
import { parseSpareMinGpus, parseSpares, resolveSpares } from './lifecycle-flags.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('--spares: N or auto; auto follows the failure catalog and never takes a tenth of the cluster or more', () => {
  assert.equal(parseSpares(undefined), 0);
  assert.equal(parseSpares('3'), 3);
  assert.equal(parseSpares('auto'), 'auto');
  for (const bad of ['-1', '1.5', 'many', '20000']) assert.throws(() => parseSpares(bad), (e: unknown) => e instanceof InputError && /--spares/.test(e.message) && e.message.includes(bad));
  assert.throws(() => parseSpareMinGpus('x'), /--spare-min-gpus/);
  assert.equal(parseSpareMinGpus('64'), 64);
  const big = resolveSpares('auto', 12_500);
  assert.ok(big > 5 && big < 1250, `auto for 12,500 nodes: ${big}`);
  assert.ok(resolveSpares('auto', 100_000 / 8 / 10) < big, 'fewer nodes, fewer spares');
  assert.equal(resolveSpares('auto', 4), 0, 'a 4-node cluster keeps no automatic spare');
  assert.equal(resolveSpares(5, 3), 2, 'never every node');
});

test('gigafactory up --spares with a bad value exits 2 naming the flag, with no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-spares-'));
  try {
    const r = spawnSync(join(root, 'gigafactory'), ['up', '--spares', 'lots', '--data-dir', dir, '--port', '0'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--spares.*lots/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('gigafactory up --rent-pool: a pool without its provider\'s fields names them; an unknown pool names the known ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-rentflag-'));
  try {
    const up = (...args: string[]) => spawnSync(join(root, 'gigafactory'), ['up', '--data-dir', dir, '--port', '0', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const local = up('--rent-pool', 'oci-h100');
    assert.equal(local.status, 2, local.stderr);
    // The preset pool has provider: oracle but no OCI fields: the local executor would rent it from Oracle.
    assert.match(local.stderr, /pools\[oci-h100\]\.compartment_id/);
    assert.match(local.stderr, /in the fleet file/);
    const unknown = up('--executor', 'sim', '--sim-fleet', 'h100-16k', '--rent-pool', 'nope');
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /nope/);
    assert.match(unknown.stderr, /oci-h100/);
    assert.doesNotMatch(local.stderr + unknown.stderr, /\n\s+at /, 'no stack trace');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
