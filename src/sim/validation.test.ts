import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLAMA3_SNAPSHOT } from '../catalog/reliability.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import { DEFAULT_FAILURE_MODEL } from './failures.ts';
import { pretrainWorkload } from './pretrain.ts';
import { twinSizing } from './sizing.ts';
import { simulate } from './simulate.ts';
import { DEFAULT_SIM } from './types.ts';

// `gigafactory sim --fleet h100-16k --workload pretrain:16384 --days 54` with the default
// (Llama 3) failure assumptions: 419 unexpected interruptions +-20% and ETTR above 90%.
test('validation: Llama 3 16K H100 x 54 days reproduces 419 +-20% interruptions and ETTR > 90%', () => {
  const topology = buildTopology(FLEET_PRESETS['h100-16k']!);
  const target = LLAMA3_SNAPSHOT.unexpectedInterruptions;
  for (const seed of [1, 2, 3]) {
    const r = simulate(topology, pretrainWorkload(LLAMA3_SNAPSHOT.gpus, twinSizing(FLEET_PRESETS['h100-16k']!), 'gang', 64, 'llama3-405b'), {
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
  const run = (recovery: 'gang' | 'replica'): number => simulate(topology, pretrainWorkload(16_384, twinSizing(FLEET_PRESETS['h100-16k']!), recovery, 64, 'llama3-405b'), {
    days: 20, seed: 4, policy: 'default', checkpointMinutes: 'auto', failures: DEFAULT_FAILURE_MODEL, spares: 'auto', spareMinGpus: 4096, cycleSeconds: 30,
  }).training[0]!.ettr;
  assert.ok(run('replica') > run('gang'));
});

// BLOOM (reliability.md row 99): checkpoints every 3 h, "about 1.5 h lost per crash" (the
// half-interval rule). With Poisson failures the expected loss is E[T mod tau] =
// 1/lambda - tau e^(-lambda tau) / (1 - e^(-lambda tau)); the simulator must agree with it.
test('validation: lost work per crash follows the half-interval rule (BLOOM, 3-hour checkpoints)', async () => {
  const { gridTopology, testOptions, trainJob, workloadOf } = await import('./test-helpers.ts');
  const failuresPer1000NodeDays = 50;
  const nodes = 48; // ~400 GPUs, as BLOOM
  const days = 365;
  const r = simulate(gridTopology(1, 4, 16), workloadOf([trainJob('bloom', nodes, { workSeconds: Infinity, preemptible: false })]), testOptions({
    days, checkpointMinutes: 180,
    failures: {
      ...DEFAULT_FAILURE_MODEL, failuresPer1000NodeDays, plannedInterruptionsPerDay: 0, detectionSeconds: 0, restartSecondsOverride: 0,
      checkpointLoadSeconds: 0, checkpointSaveSeconds: 0, repairMedianSeconds: 60, repairLogSigma: 0, // isolate the lost work
    },
  }));
  const job = r.training[0]!;
  const crashes = r.interruptions.unexpected;
  const lostSecondsPerCrash = ((1 - job.ettr) * days * 86_400) / crashes;
  const lambda = (nodes * failuresPer1000NodeDays) / 1000 / 86_400;
  const tau = 180 * 60;
  const expected = 1 / lambda - (tau * Math.exp(-lambda * tau)) / (1 - Math.exp(-lambda * tau));
  assert.ok(crashes > 700, `${crashes} crashes`);
  assert.ok(Math.abs(lostSecondsPerCrash - expected) / expected < 0.1, `lost ${(lostSecondsPerCrash / 3600).toFixed(2)} h per crash, expected ${(expected / 3600).toFixed(2)} h`);
});

// Daly (2006, reliability.md row 113): ETTR = tau / [M e^(R/M) (e^((tau+delta)/M) - 1)] for
// exponential failures, "within 0.2-2% of a Monte Carlo check". The simulator is that Monte Carlo.
test('validation: gang ETTR matches Daly\'s model for exponential failures', async () => {
  const { dalyEttr, restartSeconds } = await import('../catalog/reliability.ts');
  const { gridTopology, testOptions, trainJob, workloadOf } = await import('./test-helpers.ts');
  const nodes = 1024;
  const failures = { ...DEFAULT_FAILURE_MODEL, plannedInterruptionsPerDay: 0, repairMedianSeconds: 60, repairLogSigma: 0 };
  const r = simulate(gridTopology(4, 8, 40), workloadOf([trainJob('big', nodes, { workSeconds: Infinity, preemptible: false })]),
    testOptions({ days: 200, checkpointMinutes: 'auto', failures, seed: 3 }));
  const m = 1 / ((nodes * failures.failuresPer1000NodeDays) / 1000 / 86_400);
  const recovery = failures.detectionSeconds + restartSeconds(nodes * 8) + failures.checkpointLoadSeconds;
  const job = r.training[0]!;
  const expected = dalyEttr(job.checkpointIntervalSeconds, failures.checkpointSaveSeconds, recovery, m);
  // Compare the losses (1 - ETTR), which are small, to 10%.
  assert.ok(Math.abs((1 - job.ettr) - (1 - expected)) < 0.1 * (1 - expected), `ETTR ${job.ettr.toFixed(4)} vs Daly ${expected.toFixed(4)}`);
  assert.ok(r.interruptions.unexpected > 500);
});
