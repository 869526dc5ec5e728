import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CycleState } from './framework.ts';
import { gpusOf, lostWorkSeconds, requestOf, runningJobs, runningWhere, SUCCESS } from './framework.ts';
import { freeIndexOf } from './core.ts';
import { gridTopology, job, running, view } from './test-cluster.ts';
import type { ClusterView } from './types.ts';

// Direct tests of the framework's helpers; each names a behaviour a mutant of framework.ts left unguarded.
const topo = gridTopology(1, 1, 4);

function stateOf(v: ClusterView): CycleState {
  return { nowSeconds: 0, view: v, free: freeIndexOf(v), startedThisCycle: [], preemptedThisCycle: new Set(), usageGpus: new Map(), quotas: new Map() };
}

test('SUCCESS is the status with code success; gpusOf is nodes x GPUs per node', () => {
  assert.deepEqual(SUCCESS, { code: 'success' });
  assert.equal(gpusOf(job('j', 3, { gpusPerNode: 4 })), 12);
});

test('requestOf: nodes and GPUs per node; shares nodes only when the view says true; GPU type only when the job names one', () => {
  const st = stateOf(view(topo));
  assert.deepEqual(requestOf(job('j', 2, { gpusPerNode: 4 }), st), { nodes: 2, gpusPerNode: 4, shareNodes: false });
  assert.equal('gpuType' in requestOf(job('j', 2), st), false, 'no type named: no gpuType key');
  assert.deepEqual(requestOf(job('j', 1, { gpuType: 'b200' }), st), { nodes: 1, gpusPerNode: 8, shareNodes: false, gpuType: 'b200' });
  assert.equal(requestOf(job('j', 1), stateOf({ ...view(topo), shareNodes: true })).shareNodes, true);
  assert.equal(requestOf(job('j', 1), stateOf({ ...view(topo), shareNodes: false })).shareNodes, false);
});

test('lostWorkSeconds: time since the last checkpoint, else since start; never negative', () => {
  const r = running(job('r', 1), [0], 100);
  assert.equal(lostWorkSeconds(r, 250), 150, 'no checkpoint: since start');
  assert.equal(lostWorkSeconds({ ...r, lastCheckpointSeconds: 200 }, 250), 50, 'since the checkpoint');
  assert.equal(lostWorkSeconds({ ...r, lastCheckpointSeconds: 0 }, 250), 250, 'a checkpoint at t=0 counts (not the start)');
  assert.equal(lostWorkSeconds(r, 40), 0, 'now before start: 0, not negative');
});

test('runningJobs: the view\'s minus the preempted, plus those started this cycle unless excluded; the view is not changed', () => {
  const a = running(job('a', 1), [0]);
  const b = running(job('b', 1), [1]);
  const st = stateOf(view(topo, [a, b]));
  const ids = (includeStarted?: boolean): string[] => (includeStarted === undefined ? runningJobs(st) : runningJobs(st, includeStarted)).map((r) => r.id);
  assert.deepEqual(ids(), ['a', 'b']);
  const out = runningJobs(st);
  out.push(running(job('x', 1), [3]));
  assert.equal(st.view.running.length, 2, 'a copy, not the view\'s array');
  st.startedThisCycle.push(running(job('s', 1), [2]));
  assert.deepEqual(ids(), ['a', 'b', 's'], 'started this cycle: included by default');
  assert.deepEqual(ids(true), ['a', 'b', 's']);
  assert.deepEqual(ids(false), ['a', 'b'], 'excluded on request');
  st.preemptedThisCycle.add('a');
  assert.deepEqual(ids(), ['b', 's'], 'preempted: gone');
  st.preemptedThisCycle.add('s');
  assert.deepEqual(ids(), ['b'], 'a job started then preempted in the same cycle: gone');
});

test('runningWhere: the view\'s jobs that pass, minus the preempted, never those started this cycle; as runningJobs(state, false).filter', () => {
  const jobs = ['a', 'b', 'c'].map((id, i) => running(job(id, 1, { priority: i }), [i]));
  const st = stateOf(view(topo, jobs));
  st.startedThisCycle.push(running(job('s', 1, { priority: 9 }), [3]));
  const ids = (keep: (r: (typeof jobs)[number]) => boolean): string[] => runningWhere(st, keep).map((r) => r.id);
  assert.deepEqual(ids(() => true), ['a', 'b', 'c'], 'started this cycle: never');
  assert.deepEqual(ids((r) => r.priority >= 1), ['b', 'c'], 'only those that pass, in the view\'s order');
  st.preemptedThisCycle.add('b');
  assert.deepEqual(ids(() => true), ['a', 'c'], 'preempted: gone');
  assert.deepEqual(ids((r) => r.priority >= 1), runningJobs(st, false).filter((r) => r.priority >= 1).map((r) => r.id));
});
