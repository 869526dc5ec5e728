import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attemptHeader, restartCell, restartsLine } from './job-attempts.ts';

const att = (attempt: number, outcome: string | null, counts?: boolean | null) => ({ attempt, outcome, ...(counts !== undefined ? { counts_as_restart: counts } : {}) });

test('job attempts: restarts count only the job\'s own failures; requeues for a lost node, a preemption or a plane restart are named, not counted', () => {
  const attempts = [att(1, 'preempted', false), att(2, 'node-lost', false), att(3, 'lost', false), att(4, 'failed', true), att(5, null, null)];
  assert.equal(restartsLine({ attempt: 5, restarts: 1, max_restarts: 3 }, attempts),
    'attempt 5, restarts 1/3 (only the job\'s own failures count; requeued without counting: 1 preempted, 1 node-lost, 1 lost)');
  assert.deepEqual(attempts.map(restartCell), ['not counted', 'not counted', 'not counted', 'counted', '']);
  assert.equal(restartsLine({ attempt: 1, restarts: 0, max_restarts: 3 }, [att(1, null, null)]), 'attempt 1, restarts 0/3', 'nothing requeued: no words');
});

test('job attempts: the logs -f separator names the cause of the new attempt', () => {
  const j = { attempt: 2, restarts: 0, max_restarts: 3 };
  assert.equal(attemptHeader('job-1', j, [att(1, 'preempted', false), att(2, null, null)]), '--- job-1: attempt 2, after attempt 1 preempted (requeued, not counted; restarts 0/3) ---\n');
  assert.equal(attemptHeader('job-1', { attempt: 3, restarts: 1, max_restarts: 3 }, [att(1, 'node-lost', false), att(2, 'failed', true), att(3, null, null)]),
    '--- job-1: attempt 3, after attempt 2 failed (restart 1/3) ---\n');
});

test('job attempts: a server without counts_as_restart: derived from the outcome (only failed counts)', () => {
  assert.equal(restartCell(att(1, 'preempted')), 'not counted');
  assert.equal(restartCell(att(1, 'failed')), 'counted');
  assert.equal(restartCell(att(1, 'succeeded')), '');
});
