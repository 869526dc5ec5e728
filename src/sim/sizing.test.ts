// The twin sized by the planner: a mix on two GPU types trains and serves at the planner's rates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPUS } from '../catalog/gpus.ts';
import { MODELS } from '../catalog/models.ts';
import { homogeneousFleet } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import { Rng } from '../lib/rng.ts';
import { fleetHardware } from '../plan/fleet-hardware.ts';
import { maxThroughput } from '../plan/serve/planner.ts';
import { planTrain } from '../plan/train-plan.ts';
import { parseMixYaml } from './mix.ts';
import { simulate } from './simulate.ts';
import { SERVING_TARGETS, twinSizing } from './sizing.ts';
import { testOptions } from './test-helpers.ts';

const MIX = `
name: two-gpus
jobs:
  - { id: llama, gpus: 512, model: llama3-70b, tokens: 4.0e10, preemptible: false }
services:
  - { id: chat, model: llama3-70b, max_replicas: 4, peak_tokens_per_second: 1000 }
`;

function run(gpu: 'h100' | 'a100') {
  const fleet = homogeneousFleet(gpu, 1024);
  const sizing = twinSizing(fleet);
  const r = simulate(buildTopology(fleet), parseMixYaml(MIX, 'mix.yaml', 5, new Rng(1), sizing), testOptions({ days: 5, cycleSeconds: 30 }));
  const planned = planTrain({ model: MODELS['llama3-70b']!, hardware: fleetHardware(fleet, 512), precision: 'bf16', seq: 8192, tokens: 4e10 }, { top: 1 });
  return { r, planned, fleet };
}

test('a sim mix on H100 and A100: planned jobs train at plan train\'s rate, durations are tokens over it, in the planner\'s ratio', () => {
  const h = run('h100'), a = run('a100');
  for (const x of [h, a]) {
    const job = x.r.jobs.find((j) => j.id === 'llama')!;
    assert.equal(job.model, 'llama3-70b');
    assert.equal(job.gpus, 512);
    assert.equal(job.tokensPerSecondPerGpu, x.planned.tokensPerSecondPerGpu, 'the same figure plan train prints');
    // Failures off: the job runs tokens / (planned tokens/s per GPU x GPUs), plus queueing and checkpoint stalls.
    const ideal = 4e10 / (x.planned.tokensPerSecondPerGpu * 512);
    assert.ok(job.completionSeconds! >= ideal && job.completionSeconds! < ideal * 1.05, `${job.completionSeconds} vs ${ideal}`);
  }
  const ratio = h.planned.tokensPerSecondPerGpu / a.planned.tokensPerSecondPerGpu;
  assert.ok(ratio > 1.5, `H100 plans faster than A100 (${ratio})`);
  const simRatio = a.r.jobs.find((j) => j.id === 'llama')!.completionSeconds! / h.r.jobs.find((j) => j.id === 'llama')!.completionSeconds!;
  assert.ok(Math.abs(simRatio / ratio - 1) < 0.03, `durations in the planner's ratio: ${simRatio} vs ${ratio}`);
});

test('planned services get GPUs per replica and capacity from plan serve on the fleet\'s GPU', () => {
  for (const gpu of ['h100', 'a100'] as const) {
    const { r } = run(gpu);
    const s = r.services.find((x) => x.id === 'chat')!;
    const want = maxThroughput({
      model: MODELS['llama3-70b']!, gpu: GPUS[gpu], precision: gpu === 'a100' ? 'bf16' : 'fp8', gpusPerNvlinkDomain: 8,
      shape: { inputTokens: SERVING_TARGETS.inputTokens, outputTokens: SERVING_TARGETS.outputTokens }, ttftP99TargetSeconds: SERVING_TARGETS.ttftP99Seconds, tpotP99TargetSeconds: SERVING_TARGETS.tpotP99Seconds,
    });
    assert.equal(s.model, 'llama3-70b');
    assert.equal(s.gpusPerReplica, want.gpusPerReplica);
    assert.equal(s.tokensPerSecondPerGpu, want.outputTokensPerSecondPerGpu);
    assert.equal(s.capacityTokensPerSecondPerReplica, want.outputTokensPerSecondPerReplica);
    assert.ok(r.sizing.some((x) => x.startsWith('chat: plan serve --model llama3-70b --gpu ' + gpu)), r.sizing.join('\n'));
  }
});

test('node size comes from the fleet: a 16-GPU mix job on 4-GPU nodes takes 4 nodes', () => {
  const four = { id: 'four', name: '4x H100', gpu: 'h100' as const, gpusPerNode: 4, nicsPerNode: 4, nicGbps: 400, maxPowerKw: 5, capexUsd: 150_000, cpuCores: 64, memoryBytes: 1e12 };
  const s = twinSizing({ ...homogeneousFleet('h100', 64), halls: [{ name: 'hall-a', nodeType: 'four', nodes: 16 }], nodeTypes: { four } });
  assert.equal(s.gpusPerNode, 4);
  const w = parseMixYaml('jobs:\n  - { id: j, gpus: 16, hours: 1 }\n', 'm.yaml', 1, new Rng(1), s);
  assert.deepEqual([w.jobs[0]!.nodes, w.jobs[0]!.gpusPerNode], [4, 4]);
});
