import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLAMA3_SNAPSHOT } from '../catalog/reliability.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import { DEFAULT_FAILURE_MODEL } from './failures.ts';
import { pretrainWorkload } from './pretrain.ts';
import { simulate } from './simulate.ts';
import { DEFAULT_SIM } from './types.ts';

// `gigafactory sim --fleet h100-16k --workload pretrain:16384 --days 54` with the default
// (Llama 3) failure assumptions: 419 unexpected interruptions +-20% and ETTR above 90%.
test('validation: Llama 3 16K H100 x 54 days reproduces 419 +-20% interruptions and ETTR > 90%', () => {
  const topology = buildTopology(FLEET_PRESETS['h100-16k']!);
  const target = LLAMA3_SNAPSHOT.unexpectedInterruptions;
  for (const seed of [1, 2, 3]) {
    const r = simulate(topology, pretrainWorkload(LLAMA3_SNAPSHOT.gpus), {
      days: LLAMA3_SNAPSHOT.days, seed, policy: DEFAULT_SIM.policy, checkpointMinutes: 'auto', failures: DEFAULT_FAILURE_MODEL,
      spares: 'auto', spareMinGpus: DEFAULT_SIM.spareMinGpus, cycleSeconds: DEFAULT_SIM.cycleSeconds,
    });
    const n = r.interruptions.unexpected;
    assert.ok(n >= target * 0.8 && n <= target * 1.2, `seed ${seed}: ${n} unexpected interruptions, want ${target} +-20%`);
    const job = r.training.find((t) => t.id === 'pretrain')!;
    assert.ok(job.ettr > LLAMA3_SNAPSHOT.minEffectiveTrainingTimeRatio, `seed ${seed}: ETTR ${job.ettr}`);
    assert.ok(job.ettr < 1, 'failures cost something');
    assert.ok(r.interruptions.byCategory.gpu! > r.interruptions.byCategory.network!, 'GPU failures dominate, as in Table 5');
  }
});

test('validation: replica recovery keeps more of the run than gang recovery at 16K', () => {
  const topology = buildTopology(FLEET_PRESETS['h100-16k']!);
  const run = (recovery: 'gang' | 'replica'): number => simulate(topology, pretrainWorkload(16_384, recovery), {
    days: 20, seed: 4, policy: 'default', checkpointMinutes: 'auto', failures: DEFAULT_FAILURE_MODEL, spares: 'auto', spareMinGpus: 4096, cycleSeconds: 30,
  }).training[0]!.ettr;
  assert.ok(run('replica') > run('gang'));
});
