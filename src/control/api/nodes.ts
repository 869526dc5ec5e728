/**
 * Node operations, as Slurm's `scontrol update nodename=N state=drain|resume|down reason=...`:
 * GET /v1/nodes lists each node with its state, reason, GPUs and GPUs in use; POST
 * /v1/nodes/{name}/state (admin only) drains, resumes or downs one. A drained node gets no new
 * work and its running jobs finish ("draining" until they do, then "drained"); a down node's
 * jobs are stopped and requeued without counting a restart. States persist in the store.
 */
import type { Hono } from 'hono';
import type { ClusterTopology } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import type { RentalRow } from '../store/rental-table.ts';
import type { Store } from '../store/types.ts';
import { listNodeRows, NODE_STATES, type NodeState } from '../node-rows.ts';
import { HttpError } from './errors.ts';

export const NODE_ACTIONS = ['drain', 'resume', 'down'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];
const MAX_REASON_CHARS = 256;

export interface NodeRoutesOptions {
  readonly store: Store;
  readonly topology: ClusterTopology;
  readonly nowSeconds: () => number;
  /** Called after a state change so the reconciler acts at once. */
  readonly onChange?: () => void;
  /** The executor's own view (Slurm DOWN, a simulated node in repair). */
  readonly nodeUp?: (name: string) => boolean;
  /** When a node in repair comes back (the executor's `nodeRepairUntil`). */
  readonly nodeRepairUntil?: (name: string) => number | undefined;
  /** Whether a node of the rent pool is rented now: one that is not is listed `unrented`. */
  readonly rentedUp?: (index: number) => boolean;
  /** Hot spare nodes held aside now (`up --spares`), by index. */
  readonly spares?: () => ReadonlySet<number>;
}

/** The JSON of one node. */
export interface NodeJson {
  index: number; name: string; pool: string; rented: boolean; gpu_type: string; gpus: number; gpusInUse: number;
  state: NodeState; reason: string | null; since: string | null;
  /** Held aside as a hot spare (`up --spares N|auto`): kept free for a gang that loses a node. */
  spare: boolean;
  /** A rented node's instance while the plane rents it (null otherwise): ./openapi.ts documents it. */
  rental: RentalJson | null;
}

/** One rented instance, as GET /v1/nodes shows it. */
export interface RentalJson {
  provider: string; instance: string | null; state: string; launched_at: string; price_per_hour_usd: number;
}

const rentalJson = (r: RentalRow | null | undefined): RentalJson | null => (r ? {
  provider: r.provider, instance: r.instanceId, state: r.state, launched_at: new Date(r.launchedSeconds * 1000).toISOString(), price_per_hour_usd: r.pricePerHourUsd,
} : null);

/** The error for a node name the cluster lacks: a few names and how to list them all. */
export function unknownNode(name: string, topology: ClusterTopology): InputError {
  const names = topology.nodes.map((n) => n.name);
  const known = names.length <= 10 ? names.join(', ')
    : `${names.length.toLocaleString('en-US')} nodes, ${names.slice(0, 3).join(', ')}, ..., ${names[names.length - 1]}; list them with \`gigafactory nodes\` or GET /v1/nodes`;
  return new InputError({ field: 'name', value: name, expected: `a node of this cluster (${known})` });
}

import { actorOf, type ApiEnv as Env } from './admin-routes.ts';
import { recordAudit } from './audit.ts';

export function registerNodeRoutes(app: Hono<Env>, o: NodeRoutesOptions): void {
  const byName = new Map(o.topology.nodes.map((n) => [n.name, n]));

  app.get('/v1/nodes', async (c) => {
    const filter = c.req.query('state');
    if (filter !== undefined && !(NODE_STATES as readonly string[]).includes(filter)) throw new InputError({ field: 'state', value: filter, expected: `one of ${NODE_STATES.join(', ')}` });
    const spares = o.spares?.() ?? new Set<number>();
    const nodes: NodeJson[] = (await listNodeRows(o.store, o.topology, o.nodeUp, o.nodeRepairUntil, o.rentedUp)).filter((r) => filter === undefined || r.state === filter).map((r) => ({
      index: r.index, name: r.name, pool: r.pool, rented: r.rented, gpu_type: r.gpuType, gpus: r.gpus, gpusInUse: r.gpusInUse, state: r.state,
      reason: r.reason, spare: spares.has(r.index), since: r.sinceSeconds !== null ? new Date(r.sinceSeconds * 1000).toISOString() : null, rental: rentalJson(r.rental),
    }));
    return c.json({ nodes });
  });

  app.post('/v1/nodes/:name/state', async (c) => {
    if (!c.get('admin')) throw new HttpError(403, 'only an admin token may change node states');
    const name = c.req.param('name');
    if (!byName.has(name)) throw unknownNode(name, o.topology);
    let body: unknown;
    try { body = await c.req.json(); } catch { throw new InputError({ field: '(body)', value: undefined, expected: 'a JSON object {"state": "drain|resume|down", "reason": TEXT}' }); }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError({ field: '(body)', value: body, expected: 'a JSON object {"state": "drain|resume|down", "reason": TEXT}' });
    const { state, reason, ...rest } = body as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw new InputError({ field: extra, value: rest[extra], expected: 'no such field; known fields: state, reason' });
    if (typeof state !== 'string' || !(NODE_ACTIONS as readonly string[]).includes(state)) throw new InputError({ field: 'state', value: state, expected: `one of ${NODE_ACTIONS.join(', ')}` });
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_CHARS)) throw new InputError({ field: 'reason', value: reason, expected: `text of at most ${MAX_REASON_CHARS} characters` });
    const why = (reason as string | undefined) ?? `${state} by ${c.get('tenant')}`;
    await o.store.setNodeState(name, state as NodeAction, why, o.nowSeconds());
    await recordAudit(o.store, actorOf(c), 'node.state', name, `${state}: ${why}`, o.nowSeconds());
    o.onChange?.();
    return c.json({ name, state: state === 'resume' ? 'up' : state, reason: state === 'resume' ? null : why });
  });
}
