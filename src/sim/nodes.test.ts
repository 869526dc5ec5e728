import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridTopology } from '../sched/test-cluster.ts';
import { NodeBook } from './nodes.ts';

test('jobs sharing a node hold their own GPUs; the node is idle again only when the last one leaves', () => {
  const b = new NodeBook(gridTopology(1, 1, 2));
  b.attach(0, 10, [0, 1]);
  b.attach(0, 11, [2]);
  assert.equal(b.freeIndex.freeGpus(0), 5);
  assert.deepEqual(b.jobsOn(0), [10, 11]);
  b.detach(0, 10, 100);
  assert.equal(b.freeIndex.freeGpus(0), 7);
  assert.equal(b.isFree(0), false);
  assert.equal(b.idleSinceSeconds(0), 0, 'not idle while job 11 runs');
  b.detach(0, 11, 200);
  assert.equal(b.isFree(0), true);
  assert.equal(b.idleSinceSeconds(0), 200);
  b.detach(0, 11, 300);
  assert.equal(b.idleSinceSeconds(0), 200, 'a job that left already changes nothing');
});

test('a down node gives nothing back; repaired, it frees only the GPUs no job still holds', () => {
  const b = new NodeBook(gridTopology(1, 1, 2));
  b.attach(0, 1, [0]);
  b.attach(0, 2, [1, 2, 3]);
  b.takeDown(0);
  assert.deepEqual(b.counts, { total: 2, up: 1, inRepair: 1, spare: 0, rentedHeld: 0 });
  b.detach(0, 2, 50);
  assert.equal(b.freeIndex.freeGpus(0), 0, 'down: out of service');
  assert.deepEqual(b.bringUp(0, 60), [1], 'job 1 (kept the node, replica recovery) still holds it');
  assert.equal(b.freeIndex.freeGpus(0), 7);
  assert.deepEqual(b.counts, { total: 2, up: 2, inRepair: 0, spare: 0, rentedHeld: 0 });
});

test('a sub-node job swapped onto a spare takes its GPUs there and frees the rest; a repaired node refills the spares', () => {
  const b = new NodeBook(gridTopology(1, 1, 3));
  b.addSpares([2]);
  b.attach(0, 7, [4, 5]);
  b.takeDown(0);
  b.swapToSpare(7, 0, 2);
  assert.deepEqual(b.jobsOn(2), [7]);
  assert.deepEqual(b.jobsOn(0), []);
  assert.equal(b.freeIndex.freeGpus(2), 6);
  assert.equal(b.spares.size, 0);
  assert.deepEqual(b.bringUp(0, 10), []);
  assert.deepEqual([...b.spares], [0], 'back to the spare target of 1');
  assert.equal(b.freeIndex.freeGpus(0), 0, 'a spare is out of the free pool');
});

test('rented nodes: provisioned up and free, given back out of service; counted while held', () => {
  const topo = gridTopology(1, 1, 2);
  const b = new NodeBook({ ...topo, nodes: topo.nodes.map((n) => (n.index === 1 ? { ...n, rented: true, pool: 'cloud' } : n)) });
  assert.equal(b.isUp(1), false);
  b.provision(1, 30);
  assert.deepEqual(b.counts, { total: 2, up: 2, inRepair: 0, spare: 0, rentedHeld: 1 });
  assert.equal(b.isFree(1), true);
  assert.equal(b.idleSinceSeconds(1), 30);
  b.unprovision(1);
  assert.deepEqual(b.counts, { total: 2, up: 1, inRepair: 0, spare: 0, rentedHeld: 0 });
  assert.equal(b.isFree(1), false);
});
