// Two control planes on one machine (two data dirs, both numbering jobs from job-1): restarting
// one, which requeues its own lost job-1, never touches the other's job-1. Each plane finds and
// signals only processes carrying its own GF_PLANE_ID. Bounded: every wait ends within 20 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../server.ts';
import { isAlive, isGroupAlive } from './proc.ts';
import { waitFor } from '../../../test/helpers/wait-for.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function submit(cp: ControlPlane, token: string, body: unknown): Promise<string> {
  const res = await fetch(`${cp.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { job: { id: string } }).job.id;
}

const pidsOf = (handle: string | undefined): number[] => (JSON.parse(handle ?? '{"pids":[]}') as { pids: number[] }).pids;

test('two planes on one machine: restarting one (its job-1 lost, requeued) leaves the other\'s job-1 running', { timeout: 60_000 }, async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'gf-plane-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'gf-plane-b-'));
  const scratch = mkdtempSync(join(tmpdir(), 'gf-planes-'));
  chmodSync(scratch, 0o777); // ranks run as an unprivileged user where the test runs as root
  let a = await startControlPlane({ dataDir: dirA, port: 0, tickMs: 100 });
  const b = await startControlPlane({ dataDir: dirB, port: 0, tickMs: 100 });
  const tokenA = a.newAdminToken!;
  try {
    const forever = (tag: string) => ({ name: `forever-${tag}`, max_restarts: 0, command: ['/bin/sh', '-c', `echo "$GF_ATTEMPT" >> ${scratch}/${tag}.attempts; exec sleep 300`] });
    const idA = await submit(a, tokenA, forever('a'));
    const idB = await submit(b, b.newAdminToken!, forever('b'));
    assert.equal(idA, idB, 'both planes number their jobs alike (the case that used to collide)');
    const runA = await waitFor('A\'s job running', async () => { const j = await a.store.getJob(idA); return j?.handle && existsSync(join(scratch, 'a.attempts')) ? j : undefined; });
    const runB = await waitFor('B\'s job running', async () => { const j = await b.store.getJob(idB); return j?.handle && existsSync(join(scratch, 'b.attempts')) ? j : undefined; });
    assert.notEqual(readFileSync(join(dirA, 'plane-id'), 'utf8'), readFileSync(join(dirB, 'plane-id'), 'utf8'), 'each data dir has its own plane id');

    // A goes down; meanwhile its job's rank dies with no exit record (as if killed with the host).
    await a.close();
    for (const pid of pidsOf(runA.handle)) process.kill(-pid, 'SIGKILL');
    await waitFor('A\'s rank gone', async () => (pidsOf(runA.handle).every((p) => !isGroupAlive(p)) ? true : undefined));
    a = await startControlPlane({ dataDir: dirA, port: 0, tickMs: 100 });

    // A requeues its own job-1 without counting a restart (max_restarts 0: counting would fail it) ...
    const again = await waitFor('A\'s job-1 running again as attempt 2', async () => { const j = await a.store.getJob(idA); return j?.state === 'running' && j.attempt === 2 && j.handle ? j : undefined; });
    assert.equal(again.restarts, 0, 'a loss at a control-plane restart is not the job\'s failure');
    const first = (await a.store.listAttempts(idA))[0]!;
    assert.equal(first.outcome, 'lost');
    // ... and B's job-1 is untouched: same attempt, same processes, alive.
    await sleep(500);
    const stillB = (await b.store.getJob(idB))!;
    assert.equal(stillB.state, 'running');
    assert.equal(stillB.attempt, 1);
    for (const pid of pidsOf(runB.handle)) assert.ok(isAlive(pid), `B's rank ${pid} was killed by A's restart`);
    assert.equal(readFileSync(join(scratch, 'b.attempts'), 'utf8'), '1\n', 'B\'s job ran once');
  } finally {
    for (const cp of [a, b]) {
      for (const j of await cp.store.listJobs({ states: ['running'] })) await cp.store.requestCancel(j.id, Date.now() / 1000);
      cp.reconciler.kick();
      await waitFor('cancels', async () => ((await cp.store.listJobs({ states: ['running'] })).length === 0 ? true : undefined), 10_000).catch(() => undefined);
      await cp.close();
    }
    for (const d of [dirA, dirB, scratch]) rmSync(d, { recursive: true, force: true });
  }
});
