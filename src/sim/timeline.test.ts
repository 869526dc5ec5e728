// The timeline sampler: sample points, lazy sampling on the kernel, and the Engine adapter on a
// tiny scripted run whose every value is worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_CATEGORIES } from '../catalog/reliability.ts';
import { Engine } from './engine.ts';
import { Kernel } from './kernel.ts';
import { gridTopology, testOptions, trainJob, workloadOf } from './test-helpers.ts';
import { engineTimelineSource } from './timeline-engine.ts';
import { MAX_TIMELINE_SAMPLES, sampleIntervalSeconds, TimelineSampler, watchKernel, type TimelineSource } from './timeline.ts';
import { simulate } from './simulate.ts';

const gpuFault = FAILURE_CATEGORIES.find((c) => c.id === 'gpu')!;

test('sample intervals keep a run within 2,000 samples, and days end on a sample', () => {
  assert.equal(sampleIntervalSeconds(30 * 86_400), 1800);
  assert.equal(sampleIntervalSeconds(86_400), 60);
  assert.equal(sampleIntervalSeconds(3650 * 86_400), 2 * 86_400);
  for (const days of [0.01, 1, 7, 30, 54, 365, 3650]) {
    const step = sampleIntervalSeconds(days * 86_400);
    assert.ok(Math.floor((days * 86_400) / step) + 1 <= MAX_TIMELINE_SAMPLES, `${days} days`);
    assert.ok(86_400 % step === 0 || step % 86_400 === 0, `${days} days: ${step} s`);
  }
  assert.throws(() => sampleIntervalSeconds(0), /horizon 0/);
});

test('the sampler records the state just before each sample instant, lazily from the kernel', () => {
  const k = new Kernel();
  const state = { running: 0, pending: 0, repair: 0, interruptions: new Map<string, number>() };
  const source: TimelineSource = {
    runningJobs: () => state.running, pendingJobs: () => state.pending,
    nodes: () => ({ up: 4 - state.repair, down: 0, repair: state.repair, spare: 0 }),
    gpusCapacity: () => 32, gpusAllocated: () => state.running * 8, gpusProductive: () => state.running * 4, rentedNodes: () => 0,
    interruptionsByCategory: () => state.interruptions,
  };
  // Horizon 600 s, at most 11 samples: one every 60 s.
  const sampler = new TimelineSampler(source, 600, 11);
  watchKernel(k, sampler);
  k.at(0, () => { state.running = 1; state.pending = 2; });
  k.at(90, () => { state.interruptions.set('gpu', 1); state.repair = 1; });
  k.at(120, () => { state.running = 2; state.pending = 1; }); // exactly on a sample point
  k.at(400, () => { state.interruptions.set('gpu', 2); state.interruptions.set('hbm', 1); state.repair = 0; });
  k.run(600);
  const t = sampler.finish();
  assert.equal(t.intervalSeconds, 60);
  assert.deepEqual(t.tSeconds, [0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600]);
  assert.deepEqual(t.runningJobs, [0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
  assert.deepEqual(t.pendingJobs, [0, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(t.nodesRepair, [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(t.nodesUp, [4, 4, 3, 3, 3, 3, 3, 4, 4, 4, 4]);
  assert.deepEqual(t.gpusAllocated, [0, 8, 8, 16, 16, 16, 16, 16, 16, 16, 16]);
  assert.deepEqual(t.gpusProductive, [0, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8]);
  assert.deepEqual(t.interruptionsByCategory, { gpu: [0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2], hbm: [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1] });
  assert.equal(k.watchSeconds, Infinity, 'no sample is left to take');
});

test('engine adapter: a job requeued by a node failure waits for the repair; nodes, GPUs and interruptions by hand', () => {
  const failures = { ...testOptions().failures, repairMedianSeconds: 5000, repairLogSigma: 0, detectionSeconds: 60, restartSecondsOverride: 100, checkpointLoadSeconds: 40 };
  const e = new Engine(gridTopology(1, 2, 4), workloadOf([]), testOptions({ failures }));
  const a = e.addJob(trainJob('a', 6, { workSeconds: 7200, estimatedRuntimeSeconds: 8000 }));
  const b = e.addJob(trainJob('b', 1, { workSeconds: Infinity, checkpoints: false }));
  e.addSpares([7]);
  e.kernel.at(0, () => { e.enqueue(a); e.enqueue(b); });
  // One sample a minute over the day.
  const sampler = new TimelineSampler(engineTimelineSource(e, 7 * 8), 86_400);
  watchKernel(e.kernel, sampler);
  e.kernel.run(1000);
  // t=1000: a node of a fails (hardware, no spare swap under 4,096 GPUs): a is requeued at 1060
  // and needs 6 of the 5 free nodes, so it waits for the repair at 6000, restarts (140 s) at 6140
  // with 600 s saved: 6,600 s of work and 10 saves of 6 s end it at 12,800.
  e.failNode(a.nodes[0]!, gpuFault);
  e.kernel.run(86_400);
  const t = sampler.finish();
  assert.equal(a.endSeconds, 12_800);
  assert.equal(t.tSeconds.length, 1441);
  const at = (seconds: number) => { const k = seconds / 60; return {
    running: t.runningJobs[k], pending: t.pendingJobs[k], up: t.nodesUp[k], repair: t.nodesRepair[k], spare: t.nodesSpare[k],
    capacity: t.gpusCapacity[k], allocated: t.gpusAllocated[k], productive: t.gpusProductive[k], gpu: t.interruptionsByCategory['gpu']![k],
  }; };
  assert.deepEqual(at(0), { running: 0, pending: 0, up: 7, repair: 0, spare: 1, capacity: 56, allocated: 0, productive: 0, gpu: 0 });
  assert.deepEqual(at(960), { running: 2, pending: 0, up: 7, repair: 0, spare: 1, capacity: 56, allocated: 56, productive: 56, gpu: 0 });
  assert.deepEqual(at(3600), { running: 1, pending: 1, up: 6, repair: 1, spare: 1, capacity: 56, allocated: 8, productive: 8, gpu: 1 });
  assert.deepEqual(at(6060), { running: 2, pending: 0, up: 7, repair: 0, spare: 1, capacity: 56, allocated: 56, productive: 8, gpu: 1 }, 'a restarts and reloads');
  assert.deepEqual(at(7200), { running: 2, pending: 0, up: 7, repair: 0, spare: 1, capacity: 56, allocated: 56, productive: 56, gpu: 1 });
  assert.deepEqual(at(12_780), at(7200));
  assert.deepEqual(at(12_840), { running: 1, pending: 0, up: 7, repair: 0, spare: 1, capacity: 56, allocated: 8, productive: 8, gpu: 1 });
  assert.deepEqual(at(86_400), at(12_840));
  assert.deepEqual(t.nodesDown, new Array(1441).fill(0));
  assert.deepEqual(t.rentedNodes, new Array(1441).fill(0));
});

test('simulate() reports a timeline whose mean allocated GPUs match the utilisation it reports', () => {
  const jobs = [trainJob('a', 4, { workSeconds: 20 * 3600, estimatedRuntimeSeconds: 20 * 3600 }), trainJob('b', 2, { submitSeconds: 6 * 3600, workSeconds: 3 * 3600 })];
  const r = simulate(gridTopology(1, 2, 4), workloadOf(jobs), testOptions({ days: 1 }));
  const t = r.timeline;
  assert.equal(t.intervalSeconds, 60);
  assert.equal(t.tSeconds.length, 1441);
  const mean = t.gpusAllocated.slice(0, -1).reduce((s, g) => s + g, 0) / (t.tSeconds.length - 1) / 64;
  assert.ok(Math.abs(mean - r.utilization.allocated) < 0.002, `timeline ${mean} vs report ${r.utilization.allocated}`);
});

test('renting: rented nodes over time add their GPUs to capacity; their GPU-hours and peak match the report', () => {
  const owned = gridTopology(1, 1, 2);
  const pool = { name: 'cloud', provider: 'test', nodeType: 'x', maxNodes: 4, pricePerGpuHourUsd: 2, leadTimeHours: 0.5, minimumHours: 1 };
  const topo = { ...owned, nodes: [...owned.nodes, ...[2, 3, 4, 5].map((index) => ({ ...owned.nodes[0]!, index, name: `c${index}`, leaf: 1, spine: 1, pool: 'cloud', rented: true }))], leafCount: 2, spineCount: 2 };
  const jobs = Array.from({ length: 6 }, (_, i) => trainJob(`j${i}`, 1, { workSeconds: 4 * 3600, estimatedRuntimeSeconds: 4 * 3600 }));
  const r = simulate(topo, workloadOf(jobs), testOptions({ days: 2, rent: { pool, queueWaitThresholdSeconds: 3600, idleReleaseSeconds: 3600 } }));
  const t = r.timeline;
  assert.equal(Math.max(...t.rentedNodes), r.rented.peakNodes);
  assert.ok(r.rented.peakNodes > 0);
  t.rentedNodes.forEach((n, i) => assert.equal(t.gpusCapacity[i], 16 + 8 * n, `sample ${i}`));
  const gpuHours = t.rentedNodes.slice(0, -1).reduce((a, n) => a + n * 8, 0) * t.intervalSeconds / 3600;
  assert.ok(Math.abs(gpuHours - r.rented.gpuHours) < 3, `timeline ${gpuHours} GPU-h vs report ${r.rented.gpuHours}`);
});
