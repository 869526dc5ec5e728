import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLifecycleContract, type ContractPrograms } from '../executor-contract.ts';
import type { ExecutorEvent, LaunchSpec } from '../executor.ts';
import { SimCluster, SimExecutor, simProgram } from './executor.ts';

// Simulated seconds, at 10x: the contract's waits stay short. Failures off: the contract fails nodes itself.
const SIM_PROGRAMS: ContractPrograms = {
  succeed: (seconds) => ({ env: { GF_SIM_SECONDS: String(seconds * 10) } }),
  rankExits: (rank, code, seconds) => ({ env: { GF_SIM_SECONDS: String(seconds * 10), GF_SIM_EXIT: `${rank}:${code}` } }),
  runForever: () => ({ env: { GF_SIM_SECONDS: 'inf' } }),
};
const cluster = new SimCluster({ speed: 10, failuresPer1000NodeDays: 0 });
runLifecycleContract({ name: 'sim', newExecutor: () => new SimExecutor(cluster), programs: SIM_PROGRAMS, failNode: (name) => cluster.failNode(name, 'gpu') });

const launchSpec = (dir: string, over: Partial<LaunchSpec>): LaunchSpec => ({
  jobId: 'job-1', attempt: 1, name: 'x', command: ['train'], workdir: dir, env: {}, nodes: 2, ranksPerNode: 1, gpusPerNode: 8,
  checkpointDir: join(dir, 'ck'), nodeNames: ['n0', 'n1'], logDir: join(dir, 'logs'), ...over,
});

test('sim executor: failures arrive at the catalog rate; a hardware failure keeps the node down for its repair', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-simx-'));
  // 1e6 failures per 1,000 node-days on 2 nodes: a mean of 43 simulated seconds to the first one, at 1,000x.
  const c = new SimCluster({ speed: 1000, failuresPer1000NodeDays: 1e6, seed: 3 });
  const ex = new SimExecutor(c);
  try {
    const end = new Promise<ExecutorEvent>((res) => ex.onEvent((e) => { if (e.type === 'failed' || e.type === 'exited') res(e); }));
    await ex.launch(launchSpec(dir, { env: { GF_SIM_SECONDS: '864000' } }));
    const e = await end;
    assert.equal(e.type, 'failed', JSON.stringify(e));
    const lost = e.type === 'failed' ? e.nodeLost : undefined;
    if (lost !== undefined) {
      assert.ok(['n0', 'n1'].includes(lost));
      assert.equal(ex.nodeUp(lost), false, 'in repair');
      await assert.rejects(ex.launch(launchSpec(dir, { jobId: 'job-2' })), /node .* is down/);
    } else {
      assert.match(e.type === 'failed' ? e.reason : '', /Software|NCCL/, 'a failure without a lost node is a software one');
    }
    assert.match(readFileSync(join(dir, 'logs', 'rank-1.log'), 'utf8'), /simulated on n1[\s\S]*simulated/);
  } finally {
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sim executor: a software failure kills the gang but leaves the node up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-simx-'));
  const c = new SimCluster({ failuresPer1000NodeDays: 0 });
  const ex = new SimExecutor(c);
  try {
    const end = new Promise<ExecutorEvent>((res) => ex.onEvent((e) => { if (e.type === 'failed') res(e); }));
    await ex.launch(launchSpec(dir, { env: { GF_SIM_SECONDS: 'inf' } }));
    c.failNode('n0', 'nccl-timeout');
    const e = await end;
    assert.equal(e.type === 'failed' && e.nodeLost, undefined);
    assert.equal(ex.nodeUp('n0'), true);
    assert.throws(() => c.failNode('n0', 'meteor' as never), /unknown failure category "meteor"; known: gpu/);
  } finally {
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sim executor: GF_SIM_SECONDS and GF_SIM_EXIT are read, and bad values are refused naming the variable', () => {
  assert.deepEqual(simProgram({}, 60), { seconds: 60, exitCode: 0 });
  assert.deepEqual(simProgram({ GF_SIM_SECONDS: 'inf', GF_SIM_EXIT: '3:7' }, 60), { seconds: Infinity, exitCode: 7, rank: 3 });
  assert.deepEqual(simProgram({ GF_SIM_EXIT: '2' }, 60), { seconds: 60, exitCode: 2 });
  assert.throws(() => simProgram({ GF_SIM_SECONDS: 'soon' }, 60), /GF_SIM_SECONDS: "soon"/);
  assert.throws(() => simProgram({ GF_SIM_EXIT: 'x:1' }, 60), /GF_SIM_EXIT: "x:1" is not CODE or RANK:CODE/);
});

test('sim executor: a node in repair says when it comes back; a software failure or a repaired node says nothing', async () => {
  // Seed 1 at a million times speed: the drawn repair (0.9 simulated days) ends 80 ms later.
  const c = new SimCluster({ speed: 1e6, failuresPer1000NodeDays: 0, seed: 1 });
  const ex = new SimExecutor(c);
  try {
    c.failNode('n1', 'nccl-timeout');
    assert.equal(ex.nodeRepairUntil('n1'), undefined, 'a software failure leaves the node up');
    const t0 = Date.now() / 1000;
    c.failNode('n0', 'hbm');
    const until = ex.nodeRepairUntil('n0');
    assert.equal(ex.nodeUp('n0'), false);
    assert.ok(until !== undefined && until > t0 && until < t0 + 5, `repair until ${until}, failed at ${t0}`);
    const deadline = Date.now() + 10_000;
    while (!ex.nodeUp('n0') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(Date.now() / 1000 >= until - 0.002, 'up again once the repair is over, not before');
    assert.equal(ex.nodeRepairUntil('n0'), undefined);
  } finally {
    await ex.close();
  }
});
