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
