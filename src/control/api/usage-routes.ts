/**
 * GET /v1/usage: GPU-hours and cost per tenant and per job, owned vs rented (./../usage.ts).
 * An admin sees every tenant (or one, `?tenant=`); a tenant sees only its own usage.
 * `?since=` is an ISO-8601 date or time (as `sreport start=`); default: everything.
 * An admin asking for every tenant also gets `pools`: each rented pool's bill, the part jobs used
 * and the idle/minimum-term rest. That rest is the operator's cost, not any tenant's (as sreport's
 * cluster utilization report vs its per-account report), so a tenant's report, or an admin's
 * report of one tenant, has no `pools`.
 */
import type { Hono } from 'hono';
import { InputError } from '../../lib/errors.ts';
import type { Store } from '../store/types.ts';
import { computeUsage, type NodeRate } from '../usage.ts';
import type { ClusterNode } from '../../fleet/types.ts';
import type { PoolBill } from '../rental-cost.ts';
import { HttpError } from './errors.ts';

export interface UsageRouteOptions {
  readonly store: Store;
  readonly nodes: readonly ClusterNode[];
  readonly rateOf: (nodeIndex: number) => NodeRate;
  readonly nowSeconds: () => number;
  /** The bills of the rented pools this plane rents from, since `sinceSeconds` (absent: none rented). */
  readonly rentedPoolBills?: (sinceSeconds?: number) => Promise<readonly PoolBill[]>;
  /** Cluster seconds per wall second (a simulated cluster's --sim-speed): hours are the cluster's. */
  readonly clusterSpeed?: number;
}

/** `--since` / `?since=`: an ISO-8601 date or date-time, in seconds. */
export function parseSince(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new InputError({ field, value: v, expected: 'an ISO-8601 date or time, e.g. 2026-12-01 or 2026-12-01T08:00:00Z' });
  return ms / 1000;
}

export function registerUsageRoutes(app: Hono<{ Variables: { tenant: string; admin: boolean; tokenId: string } }>, o: UsageRouteOptions): void {
  app.get('/v1/usage', async (c) => {
    const asked = c.req.query('tenant');
    const admin = c.get('admin');
    if (!admin && asked !== undefined && asked !== c.get('tenant')) throw new HttpError(403, `a tenant token sees only its own usage (tenant ${c.get('tenant')}); ask an admin for tenant "${asked}"`);
    const tenant = admin ? asked : c.get('tenant');
    const since = parseSince(c.req.query('since'), 'since');
    const jobs = await o.store.listJobs({ ...(tenant !== undefined ? { tenant } : {}), order: 'id' });
    const attempts = await o.store.listAttemptsOf(jobs.map((j) => j.id));
    // Pool rows only in the operator's view of every tenant: their job part sums all tenants' jobs.
    const bills = admin && tenant === undefined && o.rentedPoolBills ? await o.rentedPoolBills(since) : undefined;
    const report = computeUsage({ jobs, attempts, nodes: o.nodes, rateOf: o.rateOf, nowSeconds: o.nowSeconds(), ...(since !== undefined ? { sinceSeconds: since } : {}), ...(bills ? { bills } : {}), ...(o.clusterSpeed !== undefined ? { clusterSpeed: o.clusterSpeed } : {}) });
    return c.json({ usage: report });
  });
}
