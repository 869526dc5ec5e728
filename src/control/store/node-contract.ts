/**
 * Conformance of every Store for node states and per-attempt GPU holdings (the scheduler's
 * node operations and shared nodes): `runNodeStoreContract({ name, newStore })` from a *.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJobSpec } from '../job-spec.ts';
import type { StoreContractOptions } from './contract.ts';
import type { Store } from './types.ts';

export function runNodeStoreContract(o: StoreContractOptions): void {
  const withStore = (name: string, fn: (s: Store, reopen?: () => Promise<Store>) => Promise<void>) =>
    test(`${o.name} store: ${name}`, async () => {
      const { store, reopen, cleanup } = await o.newStore();
      try { await fn(store, reopen); } finally { await store.close(); await cleanup(); }
    });

  withStore('node states: drain, down and resume; the last one wins; durable', async (s, reopen) => {
    assert.deepEqual(await s.listNodeStates(), []);
    await s.setNodeState('n2', 'drain', 'bad DIMM', 10);
    await s.setNodeState('n1', 'drain', 'firmware', 11);
    await s.setNodeState('n1', 'down', 'PSU', 12);
    await s.setNodeState('n3', 'down', 'x', 13);
    await s.setNodeState('n3', 'resume', '', 14);
    await s.setNodeState('n9', 'resume', '', 15); // resuming a node in service is a no-op
    const want = [{ name: 'n1', state: 'down', reason: 'PSU', sinceSeconds: 12 }, { name: 'n2', state: 'drain', reason: 'bad DIMM', sinceSeconds: 10 }];
    assert.deepEqual(await s.listNodeStates(), want);
    if (reopen) {
      const again = await reopen();
      try { assert.deepEqual(await again.listNodeStates(), want); } finally { await again.close(); }
    }
  });

  withStore('job GPUs: listed for running jobs whose current attempt they belong to', async (s) => {
    const spec = parseJobSpec({ name: 'j', command: ['true'], max_restarts: 3, gpus_per_node: 2 });
    const a = (await s.submitJob({ tenant: 't', spec, submitSeconds: 1 })).job;
    const b = (await s.submitJob({ tenant: 't', spec, submitSeconds: 1 })).job;
    await s.startAttempt(a.id, [0], 2);
    await s.setJobGpus(a.id, 1, [[2, 3]]);
    await s.setJobGpus(b.id, 1, [[0, 1]]); // b is not running: not listed
    assert.deepEqual([...await s.listRunningJobGpus()], [[a.id, [[2, 3]]]]);
    // a fails and restarts: the old attempt's GPUs no longer count, the new ones replace them.
    await s.endAttempt(a.id, 1, { outcome: 'failed', reason: 'x', nowSeconds: 3 });
    await s.startAttempt(a.id, [1], 4);
    assert.deepEqual([...await s.listRunningJobGpus()], []);
    await s.setJobGpus(a.id, 2, [[5, 6]]);
    assert.deepEqual([...await s.listRunningJobGpus()], [[a.id, [[5, 6]]]]);
    await assert.rejects(s.setJobGpus('nonsense', 1, []), /no job "nonsense"/);
  });

  withStore('rentals: the intent, then the instance; replaced by node; removed once given back; durable', async (s, reopen) => {
    assert.deepEqual(await s.rentals.list(), []);
    const intent = { node: 'oci-00001', pool: 'oci', provider: 'oracle', instanceId: null, state: 'launching' as const, launchedSeconds: 100.5, pricePerHourUsd: 80 };
    await s.rentals.put(intent);
    await s.rentals.put({ ...intent, node: 'oci-00000' });
    await s.rentals.put({ ...intent, instanceId: 'ocid1.instance.oc1..a', state: 'running' });
    const want = [{ ...intent, node: 'oci-00000' }, { ...intent, instanceId: 'ocid1.instance.oc1..a', state: 'running' }];
    assert.deepEqual(await s.rentals.list(), want);
    if (reopen) {
      const again = await reopen();
      try { assert.deepEqual(await again.rentals.list(), want); } finally { await again.close(); }
    }
    assert.equal(await s.rentals.remove('oci-00000'), true);
    assert.equal(await s.rentals.remove('oci-00000'), false);
    assert.deepEqual((await s.rentals.list()).map((r) => r.node), ['oci-00001']);
  });

  withStore('rentals: a given-back instance moves to the released rentals with its release time and GPUs; a node rented again keeps its history; durable', async (s, reopen) => {
    const run = { node: 'oci-00000', pool: 'oci', provider: 'oracle', instanceId: 'ocid1.instance.oc1..a', state: 'running' as const, launchedSeconds: 100, pricePerHourUsd: 80 };
    await s.rentals.put(run);
    await s.rentals.put({ ...run, node: 'sim-00000', pool: 'sim' });
    assert.equal(await s.rentals.close('oci-00000', 4000.5, 8), true);
    assert.equal(await s.rentals.close('oci-00000', 5000, 8), false, 'closed once only');
    assert.equal(await s.rentals.close('nobody', 5000, 8), false);
    assert.deepEqual((await s.rentals.list()).map((r) => r.node), ['sim-00000'], 'no longer a live rental');
    await s.rentals.put({ ...run, instanceId: 'ocid1.instance.oc1..b', launchedSeconds: 6000 });
    assert.equal(await s.rentals.close('oci-00000', 9000, 8), true);
    assert.equal(await s.rentals.close('sim-00000', 7000, 4), true);
    const released = (r: typeof run, releasedSeconds: number, gpus: number) => ({ node: r.node, pool: r.pool, provider: r.provider, instanceId: r.instanceId, launchedSeconds: r.launchedSeconds, releasedSeconds, gpus, pricePerHourUsd: r.pricePerHourUsd });
    const oci = [released(run, 4000.5, 8), released({ ...run, instanceId: 'ocid1.instance.oc1..b', launchedSeconds: 6000 }, 9000, 8)];
    assert.deepEqual(await s.rentals.listReleased('oci'), oci);
    assert.deepEqual((await s.rentals.listReleased()).map((r) => [r.node, r.releasedSeconds]), [['oci-00000', 4000.5], ['sim-00000', 7000], ['oci-00000', 9000]]);
    assert.deepEqual(await s.rentals.list(), []);
    if (reopen) {
      const again = await reopen();
      try { assert.deepEqual(await again.rentals.listReleased('oci'), oci); } finally { await again.close(); }
    }
  });
}
