// Scheduler benchmark: one scheduling cycle on colossus-100k (12,500 nodes) with thousands of
// running jobs and a long queue, per policy. Prints one JSON object.
import { performance } from 'node:perf_hooks';
import { FLEET_PRESETS } from '../src/fleet/presets.ts';
import { buildTopology } from '../src/fleet/topology.ts';
import { Rng } from '../src/lib/rng.ts';
import { createScheduler, FreeIndex, SCHEDULER_POLICIES } from '../src/sched/index.ts';
import type { RunningJob, SchedJob } from '../src/sched/types.ts';

const topology = buildTopology(FLEET_PRESETS['colossus-100k']!);
const rng = new Rng(7);
const nodes = topology.nodes.length;
// Fill ~95% of the fleet with running jobs of 1..64 nodes; queue 2,000 jobs of 1..512 nodes.
const running: RunningJob[] = [];
let next = 0;
while (next < nodes * 0.95) {
  const size = Math.min(2 ** rng.int(0, 6), nodes - next);
  const idx = Array.from({ length: size }, (_, i) => next + i);
  next += size;
  running.push({ id: `r${running.length}`, tenant: `t${running.length % 4}`, priority: rng.int(0, 2) * 10, kind: 'train', nodes: size, gpusPerNode: 8,
    submitSeconds: 0, preemptible: true, nodeIndices: idx, startSeconds: rng.int(0, 3600), estimatedRuntimeSeconds: rng.int(3600, 86_400), lastCheckpointSeconds: 3000 });
}
const queue: SchedJob[] = Array.from({ length: 2000 }, (_, i) => ({
  id: `q${i}`, tenant: `t${i % 4}`, priority: rng.int(0, 3) * 10, kind: 'train' as const, nodes: 2 ** rng.int(0, 9), gpusPerNode: 8,
  submitSeconds: i, preemptible: true, estimatedRuntimeSeconds: rng.int(600, 86_400),
}));
const free = FreeIndex.empty(topology);
for (let i = next; i < nodes; i++) free.release(i);
const quotas = ['t0', 't1', 't2', 't3'].map((tenant) => ({ tenant, guaranteedGpus: 20_000, borrowLimitGpus: Infinity, weight: 1 }));
const view = { topology, nodeUp: () => true, running, quotas, freeIndex: free };

const policies: Record<string, { cyclesMeasured: number; microsecondsPerCycle: number; decisions: number }> = {};
for (const p of SCHEDULER_POLICIES) {
  const s = createScheduler(p);
  let decisions = 0;
  for (let i = 0; i < 5; i++) decisions = s.schedule(view, queue, 4000).length; // warm-up
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) s.schedule(view, queue, 4000);
  policies[p] = { cyclesMeasured: n, microsecondsPerCycle: Math.round(((performance.now() - t0) * 1000) / n), decisions };
}
// Without the driver's index the scheduler rebuilds it from the view: O(nodes + running).
const s = createScheduler('default');
const t0 = performance.now();
for (let i = 0; i < 50; i++) s.schedule({ topology, nodeUp: () => true, running, quotas }, queue, 4000);
const withoutIndexUs = Math.round(((performance.now() - t0) * 1000) / 50);
// GPU sharing (gres): 2,000 queued jobs of 1-8 GPUs on one node each, placed on free GPUs of shared nodes.
const small: SchedJob[] = queue.map((j, i) => ({ ...j, nodes: 1, gpusPerNode: 1 + (i % 8) }));
const t1 = performance.now();
let smallStarts = 0;
for (let i = 0; i < 20; i++) smallStarts = s.schedule({ ...view, shareNodes: true }, small, 4000).filter((d) => d.kind === 'start').length;
process.stdout.write(JSON.stringify({
  nodes, runningJobs: running.length, queuedJobs: queue.length, freeNodes: free.totalFree, policies,
  defaultWithoutFreeIndexMicrosecondsPerCycle: withoutIndexUs,
  sharedNodes: { queuedJobs: small.length, started: smallStarts, defaultMicrosecondsPerCycle: Math.round(((performance.now() - t1) * 1000) / 20) },
}) + '\n');
