import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../lib/errors.ts';
import { decideTick, parseCanaryEval, parseCanaryPercent, parseDeploymentSpec, type DeploymentDoc, type ReplicaView } from './deployment.ts';

const spec = parseDeploymentSpec({ name: 'chat', model: 'tiny-chat', gpus_per_replica: 0, min_replicas: 1, max_replicas: 4, replica_capacity_tps: 100, replica_command: ['serve', '{checkpoint}'], startup_timeout_seconds: 60 });
const stable = { id: 'aaaaaaaa', checkpoint: '/a', promotedSeconds: 0 };
const rep = (jobId: string, slot: number, release: string, over: Partial<ReplicaView> = {}): ReplicaView => ({ jobId, slot, release, state: 'running', ready: true, draining: false, runningSeconds: 5, ...over });
const tick = (doc: DeploymentDoc, replicas: ReplicaView[], tps = 0, extra: { figures?: Record<string, { requests: number; errors: number; p99Ms: number }>; now?: number; evals?: Record<string, number> } = {}) =>
  decideTick({ doc, replicas, outputTokensPerSecond: tps, requestsInFlight: 0, figures: extra.figures ?? {}, nowSeconds: extra.now ?? 100, ...(extra.evals ? { canaryEvalScores: extra.evals } : {}) });

test('the plane sizes replicas with the autoscaler and starts them on free slots', () => {
  const doc = { spec, stable };
  assert.deepEqual(tick(doc, []).submit, [{ slot: 0, release: 'aaaaaaaa' }]);
  const up = tick(doc, [rep('j1', 0, 'aaaaaaaa')], 200); // 200 tok/s at 70% of 100 -> 3 replicas
  assert.equal(up.desired, 3);
  assert.deepEqual(up.submit, [{ slot: 1, release: 'aaaaaaaa' }, { slot: 2, release: 'aaaaaaaa' }]);
  const down = tick(doc, [rep('j1', 0, 'aaaaaaaa'), rep('j2', 1, 'aaaaaaaa'), rep('j3', 2, 'aaaaaaaa', { state: 'queued' })], 0);
  assert.deepEqual(down.drain, ['j3', 'j2'], 'queued first, then the newest');
  assert.deepEqual(tick({ spec }, []).submit, [], 'a command that needs {checkpoint} waits for a promoted release');
});

test('a new release rolls out: old replicas drain only once the new one is ready', () => {
  const doc = { spec, stable: { id: 'bbbbbbbb', checkpoint: '/b', promotedSeconds: 50 } };
  const starting = tick(doc, [rep('j1', 0, 'aaaaaaaa'), rep('j2', 1, 'bbbbbbbb', { ready: false })]);
  assert.deepEqual(starting.drain, []);
  assert.deepEqual(tick(doc, [rep('j1', 0, 'aaaaaaaa'), rep('j2', 1, 'bbbbbbbb')]).drain, ['j1']);
});

test('a canary gets its share on its own replicas and is judged on its figures', () => {
  const canary = { id: 'cccccccc', checkpoint: '/c', promotedSeconds: 90, sharePercent: 10, startedSeconds: 90, thresholds: { maxErrorRate: 0.05, maxP99Ms: 200, minRequests: 10, holdSeconds: 30 } };
  const doc = { spec, stable, canary };
  const d = tick(doc, [rep('j1', 0, 'aaaaaaaa')]);
  assert.deepEqual(d.wanted, { cccccccc: 1, aaaaaaaa: 1 });
  assert.deepEqual(d.submit, [{ slot: 1, release: 'cccccccc' }]);
  assert.equal(d.canary, undefined, 'no verdict without traffic or time');
  const slow = tick(doc, [], 0, { figures: { cccccccc: { requests: 12, errors: 0, p99Ms: 450 } } });
  assert.equal(slow.canary?.verdict, 'fail');
  assert.match(slow.canary!.reason, /p99 450 ms > 200 ms/);
  assert.match(tick(doc, [], 0, { figures: { cccccccc: { requests: 10, errors: 1, p99Ms: 50 } } }).canary!.reason, /error rate 10\.0% > 5\.0%/);
  assert.equal(tick(doc, [], 0, { figures: { cccccccc: { requests: 10, errors: 0, p99Ms: 50 } }, now: 110 }).canary, undefined, 'good so far, hold not over');
  assert.equal(tick(doc, [], 0, { figures: { cccccccc: { requests: 10, errors: 0, p99Ms: 50 } }, now: 121 }).canary?.verdict, 'pass');
  assert.equal(tick(doc, [], 0, { figures: { cccccccc: { requests: 3, errors: 0, p99Ms: 50 } }, now: 181 }).canary?.verdict, 'fail', 'too little traffic for too long');
});

test('a canary with eval thresholds passes only once its scores are in and high enough; a low score rolls it back', () => {
  const canary = { id: 'cccccccc', checkpoint: '/c', promotedSeconds: 90, sharePercent: 10, startedSeconds: 90, thresholds: { maxErrorRate: 0.05, maxP99Ms: 200, minRequests: 10, holdSeconds: 30, minEvalScores: { facts: 0.8, refusals: 1 } } };
  const doc = { spec, stable, canary };
  const good = { cccccccc: { requests: 10, errors: 0, p99Ms: 50 } };
  assert.equal(tick(doc, [], 0, { figures: good, now: 121 }).canary, undefined, 'hold over but not evaluated yet: wait');
  assert.equal(tick(doc, [], 0, { figures: good, now: 121, evals: { facts: 0.9 } }).canary, undefined, 'one suite of two scored: wait');
  const pass = tick(doc, [], 0, { figures: good, now: 121, evals: { facts: 0.9, refusals: 1 } }).canary;
  assert.equal(pass?.verdict, 'pass');
  assert.match(pass!.reason, /eval facts 0\.90 >= 0\.8, eval refusals 1\.00 >= 1/);
  const low = tick(doc, [], 0, { figures: {}, now: 95, evals: { facts: 0.6 } }).canary;
  assert.equal(low?.verdict, 'fail', 'a low score fails at once, before any traffic or hold');
  assert.match(low!.reason, /eval facts 0\.60 < 0\.8/);
  const never = tick(doc, [], 0, { figures: good, now: 181 }).canary;
  assert.equal(never?.verdict, 'fail', 'never scored within the patience');
  assert.match(never!.reason, /eval suites not scored .* \(facts, refusals\)/);
});

test('canary eval thresholds: SUITE>=SCORE, bad ones name the flag, the value and the form', () => {
  assert.deepEqual(parseCanaryEval('facts>=0.8'), ['facts', 0.8]);
  assert.deepEqual(parseCanaryEval(' refusals >= 80% '), ['refusals', 0.8]);
  assert.deepEqual(parseCanaryEval('facts>=1'), ['facts', 1]);
  for (const v of ['facts', 'facts>0.8', 'facts>=1.5', 'facts>=-1', '>=0.8', 'facts>=x', 'fa cts>=0.5']) {
    assert.throws(() => parseCanaryEval(v), (e: unknown) => e instanceof InputError && e.message.includes('--canary-eval') && e.message.includes(JSON.stringify(v)) && /SUITE>=SCORE.*e\.g\. facts>=0\.8/.test(e.message), v);
  }
});

test('a replica never healthy past its startup timeout is replaced', () => {
  const d = tick({ spec, stable }, [rep('j1', 0, 'aaaaaaaa', { ready: false, runningSeconds: 61 })]);
  assert.deepEqual(d.unhealthy, ['j1']);
  assert.ok(d.drain.includes('j1'));
  assert.deepEqual(d.submit, [{ slot: 1, release: 'aaaaaaaa' }]);
});

test('bad deployment input names the field', () => {
  const base = { name: 'chat', model: 'm', gpus_per_replica: 16, nodes_per_replica: 2, replica_command: ['x'] };
  assert.equal(parseDeploymentSpec(base).nodes_per_replica, 2);
  const bad: [object, RegExp][] = [
    [{ ...base, gpus_per_replica: 15 }, /gpus_per_replica.*divide evenly/],
    [{ ...base, min_replicas: 5, max_replicas: 2 }, /min_replicas/],
    [{ ...base, colour: 'red' }, /colour/],
    [{ ...base, name: 'a b' }, /name/],
  ];
  for (const [input, re] of bad) assert.throws(() => parseDeploymentSpec(input), (e: unknown) => e instanceof InputError && re.test(e.message), JSON.stringify(input));
  assert.equal(parseCanaryPercent('10%'), 10);
  for (const v of ['0%', '100', '-5', 'ten']) assert.throws(() => parseCanaryPercent(v), (e: unknown) => e instanceof InputError && /1% to 99%/.test(e.message), v);
});
