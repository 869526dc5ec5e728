/**
 * The PostgreSQL store against a real, throwaway PostgreSQL server (./pg-temp.ts): D's store
 * conformance suite, then what only a networked store has to get right (two control-plane
 * processes racing on one database, a server crash, unreachable servers). Each test gets its
 * own PostgreSQL schema on one server. Skips only when PostgreSQL is not installed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImpossibleError, InputError } from '../../lib/errors.ts';
import { Rng } from '../../lib/rng.ts';
import { parseJobSpec } from '../job-spec.ts';
import { errorResponse } from '../api/errors.ts';
import { runStoreContract } from './contract.ts';
import { runNodeStoreContract } from './node-contract.ts';
import { openStore } from './open.ts';
import { StoreUnavailableError } from './pg-errors.ts';
import { findPostgresBin, startTempPostgres, type TempPostgres } from './pg-temp.ts';
import { parsePostgresUrl } from './pg-url.ts';
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';
import { JobStateError, type Store } from './types.ts';

const spec = (over: Record<string, unknown> = {}) => parseJobSpec({ name: 'j', command: ['true'], max_restarts: 1, ...over });

if (!findPostgresBin()) {
  test('postgres store', { skip: 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql' }, () => undefined);
} else {
  let server: Promise<TempPostgres> | undefined;
  const getServer = () => (server ??= startTempPostgres());
  after(async () => { if (server) await (await server).stop(); });

  let schemas = 0;
  /** A URL for a fresh schema on the shared server, and a cleanup that drops it. */
  const freshUrl = async () => {
    const srv = await getServer();
    const schema = `t${process.pid}_${schemas++}`;
    const url = `${srv.url}?schema=${schema}`;
    const cleanup = async () => {
      const c = new pg.Client(srv.url);
      await c.connect();
      try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
    };
    return { url, cleanup };
  };

  for (const run of [runStoreContract, runNodeStoreContract]) run({
    name: 'postgres',
    newStore: async () => {
      const { url, cleanup } = await freshUrl();
      return { store: await PostgresStore.open(url), reopen: () => PostgresStore.open(url), cleanup };
    },
  });

  test('postgres store: a schema from before released rentals were kept opens with its live rentals, and they can be released', async () => {
    const { url, cleanup } = await freshUrl();
    const schema = parsePostgresUrl(url).schema;
    const c = new pg.Client((await getServer()).url);
    await c.connect();
    try {
      // The rentals table as it was stored before rentals_released existed.
      await c.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".rentals (node TEXT PRIMARY KEY, pool TEXT NOT NULL, provider TEXT NOT NULL,
        instance_id TEXT, state TEXT NOT NULL, launched_seconds DOUBLE PRECISION NOT NULL, price_per_hour_usd DOUBLE PRECISION NOT NULL);
        INSERT INTO "${schema}".rentals VALUES ('oci-00000', 'oci', 'oracle', 'ocid1.instance.oc1..a', 'running', 100, 80);`);
    } finally { await c.end(); }
    const s = await PostgresStore.open(url);
    try {
      assert.deepEqual((await s.rentals.list()).map((r) => [r.node, r.instanceId, r.launchedSeconds]), [['oci-00000', 'ocid1.instance.oc1..a', 100]]);
      assert.equal(await s.rentals.close('oci-00000', 3700, 8), true);
      assert.deepEqual((await s.rentals.listReleased('oci')).map((r) => [r.node, r.launchedSeconds, r.releasedSeconds, r.gpus, r.pricePerHourUsd]), [['oci-00000', 100, 3700, 8, 80]]);
    } finally { await s.close(); await cleanup(); }
  });

  /**
   * The same seeded random sequence of calls (valid, stale and invalid) on SQLite and on
   * PostgreSQL: every result, error and final record must be identical.
   */
  const script = async (s: Store, seed: number, steps: number) => {
    const rng = new Rng(seed);
    const out: unknown[] = [];
    let submitted = 0;
    const anyId = () => (rng.next() < 0.05 ? 'job-999' : `job-${rng.int(1, Math.max(1, submitted))}`);
    // Cumulative weights: submit, start, end, cancel, set handle, event, list.
    const weights = [0.2, 0.45, 0.72, 0.8, 0.88, 0.94, 1];
    const outcomes = ['succeeded', 'failed', 'preempted', 'cancelled', 'lost'] as const;
    for (let i = 0; i < steps; i++) {
      const u = rng.next();
      const op = weights.findIndex((w) => u < w);
      const t = i * 1.5;
      const r = await (async () => {
        switch (op) {
          case 0: { const r = await s.submitJob({ tenant: rng.pick(['a', 'b']), spec: spec({ max_restarts: rng.int(0, 2), priority: rng.int(0, 200) }), submitSeconds: t,
            ...(rng.next() < 0.3 ? { idempotencyKey: `k${rng.int(0, 3)}` } : {}) });
            submitted = Math.max(submitted, Number(r.job.id.slice(4))); return r; }
          case 1: return s.startAttempt(anyId(), [rng.int(0, 7), rng.int(8, 15)], t);
          case 2: { const id = anyId(); const j = await s.getJob(id); return s.endAttempt(id, (j?.attempt ?? 1) - (rng.next() < 0.2 ? 1 : 0),
            { outcome: rng.pick(outcomes), reason: `r${i}`, nowSeconds: t, ...(rng.next() < 0.5 ? { exitCode: rng.int(0, 3), lostSeconds: rng.int(0, 100) } : {}) }); }
          case 3: return s.requestCancel(anyId(), t);
          case 4: { const id = anyId(); const j = await s.getJob(id); return s.setHandle(id, j?.attempt ?? 1, `h${i}`); }
          case 5: return s.addEvent({ jobId: anyId(), seconds: t, type: 'note', message: `m${i}` });
          default: return s.listJobs({ ...(rng.next() < 0.5 ? { tenant: 'a' } : {}), states: [rng.pick(['queued', 'running', 'failed'] as const)], order: rng.pick(['id', 'newest'] as const), limit: rng.int(1, 5) });
        }
      })().then((v) => v ?? null, (e: Error) => `${e.name}: ${e.message}`);
      out.push([op, r]);
    }
    const all = await s.listJobs({ order: 'id' });
    for (const j of all) out.push(j, await s.listAttempts(j.id), await s.listEvents(j.id), await s.listEvents(j.id, 2));
    return out;
  };

  test('postgres store: a seeded random call sequence gives exactly what SQLite gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gf-pg-diff-'));
    const { url, cleanup } = await freshUrl();
    const lite = new SqliteStore(join(dir, 'db'));
    const pgs = await PostgresStore.open(url);
    try {
      const [a, b] = [await script(lite, 7, 300), await script(pgs, 7, 300)];
      assert.ok(a.some((x) => Array.isArray(x) && x[0] === 2 && (x[1] as { state?: string })?.state === 'queued'), 'the script exercises requeues');
      assert.deepEqual(b, a);
    } finally { await lite.close(); await pgs.close(); await cleanup(); rmSync(dir, { recursive: true, force: true }); }
  });

  /** Two stores on one schema: two control-plane processes sharing one database. */
  const twoStores = async () => {
    const { url, cleanup } = await freshUrl();
    const a = await PostgresStore.open(url);
    const b = await PostgresStore.open(url);
    return { a, b, done: async () => { await a.close(); await b.close(); await cleanup(); } };
  };

  test('postgres store: racing submits with one idempotency key from two processes make one job', async () => {
    const { a, b, done } = await twoStores();
    try {
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
        (i % 2 ? a : b).submitJob({ tenant: 'lab', spec: spec(), submitSeconds: i, idempotencyKey: 'retry-1' })));
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.job.id)).size, 1);
      assert.equal((await a.listJobs({})).length, 1);
      assert.equal((await b.listEvents(results[0]!.job.id)).filter((e) => e.type === 'submitted').length, 1);
    } finally { await done(); }
  });

  test('postgres store: racing starts and ends of one job change it once', async () => {
    const { a, b, done } = await twoStores();
    try {
      const { job } = await a.submitJob({ tenant: 't', spec: spec({ max_restarts: 3 }), submitSeconds: 0 });
      const starts = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).startAttempt(job.id, [i], 1)));
      assert.equal(starts.filter((s) => s.status === 'fulfilled').length, 1);
      for (const s of starts) if (s.status === 'rejected') assert.ok(s.reason instanceof JobStateError, String(s.reason));
      const ends = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).endAttempt(job.id, 1, { outcome: 'failed', reason: `end ${i}`, nowSeconds: 2 })));
      assert.ok(ends.every((j) => j.state === 'queued'));
      const now = await b.getJob(job.id);
      assert.equal(now?.restarts, 1, 'one failure counted once');
      assert.equal((await a.listAttempts(job.id)).length, 1);
      assert.equal((await a.listEvents(job.id)).filter((e) => e.type === 'requeued').length, 1);
    } finally { await done(); }
  });

  test('postgres store: many concurrent submits get distinct ids, none lost', async () => {
    const { a, b, done } = await twoStores();
    try {
      const n = 200;
      const ids = await Promise.all(Array.from({ length: n }, async (_, i) =>
        (await (i % 2 ? a : b).submitJob({ tenant: `t${i % 3}`, spec: spec(), submitSeconds: i })).job.id));
      assert.equal(new Set(ids).size, n);
      const listed = await b.listJobs({ order: 'id' });
      assert.deepEqual(new Set(listed.map((j) => j.id)), new Set(ids));
      assert.equal((await a.listJobs({ tenant: 't1' })).length, ids.filter((_, i) => i % 3 === 1).length);
    } finally { await done(); }
  });

  test('postgres store: committed state survives a server crash; the open store reconnects', async () => {
    const srv = await getServer();
    const { url, cleanup } = await freshUrl();
    const s = await PostgresStore.open(url);
    try {
      const { job } = await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 0, idempotencyKey: 'k' });
      await s.startAttempt(job.id, [2, 3], 1);
      await s.setHandle(job.id, 1, 'pids:1,2');
      await srv.crash(); // SIGQUIT: no shutdown checkpoint; start() replays the WAL
      // While the server is down: a retryable StoreUnavailableError (503 from the API), no crash.
      const down = await s.getJob(job.id).then(() => undefined, (e: unknown) => e);
      assert.ok(down instanceof StoreUnavailableError, String(down));
      assert.equal(errorResponse(down).status, 503);
      await srv.start();
      const j = await s.getJob(job.id);
      assert.equal(j?.state, 'running');
      assert.equal(j?.handle, 'pids:1,2');
      assert.deepEqual(j?.nodeIndices, [2, 3]);
      const again = await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 5, idempotencyKey: 'k' });
      assert.equal(again.created, false);
      assert.equal(again.job.id, job.id);
    } finally { await s.close(); await cleanup(); }
  });

  test('postgres store: after a server restart a control plane re-takes its lock, or stops writing if another took it', async () => {
    const srv = await getServer();
    const { url, cleanup } = await freshUrl();
    const first = await openStore(url);
    let second: Awaited<ReturnType<typeof openStore>> | undefined;
    try {
      const { job } = await first.submitJob({ tenant: 't', spec: spec(), submitSeconds: 0 });
      await srv.crash();
      await srv.start();
      // Nobody else came: the next writes (concurrent ones share one attempt) take the lock again.
      await Promise.all([
        first.requestCancel(job.id, 1),
        first.addEvent({ jobId: job.id, seconds: 1, type: 'note', message: 'after restart' }),
        first.submitJob({ tenant: 't', spec: spec(), submitSeconds: 1 }),
        first.addToken('h', { tenant: 't', admin: false }, 1),
      ]);
      assert.equal((await first.getJob(job.id))?.state, 'cancelled');
      await assert.rejects(openStore(url), /in use by/);
      // Restart again, and this time another control plane takes the lock first.
      await srv.crash();
      await srv.start();
      second = await openStore(url);
      await assert.rejects(first.submitJob({ tenant: 't', spec: spec(), submitSeconds: 2 }), (e: unknown) => e instanceof StoreUnavailableError && /in use by/.test(e.message));
      assert.equal((await first.listJobs({})).length, 2, 'reads still work; the refused write left nothing');
      assert.ok((await second.submitJob({ tenant: 't', spec: spec(), submitSeconds: 3 })).created);
    } finally { await first.close(); await second?.close(); await cleanup(); }
  });

  test('postgres store: openStore picks PostgreSQL and allows one control plane per store', async () => {
    const { url, cleanup } = await freshUrl();
    const s = await openStore(url);
    try {
      assert.equal(s.name, 'postgres');
      assert.ok((await s.submitJob({ tenant: 't', spec: spec(), submitSeconds: 0 })).created);
      const err = await openStore(url).then(async (x) => { await x.close(); return undefined; }, (e: unknown) => e);
      assert.ok(err instanceof ImpossibleError, String(err));
      assert.match(err.message, new RegExp(`in use by gigafactory up on .* pid ${process.pid}`));
      // Another schema is another control plane; and readers (non-exclusive) may open it.
      const other = await openStore(url.replace(/schema=\w+/, (m) => `${m}_b`));
      const reader = await PostgresStore.open(url);
      assert.equal((await reader.listJobs({})).length, 1);
      await other.close(); await reader.close();
    } finally { await s.close(); }
    // Closing releases the lock.
    const again = await openStore(url);
    await again.close();
    const c = new pg.Client(url.replace(/\?.*$/, ''));
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS "${new URL(url).searchParams.get('schema')}_b" CASCADE`); } finally { await c.end(); }
    await cleanup();
  });

  test('postgres store: a missing database is a clear error naming it and the fix', async () => {
    const srv = await getServer();
    const err = await PostgresStore.open(srv.url.replace(/\/postgres$/, '/no_such_db')).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ImpossibleError, String(err));
    assert.match(err.message, /no_such_db/);
    assert.match(String((err as unknown as { hint: string }).hint), /createdb/);
  });
}

test('postgres store: an unreachable server is an ImpossibleError with the URL, password masked', async () => {
  // Port 1 on loopback: nothing listens there, so the connect is refused at once.
  const err = await PostgresStore.open('postgres://gf:s3cret@127.0.0.1:1/db').then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ImpossibleError, String(err));
  assert.match(err.message, /127\.0\.0\.1:1/);
  assert.doesNotMatch(err.message, /s3cret/);
  assert.match(err.message, /\*\*\*/);
  assert.match(String((err as unknown as { hint: string }).hint), /running/);
});

test('postgres store: bad URLs and schema names are input errors naming the field', () => {
  assert.throws(() => parsePostgresUrl('postgres://h/db?schema=Bad-Name'), (e: unknown) => e instanceof InputError && /schema/.test(e.message) && /Bad-Name/.test(e.message));
  assert.throws(() => parsePostgresUrl('mysql://h/db'), InputError);
  assert.equal(parsePostgresUrl('postgresql://u:pw@h:5433/db?schema=lab_a&sslmode=disable').schema, 'lab_a');
  assert.doesNotMatch(parsePostgresUrl('postgresql://u:pw@h:5433/db?schema=lab_a').connectionString, /schema=/);
  assert.equal(parsePostgresUrl('postgres://h/db').schema, 'gigafactory');
});
