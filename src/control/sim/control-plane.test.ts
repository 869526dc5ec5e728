// The real control plane (HTTP API, SQLite, reconciler, scheduler) over the simulator's executor
// on the 2,048 nodes of h100-16k: a node failure under a 512-node job restarts it, elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLEET_PRESETS } from '../../fleet/presets.ts';
import { buildTopology } from '../../fleet/topology.ts';
import { startControlPlane } from '../server.ts';
import { SimCluster, SimExecutor } from './executor.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('up --executor sim: a 512-node job on simulated nodes survives a lost node and finishes on healthy ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-simcp-'));
  const topology = buildTopology(FLEET_PRESETS['h100-16k']!);
  const cluster = new SimCluster({ speed: 100, failuresPer1000NodeDays: 0, nodes: topology.nodes.map((n) => n.name) });
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100, executor: new SimExecutor(cluster), topology });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${cp.newAdminToken!}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return await res.json() as { job: { id: string; state: string; attempt: number; restarts: number }; attempts: { outcome: string | null; reason: string | null }[] };
  };
  const waitFor = async (what: string, cond: () => Promise<boolean>, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!(await cond())) { if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`); await sleep(50); }
  };
  try {
    const { job } = await call('POST', '/v1/jobs', { name: 'pretrain', nodes: 512, ranks_per_node: 8, gpus_per_node: 8, command: ['python3', 'train.py'], max_restarts: 2, env: { GF_SIM_SECONDS: '300' } });
    await waitFor('attempt 1 running', async () => (await call('GET', `/v1/jobs/${job.id}`)).job.state === 'running');
    const first = (await cp.store.getJob(job.id))!.nodeIndices;
    assert.equal(first.length, 512);
    const victim = cp.topology.nodes[first[100]!]!.name;
    cluster.failNode(victim, 'hbm');
    await waitFor('the job to succeed after a restart', async () => (await call('GET', `/v1/jobs/${job.id}`)).job.state === 'succeeded');
    const d = await call('GET', `/v1/jobs/${job.id}`);
    assert.equal(d.job.restarts, 0, 'a lost node is the hardware\'s failure, not the job\'s: not counted');
    assert.deepEqual(d.attempts.map((a) => a.outcome), ['node-lost', 'succeeded']);
    assert.match(d.attempts[0]!.reason ?? '', new RegExp(`node ${victim} lost: GPU HBM3`));
    const second = (await cp.store.getJob(job.id))!.nodeIndices;
    assert.ok(!second.includes(first[100]!), 'the node in repair is not used again');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up --executor sim --spares 4: a 512-node gang that loses a node restarts at once on a spare, the other 511 kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-simcp-'));
  const topology = buildTopology(FLEET_PRESETS['h100-16k']!);
  const cluster = new SimCluster({ speed: 100, failuresPer1000NodeDays: 0, nodes: topology.nodes.map((n) => n.name) });
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100, spares: 4, executor: new SimExecutor(cluster), topology });
  try {
    const { job } = await cp.store.submitJob({ tenant: 't', submitSeconds: Date.now() / 1000, spec: (await import('../job-spec.ts')).parseJobSpec({ name: 'pretrain', nodes: 512, gpus_per_node: 8, command: ['train'], max_restarts: 0, env: { GF_SIM_SECONDS: 'inf' } }) });
    cp.reconciler.kick();
    const deadline = Date.now() + 20_000;
    while ((await cp.store.getJob(job.id))?.state !== 'running') { assert.ok(Date.now() < deadline, 'attempt 1 running'); await sleep(50); }
    const first = (await cp.store.getJob(job.id))!.nodeIndices;
    const victim = first[100]!;
    cluster.failNode(cp.topology.nodes[victim]!.name, 'gpu');
    let j = await cp.store.getJob(job.id);
    while (!(j?.state === 'running' && j.attempt === 2)) { assert.ok(Date.now() < deadline, `attempt 2 running (${j?.state})`); await sleep(20); j = await cp.store.getJob(job.id); }
    const added = j.nodeIndices.filter((n) => !first.includes(n));
    assert.equal(added.length, 1, 'only the lost node is replaced');
    assert.ok(!j.nodeIndices.includes(victim));
    assert.ok(added[0]! >= cp.topology.nodes.length - 4, 'by a spare (kept at the top of the fleet)');
    assert.deepEqual([j.restarts, cp.reconciler.spareSwaps], [0, 1]);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
