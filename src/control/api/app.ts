/**
 * The control plane's HTTP API as a Hono app: `app.request()` in tests, @hono/node-server to
 * listen. Every route but /healthz and /openapi.json needs `Authorization: Bearer TOKEN`; the
 * token's tenant sees and changes only its own jobs, an admin token sees all. Errors are
 * mapped in one place (./errors.ts).
 */
import { Hono } from 'hono';
import type { ClusterTopology, FleetSpec } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import { parseJsonLimited } from '../../lib/json.ts';
import { checkAdmissible } from '../cluster.ts';
import { readJobFile } from '../job-fs.ts';
import { checkJobPaths } from '../job-paths.ts';
import { parseJobSpec } from '../job-spec.ts';
import { applyPlan, planJob } from '../plan-job.ts';
import type { ProgressTracker } from '../progress-watch.ts';
import type { ControlMetrics } from '../metrics.ts';
import { attemptLogDir, rankLogFile } from '../layout.ts';
import type { PoolRow } from '../renting.ts';
import type { JobRecord, JobState, Store } from '../store/types.ts';
import { JOB_STATES, JobNotFoundError } from '../store/types.ts';
import type { Tenancy } from '../tenancy.ts';
import { actorOf, registerAdminRoutes, type ApiEnv } from './admin-routes.ts';
import { recordAudit } from './audit.ts';
import { authenticate } from './auth.ts';
import { filterMetricsForTenant } from './metrics-filter.ts';
import { ClientAbortError, readBodyText } from './body.ts';
import { errorResponse, HttpError } from './errors.ts';
import { OPENAPI } from './openapi.ts';
import { registerDeploymentRoutes } from './deployments.ts';
import type { DeploymentController } from '../../serve/deployment-controller.ts';
import { registerNodeRoutes } from './nodes.ts';
import { countsAsRestart } from '../../sched/lifecycle/restarts.ts';
import type { PendingBoard } from '../pending-board.ts';
import { registerPoolRoutes } from './pools.ts';
import { registerUsageRoutes } from './usage-routes.ts';
import { fleetNodeRates, type NodeRate } from '../usage.ts';
import type { PoolBill } from '../rental-cost.ts';

export interface ApiOptions {
  readonly store: Store;
  readonly topology: ClusterTopology;
  readonly dataDir: string;
  readonly nowSeconds?: () => number;
  /** The cluster's pools (owned halls, the rented pool) for GET /v1/pools. */
  readonly pools?: () => Promise<PoolRow[]>;
  /** Called after a submit or cancel so the reconciler acts at once. */
  readonly onChange?: () => void;
  readonly log?: (line: string) => void;
  readonly maxBodyBytes?: number;
  /** Served at GET /metrics when given. */
  readonly metrics?: ControlMetrics;
  /** Who runs tenants' jobs (single-user mode admits one tenant; log reads run as the tenant's user). */
  readonly tenancy?: Tenancy;
  /** False where no tenant code writes the logs (the simulated executor): read them as the plane. */
  readonly logsAsTenant?: boolean;
  /** Roots outside the tenants' areas allowed for workdir and checkpoint_dir (`up --allow-path`). */
  readonly allowPaths?: readonly string[];
  /** Serve deployments (routes under /v1/deployments). */
  readonly deployments?: DeploymentController;
  /** Why queued jobs wait (from the reconciler's last cycle). */
  readonly pending?: PendingBoard;
  /** The executor's view of a node (GET /v1/nodes shows a node it reports unusable as down). */
  readonly nodeUp?: (name: string) => boolean;
  /** Whether a node of the rent pool is rented now (absent: no renting). */
  readonly rentedUp?: (index: number) => boolean;
  /** Hot spare nodes held aside now (absent: none). */
  readonly spares?: () => ReadonlySet<number>;
  /** When a node in repair comes back (the executor's `nodeRepairUntil`; such a node shows as repair). */
  readonly nodeRepairUntil?: (name: string) => number | undefined;
  /** GET /metrics without a token, every series (`up --metrics-public`); default: a token, own series only. */
  readonly metricsPublic?: boolean;
  /** Measures running jobs' progress against their plan (GET /v1/jobs/{id} `actual`). */
  readonly progress?: ProgressTracker;
  /** The fleet planned jobs are planned on (sim executor); else the topology's GPUs. */
  readonly fleet?: FleetSpec;
  /** What an hour of each node costs, for GET /v1/usage (default: priced from the catalog). */
  readonly nodeRates?: (nodeIndex: number) => NodeRate;
  /** The rented pools' bills from the store, for GET /v1/usage's pool rows (absent: this plane rents nothing). */
  readonly rentedPoolBills?: (sinceSeconds?: number) => Promise<readonly PoolBill[]>;
  /** Cluster seconds per wall second (`--executor sim --sim-speed`): usage hours are the cluster's, as the bills are. */
  readonly clusterSpeed?: number;
}

type Env = ApiEnv;

const STATES = JOB_STATES;
const MAX_LOG_CHUNK_BYTES = 1 << 20;
/** Request body limit: a job spec is a few KB. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
const iso = (s: number | undefined) => (s === undefined ? null : new Date(s * 1000).toISOString());

/**
 * The JSON shape of a job (snake_case, like the spec). A queued job's `reason` is why it waits,
 * as Slurm's REASON column (`reason_code` alone, e.g. Resources); the head of the queue also has
 * `estimated_start` (the backfill reservation).
 */
export function jobJson(j: JobRecord, pending?: PendingBoard) {
  const why = j.state === 'queued' ? pending?.get(j.id) : undefined;
  return {
    id: j.id, tenant: j.tenant, name: j.spec.name, state: j.state, priority: j.spec.priority,
    nodes: j.spec.nodes, ranks_per_node: j.spec.ranks_per_node, gpus_per_node: j.spec.gpus_per_node,
    attempt: j.attempt, restarts: j.restarts, max_restarts: j.spec.max_restarts, cancel_requested: j.cancelRequested,
    node_indices: j.nodeIndices, submit_time: iso(j.submitSeconds), start_time: iso(j.startSeconds), end_time: iso(j.endSeconds),
    exit_code: j.exitCode ?? null, reason: why ? `${why.code}: ${why.message}` : j.reason ?? null, reason_code: why?.code ?? null,
    estimated_start: iso(why?.estimatedStartSeconds), spec: j.spec, plan: j.spec.plan ?? null,
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
    // Nobody is left to read an answer; log it as what it is, not as an internal error.
    if (err instanceof ClientAbortError) { o.log?.(`client aborted ${c.req.method} ${c.req.path}: ${err.message}`); return c.json({ error: { status: 400, message: err.message } }, 400); }
    const { status, body } = errorResponse(err, o.log);
    return c.json(body, status as 400);
  });
  app.notFound((c) => c.json({ error: { status: 404, message: `no route ${c.req.method} ${c.req.path}; see /openapi.json` } }, 404));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/openapi.json', (c) => c.json(OPENAPI));
  app.get('/metrics', async (c) => {
    if (!o.metrics) return c.text('metrics disabled\n', 404);
    const text = await o.metrics.registry.metrics();
    const headers = { 'content-type': o.metrics.registry.contentType };
    if (o.metricsPublic) return c.text(text, 200, headers);
    // A tenant sees its own series only; admins see everything (see ./metrics-filter.ts).
    const who = await authenticate(o.store, c.req.header('authorization'), now());
    return c.text(who.admin ? text : filterMetricsForTenant(text, who.tenant), 200, headers);
  });

  app.use('/v1/*', async (c, next) => {
    const who = await authenticate(o.store, c.req.header('authorization'), now());
    c.set('tenant', who.tenant);
    c.set('admin', who.admin);
    c.set('tokenId', who.tokenId);
    await next();
  });

  const readJson = async (req: Request): Promise<unknown> => {
    const type = req.headers.get('content-type') ?? '';
    if (!type.toLowerCase().startsWith('application/json')) throw new HttpError(415, `Content-Type: got "${type}"; expected application/json`);
    return parseJsonLimited(await readBodyText(req, o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  };

  /** A job this caller may see, else 404 (another tenant's job is indistinguishable from none). */
  const visibleJob = async (id: string, tenant: string, admin: boolean): Promise<JobRecord> => {
    const j = await o.store.getJob(id);
    if (!j || (!admin && j.tenant !== tenant)) throw new JobNotFoundError(id);
    return j;
  };

  app.post('/v1/jobs', async (c) => {
    let spec = checkJobPaths(parseJobSpec(await readJson(c.req.raw)), { tenant: c.get('tenant'), admin: c.get('admin') }, { dataDir: o.dataDir, allowPaths: o.allowPaths ?? [] });
    // A planned job (model + tokens): planned on this plane's fleet, sized from its plan (plan-job.ts).
    if (spec.model !== undefined) {
      const busyNodes = new Set((await o.store.listJobs({ states: ['running'] })).flatMap((j) => j.nodeIndices));
      spec = applyPlan(spec, planJob(spec, { topology: o.topology, busyNodes, ...(o.fleet ? { fleet: o.fleet } : {}) }));
    }
    checkAdmissible(spec, o.topology);
    if (c.req.query('dry_run') === 'true') return c.json({ spec, plan: spec.plan ?? null }, 200);
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !/^[A-Za-z0-9_\-.:]{1,128}$/.test(key)) throw new InputError({ field: 'Idempotency-Key', value: key, expected: '1-128 letters, digits, "_", "-", "." or ":"' });
    const { job, created } = await o.store.submitJob({ tenant: c.get('tenant'), spec, submitSeconds: now(), ...(key !== undefined ? { idempotencyKey: key } : {}) });
    if (created) { o.metrics?.submitted.inc(); o.onChange?.(); }
    return c.json({ job: jobJson(job, o.pending), created }, created ? 201 : 200);
  });

  app.get('/v1/jobs', async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !STATES.includes(state as JobState)) throw new InputError({ field: 'state', value: state, expected: `one of ${STATES.join(', ')}` });
    const lim = intParam(c.req.query('limit'), 'limit', 1, 10_000) ?? 100;
    const admin = c.get('admin');
    const jobs = await o.store.listJobs({ ...(admin ? {} : { tenant: c.get('tenant') }), ...(state ? { states: [state as JobState] } : {}), limit: lim });
    return c.json({ jobs: jobs.map((j) => jobJson(j, o.pending)) });
  });

  app.get('/v1/jobs/:id', async (c) => {
    const j = await visibleJob(c.req.param('id'), c.get('tenant'), c.get('admin'));
    const attempts = (await o.store.listAttempts(j.id)).map((a) => ({
      attempt: a.attempt, start_time: iso(a.startSeconds), end_time: iso(a.endSeconds), node_indices: a.nodeIndices,
      outcome: a.outcome ?? null, reason: a.reason ?? null, exit_code: a.exitCode ?? null, lost_seconds: a.lostSeconds ?? null,
      // Only the job's own failures count against max_restarts (the lifecycle's rule); null while it runs.
      counts_as_restart: a.outcome === undefined ? null : countsAsRestart(a.outcome),
    }));
    const events = (await o.store.listEvents(j.id, 200)).map((e) => ({ time: iso(e.seconds), type: e.type, message: e.message }));
    return c.json({ job: jobJson(j, o.pending), attempts, events, actual: o.progress?.actual(j) ?? null });
  });

  app.post('/v1/jobs/:id/cancel', async (c) => {
    const before = await visibleJob(c.req.param('id'), c.get('tenant'), c.get('admin'));
    const j = await o.store.requestCancel(c.req.param('id'), now());
    // An admin cancelling another tenant's job is an admin action: audited.
    if (before.tenant !== c.get('tenant')) await recordAudit(o.store, actorOf(c), 'job.cancel', j.id, `tenant ${j.tenant}, was ${before.state}`, now());
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
      // Read as the tenant's user: the log dir is the tenant's, and may hold its symlinks.
      const buf = await readJobFile(o.logsAsTenant === false ? undefined : o.tenancy, j.tenant, rankLogFile(attemptLogDir(o.dataDir, j, attempt), rank), offset, maxBytes);
      text = buf.toString('utf8');
      next = offset + buf.length;
    }
    return c.json({ job_id: j.id, state: j.state, attempt, rank, world_size: worldSize, offset, next_offset: next, text });
  });

  registerAdminRoutes(app, { store: o.store, now, readJson, ...(o.tenancy ? { tenancy: o.tenancy } : {}) });

  registerDeploymentRoutes(app, o.deployments);
  registerPoolRoutes(app, o);
  registerUsageRoutes(app, { store: o.store, nodes: o.topology.nodes, rateOf: o.nodeRates ?? fleetNodeRates(o.topology.nodes, undefined), nowSeconds: now, ...(o.rentedPoolBills ? { rentedPoolBills: o.rentedPoolBills } : {}), ...(o.clusterSpeed !== undefined ? { clusterSpeed: o.clusterSpeed } : {}) });
  registerNodeRoutes(app, { store: o.store, topology: o.topology, nowSeconds: now, ...(o.onChange ? { onChange: o.onChange } : {}), ...(o.nodeUp ? { nodeUp: o.nodeUp } : {}), ...(o.nodeRepairUntil ? { nodeRepairUntil: o.nodeRepairUntil } : {}), ...(o.rentedUp ? { rentedUp: o.rentedUp } : {}), ...(o.spares ? { spares: o.spares } : {}) });

  return app;
}
