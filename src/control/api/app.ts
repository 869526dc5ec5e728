/**
 * The control plane's HTTP API as a Hono app: `app.request()` in tests, @hono/node-server to
 * listen. Every route but /healthz and /openapi.json needs `Authorization: Bearer TOKEN`; the
 * token's tenant sees and changes only its own jobs, an admin token sees all. Errors are
 * mapped in one place (./errors.ts).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ClusterTopology, FleetSpec } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import { checkAdmissible } from '../cluster.ts';
import { parseJobSpec } from '../job-spec.ts';
import { applyPlan, planJob } from '../plan-job.ts';
import type { ProgressTracker } from '../progress-watch.ts';
import type { ControlMetrics } from '../metrics.ts';
import type { PoolRow } from '../renting.ts';
import { attemptLogDir } from '../reconciler.ts';
import type { JobRecord, JobState, Store } from '../store/types.ts';
import { JobNotFoundError } from '../store/types.ts';
import { checkTenantName, hashToken, newToken } from './auth.ts';
import { errorResponse, HttpError } from './errors.ts';
import { OPENAPI } from './openapi.ts';
import { registerPoolRoutes } from './pools.ts';
import { registerUsageRoutes } from './usage-routes.ts';
import { fleetNodeRates, type NodeRate } from '../usage.ts';

export interface ApiOptions {
  readonly store: Store;
  readonly topology: ClusterTopology;
  readonly dataDir: string;
  readonly nowSeconds?: () => number;
  /** The cluster's pools (owned halls, the rented pool) for GET /v1/pools. */
  readonly pools?: () => PoolRow[];
  /** Called after a submit or cancel so the reconciler acts at once. */
  readonly onChange?: () => void;
  readonly log?: (line: string) => void;
  readonly maxBodyBytes?: number;
  /** Served at GET /metrics when given. */
  readonly metrics?: ControlMetrics;
  /** Measures running jobs' progress against their plan (GET /v1/jobs/{id} `actual`). */
  readonly progress?: ProgressTracker;
  /** The fleet planned jobs are planned on (sim executor); else the topology's GPUs. */
  readonly fleet?: FleetSpec;
  /** What an hour of each node costs, for GET /v1/usage (default: priced from the catalog). */
  readonly nodeRates?: (nodeIndex: number) => NodeRate;
}

type Env = { Variables: { tenant: string; admin: boolean } };

const STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const MAX_LOG_CHUNK_BYTES = 1 << 20;
const iso = (s: number | undefined) => (s === undefined ? null : new Date(s * 1000).toISOString());

/** The JSON shape of a job (snake_case, like the spec). */
export function jobJson(j: JobRecord) {
  return {
    id: j.id, tenant: j.tenant, name: j.spec.name, state: j.state, priority: j.spec.priority,
    nodes: j.spec.nodes, ranks_per_node: j.spec.ranks_per_node, gpus_per_node: j.spec.gpus_per_node,
    attempt: j.attempt, restarts: j.restarts, max_restarts: j.spec.max_restarts, cancel_requested: j.cancelRequested,
    node_indices: j.nodeIndices, submit_time: iso(j.submitSeconds), start_time: iso(j.startSeconds), end_time: iso(j.endSeconds),
    exit_code: j.exitCode ?? null, reason: j.reason ?? null, spec: j.spec, plan: j.spec.plan ?? null,
  };
}

function intParam(v: string | undefined, field: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError({ field, value: v, expected: `an integer from ${min} to ${max}` });
  return n;
}

export function createApp(o: ApiOptions): Hono<Env> {
  const now = o.nowSeconds ?? (() => Date.now() / 1000);
  const app = new Hono<Env>();

  app.onError((err, c) => {
    const { status, body } = errorResponse(err, o.log);
    return c.json(body, status as 400);
  });
  app.notFound((c) => c.json({ error: { status: 404, message: `no route ${c.req.method} ${c.req.path}; see /openapi.json` } }, 404));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/openapi.json', (c) => c.json(OPENAPI));
  app.get('/metrics', async (c) => {
    if (!o.metrics) return c.text('metrics disabled\n', 404);
    return c.text(await o.metrics.registry.metrics(), 200, { 'content-type': o.metrics.registry.contentType });
  });

  app.use('/v1/*', async (c, next) => {
    const auth = c.req.header('authorization');
    const m = auth === undefined ? null : /^Bearer ([A-Za-z0-9_\-.~+/=]{1,512})$/.exec(auth);
    if (!m) throw new HttpError(401, 'missing or malformed Authorization header; send "Authorization: Bearer TOKEN" (see <data-dir>/admin-token or `gigafactory token create`)');
    const rec = await o.store.findToken(hashToken(m[1]!));
    if (!rec) throw new HttpError(401, 'unknown token; create one with `gigafactory token create --tenant NAME`');
    c.set('tenant', rec.tenant);
    c.set('admin', rec.admin);
    await next();
  });

  const readJson = async (req: Request): Promise<unknown> => {
    const type = req.headers.get('content-type') ?? '';
    if (!type.toLowerCase().startsWith('application/json')) throw new HttpError(415, `Content-Type: got "${type}"; expected application/json`);
    const text = await req.text();
    try { return JSON.parse(text) as unknown; } catch (e) {
      throw new InputError({ field: '(body)', value: text.length > 80 ? `${text.slice(0, 80)}...` : text, expected: `valid JSON (${(e as Error).message})` });
    }
  };
  const limit = bodyLimit({ maxSize: o.maxBodyBytes ?? 256 * 1024, onError: () => { throw new HttpError(413, `body larger than ${o.maxBodyBytes ?? 256 * 1024} bytes`); } });

  /** A job this caller may see, else 404 (another tenant's job is indistinguishable from none). */
  const visibleJob = async (id: string, tenant: string, admin: boolean): Promise<JobRecord> => {
    const j = await o.store.getJob(id);
    if (!j || (!admin && j.tenant !== tenant)) throw new JobNotFoundError(id);
    return j;
  };

  app.post('/v1/jobs', limit, async (c) => {
    let spec = parseJobSpec(await readJson(c.req.raw));
    // A planned job (model + tokens): planned on this plane's fleet, sized from its plan (plan-job.ts).
    if (spec.model !== undefined) {
      const busyNodes = new Set((await o.store.listJobs({ states: ['running'] })).flatMap((j) => j.nodeIndices));
      spec = applyPlan(spec, planJob(spec, { topology: o.topology, busyNodes, ...(o.fleet ? { fleet: o.fleet } : {}) }));
    }
    checkAdmissible(spec, o.topology);
    if (c.req.query('dry_run') === 'true') return c.json({ spec, plan: spec.plan ?? null }, 200);
    // The executor runs on this machine: a workdir that does not exist here would fail every attempt.
    if (spec.workdir !== undefined && !(isAbsolute(spec.workdir) && existsSync(spec.workdir))) {
      throw new InputError({ field: 'workdir', value: spec.workdir, expected: 'an absolute path to an existing directory on the control plane\'s machine' });
    }
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !/^[A-Za-z0-9_\-.:]{1,128}$/.test(key)) throw new InputError({ field: 'Idempotency-Key', value: key, expected: '1-128 letters, digits, "_", "-", "." or ":"' });
    const { job, created } = await o.store.submitJob({ tenant: c.get('tenant'), spec, submitSeconds: now(), ...(key !== undefined ? { idempotencyKey: key } : {}) });
    if (created) { o.metrics?.submitted.inc(); o.onChange?.(); }
    return c.json({ job: jobJson(job), created }, created ? 201 : 200);
  });

  app.get('/v1/jobs', async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !STATES.includes(state as JobState)) throw new InputError({ field: 'state', value: state, expected: `one of ${STATES.join(', ')}` });
    const lim = intParam(c.req.query('limit'), 'limit', 1, 10_000) ?? 100;
    const admin = c.get('admin');
    const jobs = await o.store.listJobs({ ...(admin ? {} : { tenant: c.get('tenant') }), ...(state ? { states: [state as JobState] } : {}), limit: lim });
    return c.json({ jobs: jobs.map(jobJson) });
  });

  app.get('/v1/jobs/:id', async (c) => {
    const j = await visibleJob(c.req.param('id'), c.get('tenant'), c.get('admin'));
    const attempts = (await o.store.listAttempts(j.id)).map((a) => ({
      attempt: a.attempt, start_time: iso(a.startSeconds), end_time: iso(a.endSeconds), node_indices: a.nodeIndices,
      outcome: a.outcome ?? null, reason: a.reason ?? null, exit_code: a.exitCode ?? null, lost_seconds: a.lostSeconds ?? null,
    }));
    const events = (await o.store.listEvents(j.id, 200)).map((e) => ({ time: iso(e.seconds), type: e.type, message: e.message }));
    return c.json({ job: jobJson(j), attempts, events, actual: o.progress?.actual(j) ?? null });
  });

  app.post('/v1/jobs/:id/cancel', async (c) => {
    await visibleJob(c.req.param('id'), c.get('tenant'), c.get('admin'));
    const j = await o.store.requestCancel(c.req.param('id'), now());
    o.onChange?.();
    return c.json({ job: jobJson(j) });
  });

  app.get('/v1/jobs/:id/logs', async (c) => {
    const j = await visibleJob(c.req.param('id'), c.get('tenant'), c.get('admin'));
    const worldSize = j.spec.nodes * j.spec.ranks_per_node;
    const rank = intParam(c.req.query('rank'), 'rank', 0, worldSize - 1) ?? 0;
    const attempt = intParam(c.req.query('attempt'), 'attempt', 1, Math.max(1, j.attempt)) ?? j.attempt;
    const offset = intParam(c.req.query('offset'), 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const maxBytes = intParam(c.req.query('limit_bytes'), 'limit_bytes', 1, MAX_LOG_CHUNK_BYTES) ?? 256 * 1024;
    let text = '';
    let next = offset;
    if (attempt >= 1) {
      const file = join(attemptLogDir(o.dataDir, j.id, attempt), `rank-${rank}.log`);
      try {
        const size = statSync(file).size;
        const n = Math.max(0, Math.min(maxBytes, size - offset));
        if (n > 0) {
          const buf = Buffer.alloc(n);
          const fd = openSync(file, 'r');
          try { readSync(fd, buf, 0, n, offset); } finally { closeSync(fd); }
          text = buf.toString('utf8');
          next = offset + n;
        }
      } catch { /* no output yet */ }
    }
    return c.json({ job_id: j.id, state: j.state, attempt, rank, world_size: worldSize, offset, next_offset: next, text });
  });

  app.post('/v1/tokens', limit, async (c) => {
    if (!c.get('admin')) throw new HttpError(403, 'only an admin token may create tokens');
    const body = await readJson(c.req.raw);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError({ field: '(body)', value: body, expected: 'an object {"tenant": NAME, "admin"?: boolean}' });
    const { tenant, admin, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new InputError({ field: unknown, value: rest[unknown], expected: 'no such field; known fields: tenant, admin' });
    checkTenantName(tenant);
    if (admin !== undefined && typeof admin !== 'boolean') throw new InputError({ field: 'admin', value: admin, expected: 'true or false' });
    const token = newToken();
    await o.store.addToken(hashToken(token), { tenant: tenant as string, admin: admin === true }, now());
    return c.json({ tenant, admin: admin === true, token }, 201);
  });

  registerPoolRoutes(app, o);
  registerUsageRoutes(app, { store: o.store, nodes: o.topology.nodes, rateOf: o.nodeRates ?? fleetNodeRates(o.topology.nodes, undefined), nowSeconds: now });

  app.get('/v1/nodes', (c) => c.json({ nodes: o.topology.nodes.map((n) => ({ index: n.index, name: n.name, gpu_type: n.gpuType, gpus: n.gpus, pool: n.pool })) }));

  return app;
}
