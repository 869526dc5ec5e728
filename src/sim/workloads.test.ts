import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../lib/rng.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { GROK_MIX, grokWorkload } from './grok.ts';
import { twinSizing } from './sizing.ts';
import { demandAt } from './services.ts';
import { simulate } from './simulate.ts';
import { gridTopology, testOptions, workloadOf } from './test-helpers.ts';

test('grok mix: one pretraining job over most of the fleet, research 8..4,096 GPUs, evals, a chat service', () => {
  const w = grokWorkload(12_500, 3, new Rng(1), { reservedNodes: 200, sizing: twinSizing(FLEET_PRESETS['colossus-100k']!) });
  const pre = w.jobs.filter((j) => j.id === 'pretrain');
  assert.equal(pre.length, 1);
  assert.equal(pre[0]!.nodes, Math.floor(12_500 * GROK_MIX.pretrainShare));
  const research = w.jobs.filter((j) => j.id.startsWith('research-'));
  const gpus = research.map((j) => j.nodes * j.gpusPerNode);
  assert.ok(research.length > 100);
  assert.ok(Math.min(...gpus) >= 8 && Math.max(...gpus) <= 4096);
  assert.ok(gpus.filter((g) => g <= 64).length > gpus.filter((g) => g > 512).length, 'many small, few big');
  const hours = research.map((j) => j.workSeconds / 3600).sort((a, b) => a - b);
  assert.ok(hours[Math.floor(hours.length * 0.99)]! > 5 * hours[Math.floor(hours.length / 2)]!, 'heavy tail');
  assert.ok(research.every((j) => j.estimatedRuntimeSeconds! >= j.workSeconds), 'estimates never under');
  assert.ok(w.jobs.some((j) => j.kind === 'eval' && !j.checkpoints));
  assert.deepEqual(w.services.map((x) => x.id), ['grok-chat', 'grok-api']);
  assert.notEqual(w.services[0]!.peakHour, w.services[1]!.peakHour);
  assert.deepEqual(grokWorkload(12_500, 3, new Rng(1), { reservedNodes: 200, sizing: twinSizing(FLEET_PRESETS['colossus-100k']!) }), w, 'same seed, same mix');
});

test('services: replicas follow the daily curve through desiredReplicas and serve the demand', () => {
  const svc = { id: 'chat', tenant: 's', priority: 200, nodesPerReplica: 1, gpusPerNode: 8, minReplicas: 1, maxReplicas: 12, capacityTokensPerSecondPerReplica: 1000, peakOutputTokensPerSecond: 6000, troughFraction: 0.2, peakHour: 12 };
  assert.equal(demandAt(svc, 12 * 3600), 6000);
  assert.ok(Math.abs(demandAt(svc, 0) - 1200) < 1e-6);
  const r = simulate(gridTopology(1, 2, 8), workloadOf([], { services: [svc] }), testOptions({ days: 2 }));
  const s = r.services[0]!;
  assert.ok(s.peakReplicas >= 9 && s.peakReplicas <= 12, `peak ${s.peakReplicas}: 6000 / (1000 x 0.7) = 9`);
  assert.ok(s.meanReplicas < s.peakReplicas, 'fewer replicas off-peak');
  assert.ok(s.demandServed > 0.95, `served ${s.demandServed}`);
});
