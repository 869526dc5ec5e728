import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RENT_REASON, rentDecision, rentDecisions, type RentInput } from './rent-policy.ts';

const base: RentInput = {
  nowSeconds: 10_000, queue: [], queueWaitThresholdSeconds: 3600, inFlightNodes: 0, poolAvailableNodes: 100,
  rented: [], idleReleaseSeconds: 3600, minimumRentalSeconds: 3600,
};

test('rentDecision: rents for long waits only, net of idle and in-flight nodes, capped by the pool', () => {
  const cases: { name: string; over: Partial<RentInput>; provision: number; release: number[] }[] = [
    { name: 'nothing waits', over: {}, provision: 0, release: [] },
    { name: 'short wait', over: { queue: [{ queuedSinceSeconds: 9000, nodes: 4 }] }, provision: 0, release: [] },
    { name: 'long wait', over: { queue: [{ queuedSinceSeconds: 1000, nodes: 4 }, { queuedSinceSeconds: 9000, nodes: 8 }] }, provision: 4, release: [] },
    { name: 'in flight covers part', over: { queue: [{ queuedSinceSeconds: 1000, nodes: 4 }], inFlightNodes: 3 }, provision: 1, release: [] },
    { name: 'pool limit', over: { queue: [{ queuedSinceSeconds: 1000, nodes: 400 }] }, provision: 100, release: [] },
    {
      name: 'gives back idle nodes past their term', over: {
        rented: [
          { node: 1, arrivedAtSeconds: 0, idleSinceSeconds: 5000 }, // idle 5,000 s, term over: released
          { node: 2, arrivedAtSeconds: 0, idleSinceSeconds: 9000 }, // idle too briefly
          { node: 3, arrivedAtSeconds: 8000, idleSinceSeconds: 1000 }, // minimum term not over
          { node: 4, arrivedAtSeconds: 0, idleSinceSeconds: undefined }, // busy
        ],
      }, provision: 0, release: [1],
    },
    { name: 'never gives back while jobs wait long', over: { queue: [{ queuedSinceSeconds: 0, nodes: 1 }], rented: [{ node: 1, arrivedAtSeconds: 0, idleSinceSeconds: 0 }] }, provision: 0, release: [] },
  ];
  for (const c of cases) {
    const d = rentDecision({ ...base, ...c.over });
    assert.equal(d.provisionNodes, c.provision, c.name);
    assert.deepEqual(d.releaseNodes, c.release, c.name);
  }
});

test('rentDecision: a job that has waited exactly the threshold is not yet counted; one second more is', () => {
  const at = (queuedSinceSeconds: number) => rentDecision({ ...base, queue: [{ queuedSinceSeconds, nodes: 2 }] }).provisionNodes;
  assert.equal(at(base.nowSeconds - 3600), 0);
  assert.equal(at(base.nowSeconds - 3601), 2);
});

test('rentDecision: idle rented nodes count against the need; busy ones do not; never a negative request', () => {
  const queue = [{ queuedSinceSeconds: 0, nodes: 3 }];
  const idle = { node: 1, arrivedAtSeconds: 0, idleSinceSeconds: 9000 };
  const busy = { node: 2, arrivedAtSeconds: 0, idleSinceSeconds: undefined };
  assert.equal(rentDecision({ ...base, queue, rented: [idle, busy] }).provisionNodes, 2, '3 needed, 1 idle rented node');
  assert.equal(rentDecision({ ...base, queue, rented: [idle], inFlightNodes: 5 }).provisionNodes, 0, 'more on the way than needed: 0, not -3');
  assert.equal(rentDecision({ ...base, queue: [...queue, { queuedSinceSeconds: 0, nodes: 2 }] }).provisionNodes, 5, 'the needs of every long-waiting job add up');
});

test('rentDecision: a node idle exactly the idle time and rented exactly the minimum term goes back', () => {
  const now = base.nowSeconds;
  const r = (arrivedAtSeconds: number, idleSinceSeconds: number) => rentDecision({ ...base, rented: [{ node: 7, arrivedAtSeconds, idleSinceSeconds }] }).releaseNodes;
  assert.deepEqual(r(now - 3600, now - 3600), [7]);
  assert.deepEqual(r(now - 3600, now - 3599), [], 'idle one second too briefly');
  assert.deepEqual(r(now - 3599, now - 3600), [], 'minimum term not over by one second');
});

test('rentDecisions: the policy as decisions for the pool: provision with the shared reason, release of the nodes, or none', () => {
  assert.deepEqual(rentDecisions('burst', base), []);
  assert.deepEqual(rentDecisions('burst', { ...base, queue: [{ queuedSinceSeconds: 0, nodes: 2 }] }), [{ kind: 'provision', pool: 'burst', nodes: 2, reason: RENT_REASON }]);
  assert.equal(RENT_REASON, 'queue waited past the threshold');
  assert.deepEqual(rentDecisions('burst', { ...base, rented: [{ node: 4, arrivedAtSeconds: 0, idleSinceSeconds: 0 }] }), [{ kind: 'release', pool: 'burst', nodeIndices: [4] }]);
});
