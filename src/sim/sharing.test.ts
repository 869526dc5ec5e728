import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_CATEGORIES } from '../catalog/reliability.ts';
import { Engine } from './engine.ts';
import { gridTopology, testOptions, trainJob, workloadOf } from './test-helpers.ts';
import { simulate } from './simulate.ts';

const gpuFault = FAILURE_CATEGORIES.find((c) => c.id === 'gpu')!;
const oneGpu = (id: string, over = {}) => trainJob(id, 1, { gpusPerNode: 1, workSeconds: 3600, estimatedRuntimeSeconds: 3600, ...over });

/** An engine over `nodes` 8-GPU nodes with `jobs` queued at their submit times. */
function setup(nodes: number, jobs: ReturnType<typeof trainJob>[], over = {}) {
  const e = new Engine(gridTopology(1, 1, nodes), workloadOf(jobs), testOptions({ failures: { ...testOptions().failures, repairMedianSeconds: 1e9 }, ...over }));
  const states = jobs.map((j) => e.addJob(j));
  for (const s of states) e.kernel.at(s.spec.submitSeconds, () => e.enqueue(s));
  return { e, states };
}

test('eight one-GPU jobs run at once on one 8-GPU node, each on its own GPU; a ninth waits', () => {
  const { e, states } = setup(1, Array.from({ length: 9 }, (_, i) => oneGpu(`j${i}`)));
  e.kernel.run(10);
  const running = states.filter((s) => s.status === 'running');
  assert.equal(running.length, 8);
  assert.equal(states[8]!.status, 'queued');
  assert.deepEqual(running.map((s) => s.gpuIndices![0]![0]).sort(), [0, 1, 2, 3, 4, 5, 6, 7], 'distinct GPUs');
  assert.equal(e.jobsOn(0).length, 8);
  assert.equal(e.counts.allocatedGpus, 8);
  e.kernel.run(3700);
  assert.equal(states[8]!.status, 'running', 'the ninth starts when a GPU frees');
});

test('sub-node jobs fill a partly used node before a free one (best fit keeps whole nodes whole)', () => {
  const { e, states } = setup(2, [oneGpu('a'), trainJob('b', 1, { gpusPerNode: 4, submitSeconds: 5 }), trainJob('whole', 1, { submitSeconds: 10 })]);
  e.kernel.run(20);
  assert.equal(states[1]!.nodes[0], states[0]!.nodes[0], 'b shares a\'s node');
  assert.equal(states[2]!.status, 'running', 'the whole-node job gets the other node');
  assert.equal(states[2]!.gpuIndices, undefined, 'a whole node is held whole');
});

test('a node failure interrupts every job on it; they are requeued; the GPUs of a down node are not reused', () => {
  const { e, states } = setup(2, [...Array.from({ length: 8 }, (_, i) => oneGpu(`j${i}`)), trainJob('other', 1, { gpusPerNode: 4 })]);
  e.kernel.run(100);
  const node = states[0]!.nodes[0]!;
  assert.ok(states.slice(0, 8).every((s) => s.nodes[0] === node));
  e.failNode(node, gpuFault);
  assert.equal(e.unexpected, 8, 'each job on the node counts one interruption');
  assert.equal(e.interruptionsByCategory.get('gpu'), 8);
  assert.ok(states.slice(0, 8).every((s) => s.restarts === 1 && s.status === 'queued'));
  assert.equal(states[8]!.status, 'running', 'the job on the other node runs on');
  e.kernel.run(200);
  const back = states.slice(0, 8).filter((s) => s.status === 'running');
  assert.equal(back.length, 4, 'four restart in the four free GPUs of the healthy node');
  assert.ok(back.every((s) => s.nodes[0] !== node));
});

test('simulate: sixteen one-GPU jobs on two 8-GPU nodes all start at once (none queues)', () => {
  const jobs = Array.from({ length: 16 }, (_, i) => oneGpu(`j${i}`));
  const r = simulate(gridTopology(1, 1, 2), workloadOf(jobs), testOptions({ days: 1 }));
  assert.deepEqual(r.jobs.map((j) => j.queueSeconds), jobs.map(() => 0));
  assert.deepEqual(new Set(r.jobs.map((j) => j.completionSeconds)).size, 1, 'all alike: none waited for another');
});

test('the shipped example (examples/workloads/shared-gpus.yaml on 4 nodes) runs more jobs at once than there are nodes', async () => {
  const { readFileSync } = await import('node:fs');
  const { Rng } = await import('../lib/rng.ts');
  const { FLEET_PRESETS } = await import('../fleet/presets.ts');
  const { parseMixYaml } = await import('./mix.ts');
  const { twinSizing } = await import('./sizing.ts');
  const w = parseMixYaml(readFileSync('examples/workloads/shared-gpus.yaml', 'utf8'), 'shared-gpus.yaml', 2, new Rng(1), twinSizing(FLEET_PRESETS['h100-16k']!));
  assert.ok(w.jobs.some((j) => j.gpusPerNode < 8), 'it has sub-node jobs');
  const { e } = setup(4, [...w.jobs], { days: 2 });
  let most = 0;
  for (let h = 1; h <= 48; h++) { e.kernel.run(h * 3600); most = Math.max(most, e.counts.runningJobs); }
  assert.ok(most > 4, `at most ${most} jobs ran at once on 4 nodes`);
});
