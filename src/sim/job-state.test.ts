import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobState } from './job-state.ts';
import { trainJob } from './test-helpers.ts';

test('makeRunView: the scheduler\'s view of a running job reads its last checkpoint at the clock\'s time and follows its nodes', () => {
  const j = new JobState(trainJob('t', 2, { gpusPerNode: 8, priority: 3, estimatedRuntimeSeconds: 500 }), 0);
  j.nodes = [4, 5];
  j.allocStartSeconds = 90;
  j.segStartSeconds = 100;
  j.intervalSeconds = 60;
  j.saveSeconds = 5;
  let now = 150;
  const v = j.makeRunView(() => now);
  assert.equal(j.runView, v);
  assert.deepEqual([v.id, v.priority, v.nodes, v.gpusPerNode, v.startSeconds, v.estimatedRuntimeSeconds, v.gpuIndices], ['t', 3, 2, 8, 90, 500, undefined]);
  assert.equal(v.lastCheckpointSeconds, 100, 'no save done yet: the segment start');
  now = 240;
  assert.equal(v.lastCheckpointSeconds, 230, 'read when asked: two saves done by t=240');
  j.nodes[1] = 9; // a spare swap changes the job's node list in place
  assert.deepEqual(v.nodeIndices, [4, 9]);
});
