// Driver conformance, node sharing (Slurm's gres semantics): one-GPU and four-GPU jobs share
// 8-GPU nodes in the simulator as in the live plane. Eight one-GPU jobs run at once on one node;
// that node's loss interrupts all eight (requeued, not counted); they restart in the GPUs the
// four-GPU jobs free on the other node; a whole-node job waits for a whole node; a queued job is
// cancelled. Both drivers must log the same decisions (nodes and GPUs) and the same transitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byTime, runLivePlane, runSimulator, type Scenario } from './drive.ts';

const SHARING: Scenario = {
  policy: 'fifo',
  nodes: 2,
  arrivals: [
    ...Array.from({ length: 8 }, (_, i) => ({ id: `job-${i + 1}`, at: 0, nodes: 1, gpusPerNode: 1, workSeconds: 1000 })),
    { id: 'job-9', at: 10, nodes: 1, gpusPerNode: 4, workSeconds: 2000 },
    { id: 'job-10', at: 20, nodes: 1, gpusPerNode: 4, workSeconds: 2500 },
    { id: 'job-11', at: 30, nodes: 1, gpusPerNode: 8, workSeconds: 500 },
  ],
  cancels: [{ id: 'job-8', at: 500 }],
  failures: [{ node: 0, at: 300 }],
};

test('conformance: sub-node jobs share nodes alike in the simulator and the live plane (decisions with GPUs, transitions)', async () => {
  const sim = runSimulator(SHARING);
  const atZero = sim.decisions.filter((d) => d.startsWith('0 start'));
  assert.equal(atZero.length, 8, `eight one-GPU jobs start at once: ${sim.decisions.join('; ')}`);
  assert.deepEqual(new Set(atZero.map((d) => d.split(' ')[3])).size, 1, 'all on one node');
  assert.equal(sim.transitions.filter((t) => t.startsWith('300 ') && t.endsWith('queued (node-lost)')).length, 8, 'the node loss interrupts every job on it');
  assert.ok(sim.transitions.includes('500 job-8 cancelled'));
  assert.ok(sim.transitions.some((t) => t.endsWith('job-11 succeeded')), 'the whole-node job runs in the end');
  const live = await runLivePlane(SHARING, sim);
  if (process.env.CONFORMANCE_PRINT) console.log(JSON.stringify({ sim, live }, null, 1));
  assert.deepEqual(live.decisions, sim.decisions);
  assert.deepEqual(byTime(live.transitions), byTime(sim.transitions));
});
