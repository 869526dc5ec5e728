import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_CATEGORIES } from '../catalog/reliability.ts';
import { Engine } from './engine.ts';
import { gridTopology, testOptions, trainJob, workloadOf } from './test-helpers.ts';
import { simulate } from './simulate.ts';

const gpuFault = FAILURE_CATEGORIES.find((c) => c.id === 'gpu')!;
const softwareBug = FAILURE_CATEGORIES.find((c) => c.id === 'software')!;

/** Runs an engine by hand: one job placed at t=0, returns the engine after `untilSeconds`. */
function setup(topoNodes: [number, number, number], jobs: ReturnType<typeof trainJob>[], over = {}) {
  const topo = gridTopology(...topoNodes);
  const e = new Engine(topo, workloadOf(jobs), testOptions(over));
  const states = jobs.map((j) => e.addJob(j));
  for (const s of states) e.kernel.at(s.spec.submitSeconds, () => e.enqueue(s));
  return { e, states };
}

test('failure on a node kills the whole gang; it restarts from its last checkpoint', () => {
  const { e, states } = setup([1, 2, 4], [trainJob('a', 6, { workSeconds: 10 * 3600, estimatedRuntimeSeconds: 20 * 3600 })]);
  const a = states[0]!;
  e.kernel.run(1000);
  assert.equal(a.status, 'running');
  assert.equal(a.nodes.length, 6);
  const node = a.nodes[0]!;
  // 10-minute checkpoints, 6 s saves: at t=1000 one save is done (600 s of work), 394 s are at risk.
  e.failNode(node, gpuFault);
  assert.equal(e.unexpected, 1);
  assert.equal(a.savedSeconds, 600);
  assert.equal(a.restarts, 1);
  // No spare, node lost: the gang is requeued and starts again on the 7 remaining nodes.
  assert.equal(e.isUp(node), false);
  e.kernel.run(1100);
  assert.equal(a.status, 'running');
  assert.ok(!a.nodes.includes(node), 'the failed node is not reused before repair');
  e.kernel.run(86_400);
  e.close();
  assert.equal(a.status, 'done');
  assert.ok(a.endSeconds! > 10 * 3600 + 394, 'lost work and restart delayed the finish');
});

test('software failure restarts in place; node stays up; spares swap in for big jobs', () => {
  const { e, states } = setup([1, 2, 4], [trainJob('a', 6, { workSeconds: Infinity })], { spareMinGpus: 8 });
  e.addSpares([7]);
  const a = states[0]!;
  e.kernel.run(100);
  const nodes = [...a.nodes];
  e.failNode(nodes[1]!, softwareBug);
  assert.deepEqual(a.nodes, nodes, 'same nodes');
  assert.equal(e.isUp(nodes[1]!), true);
  e.failNode(nodes[2]!, gpuFault);
  assert.equal(a.status, 'running', 'spare swapped in, no requeue');
  assert.ok(a.nodes.includes(7) && !a.nodes.includes(nodes[2]!));
  assert.equal(e.spareSwaps, 1);
  assert.equal(e.spares.size, 0);
});

test('preempted job resumes from its checkpoint; preemptor starts', () => {
  const low = trainJob('low', 8, { workSeconds: 5 * 3600, estimatedRuntimeSeconds: 6 * 3600 });
  const high = trainJob('high', 8, { priority: 50, submitSeconds: 1000, workSeconds: 600 });
  const { e, states } = setup([1, 2, 4], [low, high]);
  e.kernel.run(1500);
  assert.equal(states[1]!.status, 'running');
  assert.equal(states[0]!.status, 'queued');
  assert.equal(e.preemptions, 1);
  assert.equal(states[0]!.savedSeconds, 600, 'kept the work of its one completed checkpoint');
  e.kernel.run(86_400);
  assert.equal(states[0]!.status, 'done');
  assert.equal(states[1]!.status, 'done');
});

test('job larger than the fleet is rejected with the reason; deterministic for a seed', () => {
  const topo = gridTopology(1, 2, 4);
  const jobs = [trainJob('big', 9), ...Array.from({ length: 20 }, (_, i) => trainJob(`j${i}`, 1 + (i % 4), { submitSeconds: i * 300, workSeconds: 1800 + i * 100 }))];
  const opts = testOptions({ failures: { ...testOptions().failures, failuresPer1000NodeDays: 500 }, days: 2 });
  const r1 = simulate(topo, workloadOf(jobs), opts);
  const r2 = simulate(topo, workloadOf(jobs), opts);
  assert.deepEqual(r1, r2);
  assert.equal(r1.rejected.length, 1);
  assert.match(r1.rejected[0]!.reason, /needs 72 GPUs; the fleet has 64/);
  const r3 = simulate(topo, workloadOf(jobs), { ...opts, seed: 2 });
  assert.notDeepEqual(r1, r3, 'another seed, another run');
});

test('renting: a long queue wait rents pool nodes; idle ones go back; cost is billed', () => {
  const owned = gridTopology(1, 1, 2);
  const pool = { name: 'cloud', provider: 'test', nodeType: 'x', maxNodes: 4, pricePerGpuHourUsd: 2, leadTimeHours: 0.5, minimumHours: 1 };
  const topo = { ...owned, nodes: [...owned.nodes, ...[2, 3, 4, 5].map((index) => ({ ...owned.nodes[0]!, index, name: `c${index}`, leaf: 1, spine: 1, pool: 'cloud', rented: true }))], leafCount: 2, spineCount: 2 };
  const jobs = Array.from({ length: 6 }, (_, i) => trainJob(`j${i}`, 1, { workSeconds: 4 * 3600, estimatedRuntimeSeconds: 4 * 3600 }));
  const r = simulate(topo, workloadOf(jobs), testOptions({ days: 2, rent: { pool, queueWaitThresholdSeconds: 3600, idleReleaseSeconds: 3600 } }));
  assert.ok(r.rented.peakNodes >= 1 && r.rented.peakNodes <= 4);
  assert.ok(r.rented.gpuHours > 0 && r.rented.gpuHours < 4 * 8 * 48, 'released before the end');
  assert.equal(r.rented.costUsd, r.rented.gpuHours * 2);
  assert.ok(r.jobs.every((j) => j.completionSeconds !== null), 'all jobs finish');
});

test('counts: what a sampler reads at any time (jobs, nodes up/in repair/spare, GPUs allocated and productive, interruptions)', () => {
  const { e, states } = setup([1, 2, 4], [trainJob('a', 6, { workSeconds: Infinity }), trainJob('b', 2, { submitSeconds: 50 })], { spareMinGpus: 8 });
  e.addSpares([7]);
  e.kernel.run(100);
  const a = states[0]!;
  assert.deepEqual(e.counts.nodes, { total: 8, up: 8, inRepair: 0, spare: 1, rentedHeld: 0 });
  assert.equal(e.counts.runningJobs, 1);
  assert.equal(e.counts.pendingJobs, 1, 'b waits: 6 of 7 usable nodes are taken');
  assert.equal(e.counts.allocatedGpus, 48);
  assert.equal(e.counts.productiveGpus, 48);
  e.failNode(a.nodes[0]!, gpuFault);
  const c = e.counts;
  assert.equal(c.nowSeconds, 100);
  assert.deepEqual(c.nodes, { total: 8, up: 7, inRepair: 1, spare: 0, rentedHeld: 0 });
  assert.equal(c.allocatedGpus, 48, 'the gang holds the spare now');
  assert.equal(c.productiveGpus, 0, 'restarting: no productive GPU until the checkpoint is loaded');
  assert.equal(c.unexpectedInterruptions, 1);
  assert.equal(e.interruptionsByCategory.get('gpu'), 1);
});
