import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureProcess, type FailureTarget } from '../../sim/failure-process.ts';
import { DEFAULT_FAILURE_MODEL, drawRepairSeconds, failureRng } from '../../sim/failures.ts';
import { Kernel } from '../../sim/kernel.ts';
import { FakeWallClock } from '../../sim/realtime-kernel-fake-clock.ts';
import { runLifecycleContract, type ContractPrograms } from '../executor-contract.ts';
import type { ExecutorEvent, LaunchSpec } from '../executor.ts';
import { SimCluster, SimExecutor, simProgram } from './executor.ts';

// Simulated seconds, at 10x: the contract's waits stay short. Failures off: the contract fails nodes itself.
const SIM_PROGRAMS: ContractPrograms = {
  succeed: (seconds) => ({ env: { GF_SIM_SECONDS: String(seconds * 10) } }),
  rankExits: (rank, code, seconds) => ({ env: { GF_SIM_SECONDS: String(seconds * 10), GF_SIM_EXIT: `${rank}:${code}` } }),
  runForever: () => ({ env: { GF_SIM_SECONDS: 'inf' } }),
};
const cluster = new SimCluster({ speed: 10, failuresPer1000NodeDays: 0, nodes: ['local-0', 'local-1'] });
runLifecycleContract({ name: 'sim', newExecutor: () => new SimExecutor(cluster), programs: SIM_PROGRAMS, failNode: (name) => cluster.failNode(name, 'gpu') });

const launchSpec = (dir: string, over: Partial<LaunchSpec>): LaunchSpec => ({
  jobId: 'job-1', attempt: 1, name: 'x', command: ['train'], workdir: dir, env: {}, nodes: 2, ranksPerNode: 1, gpusPerNode: 8,
  checkpointDir: join(dir, 'ck'), nodeNames: ['n0', 'n1'], logDir: join(dir, 'logs'), ...over,
});

/** What the failure process does, in order: [simulated s, what, node index, category]. */
type Entry = readonly [number, 'down' | 'up' | 'strike', number, string?];

/** The failures the simulator's failure process schedules for a seed, on the plain (virtual-time) kernel. */
function scheduledFailures(seed: number, nodeCount: number, failuresPer1000NodeDays: number, horizonSeconds: number): Entry[] {
  const kernel = new Kernel();
  const down = new Uint8Array(nodeCount);
  const log: Entry[] = [];
  const target: FailureTarget = {
    kernel, nodeCount,
    isUp: (n) => down[n] === 0,
    takeDown: (n) => { down[n] = 1; log.push([kernel.now, 'down', n]); },
    bringUp: (n) => { down[n] = 0; log.push([kernel.now, 'up', n]); },
    interrupt: (n, c) => { log.push([kernel.now, 'strike', n, c.id]); },
  };
  new FailureProcess(target, { ...DEFAULT_FAILURE_MODEL, failuresPer1000NodeDays }, failureRng(seed)).start();
  kernel.run(horizonSeconds);
  return log;
}

/** A sim cluster that logs what its failure process does to it. */
class RecordingCluster extends SimCluster {
  readonly strikes: Entry[] = [];
  override takeDown(n: number): void { this.strikes.push([this.kernel.now, 'down', n]); super.takeDown(n); }
  override bringUp(n: number): void { this.strikes.push([this.kernel.now, 'up', n]); super.bringUp(n); }
  override interrupt(n: number, c: Parameters<SimCluster['interrupt']>[1], lost: boolean): void { this.strikes.push([this.kernel.now, 'strike', n, c.id]); super.interrupt(n, c, lost); }
}

test('sim executor: with a seed and a fake wall clock, its failures are those the failure process schedules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-simx-'));
  const [seed, rate, horizonSeconds, speed] = [7, 2e4, 30 * 86_400, 1e4];
  const nodes = Array.from({ length: 8 }, (_, i) => `n${i}`);
  const clock = new FakeWallClock();
  const c = new RecordingCluster({ speed, failuresPer1000NodeDays: rate, seed, nodes, clock });
  const ex = new SimExecutor(c);
  const failed: [number, string, string | undefined][] = [];
  ex.onEvent((e) => { if (e.type === 'failed') failed.push([c.kernel.now, e.jobId, e.nodeLost]); });
  try {
    // One gang per node, running until stopped: each node's first failure ends its gang.
    for (const [i, n] of nodes.entries()) await ex.launch(launchSpec(dir, { jobId: `job-${i}`, nodes: 1, nodeNames: [n], env: { GF_SIM_SECONDS: 'inf' } }));
    clock.advance((horizonSeconds / speed) * 1000);
    const expected = scheduledFailures(seed, nodes.length, rate, horizonSeconds);
    assert.ok(expected.filter((e) => e[1] === 'strike').length > 50 && expected.some((e) => e[1] === 'up'), 'enough failures and repairs to compare');
    assert.deepEqual(c.strikes, expected);
    const firstStrikes = nodes.map((_, i) => expected.findIndex((e) => e[1] === 'strike' && e[2] === i));
    assert.deepEqual(failed.sort((x, y) => x[0] - y[0]), firstStrikes.map((k) => {
      const [t, , n] = expected[k]!;
      const lost = expected[k - 1]?.[1] === 'down' && expected[k - 1]?.[2] === n;
      return [t, `job-${n}`, lost ? `n${n}` : undefined] as [number, string, string | undefined];
    }).sort((x, y) => x[0] - y[0]));
  } finally {
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sim executor: a hardware failure keeps the node down for the repair time the failure process draws', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-simx-'));
  const clock = new FakeWallClock();
  const c = new SimCluster({ failuresPer1000NodeDays: 0, seed: 3, nodes: ['n0', 'n1'], clock });
  const ex = new SimExecutor(c);
  try {
    const end = new Promise<ExecutorEvent>((res) => ex.onEvent((e) => { if (e.type === 'failed' || e.type === 'exited') res(e); }));
    await ex.launch(launchSpec(dir, { env: { GF_SIM_SECONDS: '864000' } }));
    clock.advance(10_000);
    c.failNode('n1', 'hbm');
    const e = await end;
    assert.deepEqual(e.type === 'failed' && [e.nodeLost, e.reason], ['n1', 'node n1 lost: GPU HBM3 memory (simulated)']);
    assert.equal(ex.nodeUp('n1'), false, 'in repair');
    await assert.rejects(ex.launch(launchSpec(dir, { jobId: 'job-2' })), /node n1 is down/);
    // With no random failures, the repair is the stream's first draw.
    const repairMs = (drawRepairSeconds(DEFAULT_FAILURE_MODEL, failureRng(3)) * 1000);
    clock.advance(Math.floor(repairMs) - 1);
    assert.equal(ex.nodeUp('n1'), false, 'still in repair');
    clock.advance(2);
    assert.equal(ex.nodeUp('n1'), true, 'back after its repair');
    // An hour on, a 60-second gang launched from outside any event runs 60 s from the wall's now.
    clock.advance(3_600_000);
    const ends: ExecutorEvent[] = [];
    ex.onEvent((x) => { if (x.type === 'exited') ends.push(x); });
    await ex.launch(launchSpec(dir, { jobId: 'job-3', env: { GF_SIM_SECONDS: '60' } }));
    clock.advance(59_999);
    assert.equal(ends.length, 0, 'not before its 60 s');
    clock.advance(1);
    assert.equal(ends[0]?.jobId, 'job-3');
    assert.equal(c.kernel.peekSeconds(), Infinity, 'the failed gang left no end event behind');
    assert.match(readFileSync(join(dir, 'logs', 'rank-1.log'), 'utf8'), /simulated on n1[\s\S]*node n1 lost/);
  } finally {
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sim executor: a software failure kills the gang but leaves the node up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-simx-'));
  const c = new SimCluster({ failuresPer1000NodeDays: 0, nodes: ['n0', 'n1'] });
  const ex = new SimExecutor(c);
  try {
    const end = new Promise<ExecutorEvent>((res) => ex.onEvent((e) => { if (e.type === 'failed') res(e); }));
    await ex.launch(launchSpec(dir, { env: { GF_SIM_SECONDS: 'inf' } }));
    c.failNode('n0', 'nccl-timeout');
    const e = await end;
    assert.equal(e.type === 'failed' && e.nodeLost, undefined);
    assert.equal(ex.nodeUp('n0'), true);
    assert.throws(() => c.failNode('n0', 'meteor' as never), /unknown failure category "meteor"; known: gpu/);
    assert.throws(() => c.failNode('n9'), /unknown node "n9": the simulated fleet has 2 nodes \(n0, n1\)/);
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
