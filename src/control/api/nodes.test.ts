// The live plane's GPU sharing, pending reasons and node operations, end to end over HTTP with
// the fake executor (no process runs) and the SQLite store on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from './auth.ts';
import { FakeExecutor } from '../fake-executor.ts';
import { SimCluster, SimExecutor } from '../sim/executor.ts';
import { startControlPlane, type ControlPlane } from '../server.ts';
import type { NodeJson } from './nodes.ts';

const gpuNode = (index: number) => ({ index, name: `gpu-${index}`, gpuType: 'h100' as const, gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false });

async function plane(dir: string, executor = new FakeExecutor(60_000)): Promise<ControlPlane> {
  return startControlPlane({ dataDir: dir, port: 0, tickMs: 50, executor, topology: { nodes: [0, 1].map(gpuNode), leafCount: 1, spineCount: 1 } });
}

function caller(cp: ControlPlane, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as T };
  };
}

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

interface Job { id: string; state: string; reason: string | null; reason_code: string | null; estimated_start: string | null; node_indices: number[] }

test('live: 1-GPU jobs share a node, each gets its own CUDA device; queued jobs say why they wait; GPUs in use per node', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-nodes-'));
  const executor = new FakeExecutor(60_000);
  const cp = await plane(dir, executor);
  try {
    await cp.store.addToken(hashToken('adm'), { tenant: 'ops', admin: true }, 0);
    const call = caller(cp, 'adm');
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push((await call<{ job: Job }>('POST', '/v1/jobs', { name: `one-${i}`, command: ['x'], gpus_per_node: 1 })).body.job.id);
    const whole = (await call<{ job: Job }>('POST', '/v1/jobs', { name: 'whole', command: ['x'], gpus_per_node: 8 })).body.job.id;
    await until('16 one-GPU jobs running', async () => executor.launched.length === 16);
    const byNode = new Map<string, number[]>();
    for (const l of executor.launched) byNode.set(l.nodeNames[0]!, [...(byNode.get(l.nodeNames[0]!) ?? []), ...l.gpuIndices![0]!]);
    assert.deepEqual([...byNode.keys()].sort(), ['gpu-0', 'gpu-1'], 'eight per node on two nodes');
    for (const gpus of byNode.values()) assert.deepEqual(gpus.sort(), [0, 1, 2, 3, 4, 5, 6, 7], 'each GPU once');
    await until('the whole-node job explained', async () => (await call<{ job: Job }>('GET', `/v1/jobs/${whole}`)).body.job.reason_code === 'Resources');
    const w = (await call<{ job: Job }>('GET', `/v1/jobs/${whole}`)).body.job;
    assert.match(w.reason!, /^Resources: needs 1 node\(s\) x 8 GPU\(s\)/);
    const listed = (await call<{ jobs: Job[] }>('GET', '/v1/jobs?state=queued')).body.jobs;
    assert.equal(listed.find((j) => j.id === whole)?.reason_code, 'Resources');
    const nodes = (await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes')).body.nodes;
    assert.deepEqual(nodes.map((n) => [n.name, n.state, n.gpus, n.gpusInUse]), [['gpu-0', 'up', 8, 8], ['gpu-1', 'up', 8, 8]]);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live: drain keeps running work and takes no new; down stops it (requeued, no restart counted); states persist; bad input names the fix', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-nodes-'));
  let cp = await plane(dir);
  try {
    await cp.store.addToken(hashToken('adm'), { tenant: 'ops', admin: true }, 0);
    await cp.store.addToken(hashToken('usr'), { tenant: 'team', admin: false }, 0);
    const call = caller(cp, 'adm');
    const a = (await call<{ job: Job }>('POST', '/v1/jobs', { name: 'a', command: ['x'], gpus_per_node: 8 })).body.job.id;
    await until('a running', async () => (await cp.store.getJob(a))?.state === 'running');
    const aNode = `gpu-${(await cp.store.getJob(a))!.nodeIndices[0]}`;
    const other = aNode === 'gpu-0' ? 'gpu-1' : 'gpu-0';
    // Drain a's node: a keeps running; the node is "draining".
    assert.equal((await call('POST', `/v1/nodes/${aNode}/state`, { state: 'drain', reason: 'bad DIMM' })).status, 200);
    assert.equal((await call('POST', `/v1/nodes/${other}/state`, { state: 'drain' })).status, 200);
    const b = (await call<{ job: Job }>('POST', '/v1/jobs', { name: 'b', command: ['x'], gpus_per_node: 8 })).body.job.id;
    await until('b explained', async () => (await call<{ job: Job }>('GET', `/v1/jobs/${b}`)).body.job.reason_code === 'NodeDown');
    assert.equal((await cp.store.getJob(a))?.state, 'running', 'running work finishes on a drained node');
    let nodes = (await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes')).body.nodes;
    assert.deepEqual(nodes.map((n) => [n.name, n.state, n.reason]).sort(), [[aNode, 'draining', 'bad DIMM'], [other, 'drained', 'drain by ops']].sort());
    // Down: a is stopped and requeued without counting a restart.
    assert.equal((await call('POST', `/v1/nodes/${aNode}/state`, { state: 'down', reason: 'PSU' })).status, 200);
    await until('a requeued', async () => (await cp.store.getJob(a))?.state === 'queued');
    assert.equal((await cp.store.getJob(a))!.restarts, 0);
    // Resume the other: one of the two queued jobs starts there.
    assert.equal((await call('POST', `/v1/nodes/${other}/state`, { state: 'resume' })).status, 200);
    await until('a job on the resumed node', async () => (await cp.store.listJobs({ states: ['running'] })).length === 1);
    // Bad input: 4xx naming the field and what is accepted; a tenant may not change nodes.
    const bad = await call<{ error: { message: string } }>('POST', `/v1/nodes/${other}/state`, { state: 'offline' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /drain, resume, down/);
    const unknown = await call<{ error: { message: string } }>('POST', '/v1/nodes/gpu-9/state', { state: 'drain' });
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(unknown.body), /gpu-0, gpu-1/);
    assert.equal((await caller(cp, 'usr')('POST', `/v1/nodes/${other}/state`, { state: 'drain' })).status, 403);
    assert.equal((await call('GET', '/v1/nodes?state=sideways')).status, 400);
    // States persist across a restart of the plane.
    await cp.close();
    cp = await plane(dir);
    nodes = (await caller(cp, 'adm')<{ nodes: NodeJson[] }>('GET', '/v1/nodes?state=down')).body.nodes;
    assert.deepEqual(nodes.map((n) => [n.name, n.reason]), [[aNode, 'PSU']]);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live (sim executor): a failed node in repair is listed as repair, with when it is back; ?state=repair finds it; an operator down wins', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-nodes-'));
  // Seed 1 at 100x: the first drawn repair lasts about 13 minutes of wall time.
  const cluster = new SimCluster({ nodes: ['gpu-0', 'gpu-1'], speed: 100, failuresPer1000NodeDays: 0, seed: 1 });
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 50, executor: new SimExecutor(cluster), topology: { nodes: [0, 1].map(gpuNode), leafCount: 1, spineCount: 1 } });
  try {
    await cp.store.addToken(hashToken('adm'), { tenant: 'ops', admin: true }, 0);
    const call = caller(cp, 'adm');
    cluster.failNode('gpu-1', 'gpu');
    const repair = (await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes?state=repair')).body.nodes;
    assert.deepEqual(repair.map((n) => [n.name, n.state]), [['gpu-1', 'repair']]);
    assert.match(repair[0]!.reason!, /^in repair, back by about 20\d\d-\d\d-\d\dT/);
    assert.deepEqual((await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes?state=down')).body.nodes, []);
    assert.deepEqual((await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes?state=up')).body.nodes.map((n) => n.name), ['gpu-0']);
    assert.equal((await call('POST', '/v1/nodes/gpu-1/state', { state: 'down', reason: 'RMA' })).status, 200);
    assert.deepEqual((await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes?state=down')).body.nodes.map((n) => [n.name, n.reason]), [['gpu-1', 'RMA']]);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local executor: each rank sees only the GPUs the scheduler assigned its node (CUDA_VISIBLE_DEVICES)', { timeout: 30_000 }, async () => {
  const { LocalExecutor } = await import('../local/executor.ts');
  const { existsSync, readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'gf-cuda-'));
  const ex = new LocalExecutor({ gpuCount: 8, pollMs: 50 });
  try {
    await ex.launch({ jobId: `job-cuda${process.pid}`, attempt: 1, name: 'c', command: ['/bin/sh', '-c', `echo "$CUDA_VISIBLE_DEVICES" > ${dir}/cuda.$NODE_RANK`], workdir: dir, env: {},
      nodes: 2, ranksPerNode: 1, gpusPerNode: 2, checkpointDir: join(dir, 'ck'), nodeNames: ['a', 'b'], logDir: join(dir, 'logs'), gpuIndices: [[3, 5], [0, 1]] });
    await until('both ranks wrote', async () => existsSync(join(dir, 'cuda.0')) && existsSync(join(dir, 'cuda.1')) && readFileSync(join(dir, 'cuda.1'), 'utf8').length > 0);
    assert.equal(readFileSync(join(dir, 'cuda.0'), 'utf8').trim(), '3,5');
    assert.equal(readFileSync(join(dir, 'cuda.1'), 'utf8').trim(), '0,1');
  } finally {
    await ex.stop(`job-cuda${process.pid}`, 1, 'cleanup');
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live: GET /v1/nodes marks the hot spares (up --spares N), so an operator sees which nodes are kept free', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-nodes-'));
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 50, executor: new FakeExecutor(60_000), spares: 1, topology: { nodes: [0, 1, 2].map(gpuNode), leafCount: 1, spineCount: 1 } });
  try {
    await cp.store.addToken(hashToken('adm'), { tenant: 'ops', admin: true }, 0);
    const call = caller(cp, 'adm');
    const spares = async () => (await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes')).body.nodes.map((n) => [n.name, n.state, n.spare]);
    await until('the spare kept', async () => (await spares()).some(([, , s]) => s === true));
    assert.deepEqual(await spares(), [['gpu-0', 'up', false], ['gpu-1', 'up', false], ['gpu-2', 'up', true]], 'the highest-numbered free node is the spare');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
