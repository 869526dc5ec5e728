// Tokens' life cycle (expiry, list, revoke) and the audit log of admin actions, through the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTopology } from '../cluster.ts';
import { parseJobSpec } from '../job-spec.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { createApp } from './app.ts';
import { hashToken } from './auth.ts';

async function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'gf-tokens-'));
  const store = new SqliteStore(join(dir, 'db'));
  await store.addToken(hashToken('admin-tok'), { tenant: 'admin', admin: true }, 0);
  await store.addToken(hashToken('a-tok'), { tenant: 'alpha', admin: false }, 0);
  let now = 1_000_000;
  const topology = localTopology({ hostname: 'h', cpuCores: 2, memoryBytes: 1, gpus: [] }, 1);
  const app = createApp({ store, topology, dataDir: dir, nowSeconds: () => now });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: await r.json() as Record<string, unknown> & { error?: { message: string } } };
  };
  return { store, call, advance: (s: number) => { now += s; }, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('tokens: an expiring token works until its time, then 401 saying it expired', async () => {
  const f = await fixture();
  try {
    const created = await f.call('POST', '/v1/tokens', 'admin-tok', { tenant: 'lab', expires_in_seconds: 3600 });
    assert.equal(created.status, 201);
    assert.equal(created.body.expires_at, new Date((1_000_000 + 3600) * 1000).toISOString());
    const tok = created.body.token as string;
    assert.equal((await f.call('GET', '/v1/jobs', tok)).status, 200);
    f.advance(3600);
    const late = await f.call('GET', '/v1/jobs', tok);
    assert.equal(late.status, 401);
    assert.match(late.body.error!.message, new RegExp(`token ${created.body.id as string} expired at .*token create --expires`));
    const bad = await f.call('POST', '/v1/tokens', 'admin-tok', { tenant: 'lab', expires_in_seconds: 5 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error!.message, /expires_in_seconds: got 5; expected a number of seconds from 60/);
  } finally { await f.cleanup(); }
});

test('tokens: list shows ids and states (never tokens); revoke refuses the token at once; only admins', async () => {
  const f = await fixture();
  try {
    const { body } = await f.call('POST', '/v1/tokens', 'admin-tok', { tenant: 'lab' });
    const tok = body.token as string;
    const id = body.id as string;
    assert.equal(id, hashToken(tok).slice(0, 16));
    const list = await f.call('GET', '/v1/tokens', 'admin-tok');
    assert.ok(!JSON.stringify(list.body).includes(tok));
    assert.deepEqual((list.body.tokens as { id: string; state: string }[]).find((t) => t.id === id)?.state, 'active');
    assert.equal((await f.call('GET', '/v1/tokens', 'a-tok')).status, 403);
    assert.equal((await f.call('POST', `/v1/tokens/${id}/revoke`, 'a-tok')).status, 403);
    assert.equal((await f.call('GET', '/v1/audit', 'a-tok')).status, 403);
    assert.equal((await f.call('POST', '/v1/tokens/not-an-id/revoke', 'admin-tok')).status, 400);
    assert.equal((await f.call('POST', '/v1/tokens/0123456789abcdef/revoke', 'admin-tok')).status, 404);
    const revoked = await f.call('POST', `/v1/tokens/${id}/revoke`, 'admin-tok');
    assert.equal(revoked.status, 200);
    const refused = await f.call('GET', '/v1/jobs', tok);
    assert.equal(refused.status, 401);
    assert.match(refused.body.error!.message, new RegExp(`token ${id} was revoked at`));
  } finally { await f.cleanup(); }
});

test('audit: token create and revoke, and an admin cancelling another tenant\'s job, are logged; own cancels are not', async () => {
  const f = await fixture();
  try {
    const { body } = await f.call('POST', '/v1/tokens', 'admin-tok', { tenant: 'lab', admin: false });
    await f.call('POST', `/v1/tokens/${body.id as string}/revoke`, 'admin-tok');
    const { job: theirs } = await f.store.submitJob({ tenant: 'alpha', spec: parseJobSpec({ name: 'x', command: ['true'] }), submitSeconds: 1 });
    const { job: own } = await f.store.submitJob({ tenant: 'alpha', spec: parseJobSpec({ name: 'y', command: ['true'] }), submitSeconds: 1 });
    assert.equal((await f.call('POST', `/v1/jobs/${own.id}/cancel`, 'a-tok')).status, 200);
    assert.equal((await f.call('POST', `/v1/jobs/${theirs.id}/cancel`, 'admin-tok')).status, 200);
    const audit = await f.call('GET', '/v1/audit', 'admin-tok');
    const entries = audit.body.entries as { actor: string; token_id: string; action: string; target: string; detail: string }[];
    assert.deepEqual(entries.map((e) => [e.action, e.target]), [['job.cancel', theirs.id], ['token.revoke', body.id], ['token.create', body.id]]);
    assert.ok(entries.every((e) => e.actor === 'admin' && e.token_id === hashToken('admin-tok').slice(0, 16)));
    assert.match(entries[0]!.detail, /tenant alpha, was queued/);
    assert.equal(((await f.call('GET', '/v1/audit?limit=1', 'admin-tok')).body.entries as unknown[]).length, 1);
    assert.equal((await f.call('GET', '/v1/audit?since=yesterday', 'admin-tok')).status, 400);
  } finally { await f.cleanup(); }
});
