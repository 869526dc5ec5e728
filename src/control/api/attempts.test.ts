// What counts as a restart, end to end: a job requeued for a lost node, then a preemption, then
// its own failure, over HTTP with the fake executor and SQLite. The API says per attempt whether
// it counted against max_restarts, and `gigafactory job`'s line names the requeues not counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restartsLine } from '../../cli/commands/job-attempts.ts';
import { hashToken } from './auth.ts';
import { FakeExecutor } from '../fake-executor.ts';
import { startControlPlane } from '../server.ts';

interface Detail {
  job: { id: string; state: string; attempt: number; restarts: number; max_restarts: number };
  attempts: { attempt: number; outcome: string | null; counts_as_restart: boolean | null }[];
}

test('api: attempts say whether they counted: lost node and preemption requeue without counting, the job\'s own failure counts', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-attempts-'));
  const executor = new FakeExecutor(Infinity);
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 30, executor, topology: { nodes: [{ index: 0, name: 'gpu-0', gpuType: 'h100', gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false }], leafCount: 1, spineCount: 1 } });
  try {
    await cp.store.addToken(hashToken('adm'), { tenant: 'ops', admin: true }, 0);
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(cp.url + path, { method, headers: { authorization: 'Bearer adm', 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return (await res.json()) as T;
    };
    const detail = (id: string) => call<Detail>('GET', `/v1/jobs/${id}`);
    const until = async (what: string, id: string, ok: (d: Detail) => boolean): Promise<Detail> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const d = await detail(id);
        if (ok(d)) return d;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(d)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const running = (attempt: number) => (d: Detail) => d.job.state === 'running' && d.job.attempt === attempt;
    const low = (await call<{ job: { id: string } }>('POST', '/v1/jobs', { name: 'low', command: ['x'], priority: 1, max_restarts: 3 })).job.id;
    await until('attempt 1', low, running(1));
    executor.fail(low, 1, 'node gpu-0 lost (hbm)', 'gpu-0');
    await until('attempt 2 after the lost node', low, running(2));
    const high = (await call<{ job: { id: string } }>('POST', '/v1/jobs', { name: 'high', command: ['x'], priority: 100, preemptible: false })).job.id;
    await until('high running', high, running(1));
    executor.exit(high, 1, 0);
    await until('attempt 3 after the preemption', low, running(3));
    executor.exit(low, 3, 1);
    const d = await until('attempt 4 after its own failure', low, running(4));
    assert.deepEqual(d.attempts.map((a) => [a.outcome, a.counts_as_restart]), [['node-lost', false], ['preempted', false], ['failed', true], [null, null]]);
    assert.deepEqual([d.job.attempt, d.job.restarts, d.job.max_restarts], [4, 1, 3], 'only the job\'s own failure counts');
    assert.equal(restartsLine(d.job, d.attempts), 'attempt 4, restarts 1/3 (only the job\'s own failures count; requeued without counting: 1 node-lost, 1 preempted)');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
