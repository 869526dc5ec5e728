/**
 * Serve deployment routes of the control-plane API (the controller is
 * src/serve/deployment-controller.ts). Gateways discover replicas with GET
 * /v1/deployments/NAME and report load with POST /v1/deployments/NAME/load; the plane decides.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { InputError, UnknownNameError } from '../../lib/errors.ts';
import { parseCanaryEval, parseCanaryPercent, parseDeploymentSpec, type DeploymentDoc } from '../../serve/deployment.ts';
import { suiteSchema } from '../../serve/eval-suites.ts';
import { servedOf, type GateRecord } from '../../serve/releases.ts';
import type { DeploymentController } from '../../serve/deployment-controller.ts';
import type { DeploymentRow } from '../store/deployment-table.ts';
import { HttpError } from './errors.ts';

import type { ApiEnv as Env } from './admin-routes.ts';

async function body(req: Request, maxBytes = 256 * 1024): Promise<unknown> {
  if (!(req.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) throw new HttpError(415, 'Content-Type: expected application/json');
  const text = await req.text();
  if (text.length > maxBytes) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
  try { return JSON.parse(text) as unknown; } catch (e) {
    throw new InputError({ field: '(body)', value: text.slice(0, 80), expected: `valid JSON (${(e as Error).message})` });
  }
}

const figures = z.object({ requests: z.number().int().min(0), errors: z.number().int().min(0), p99_ms: z.number().min(0) }).strict();
const loadSchema = z.object({
  gateway: z.string().min(1).max(200),
  output_tokens_per_second: z.number().min(0).max(1e12),
  requests_in_flight: z.number().int().min(0).max(1e9),
  releases: z.record(z.string().max(64), figures).default({}),
}).strict();
const promoteSchema = z.object({
  checkpoint: z.string().min(1).max(4096).optional(),
  canary_percent: z.union([z.number(), z.string()]).optional(),
  max_error_rate: z.number().min(0).max(1).optional(),
  max_p99_ms: z.number().positive().optional(),
  min_requests: z.number().int().min(1).optional(),
  hold_seconds: z.number().positive().max(7 * 86_400).optional(),
  /** Lowest eval score per suite: ["facts>=0.8"] or {"facts": 0.8}. */
  canary_eval: z.union([z.array(z.string().max(200)).max(50), z.record(z.string().max(64), z.number().min(0).max(1))]).optional(),
  /** The suites canary_eval names (default: the checkpoint's release gate). */
  eval_suites: z.array(suiteSchema).min(1).max(50).optional(),
}).strict();

const modelId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a model id of letters, digits, ".", "_" or "-"');
/** A release-gate result as `serve gate` records it (src/serve/releases.ts GateRecord). */
const gateRecordSchema = z.object({
  model: modelId,
  checkpoint: z.string().min(1).max(4096),
  source: z.string().min(1).max(4096).optional(),
  time: z.string().refine((t) => Number.isFinite(Date.parse(t)), 'an ISO 8601 time'),
  passed: z.boolean(),
  decision: z.object({ passed: z.boolean(), checks: z.array(z.object({ name: z.string(), value: z.number().nullable(), threshold: z.string(), passed: z.boolean() }).strict()).max(1000) }).strict(),
  scores: z.record(z.string(), z.unknown()),
  evalJobId: z.string().max(100).optional(),
  suites: z.array(suiteSchema).max(50).optional(),
}).strict().refine((g) => g.passed === g.decision.passed, { message: 'passed must equal decision.passed', path: ['passed'] });

function parse<S extends z.ZodTypeAny>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data as z.output<S>;
  throw new InputError(r.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', value: i.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), input), expected: i.code === 'unrecognized_keys' ? `no such field (${i.keys.join(', ')})` : i.message })));
}

export function deploymentJson(row: DeploymentRow, c: DeploymentController) {
  const doc = row.doc as unknown as DeploymentDoc;
  const shares: Record<string, number> = {};
  if (doc.canary) { shares[doc.canary.id] = doc.canary.sharePercent; shares[doc.stable?.id ?? 'weights'] = 100 - doc.canary.sharePercent; } else shares[doc.stable?.id ?? 'weights'] = 100;
  const { replicas, unhealthy } = c.replicas(row.name);
  return {
    name: row.name, tenant: row.tenant, model: doc.spec.model, spec: doc.spec, stable: doc.stable ?? null, canary: doc.canary ?? null, shares,
    replicas: replicas.map((r) => ({ job_id: r.jobId, slot: r.slot, release: r.release, state: r.state, url: r.url ?? null, node: r.node ?? null, ready: r.ready, draining: r.draining })),
    load: c.load(row.name), unhealthy, created_time: new Date(row.createdSeconds * 1000).toISOString(), updated_time: new Date(row.updatedSeconds * 1000).toISOString(),
  };
}

export function registerDeploymentRoutes(app: Hono<Env>, controller: DeploymentController | undefined): void {
  const ctl = (): DeploymentController => { if (!controller) throw new HttpError(404, 'serve deployments are not enabled on this control plane'); return controller; };
  const visible = async (name: string, tenant: string, admin: boolean) => {
    const row = await ctl().get(name);
    // Another tenant's deployment reads as unknown.
    if (!admin && row.tenant !== tenant) throw new UnknownNameError('deployment', name, (await ctl().list()).filter((r) => r.tenant === tenant).map((r) => r.name));
    return row;
  };

  app.post('/v1/deployments', async (c) => {
    const spec = parseDeploymentSpec(await body(c.req.raw));
    const old = await ctl().get(spec.name).catch(() => undefined);
    if (old && !c.get('admin') && old.tenant !== c.get('tenant')) throw new HttpError(409, `deployment "${spec.name}" belongs to another tenant; pick another name`);
    const row = await ctl().put(spec, c.get('tenant'));
    return c.json({ deployment: deploymentJson(row, ctl()), created: old === undefined }, old ? 200 : 201);
  });

  app.get('/v1/deployments', async (c) => {
    const all = await ctl().list();
    return c.json({ deployments: all.filter((r) => c.get('admin') || r.tenant === c.get('tenant')).map((r) => deploymentJson(r, ctl())) });
  });

  app.get('/v1/deployments/:name', async (c) => c.json({ deployment: deploymentJson(await visible(c.req.param('name'), c.get('tenant'), c.get('admin')), ctl()) }));

  app.delete('/v1/deployments/:name', async (c) => {
    await visible(c.req.param('name'), c.get('tenant'), c.get('admin'));
    return c.json({ deleted: c.req.param('name'), replicas_stopped: await ctl().remove(c.req.param('name')) });
  });

  app.post('/v1/deployments/:name/load', async (c) => {
    const name = c.req.param('name');
    await visible(name, c.get('tenant'), c.get('admin'));
    const r = parse(loadSchema, await body(c.req.raw));
    ctl().report(name, {
      gateway: r.gateway, outputTokensPerSecond: r.output_tokens_per_second, requestsInFlight: r.requests_in_flight,
      releases: Object.fromEntries(Object.entries(r.releases).map(([k, v]) => [k, { requests: v.requests, errors: v.errors, p99Ms: v.p99_ms }])),
    });
    return c.json({ ok: true });
  });

  app.post('/v1/deployments/:name/releases', async (c) => {
    const name = c.req.param('name');
    await visible(name, c.get('tenant'), c.get('admin'));
    const r = parse(promoteSchema, await body(c.req.raw));
    const minEvalScores = Array.isArray(r.canary_eval) ? Object.fromEntries(r.canary_eval.map((t, i) => parseCanaryEval(t, `canary_eval.${i}`))) : r.canary_eval;
    if (r.canary_percent === undefined && (minEvalScores !== undefined || r.eval_suites !== undefined)) {
      throw new InputError({ field: minEvalScores !== undefined ? 'canary_eval' : 'eval_suites', value: r.canary_eval ?? '(suites)', expected: 'canary_percent as well: eval thresholds judge a canary (--canary 10% --canary-eval facts>=0.8)' });
    }
    const canary = r.canary_percent === undefined ? undefined : {
      sharePercent: parseCanaryPercent(r.canary_percent, 'canary_percent'),
      thresholds: {
        ...(r.max_error_rate !== undefined ? { maxErrorRate: r.max_error_rate } : {}), ...(r.max_p99_ms !== undefined ? { maxP99Ms: r.max_p99_ms } : {}),
        ...(r.min_requests !== undefined ? { minRequests: r.min_requests } : {}), ...(r.hold_seconds !== undefined ? { holdSeconds: r.hold_seconds } : {}),
        ...(minEvalScores !== undefined && Object.keys(minEvalScores).length > 0 ? { minEvalScores } : {}),
      },
      ...(r.eval_suites !== undefined ? { evalSuites: r.eval_suites } : {}),
    };
    const doc = await ctl().promote(name, r.checkpoint, canary);
    return c.json({ stable: doc.stable ?? null, canary: doc.canary ?? null }, 201);
  });

  // Release-gate results: kept in the store, so a plane that fails over keeps them.
  app.post('/v1/gates', async (c) => {
    const rec = parse(gateRecordSchema, await body(c.req.raw, 16 * 1024 * 1024));
    const served = await ctl().gates.record(rec as GateRecord, c.get('tenant'));
    return c.json({ recorded: true, served: served ?? null }, 201);
  });

  app.get('/v1/gates/:model', async (c) => {
    const model = c.req.param('model');
    parse(modelId, model);
    const gates = await ctl().gates.history(model, c.get('admin') ? undefined : c.get('tenant'));
    return c.json({ model, served: servedOf(model, gates) ?? null, gates });
  });

  app.get('/v1/deployments/:name/releases', async (c) => {
    const name = c.req.param('name');
    await visible(name, c.get('tenant'), c.get('admin'));
    const events = await ctl().releaseEvents(name);
    return c.json({ deployment: name, events: events.map((e) => ({ time: new Date(e.seconds * 1000).toISOString(), step: e.step, ...e.doc })) });
  });
}
