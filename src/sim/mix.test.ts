import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../lib/errors.ts';
import { Rng } from '../lib/rng.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { parseMixYaml } from './mix.ts';
import { twinSizing } from './sizing.ts';

const SIZING = twinSizing(FLEET_PRESETS['h100-16k']!);

const MIX = `name: lab
jobs:
  - id: big
    gpus: 4096
    priority: 50
    recovery: replica
    replica_gpus: 64
streams:
  - name: research
    tenant: r
    per_day: 48
    gpus: [8, 512]
    median_hours: 2
services:
  - id: chat
    max_replicas: 10
    capacity_tokens_per_second: 1000
    peak_tokens_per_second: 5000
quotas:
  - tenant: r
    guaranteed_gpus: 1024
`;

test('mix: jobs, Poisson streams, services and quotas from YAML; same seed, same jobs', () => {
  const w = parseMixYaml(MIX, 'mix.yaml', 10, new Rng(1), SIZING);
  assert.equal(w.name, 'lab');
  const big = w.jobs.find((j) => j.id === 'big')!;
  assert.deepEqual([big.nodes, big.workSeconds, big.recovery, big.replicaNodes], [512, Infinity, 'replica', 8]);
  const research = w.jobs.filter((j) => j.id.startsWith('research-'));
  assert.ok(research.length > 300 && research.length < 700, `about 480 arrivals, got ${research.length}`);
  assert.ok(research.every((j) => j.submitSeconds < 10 * 86_400 && [8, 16, 32, 64, 128, 256, 512].includes(j.nodes * j.gpusPerNode)));
  assert.equal(w.services[0]!.maxReplicas, 10);
  assert.equal(w.quotas[0]!.borrowLimitGpus, Infinity);
  assert.deepEqual(parseMixYaml(MIX, 'mix.yaml', 10, new Rng(1), SIZING), w);
});

test('mix: bad fields name the path, line and what is accepted', () => {
  const bad = MIX.replace('gpus: 4096', 'gpus: -3').replace('per_day: 48', 'per_day: 48\n    colour: red');
  assert.throws(() => parseMixYaml(bad, 'mix.yaml', 1, new Rng(1), SIZING), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /mix\.yaml:4: jobs\[0\]\.gpus: got -3/);
    assert.match(e.message, /mix\.yaml:\d+: streams\[0\].*colour/);
    return true;
  });
  assert.throws(() => parseMixYaml('jobs: [', 'm.yaml', 1, new Rng(1), SIZING), InputError);
});

test('mix: the shipped example (examples/workloads/lab.yaml) parses and simulates a day', async () => {
  const { readFileSync } = await import('node:fs');
  const { simulate } = await import('./simulate.ts');
  const { gridTopology, testOptions } = await import('./test-helpers.ts');
  const w = parseMixYaml(readFileSync('examples/workloads/lab.yaml', 'utf8'), 'lab.yaml', 1, new Rng(1), SIZING);
  assert.ok(w.jobs.some((j) => j.id === 'frontier-pretrain' && j.recovery === 'replica'));
  const r = simulate(gridTopology(4, 8, 64), w, testOptions({ days: 1 })); // 2,048 nodes = 16,384 GPUs
  assert.ok(r.jobs.some((j) => j.id === 'frontier-pretrain' && j.status === 'running'));
  assert.ok(r.utilization.allocated > 0.4);
});
