import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rentDecision, type RentInput } from './rent-policy.ts';

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
