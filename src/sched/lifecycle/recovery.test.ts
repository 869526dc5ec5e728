import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseRecovery, type RecoveryInput } from './recovery.ts';
import { outcomeOfExit, countsAsRestart, ATTEMPT_OUTCOMES, type AttemptOutcome } from './restarts.ts';
import { TenantUsage } from './usage.ts';

const input = (o: Partial<RecoveryInput> = {}): RecoveryInput => ({ nodeLost: true, gpus: 64, spareMinGpus: 16, mode: 'gang', nearestSpare: () => 7, ...o });

test('a lost node of a large enough job is swapped for the nearest spare', () => {
  assert.deepEqual(chooseRecovery(input()), { action: 'spare-swap', spare: 7, scope: 'gang' });
  assert.deepEqual(chooseRecovery(input({ mode: 'replica' })), { action: 'spare-swap', spare: 7, scope: 'replica' });
  assert.deepEqual(chooseRecovery(input({ gpus: 16 })), { action: 'spare-swap', spare: 7, scope: 'gang' });
});

test('small jobs, software faults and an empty spare pool do not take a spare', () => {
  let asked = 0;
  const spy = () => { asked++; return 7; };
  assert.deepEqual(chooseRecovery(input({ gpus: 8, nearestSpare: spy })), { action: 'requeue', scope: 'gang' });
  assert.deepEqual(chooseRecovery(input({ nodeLost: false, nearestSpare: spy })), { action: 'restart-in-place', scope: 'gang' });
  assert.equal(asked, 0, 'a spare is not even looked for when it would not be used');
  assert.deepEqual(chooseRecovery(input({ nearestSpare: () => undefined })), { action: 'requeue', scope: 'gang' });
  assert.deepEqual(chooseRecovery(input({ nearestSpare: () => 0 })), { action: 'spare-swap', spare: 0, scope: 'gang' }, 'node 0 is a spare too');
});

test('executor reports map to outcomes: a lost node is not the job\'s failure', () => {
  assert.equal(outcomeOfExit({ type: 'exited', exitCode: 0 }), 'succeeded');
  assert.equal(outcomeOfExit({ type: 'exited', exitCode: 3 }), 'failed');
  assert.equal(outcomeOfExit({ type: 'failed' }), 'failed');
  assert.equal(outcomeOfExit({ type: 'failed', nodeLost: 'n1' }), 'node-lost');
  assert.equal(outcomeOfExit({ type: 'failed', preempted: true }), 'preempted', 'preempted by the executor\'s scheduler: requeued, not counted');
  assert.equal(outcomeOfExit({ type: 'failed', preempted: false }), 'failed');
  assert.deepEqual(ATTEMPT_OUTCOMES.filter(countsAsRestart), ['failed']);
});

test('ATTEMPT_OUTCOMES lists every outcome once, so a check over it covers every way an attempt ends', () => {
  // A Record over the type: adding an outcome to AttemptOutcome fails the type check here until it is listed.
  const counts: Record<AttemptOutcome, boolean> = { succeeded: false, failed: true, 'node-lost': false, preempted: false, cancelled: false, lost: false };
  assert.deepEqual([...ATTEMPT_OUTCOMES].sort(), Object.keys(counts).sort());
  for (const o of ATTEMPT_OUTCOMES) assert.equal(countsAsRestart(o), counts[o], o);
});

test('tenant usage adds, removes to zero, and refuses to go negative', () => {
  const u = new TenantUsage();
  u.add('a', 16); u.add('a', 8); u.add('b', 4);
  assert.equal(u.of('a'), 24);
  u.remove('a', 24);
  assert.equal(u.of('a'), 0);
  assert.throws(() => u.remove('b', 8), /would hold -4 GPUs/);
});
