import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobsReasonCell } from './jobs-reason.ts';

test('jobs REASON: a queued job\'s code, with the head\'s estimated start; none for a running job; a finished job\'s end', () => {
  assert.equal(jobsReasonCell({ state: 'queued', reason: 'Resources: needs 3 node(s)', reason_code: 'Resources', estimated_start: '2026-12-05T14:01:28.667Z' }), 'Resources, start by 2026-12-05 14:01:28');
  assert.equal(jobsReasonCell({ state: 'queued', reason: 'Priority: behind job-5', reason_code: 'Priority', estimated_start: null }), 'Priority');
  assert.equal(jobsReasonCell({ state: 'running', reason: 'preempted (preempt/priority) for job-3' }), '', 'a running job does not show why its last attempt ended');
  assert.equal(jobsReasonCell({ state: 'succeeded', reason: 'all 1 ranks exited 0' }), 'all 1 ranks exited 0');
  assert.equal(jobsReasonCell({ state: 'queued', reason: 'attempt 1 preempted' }), 'attempt 1 preempted', 'a queued job without a code yet shows its last words');
});
