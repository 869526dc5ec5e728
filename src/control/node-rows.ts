/**
 * Each node's state as the control plane knows it, written once and read by GET /v1/nodes, the
 * metrics and the dashboard: an operator's `down` or the executor's own view (Slurm DOWN, a
 * a node the executor does not say more of) is `down`; a node the executor reports unusable and
 * being repaired (the sim executor's failure model draws repair times) is `repair`; an
 * operator's drain is `draining` while jobs still run there, then `drained`; else `up`. GPUs in use come from the running jobs' GPU holdings (a job on part
 * of a node holds only its GPUs).
 */
import type { ClusterTopology } from '../fleet/types.ts';
import type { NodeStatus } from './node-status.ts';
import type { RentalRow } from './store/rental-table.ts';
import type { Store } from './store/types.ts';

/** `unrented`: a node of the plane's rent pool that is not rented now (as Slurm's powered-down cloud node, `idle~`). */
export type NodeState = 'up' | 'draining' | 'drained' | 'down' | 'repair' | 'unrented';
export const NODE_STATES: readonly NodeState[] = ['up', 'draining', 'drained', 'down', 'repair', 'unrented'];

export interface NodeRow {
  readonly index: number; readonly name: string; readonly pool: string; readonly rented: boolean; readonly gpuType: string;
  readonly gpus: number; readonly gpusInUse: number; readonly state: NodeState; readonly reason: string | null; readonly sinceSeconds: number | null;
  /** A rented node's instance (OCI OCID, launch time, hourly price) while the plane rents it; null otherwise. */
  readonly rental?: RentalRow | null;
}

/**
 * `nodeUp`: the executor's view of a node (absent: all usable); `repairUntil`: for an unusable
 * node the executor knows is in repair, when the repair should end (seconds since the epoch);
 * `rentedUp`: whether a node of the rent pool is rented now (absent: a rented node is simply there).
 */
export async function listNodeRows(store: Store, topology: ClusterTopology, nodeUp?: (name: string) => boolean, repairUntil?: (name: string) => number | undefined, rentedUp?: (index: number) => boolean): Promise<NodeRow[]> {
  const held = new Map((await store.listNodeStates()).map((s) => [s.name, s]));
  const rentals = new Map((await store.rentals.list()).map((r) => [r.node, r]));
  const gpus = await store.listRunningJobGpus();
  const inUse = new Int32Array(topology.nodes.length);
  for (const j of await store.listJobs({ states: ['running'], order: 'id' })) {
    const g = gpus.get(j.id);
    j.nodeIndices.forEach((n, k) => { if (n < inUse.length) inUse[n]! += g?.[k]?.length ?? topology.nodes[n]!.gpus; });
  }
  return topology.nodes.map((n) => {
    const h = held.get(n.name);
    const executorDown = nodeUp !== undefined && !nodeUp(n.name);
    const until = executorDown ? repairUntil?.(n.name) : undefined;
    const inRepair = until !== undefined && h?.state !== 'down'; // an operator's down is the operator's
    const rental = rentals.get(n.name) ?? null;
    const unrented = n.rented && rentedUp !== undefined && !rentedUp(n.index) && h?.state !== 'down';
    const state: NodeState = inRepair ? 'repair' : h?.state === 'down' || executorDown ? 'down' : unrented ? 'unrented' : h?.state === 'drain' ? (inUse[n.index]! > 0 ? 'draining' : 'drained') : 'up';
    const unrentedReason = rental ? `being rented: instance ${rental.state}` : `not rented now; the plane rents pool ${n.pool}'s nodes when jobs wait (up --rent-pool)`;
    return {
      index: n.index, name: n.name, pool: n.pool, rented: n.rented, gpuType: n.gpuType, gpus: n.gpus, gpusInUse: Math.min(n.gpus, inUse[n.index]!), state,
      reason: inRepair ? `in repair, back by about ${new Date(until * 1000).toISOString()}` : h?.reason ?? (executorDown ? 'the executor reports it unusable' : state === 'unrented' ? unrentedReason : null), sinceSeconds: h ? h.sinceSeconds : null,
      rental,
    };
  });
}

/**
 * The rows as the metrics and dashboard count them: a usable node held as a hot spare is
 * `spare`, a usable rented one `rented`; the operator's and executor's states as they are.
 */
export function nodeStatuses(rows: readonly NodeRow[], spares: ReadonlySet<number>): NodeStatus[] {
  return rows.map((r) => ({
    name: r.name, gpus: r.gpus, gpusInUse: r.gpusInUse, pool: r.pool, ...(r.reason !== null ? { reason: r.reason } : {}),
    state: r.state !== 'up' ? r.state : spares.has(r.index) ? 'spare' : r.rented ? 'rented' : 'up',
  }));
}
