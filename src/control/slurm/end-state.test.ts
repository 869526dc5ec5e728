import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slurmEnd } from './end-state.ts';

test('slurmEnd: node faults, Slurm\'s own preemption, and the job\'s own ends', () => {
  assert.equal(slurmEnd('NODE_FAIL'), 'node-fault');
  assert.equal(slurmEnd('BOOT_FAIL'), 'node-fault');
  assert.equal(slurmEnd('PREEMPTED'), 'preempted', 'no node is at fault when Slurm preempts');
  for (const s of ['COMPLETED', 'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'DEADLINE', 'CANCELLED', 'SOMETHING_NEW']) assert.equal(slurmEnd(s), 'job', s);
});
