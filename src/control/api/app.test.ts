// The API in-process (app.request, no port): auth, tenants, validation, job routes, OpenAPI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTopology } from '../cluster.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { createApp } from './app.ts';
import { hashToken } from './auth.ts';

async function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'gf-api-'));
  const store = new SqliteStore(join(dir, 'db'));
  await store.addToken(hashToken('admin-tok'), { tenant: 'admin', admin: true }, 0);
  await store.addToken(hashToken('a-tok'), { tenant: 'alpha', admin: false }, 0);
  await store.addToken(hashToken('b-tok'), { tenant: 'beta', admin: false }, 0);
  const topology = localTopology({ hostname: 'h', cpuCores: 2, memoryBytes: 1, gpus: [] }, 2);
  const app = createApp({ store, topology, dataDir: dir });
  const call = (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  return { app, store, call, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const spec = { name: 'hello', command: ['echo', 'hi'] };

test('api: tokens are required and must be known', async () => {
  const f = await fixture();
  try {
    assert.equal((await f.call('GET', '/v1/jobs')).status, 401);
    assert.equal((await f.call('GET', '/v1/jobs', 'wrong')).status, 401);
    assert.equal((await f.call('GET', '/v1/jobs', undefined, undefined, { authorization: 'Basic abc' })).status, 401);
    assert.equal((await f.call('GET', '/v1/jobs', 'a-tok')).status, 200);
    assert.equal((await f.call('GET', '/healthz')).status, 200);
  } finally { await f.cleanup(); }
});

test('api: a tenant sees and changes only its own jobs; admin sees all', async () => {
  const f = await fixture();
  try {
    const res = await f.call('POST', '/v1/jobs', 'a-tok', spec);
    assert.equal(res.status, 201);
    const { job } = await res.json() as { job: { id: string; tenant: string; state: string } };
    assert.equal(job.tenant, 'alpha');
    assert.equal(job.state, 'queued');
    await f.call('POST', '/v1/jobs', 'b-tok', { ...spec, name: 'b-job' });
    const listA = await (await f.call('GET', '/v1/jobs', 'a-tok')).json() as { jobs: { id: string }[] };
    assert.deepEqual(listA.jobs.map((j) => j.id), [job.id]);
    const all = await (await f.call('GET', '/v1/jobs', 'admin-tok')).json() as { jobs: unknown[] };
    assert.equal(all.jobs.length, 2);
    assert.equal((await f.call('GET', `/v1/jobs/${job.id}`, 'b-tok')).status, 404);
    assert.equal((await f.call('POST', `/v1/jobs/${job.id}/cancel`, 'b-tok')).status, 404);
    assert.equal((await f.store.getJob(job.id))?.state, 'queued', 'another tenant cannot cancel it');
    const detail = await (await f.call('GET', `/v1/jobs/${job.id}`, 'admin-tok')).json() as { events: { type: string }[] };
    assert.equal(detail.events[0]?.type, 'submitted');
    const c = await (await f.call('POST', `/v1/jobs/${job.id}/cancel`, 'a-tok')).json() as { job: { state: string } };
    assert.equal(c.job.state, 'cancelled');
  } finally { await f.cleanup(); }
});

test('api: bad specs get 400 naming the field; impossible ones 422; nothing stored', async () => {
  const f = await fixture();
  try {
    const cases: { name: string; body: unknown; status: number; field?: string }[] = [
      { name: 'unknown field', body: { ...spec, gpus: 8 }, status: 400, field: 'gpus' },
      { name: 'negative nodes', body: { ...spec, nodes: -1 }, status: 400, field: 'nodes' },
      { name: 'oversized nodes', body: { ...spec, nodes: 1e9 }, status: 400, field: 'nodes' },
      { name: 'command not a list', body: { ...spec, command: 'echo hi' }, status: 400, field: 'command' },
      { name: 'env value not a string', body: { ...spec, env: { A: 1 } }, status: 400, field: 'env.A' },
      { name: 'missing name', body: { command: ['x'] }, status: 400, field: 'name' },
      { name: 'array body', body: [1, 2], status: 400, field: '(job spec)' },
      { name: 'malformed JSON', body: '{"name":', status: 400, field: '(body)' },
      { name: 'workdir that does not exist', body: { ...spec, workdir: '/nonexistent/gf-dir' }, status: 400, field: 'workdir' },
      { name: 'relative workdir', body: { ...spec, workdir: 'examples' }, status: 400, field: 'workdir' },
      { name: 'more nodes than the cluster', body: { ...spec, nodes: 3 }, status: 422 },
      { name: 'GPUs on a CPU machine', body: { ...spec, gpus_per_node: 8 }, status: 422 },
    ];
    for (const c of cases) {
      const res = await f.call('POST', '/v1/jobs', 'a-tok', c.body);
      assert.equal(res.status, c.status, c.name);
      const body = await res.json() as { error: { message: string; issues?: { field: string }[] } };
      if (c.field) assert.ok(body.error.issues?.some((i) => i.field === c.field), `${c.name}: ${JSON.stringify(body)}`);
    }
    assert.equal((await f.call('POST', '/v1/jobs', 'a-tok', undefined, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await f.call('POST', '/v1/jobs', 'a-tok', JSON.stringify({ ...spec, env: { A: 'x'.repeat(300_000) } }))).status, 413);
    assert.equal((await f.store.listJobs({})).length, 0);
  } finally { await f.cleanup(); }
});

test('api: idempotency key makes a retried submit return the same job', async () => {
  const f = await fixture();
  try {
    const a = await f.call('POST', '/v1/jobs', 'a-tok', spec, { 'idempotency-key': 'req-1' });
    const b = await f.call('POST', '/v1/jobs', 'a-tok', spec, { 'idempotency-key': 'req-1' });
    assert.equal(a.status, 201);
    assert.equal(b.status, 200);
    assert.equal(((await a.json()) as { job: { id: string } }).job.id, ((await b.json()) as { job: { id: string } }).job.id);
    assert.equal((await f.store.listJobs({})).length, 1);
  } finally { await f.cleanup(); }
});

test('api: only admins create tokens, and a new token works for its tenant', async () => {
  const f = await fixture();
  try {
    assert.equal((await f.call('POST', '/v1/tokens', 'a-tok', { tenant: 'x' })).status, 403);
    assert.equal((await f.call('POST', '/v1/tokens', 'admin-tok', { tenant: 'Bad Name' })).status, 400);
    assert.equal((await f.call('POST', '/v1/tokens', 'admin-tok', { tenant: 'ok', extra: 1 })).status, 400);
    const res = await f.call('POST', '/v1/tokens', 'admin-tok', { tenant: 'gamma' });
    assert.equal(res.status, 201);
    const { token } = await res.json() as { token: string };
    const sub = await f.call('POST', '/v1/jobs', token, spec);
    assert.equal(((await sub.json()) as { job: { tenant: string } }).job.tenant, 'gamma');
    assert.equal(await f.store.findToken(token), undefined, 'the store keeps only the hash');
  } finally { await f.cleanup(); }
});

test('api: logs of a job without output are empty; bad rank is a 400; openapi lists the routes', async () => {
  const f = await fixture();
  try {
    const { job } = await (await f.call('POST', '/v1/jobs', 'a-tok', spec)).json() as { job: { id: string } };
    const logs = await (await f.call('GET', `/v1/jobs/${job.id}/logs`, 'a-tok')).json() as { text: string; next_offset: number };
    assert.equal(logs.text, '');
    assert.equal((await f.call('GET', `/v1/jobs/${job.id}/logs?rank=5`, 'a-tok')).status, 400);
    assert.equal((await f.call('GET', '/v1/jobs/job-77777', 'a-tok')).status, 404);
    assert.equal((await f.call('GET', '/v1/jobs?state=bogus', 'a-tok')).status, 400);
    const doc = await (await f.call('GET', '/openapi.json')).json() as { paths: Record<string, unknown> };
    for (const p of ['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel', '/v1/jobs/{id}/logs', '/v1/tokens']) assert.ok(p in doc.paths, p);
  } finally { await f.cleanup(); }
});
