import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transition, isTerminal, JOB_STATES, TERMINAL_STATES, type JobState, type LifecycleEvent, type LifecycleJob } from './state-machine.ts';
import { ATTEMPT_OUTCOMES, type AttemptOutcome } from './restarts.ts';

const job = (o: Partial<LifecycleJob> = {}): LifecycleJob => ({ state: 'queued', attempt: 0, restarts: 0, maxRestarts: 1, cancelRequested: false, ...o });
const running = (o: Partial<LifecycleJob> = {}) => job({ state: 'running', attempt: 1, ...o });
const end = (outcome: AttemptOutcome, attempt = 1) => ({ type: 'end' as const, attempt, outcome, reason: 'why' });

test('start opens the next attempt of a queued job and refuses any other state', () => {
  const t = transition(job({ attempt: 2 }), { type: 'start' });
  assert.equal(t.kind, 'changed');
  if (t.kind !== 'changed') return;
  assert.deepEqual([t.state, t.attempt, t.eventType, t.message, t.terminal], ['running', 3, 'started', 'attempt 3', false]);
  for (const state of ['running', 'succeeded', 'failed', 'cancelled'] as const) {
    assert.deepEqual(transition(job({ state }), { type: 'start' }), { kind: 'refused', action: 'start' }, state);
  }
});

test('only the job\'s own failure counts against max_restarts; node loss, preemption and a plane restart requeue free', () => {
  const cases: [AttemptOutcome, string, number][] = [
    ['failed', 'queued', 1], ['node-lost', 'queued', 0], ['preempted', 'queued', 0], ['lost', 'queued', 0],
    ['succeeded', 'succeeded', 0], ['cancelled', 'cancelled', 0],
  ];
  for (const [outcome, state, restarts] of cases) {
    const t = transition(running(), end(outcome));
    assert.equal(t.kind, 'changed', outcome);
    if (t.kind !== 'changed') continue;
    assert.deepEqual([t.state, t.restarts, t.closedAttempt, t.terminal], [state, restarts, outcome, state !== 'queued'], outcome);
  }
});

test('a failure past max_restarts fails the job; node losses never do', () => {
  const over = transition(running({ restarts: 1, maxRestarts: 1 }), end('failed'));
  assert.ok(over.kind === 'changed' && over.state === 'failed' && over.restarts === 2 && over.eventType === 'failed', 'over');
  const atMax = transition(running({ restarts: 0, maxRestarts: 1 }), end('failed'));
  assert.ok(atMax.kind === 'changed' && atMax.state === 'queued' && /restart 1\/1/.test(atMax.message), 'atMax');
  const lost = transition(running({ restarts: 5, maxRestarts: 0 }), end('node-lost'));
  assert.ok(lost.kind === 'changed' && lost.state === 'queued' && lost.restarts === 5 && /not counted/.test(lost.message), 'lost');
});

test('any end after a cancel request cancels the job', () => {
  for (const outcome of ['failed', 'node-lost', 'preempted', 'lost'] as const) {
    const t = transition(running({ cancelRequested: true }), end(outcome));
    assert.ok(t.kind === 'changed' && t.state === 'cancelled' && t.terminal, outcome);
  }
  // A clean exit that raced the cancel still counts as success.
  const ok = transition(running({ cancelRequested: true }), end('succeeded'));
  assert.ok(ok.kind === 'changed' && ok.state === 'succeeded', 'ok');
});

test('the end of a stale attempt, or of a job not running, changes nothing', () => {
  assert.deepEqual(transition(running({ attempt: 2 }), end('failed', 1)), { kind: 'unchanged' });
  assert.deepEqual(transition(job({ state: 'queued', attempt: 1 }), end('failed', 1)), { kind: 'unchanged' });
  assert.deepEqual(transition(job({ state: 'succeeded', attempt: 1 }), end('succeeded', 1)), { kind: 'unchanged' });
});

test('cancel: queued ends at once, running asks once, finished is a no-op', () => {
  const q = transition(job(), { type: 'cancel' });
  assert.ok(q.kind === 'changed' && q.state === 'cancelled' && q.terminal && q.eventType === 'cancelled', 'q');
  const r = transition(running(), { type: 'cancel' });
  assert.ok(r.kind === 'changed' && r.state === 'running' && r.cancelRequested && !r.terminal && r.eventType === 'cancel-requested', 'r');
  assert.deepEqual(transition(running({ cancelRequested: true }), { type: 'cancel' }), { kind: 'unchanged' });
  for (const state of ['succeeded', 'failed', 'cancelled'] as const) assert.deepEqual(transition(job({ state }), { type: 'cancel' }), { kind: 'unchanged' });
});

test('the event message names the attempt, the outcome, the reason and the count', () => {
  const t = transition(running({ attempt: 3, restarts: 1, maxRestarts: 4 }), { type: 'end', attempt: 3, outcome: 'failed', reason: 'exit 7' });
  assert.ok(t.kind === 'changed', 't');
  assert.equal(t.message, 'attempt 3 failed: exit 7; requeued (restart 2/4)');
});

test('succeeded, failed and cancelled are terminal; queued and running are not', () => {
  const terminal: Record<JobState, boolean> = { queued: false, running: false, succeeded: true, failed: true, cancelled: true };
  for (const [state, want] of Object.entries(terminal) as [JobState, boolean][]) assert.equal(isTerminal(state), want, state);
  assert.deepEqual([...TERMINAL_STATES].sort(), ['cancelled', 'failed', 'succeeded']);
});

test('a cancel records why: a queued job "cancelled while queued", a running one "stopping every rank"', () => {
  const q = transition(job(), { type: 'cancel' });
  assert.ok(q.kind === 'changed', 'q');
  assert.equal(q.message, 'cancelled while queued');
  const r = transition(running(), { type: 'cancel' });
  assert.ok(r.kind === 'changed', 'r');
  assert.equal(r.message, 'stopping every rank');
});

test('a requeue is logged as "requeued"; an end that finishes the job names its final state, not a restart count', () => {
  const requeued = transition(running(), end('node-lost'));
  assert.ok(requeued.kind === 'changed', 'requeued');
  assert.equal(requeued.eventType, 'requeued');
  assert.equal(requeued.message, 'attempt 1 node-lost: why; requeued (not counted, restarts 0/1)');
  for (const [outcome, job0, state] of [['succeeded', running(), 'succeeded'], ['failed', running({ restarts: 1 }), 'failed'], ['cancelled', running(), 'cancelled']] as const) {
    const t = transition(job0, end(outcome));
    assert.ok(t.kind === 'changed', outcome);
    assert.equal(t.eventType, state, outcome);
    assert.equal(t.message, `attempt 1 ${outcome}: why; ${state}`, outcome);
  }
});

test('JOB_STATES: exactly the states the machine reaches from a queued job, each once, queued first and the terminal ones last', () => {
  // Every event from every job the machine can produce, from a new queued job.
  const events: LifecycleEvent[] = [{ type: 'start' }, { type: 'cancel' }, ...ATTEMPT_OUTCOMES.map((o) => end(o))];
  const key = (j: LifecycleJob): string => JSON.stringify([j.state, j.restarts, j.cancelRequested]); // not the attempt: it grows with every start
  const seen = new Map<string, LifecycleJob>([[key(job()), job()]]);
  const todo = [job()];
  for (let j = todo.pop(); j !== undefined; j = todo.pop()) {
    for (const e of events) {
      const t = transition(j, e.type === 'end' ? { ...e, attempt: j.attempt } : e);
      if (t.kind !== 'changed') continue;
      const next = job({ state: t.state, attempt: t.attempt, restarts: t.restarts, maxRestarts: t.maxRestarts, cancelRequested: t.cancelRequested });
      if (!seen.has(key(next))) { seen.set(key(next), next); todo.push(next); }
    }
  }
  const reached = new Set([...seen.values()].map((j) => j.state));
  assert.deepEqual([...JOB_STATES].sort(), [...reached].sort());
  assert.equal(new Set(JOB_STATES).size, JOB_STATES.length, 'each state once');
  assert.equal(JOB_STATES[0], 'queued');
  const firstTerminal = JOB_STATES.findIndex((s) => isTerminal(s));
  assert.deepEqual(JOB_STATES.slice(firstTerminal), [...TERMINAL_STATES]);
});
