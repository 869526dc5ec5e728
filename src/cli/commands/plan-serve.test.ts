import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const run = (...args: string[]) => spawnSync('./gigafactory', args, { encoding: 'utf8', timeout: 60_000 });

test('plan serve --json has the keys of issue 7 and consistent arithmetic', () => {
  const r = run('plan', 'serve', '--model', 'grok-1', '--gpu', 'h100', '--rps', '100', '--input-tokens', '1000', '--output-tokens', '300', '--ttft-p99', '1s', '--tpot-p99', '50ms', '--precision', 'fp8', '--json');
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  for (const k of ['outputTokensPerSecondPerGpu', 'ttftP99Seconds', 'tpotP99Seconds', 'batchSize', 'kvCacheTokens', 'replicas', 'gpus', 'costPerMillionTokensUsd']) {
    assert.equal(typeof p[k], 'number', k);
  }
  assert.ok(p.ttftP99Seconds <= 1 && p.tpotP99Seconds <= 0.05);
  assert.equal(p.gpus, p.replicas * p.layout.tp);
});

test('plan serve: bad flags exit 2 with the field named, no stack trace', () => {
  const r = run('plan', 'serve', '--model', 'grok-1', '--rps', '10', '--layout', 'tp=eight');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--layout/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const u = run('plan', 'serve', '--model', 'grok-9', '--max-throughput');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown model "grok-9"; known: .*grok-1/);
});

test('plan serve --model FILE.yaml uses the planner model schema', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'gf-plan-serve-'));
  try {
    const file = join(dir, 'm.yaml');
    writeFileSync(file, 'name: my-8b\nlayers: 32\nhidden: 4096\nheads: 32\nkv_heads: 8\nffn: 14336\nffn_kind: gated\nvocab: 128256\ncontext: 8192\n');
    const r = run('plan', 'serve', '--model', file, '--max-throughput', '--precision', 'fp8', '--json');
    assert.equal(r.status, 0, r.stderr);
    const p = JSON.parse(r.stdout);
    assert.equal(p.model, 'my-8b');
    assert.ok(p.outputTokensPerSecondPerGpu > 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
