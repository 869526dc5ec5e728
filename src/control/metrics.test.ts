// The control plane's /metrics: the families an operator graphs, fed by a real control plane
// (HTTP, SQLite, reconciler) over simulated rented nodes, and valid for `promtool check metrics`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import { hasPromtool, PROMTOOL_MISSING, promtoolCheck, sample } from './prom-check.ts';
import { jobEttr } from './ettr.ts';
import { attemptCause } from './metrics.ts';
import { startControlPlane } from './server.ts';
import { SimCluster, SimExecutor } from './sim/executor.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
test('attempt causes are a small fixed set read from the outcome and the reason', () => {
  assert.equal(attemptCause('failed', 'node oci-h100-00003 lost: GPU HBM3 (simulated)'), 'node_lost');
  assert.equal(attemptCause('failed', 'rank 1 exited with code 7'), 'exit_code');
  assert.equal(attemptCause('failed', 'rank 0 heartbeat timeout (30s without a touch of $GF_HEARTBEAT_FILE)'), 'hang');
  assert.equal(attemptCause('failed', 'launch failed: ENOENT'), 'launch');
  assert.equal(attemptCause('failed', 'NCCL watchdog on node n1 (simulated)'), 'infrastructure');
  assert.equal(attemptCause('preempted', 'preempted (priority) for job-9'), 'preemption');
  assert.equal(attemptCause('lost', 'processes gone after a control-plane restart'), 'control_plane_restart');
  assert.equal(attemptCause('failed', 'something new'), 'other');
});

test('ETTR: gaps between attempts and lost work count against the job; one clean attempt is 1', () => {
  assert.equal(jobEttr([{ startSeconds: 100 }], 200).ettr, 1);
  // ran 100..200 (lost 20 since the last checkpoint), requeued 200..250, running 250..300: kept 130 of 200.
  const e = jobEttr([{ startSeconds: 100, endSeconds: 200, lostSeconds: 20 }, { startSeconds: 250 }], 300);
  assert.equal(e.ettr, 130 / 200);
  assert.equal(e.lostWorkSeconds, 20);
  assert.equal(jobEttr([], 10).ettr, undefined);
});

test('ETTR in a simulated cluster (speed 60): wall spans become cluster seconds, as the attempts\' lost work is', () => {
  // Same run as above at 60x: lost work was recorded as 20 wall s x 60 = 1,200 cluster s.
  const e = jobEttr([{ startSeconds: 100, endSeconds: 200, lostSeconds: 20 * 60 }, { startSeconds: 250 }], 300, 60);
  assert.equal(e.ettr, 130 / 200);
  assert.deepEqual([e.wallSeconds, e.productiveSeconds, e.lostWorkSeconds], [200 * 60, 130 * 60, 20 * 60]);
});

test('/metrics: nodes, GPUs, jobs by tenant, queue wait, attempts by cause, ETTR and rented pools, promtool-clean', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-metrics-'));
  const topology = buildTopology(FLEET_PRESETS['oci-h100']!, { includePools: true });
  const cluster = new SimCluster({ speed: 100, failuresPer1000NodeDays: 0, nodes: topology.nodes.map((n) => n.name) });
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100, executor: new SimExecutor(cluster), topology });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${cp.newAdminToken!}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return await res.json() as { job: { id: string; state: string; attempt: number } };
  };
  const until = async (what: string, cond: () => Promise<boolean>) => {
    const deadline = Date.now() + 20_000;
    while (!(await cond())) { if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`); await sleep(50); }
  };
  try {
    const { job } = await call('POST', '/v1/jobs', { name: 'pretrain', nodes: 4, ranks_per_node: 8, gpus_per_node: 8, command: ['python3', 'train.py'], max_restarts: 3, env: { GF_SIM_SECONDS: '1000000' } });
    await until('attempt 1 running', async () => (await call('GET', `/v1/jobs/${job.id}`)).job.state === 'running');
    const victim = cp.topology.nodes[(await cp.store.getJob(job.id))!.nodeIndices[0]!]!.name;
    cluster.failNode(victim, 'hbm');
    await until('attempt 2 running', async () => { const j = (await call('GET', `/v1/jobs/${job.id}`)).job; return j.state === 'running' && j.attempt === 2; });
    const res = await fetch(`${cp.url}/metrics`, { headers: { authorization: `Bearer ${cp.newAdminToken!}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    // The sim executor knows the lost node is being repaired: repair, not down.
    assert.equal(sample(text, 'gigafactory_nodes{state="repair"}'), 1);
    assert.equal(sample(text, 'gigafactory_nodes{state="down"}'), undefined);
    assert.equal(sample(text, 'gigafactory_nodes{state="rented"}'), 499);
    assert.equal(sample(text, 'gigafactory_gpus{state="in_use"}'), 32);
    assert.equal(sample(text, 'gigafactory_gpus{state="down"}'), 8);
    assert.equal(sample(text, 'gigafactory_jobs{state="running",tenant="admin"}'), 1);
    assert.equal(sample(text, 'gigafactory_attempts_total{outcome="node-lost",cause="node_lost",tenant="admin"}'), 1);
    assert.equal(sample(text, 'gigafactory_queue_wait_seconds_count{tenant="admin"}'), 2);
    const ettr = sample(text, `gigafactory_job_ettr{job="${job.id}",tenant="admin"}`);
    assert.ok(ettr !== undefined && ettr > 0 && ettr < 1, `ETTR after a lost node: ${ettr}`);
    assert.equal(sample(text, 'gigafactory_rented_nodes{pool="oci-h100"}'), 500);
    assert.equal(sample(text, 'gigafactory_rented_cost_usd_total{pool="oci-h100"}'), 0);
    assert.match(text, /gigafactory_scheduling_cycle_seconds_bucket\{le="\+Inf"\} [1-9]/);
    if (!hasPromtool()) { t.skip(PROMTOOL_MISSING); return; }
    assert.equal(promtoolCheck(text), '');
    await call('POST', `/v1/jobs/${job.id}/cancel`);
    await until('the job cancelled', async () => (await call('GET', `/v1/jobs/${job.id}`)).job.state === 'cancelled');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
