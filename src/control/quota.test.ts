// Tenant quotas through the live control plane: `up --quota` values reach the scheduler core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../lib/errors.ts';
import { hashToken } from './api/auth.ts';
import { parseQuota } from './cluster.ts';
import { FakeExecutor } from './fake-executor.ts';
import { startControlPlane } from './server.ts';

test('parseQuota: TENANT=GPUS[:BORROW]', () => {
  assert.deepEqual(parseQuota('research=16:8'), { tenant: 'research', guaranteedGpus: 16, borrowLimitGpus: 8, weight: 16 });
  assert.equal(parseQuota('prod=8').borrowLimitGpus, Infinity);
  assert.equal(parseQuota('prod=8:inf').borrowLimitGpus, Infinity);
  for (const bad of ['research', 'Research=1', 'a=-1', 'a=1:x', '=4']) assert.throws(() => parseQuota(bad), InputError, bad);
});

test('quotas: a tenant at its quota waits while another tenant starts', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-quota-'));
  const gpuNode = (index: number) => ({ index, name: `gpu-${index}`, gpuType: 'h100' as const, gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false });
  const cp = await startControlPlane({
    dataDir: dir, port: 0, tickMs: 50, executor: new FakeExecutor(60_000),
    topology: { nodes: [0, 1, 2].map(gpuNode), leafCount: 1, spineCount: 1 },
    quotas: [parseQuota('alpha=8:0'), parseQuota('beta=8:0')],
  });
  try {
    await cp.store.addToken(hashToken('a'), { tenant: 'alpha', admin: false }, 0);
    await cp.store.addToken(hashToken('b'), { tenant: 'beta', admin: false }, 0);
    const submit = async (token: string, name: string) => {
      const res = await fetch(`${cp.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, command: ['x'], gpus_per_node: 8, preemptible: false }) });
      assert.equal(res.status, 201);
      return ((await res.json()) as { job: { id: string } }).job.id;
    };
    const a1 = await submit('a', 'a1');
    const a2 = await submit('a', 'a2');
    const b1 = await submit('b', 'b1');
    const deadline = Date.now() + 20_000;
    const state = async (id: string) => (await cp.store.getJob(id))?.state;
    while (!((await state(a1)) === 'running' && (await state(b1)) === 'running')) {
      assert.ok(Date.now() < deadline, 'a1 and b1 should start');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300)); // a few more cycles: a2 must still wait
    assert.equal(await state(a2), 'queued', 'alpha is at its 8-GPU quota with no borrowing, though a node is free');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
