/**
 * One conformance suite for every Store (SQLite now, PostgreSQL later), in the manner of
 * Hono's `runTest({ newRouter })`: `runStoreContract({ name, newStore })` from a *.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJobSpec } from '../job-spec.ts';
import type { Store } from './types.ts';
import { JobNotFoundError, JobStateError } from './types.ts';

export interface StoreContractOptions {
  readonly name: string;
  /** A fresh, empty store. `reopen` (optional) opens the same data again (durability). */
  readonly newStore: () => Promise<{ store: Store; reopen?: () => Promise<Store>; cleanup: () => Promise<void> }>;
}

const spec = (over: Record<string, unknown> = {}) => parseJobSpec({ name: 'j', command: ['true'], max_restarts: 1, ...over });

export function runStoreContract(o: StoreContractOptions): void {
  const withStore = (name: string, fn: (s: Store, reopen?: () => Promise<Store>) => Promise<void>) =>
    test(`${o.name} store: ${name}`, async () => {
      const { store, reopen, cleanup } = await o.newStore();
      try { await fn(store, reopen); } finally { await store.close(); await cleanup(); }
    });

  withStore('submit gives distinct ids, queued, readable back', async (s) => {
    const a = await s.submitJob({ tenant: 't1', spec: spec(), submitSeconds: 1 });
    const b = await s.submitJob({ tenant: 't1', spec: spec({ name: 'other' }), submitSeconds: 2 });
    assert.ok(a.created && b.created);
    assert.notEqual(a.job.id, b.job.id);
    assert.equal(a.job.state, 'queued');
    assert.deepEqual((await s.getJob(b.job.id))?.spec, b.job.spec);
    assert.equal(await s.getJob('job-999999'), undefined);
    assert.equal(await s.getJob('nonsense'), undefined);
  });

  withStore('idempotency key returns the first job, per tenant', async (s) => {
    const a = await s.submitJob({ tenant: 't1', spec: spec(), submitSeconds: 1, idempotencyKey: 'k' });
    const again = await s.submitJob({ tenant: 't1', spec: spec(), submitSeconds: 2, idempotencyKey: 'k' });
    const other = await s.submitJob({ tenant: 't2', spec: spec(), submitSeconds: 2, idempotencyKey: 'k' });
    assert.equal(again.created, false);
    assert.equal(again.job.id, a.job.id);
    assert.ok(other.created);
    assert.equal((await s.listJobs({})).length, 2);
  });

  withStore('concurrent submits all commit with distinct ids; a concurrent retry returns the first job', async (s) => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => s.submitJob({ tenant: 't', spec: spec({ name: `c${i}` }), submitSeconds: i, ...(i >= 30 ? { idempotencyKey: 'same' } : {}) })));
    const created = results.filter((r) => r.created);
    assert.equal(created.length, 31, '30 plain submits and the first of 10 with one key');
    assert.equal(new Set(created.map((r) => r.job.id)).size, 31);
    assert.equal(new Set(results.slice(30).map((r) => r.job.id)).size, 1, 'every retry got the same job');
    for (const r of created) assert.equal((await s.getJob(r.job.id))?.spec.name, r.job.spec.name);
    assert.equal((await s.listJobs({ states: ['queued'] })).length, 31);
  });

  withStore('list filters by tenant and state', async (s) => {
    const a = await s.submitJob({ tenant: 't1', spec: spec(), submitSeconds: 1 });
    await s.submitJob({ tenant: 't2', spec: spec(), submitSeconds: 1 });
    await s.startAttempt(a.job.id, [0], 2);
    assert.deepEqual((await s.listJobs({ tenant: 't1' })).map((j) => j.id), [a.job.id]);
    assert.equal((await s.listJobs({ states: ['queued'] })).length, 1);
    assert.equal((await s.listJobs({ states: ['running'] }))[0]?.id, a.job.id);
    assert.equal((await s.listJobs({ limit: 1 })).length, 1);
  });

  withStore('attempt lifecycle: fail requeues until max_restarts, then fails', async (s) => {
    const { job } = await s.submitJob({ tenant: 't', spec: spec({ max_restarts: 1 }), submitSeconds: 0 });
    const r1 = await s.startAttempt(job.id, [3, 4], 10);
    assert.equal(r1.state, 'running');
    assert.equal(r1.attempt, 1);
    assert.deepEqual(r1.nodeIndices, [3, 4]);
    await assert.rejects(s.startAttempt(job.id, [0], 11), JobStateError);
    await s.setHandle(job.id, 1, 'h1');
    assert.equal((await s.getJob(job.id))?.handle, 'h1');
    const q = await s.endAttempt(job.id, 1, { outcome: 'failed', reason: 'rank 1 died', nowSeconds: 20, exitCode: 1, lostSeconds: 5 });
    assert.equal(q.state, 'queued');
    assert.equal(q.restarts, 1);
    // A stale end of the same attempt changes nothing.
    assert.equal((await s.endAttempt(job.id, 1, { outcome: 'succeeded', reason: 'late', nowSeconds: 21 })).state, 'queued');
    await s.startAttempt(job.id, [0], 30);
    const f = await s.endAttempt(job.id, 2, { outcome: 'failed', reason: 'again', nowSeconds: 40, exitCode: 2 });
    assert.equal(f.state, 'failed');
    const attempts = await s.listAttempts(job.id);
    assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome, a.reason]), [[1, 'failed', 'rank 1 died'], [2, 'failed', 'again']]);
    assert.equal(attempts[0]?.lostSeconds, 5);
    assert.equal(attempts[0]?.handle, 'h1');
    // The bulk read gives the same rows, keyed by job; an id without attempts maps to [].
    const { job: other } = await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 50 });
    const bulk = await s.listAttemptsOf([other.id, job.id, 'job-999999']);
    assert.deepEqual([...bulk.keys()], [other.id, job.id, 'job-999999']);
    assert.deepEqual(bulk.get(job.id), attempts);
    assert.deepEqual(bulk.get(other.id), []);
    assert.deepEqual(await s.listAttemptsOf([]), new Map());
  });

  withStore('preemption requeues without counting a restart; success is terminal', async (s) => {
    const { job } = await s.submitJob({ tenant: 't', spec: spec({ max_restarts: 0 }), submitSeconds: 0 });
    await s.startAttempt(job.id, [0], 1);
    const p = await s.endAttempt(job.id, 1, { outcome: 'preempted', reason: 'for job-9', nowSeconds: 2 });
    assert.equal(p.state, 'queued');
    assert.equal(p.restarts, 0);
    await s.startAttempt(job.id, [1], 3);
    const done = await s.endAttempt(job.id, 2, { outcome: 'succeeded', reason: 'exit 0', nowSeconds: 4, exitCode: 0 });
    assert.equal(done.state, 'succeeded');
    assert.equal(done.exitCode, 0);
  });

  withStore('a lost node and a control-plane restart requeue without counting; each attempt keeps its cause', async (s) => {
    const { job } = await s.submitJob({ tenant: 't', spec: spec({ max_restarts: 0 }), submitSeconds: 0 });
    await s.startAttempt(job.id, [0], 1);
    const a = await s.endAttempt(job.id, 1, { outcome: 'node-lost', reason: 'node n0 lost', nowSeconds: 2 });
    assert.deepEqual([a.state, a.restarts], ['queued', 0]);
    await s.startAttempt(job.id, [1], 3);
    const b = await s.endAttempt(job.id, 2, { outcome: 'lost', reason: 'plane restarted', nowSeconds: 4 });
    assert.deepEqual([b.state, b.restarts], ['queued', 0]);
    await s.startAttempt(job.id, [1], 5);
    const c = await s.endAttempt(job.id, 3, { outcome: 'failed', reason: 'exit 1', nowSeconds: 6, exitCode: 1 });
    assert.deepEqual([c.state, c.restarts], ['failed', 1]);
    assert.deepEqual((await s.listAttempts(job.id)).map((x) => x.outcome), ['node-lost', 'lost', 'failed']);
    assert.match((await s.listEvents(job.id)).map((e) => e.message).join('\n'), /node-lost: node n0 lost; requeued \(not counted/);
  });

  withStore('cancel: queued at once, running by request, unknown id throws', async (s) => {
    const a = (await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 0 })).job;
    const b = (await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 0 })).job;
    assert.equal((await s.requestCancel(a.id, 1)).state, 'cancelled');
    await s.startAttempt(b.id, [0], 1);
    const c = await s.requestCancel(b.id, 2);
    assert.equal(c.state, 'running');
    assert.equal(c.cancelRequested, true);
    // A failure after a cancel request ends as cancelled, not requeued.
    assert.equal((await s.endAttempt(b.id, 1, { outcome: 'failed', reason: 'killed', nowSeconds: 3 })).state, 'cancelled');
    await assert.rejects(s.requestCancel('job-424242', 1), JobNotFoundError);
  });

  withStore('events and tokens', async (s) => {
    const { job } = await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 0 });
    await s.addEvent({ jobId: job.id, seconds: 1, type: 'note', message: 'hello' });
    const ev = await s.listEvents(job.id);
    assert.deepEqual(ev.map((e) => e.type), ['submitted', 'note']);
    assert.equal(await s.countAdminTokens(), 0);
    await s.addToken('hash-a', { tenant: 'admin', admin: true }, 0);
    await s.addToken('hash-b', { tenant: 'lab', admin: false }, 0);
    assert.deepEqual(await s.findToken('hash-b'), { tenant: 'lab', admin: false });
    assert.equal(await s.findToken('nope'), undefined);
    assert.equal(await s.countAdminTokens(), 1);
  });

  withStore('listing by state agrees with the full list through every transition', async (s, reopen) => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await s.submitJob({ tenant: i % 2 ? 'odd' : 'even', spec: spec({ max_restarts: 1 }), submitSeconds: i })).job.id);
    await s.startAttempt(ids[0]!, [0], 10);
    await s.startAttempt(ids[1]!, [1], 10);
    await s.endAttempt(ids[1]!, 1, { outcome: 'failed', reason: 'x', nowSeconds: 11 });
    await s.startAttempt(ids[2]!, [2], 10);
    await s.endAttempt(ids[2]!, 1, { outcome: 'succeeded', reason: 'ok', nowSeconds: 12 });
    await s.requestCancel(ids[3]!, 13);
    await s.startAttempt(ids[4]!, [3], 10);
    await s.setHandle(ids[4]!, 1, 'h');
    const check = async (st: Store) => {
      const all = await st.listJobs({ order: 'id' });
      for (const states of [['queued'], ['running'], ['queued', 'running']] as const) {
        const want = all.filter((j) => (states as readonly string[]).includes(j.state));
        assert.deepEqual((await st.listJobs({ states, order: 'id' })).map((j) => [j.id, j.state, j.handle, j.attempt]), want.map((j) => [j.id, j.state, j.handle, j.attempt]));
        assert.deepEqual((await st.listJobs({ states, order: 'newest', limit: 2 })).map((j) => j.id), [...want].reverse().slice(0, 2).map((j) => j.id));
        assert.deepEqual((await st.listJobs({ states, tenant: 'odd', order: 'id' })).map((j) => j.id), want.filter((j) => j.tenant === 'odd').map((j) => j.id));
      }
    };
    await check(s);
    assert.deepEqual((await s.listJobs({ states: ['queued'], order: 'id' })).map((j) => j.id), [ids[1], ids[5]]);
    if (reopen) {
      await s.close();
      const s2 = await reopen();
      try { await check(s2); } finally { await s2.close(); }
    }
  });

  withStore('tokens: expiry kept, list by id (never the token), revoke once; audit log newest first', async (s, reopen) => {
    const hashA = 'a'.repeat(64);
    const hashB = `b${'0'.repeat(63)}`;
    await s.addToken(hashA, { tenant: 'admin', admin: true }, 10);
    await s.addToken(hashB, { tenant: 'lab', admin: false, expiresSeconds: 1000 }, 20);
    assert.deepEqual(await s.findToken(hashB), { tenant: 'lab', admin: false, expiresSeconds: 1000 });
    const list = await s.listTokens();
    assert.deepEqual(list.map((t) => [t.id, t.tenant, t.createdSeconds]), [[hashB.slice(0, 16), 'lab', 20], [hashA.slice(0, 16), 'admin', 10]]);
    assert.ok(!JSON.stringify(list).includes(hashA), 'the full hash is not listed');
    const revoked = await s.revokeToken(hashA.slice(0, 16), 30);
    assert.equal(revoked?.revokedSeconds, 30);
    assert.equal((await s.revokeToken(hashA.slice(0, 16), 40))?.revokedSeconds, 30, 'the first revocation time stays');
    assert.equal((await s.findToken(hashA))?.revokedSeconds, 30);
    assert.equal(await s.countAdminTokens(), 0, 'a revoked admin token does not count');
    assert.equal(await s.revokeToken('ffffffffffffffff', 50), undefined);
    await s.addAudit({ seconds: 30, actor: 'admin', tokenId: hashA.slice(0, 16), action: 'token.revoke', target: hashA.slice(0, 16), detail: 'tenant admin' });
    await s.addAudit({ seconds: 31, actor: 'admin', action: 'node.state', target: 'hall-a-00001', detail: 'drain: maintenance' });
    const log = await s.listAudit({});
    assert.deepEqual(log.map((e) => e.action), ['node.state', 'token.revoke']);
    assert.equal(log[1]!.tokenId, hashA.slice(0, 16));
    assert.equal(log[0]!.tokenId, undefined);
    assert.deepEqual((await s.listAudit({ sinceSeconds: 31 })).map((e) => e.target), ['hall-a-00001']);
    assert.equal((await s.listAudit({ limit: 1 })).length, 1);
    if (reopen) {
      await s.close();
      const s2 = await reopen();
      try {
        assert.equal((await s2.findToken(hashA))?.revokedSeconds, 30);
        assert.equal((await s2.listAudit({})).length, 2);
      } finally { await s2.close(); }
    }
  });

  withStore('state survives close and reopen', async (s, reopen) => {
    if (!reopen) return;
    const { job } = await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 0 });
    await s.startAttempt(job.id, [0], 1);
    await s.setHandle(job.id, 1, 'pids');
    await s.close();
    const s2 = await reopen();
    try {
      const j = await s2.getJob(job.id);
      assert.equal(j?.state, 'running');
      assert.equal(j?.handle, 'pids');
      const next = await s2.submitJob({ tenant: 't', spec: spec(), submitSeconds: 2 });
      assert.notEqual(next.job.id, job.id);
    } finally { await s2.close(); }
  });

  withStore('deployments: create, replace, list, remove; release history kept in order and across reopen', async (s, reopen) => {
    assert.equal(await s.deployments.get('chat'), undefined);
    const a = await s.deployments.put('chat', 't1', { model: 'tiny-chat', replicas: 1 }, 10);
    assert.deepEqual([a.name, a.tenant, a.doc, a.createdSeconds, a.updatedSeconds], ['chat', 't1', { model: 'tiny-chat', replicas: 1 }, 10, 10]);
    const b = await s.deployments.put('chat', 't1', { model: 'tiny-chat', replicas: 3 }, 20);
    assert.deepEqual([b.doc, b.createdSeconds, b.updatedSeconds], [{ model: 'tiny-chat', replicas: 3 }, 10, 20]);
    await s.deployments.put('grok', 't2', { model: 'grok-1' }, 30);
    assert.deepEqual((await s.deployments.list()).map((d) => d.name), ['chat', 'grok']);
    for (const [i, step] of ['promoted', 'canary-started', 'rolled-back'].entries()) await s.deployments.addReleaseEvent({ deployment: 'chat', seconds: 40 + i, step, doc: { i } });
    await s.deployments.addReleaseEvent({ deployment: 'grok', seconds: 50, step: 'promoted', doc: {} });
    assert.deepEqual((await s.deployments.releaseEvents('chat')).map((e) => [e.step, e.doc.i]), [['promoted', 0], ['canary-started', 1], ['rolled-back', 2]]);
    assert.deepEqual((await s.deployments.releaseEvents('chat', 1)).map((e) => e.step), ['rolled-back']);
    assert.equal(await s.deployments.remove('grok'), true);
    assert.equal(await s.deployments.remove('grok'), false);
    if (!reopen) return;
    await s.close();
    const s2 = await reopen();
    try {
      assert.deepEqual((await s2.deployments.get('chat'))?.doc, { model: 'tiny-chat', replicas: 3 });
      assert.equal((await s2.deployments.releaseEvents('chat')).length, 3);
      assert.equal((await s2.deployments.releaseEvents('grok')).length, 1, 'history outlives the deployment');
    } finally { await s2.close(); }
  });

  withStore('gate results: per model, in order, passed and failed, kept across reopen', async (s, reopen) => {
    assert.deepEqual(await s.deployments.gateResults('tiny-chat'), []);
    await s.deployments.addGateResult({ model: 'tiny-chat', tenant: 't1', seconds: 10, passed: true, checkpoint: '/c/a', doc: { scores: { held_out_loss: 1.2 } } });
    await s.deployments.addGateResult({ model: 'tiny-chat', tenant: '', seconds: 11, passed: false, checkpoint: '/c/b', doc: { scores: {} } });
    await s.deployments.addGateResult({ model: 'grok-1', tenant: 't2', seconds: 12, passed: true, checkpoint: '/g', doc: {} });
    const chat = await s.deployments.gateResults('tiny-chat');
    assert.deepEqual(chat.map((g) => [g.tenant, g.seconds, g.passed, g.checkpoint]), [['t1', 10, true, '/c/a'], ['', 11, false, '/c/b']]);
    assert.deepEqual(chat[0]!.doc, { scores: { held_out_loss: 1.2 } });
    assert.deepEqual((await s.deployments.gateResults('tiny-chat', 1)).map((g) => g.checkpoint), ['/c/b'], 'the last `limit`');
    if (!reopen) return;
    await s.close();
    const s2 = await reopen();
    try {
      assert.deepEqual((await s2.deployments.gateResults('tiny-chat')).map((g) => g.passed), [true, false]);
      assert.equal((await s2.deployments.gateResults('grok-1')).length, 1);
    } finally { await s2.close(); }
  });
}
