// The control plane end to end on this machine: real processes, real SQLite, real HTTP on
// 127.0.0.1. Every wait is bounded; every server and temp dir is cleaned up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImpossibleError } from '../lib/errors.ts';
import { startControlPlane, type ControlPlane } from './server.ts';
import { waitFor } from '../../test/helpers/wait-for.ts';



interface JobJson { id: string; state: string; attempt: number; restarts: number; reason: string | null }

function client(cp: ControlPlane, token: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  const job = async (id: string) => (await call('GET', `/v1/jobs/${id}`)).body as { job: JobJson; attempts: { outcome: string | null; reason: string | null; lost_seconds: number | null }[] };
  const submit = async (spec: Record<string, unknown>) => {
    const r = await call('POST', '/v1/jobs', spec);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return (r.body.job as JobJson).id;
  };
  const until = (id: string, states: string[]) => waitFor(`${id} in ${states.join('|')}`, async () => { const j = await job(id); return states.includes(j.job.state) ? j : undefined; });
  return { call, job, submit, until };
}

async function withPlane(fn: (cp: ControlPlane, c: ReturnType<typeof client>, dir: string, scratch: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gf-cp-'));
  // Scratch files the jobs write: ranks run as an unprivileged user (gf-admin) where tests run as root.
  const scratch = mkdtempSync(join(tmpdir(), 'gf-cp-scratch-'));
  chmodSync(scratch, 0o777);
  const cp = await startControlPlane({ dataDir: dir, port: 0, localNodes: 2, tickMs: 100 });
  try {
    await fn(cp, client(cp, cp.newAdminToken!), dir, scratch);
  } finally {
    for (const j of await cp.store.listJobs({ states: ['running'] })) await cp.store.requestCancel(j.id, Date.now() / 1000);
    cp.reconciler.kick();
    await waitFor('cleanup cancels', async () => ((await cp.store.listJobs({ states: ['running'] })).length === 0 ? true : undefined), 10_000).catch(() => undefined);
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

test('control plane: first start creates an admin token file (0600) and server.json', async () => {
  await withPlane(async (cp, _c, dir) => {
    assert.equal(readFileSync(join(dir, 'admin-token'), 'utf8').trim(), cp.newAdminToken);
    assert.equal(statSync(join(dir, 'admin-token')).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')).url, cp.url);
  });
});

test('control plane: a rank failure stops the gang and the job restarts to success; attempts record why', async () => {
  await withPlane(async (cp, c) => {
    const id = await c.submit({ name: 'flaky', nodes: 2, ranks_per_node: 1, max_restarts: 2,
      command: ['/bin/sh', '-c', 'if [ "$GF_ATTEMPT" = 1 ] && [ "$RANK" = 1 ]; then exit 7; fi; sleep 0.2; echo "ok $RANK"'] });
    const done = await c.until(id, ['succeeded', 'failed']);
    assert.equal(done.job.state, 'succeeded');
    assert.equal(done.job.attempt, 2);
    assert.deepEqual(done.attempts.map((a) => a.outcome), ['failed', 'succeeded']);
    assert.match(done.attempts[0]?.reason ?? '', /rank 1 exited with code 7/);
    assert.ok((done.attempts[0]?.lost_seconds ?? -1) >= 0);
    const logs = (await c.call('GET', `/v1/jobs/${id}/logs?rank=1`)).body as { text: string };
    assert.match(logs.text, /ok 1/);
    const metrics = await (await fetch(`${cp.url}/metrics`, { headers: { authorization: `Bearer ${cp.newAdminToken!}` } })).text();
    assert.match(metrics, /gigafactory_attempts_ended_total\{outcome="failed"\} 1/);
    assert.match(metrics, /gigafactory_attempts_ended_total\{outcome="succeeded"\} 1/);
    assert.match(metrics, /gigafactory_jobs_submitted_total 1/);
    assert.match(metrics, /gigafactory_jobs\{state="queued",tenant="admin"\} 0/);
    assert.match(metrics, /gigafactory_scheduling_cycle_seconds_count [1-9]/);
  });
});

test('control plane: restarts stop at max_restarts and the job fails', async () => {
  await withPlane(async (_cp, c) => {
    const id = await c.submit({ name: 'broken', max_restarts: 1, command: ['/bin/sh', '-c', 'exit 3'] });
    const done = await c.until(id, ['succeeded', 'failed']);
    assert.equal(done.job.state, 'failed');
    assert.equal(done.attempts.length, 2);
  });
});

test('control plane: cancel ends every process of a running job', async () => {
  await withPlane(async (_cp, c, _data, dir) => {
    const id = await c.submit({ name: 'sleeper', ranks_per_node: 2, command: ['/bin/sh', '-c', `sleep 300 & echo $! > ${dir}/child.$RANK; wait`] });
    await c.until(id, ['running']);
    await waitFor('children', async () => (existsSync(join(dir, 'child.0')) && existsSync(join(dir, 'child.1')) ? true : undefined));
    const pids = [0, 1].map((r) => Number(readFileSync(join(dir, `child.${r}`), 'utf8')));
    assert.equal((await c.call('POST', `/v1/jobs/${id}/cancel`)).status, 200);
    const done = await c.until(id, ['cancelled']);
    assert.equal(done.job.state, 'cancelled');
    for (const pid of pids) {
      const alive = (() => { try { process.kill(pid, 0); const st = readFileSync(`/proc/${pid}/stat`, 'latin1'); return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z'; } catch { return false; } })();
      assert.equal(alive, false, `pid ${pid} survived cancel`);
    }
  });
});

test('control plane: a higher-priority job preempts a lower one, which is requeued and runs again', async () => {
  await withPlane(async (_cp, c) => {
    const low = await c.submit({ name: 'low', nodes: 2, priority: 10, command: ['/bin/sh', '-c', 'if [ "$GF_ATTEMPT" = 1 ]; then exec sleep 300; fi; echo second'] });
    await c.until(low, ['running']);
    const high = await c.submit({ name: 'high', nodes: 1, priority: 900, command: ['/bin/sh', '-c', 'echo urgent'] });
    const h = await c.until(high, ['succeeded', 'failed']);
    assert.equal(h.job.state, 'succeeded');
    const l = await c.until(low, ['succeeded', 'failed']);
    assert.equal(l.job.state, 'succeeded');
    assert.equal(l.attempts[0]?.outcome, 'preempted');
    assert.equal(l.job.restarts, 0, 'a preemption is not counted as a restart');
  });
});

test('control plane: a restarted control plane re-adopts a live job and sees it finish', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-adopt-'));
  let cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100 });
  const token = cp.newAdminToken!;
  try {
    const go = join(dir, 'go');
    const id = await client(cp, token).submit({ name: 'survivor', command: ['/bin/sh', '-c', `while [ ! -f ${go} ]; do sleep 0.05; done; echo finished`] });
    await client(cp, token).until(id, ['running']);
    await cp.close();
    cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100 });
    assert.equal(cp.newAdminToken, undefined, 'the admin token is created once');
    const c = client(cp, token);
    assert.equal((await c.job(id)).job.state, 'running');
    writeFileSync(go, '');
    const done = await c.until(id, ['succeeded', 'failed', 'queued']);
    assert.equal(done.job.state, 'succeeded');
    assert.equal(done.job.attempt, 1, 'finished in its first attempt: adopted, not restarted');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('control plane: one per data dir; a busy port is a clear error that leaves the data dir usable', async () => {
  await withPlane(async (cp, _c, dir) => {
    await assert.rejects(startControlPlane({ dataDir: dir, port: 0 }), (e: Error) => e instanceof ImpossibleError && /in use by another control plane/.test(e.message));
    const other = mkdtempSync(join(tmpdir(), 'gf-port-'));
    try {
      const port = Number(new URL(cp.url).port);
      await assert.rejects(startControlPlane({ dataDir: other, port }), (e: Error) => e instanceof ImpossibleError && /port \d+ on 127.0.0.1 is in use/.test(e.message));
      const ok = await startControlPlane({ dataDir: other, port: 0 });
      await ok.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
