/**
 * Accounting, like Slurm's `sreport`: GPU-hours and cost per tenant and per job, split into
 * owned capacity (capex amortised plus power, from the fleet's facility figures) and rented
 * capacity (the pool's price per GPU-hour). Pure: computed from the attempts the store keeps,
 * so usage survives control-plane restarts. A job's GPUs on a node are its `gpus_per_node`,
 * or the whole node when it asks for none (a whole-node job holds every GPU of the node).
 * A rented node's minimum term is billed by its pool (GET /v1/pools), not spread over jobs: with
 * the pools' bills, the report has one row per rented pool (billed, the part jobs used, and the
 * rest, idle or minimum term), as sreport's cluster utilization next to its per-account report.
 */
import { NODE_TYPES, nodeType } from '../catalog/nodes.ts';
import { DEFAULT_FACILITY, ownedNodeHourlyCostUsd, RENTAL_LIST_PRICE_PER_GPU_HOUR_USD } from '../catalog/prices.ts';
import type { ClusterNode, FleetSpec } from '../fleet/types.ts';
import { clusterSecondsOf } from './cluster-time.ts';
import type { PoolBill } from './rental-cost.ts';
import type { AttemptRecord, JobRecord } from './store/types.ts';

export type CapacityKind = 'owned' | 'rented';

/** What an hour of one node costs, and where the figure comes from. */
export interface NodeRate {
  readonly kind: CapacityKind;
  readonly pool: string;
  readonly usdPerNodeHour: number;
  readonly source: string;
}

export interface UsageFigures {
  /** Node-hours held, owned or rented (a CPU-only node has no GPU-hours but does have these). */
  nodeHours: number;
  ownedGpuHours: number;
  rentedGpuHours: number;
  ownedCostUsd: number;
  rentedCostUsd: number;
}

export interface JobUsage extends UsageFigures { readonly jobId: string; readonly tenant: string; readonly name: string }
export interface TenantUsage extends UsageFigures { readonly tenant: string; jobs: number }

/**
 * A rented pool this plane rents from: what it billed (from the store, minimum terms included),
 * the part of it jobs used (their rented figures on the pool's nodes), and the rest, paid for
 * while rented nodes sat idle or for the minimum term.
 */
export interface PoolUsage {
  readonly pool: string;
  readonly gpuHours: number;
  readonly costUsd: number;
  readonly jobsGpuHours: number;
  readonly jobsCostUsd: number;
  readonly idleGpuHours: number;
  readonly idleCostUsd: number;
}

export interface UsageReport {
  readonly sinceSeconds: number | undefined;
  readonly untilSeconds: number;
  readonly tenants: TenantUsage[];
  readonly jobs: JobUsage[];
  readonly total: UsageFigures;
  /** Each pool's rate and its source. */
  readonly rates: { pool: string; kind: CapacityKind; usdPerNodeHour: number; source: string }[];
  /** Rented pools' bills split into jobs and idle; only when `bills` were given (an admin's report of every tenant). */
  readonly pools?: PoolUsage[];
}

export interface UsageInput {
  readonly jobs: readonly JobRecord[];
  readonly attempts: ReadonlyMap<string, readonly AttemptRecord[]>;
  readonly nodes: readonly Pick<ClusterNode, 'gpus' | 'pool'>[];
  readonly rateOf: (nodeIndex: number) => NodeRate;
  readonly nowSeconds: number;
  readonly sinceSeconds?: number;
  /**
   * The rented pools' bills over the same window (LiveRenting.bill). Give them only with every
   * tenant's jobs: the part attributed to jobs is the sum over the jobs given.
   */
  readonly bills?: readonly PoolBill[];
  /**
   * Cluster seconds per wall second (`up --executor sim --sim-speed X`; 1 for a real cluster):
   * the attempts' spans are the store's wall time, the hours billed are the cluster's, as the
   * rented pools' bills are.
   */
  readonly clusterSpeed?: number;
}

const zero = (): UsageFigures => ({ nodeHours: 0, ownedGpuHours: 0, rentedGpuHours: 0, ownedCostUsd: 0, rentedCostUsd: 0 });

function add(to: UsageFigures, from: UsageFigures): void {
  to.nodeHours += from.nodeHours;
  to.ownedGpuHours += from.ownedGpuHours;
  to.rentedGpuHours += from.rentedGpuHours;
  to.ownedCostUsd += from.ownedCostUsd;
  to.rentedCostUsd += from.rentedCostUsd;
}

export function computeUsage(input: UsageInput): UsageReport {
  const since = input.sinceSeconds ?? -Infinity;
  const jobs: JobUsage[] = [];
  const tenants = new Map<string, TenantUsage>();
  const total = zero();
  const pools = new Map<string, NodeRate>();
  const rentedByPool = new Map<string, { gpuHours: number; costUsd: number }>();
  for (const job of input.jobs) {
    const f = zero();
    for (const a of input.attempts.get(job.id) ?? []) {
      const end = Math.min(a.endSeconds ?? input.nowSeconds, input.nowSeconds);
      const hours = clusterSecondsOf(Math.max(0, end - Math.max(a.startSeconds, since)), input.clusterSpeed) / 3600;
      if (hours === 0) continue;
      for (const index of a.nodeIndices) {
        const node = input.nodes[index];
        if (node === undefined) continue;
        const rate = input.rateOf(index);
        pools.set(rate.pool, rate);
        const gpus = job.spec.gpus_per_node > 0 ? Math.min(job.spec.gpus_per_node, node.gpus) : node.gpus;
        // A job on part of a node pays for its share of the node's GPUs (all of a CPU node).
        const share = node.gpus > 0 ? gpus / node.gpus : 1;
        const cost = hours * rate.usdPerNodeHour * share;
        f.nodeHours += hours;
        if (rate.kind === 'owned') {
          f.ownedGpuHours += hours * gpus;
          f.ownedCostUsd += cost;
        } else {
          f.rentedGpuHours += hours * gpus;
          f.rentedCostUsd += cost;
          const p = rentedByPool.get(rate.pool) ?? { gpuHours: 0, costUsd: 0 };
          p.gpuHours += hours * gpus;
          p.costUsd += cost;
          rentedByPool.set(rate.pool, p);
        }
      }
    }
    if (f.nodeHours === 0) continue;
    jobs.push({ jobId: job.id, tenant: job.tenant, name: job.spec.name, ...f });
    let t = tenants.get(job.tenant);
    if (t === undefined) { t = { tenant: job.tenant, jobs: 0, ...zero() }; tenants.set(job.tenant, t); }
    add(t, f);
    t.jobs++;
    add(total, f);
  }
  return {
    sinceSeconds: input.sinceSeconds, untilSeconds: input.nowSeconds,
    tenants: [...tenants.values()].sort((a, b) => a.tenant.localeCompare(b.tenant)), jobs, total,
    rates: [...pools.values()].map((r) => ({ pool: r.pool, kind: r.kind, usdPerNodeHour: r.usdPerNodeHour, source: r.source })).sort((a, b) => a.pool.localeCompare(b.pool)),
    ...(input.bills ? { pools: input.bills.map((b) => poolUsage(b, rentedByPool.get(b.pool) ?? { gpuHours: 0, costUsd: 0 })) } : {}),
  };
}

function poolUsage(bill: PoolBill, jobs: { gpuHours: number; costUsd: number }): PoolUsage {
  return {
    pool: bill.pool, gpuHours: bill.gpuHours, costUsd: bill.costUsd, jobsGpuHours: jobs.gpuHours, jobsCostUsd: jobs.costUsd,
    // Clamped at zero: jobs can show more than the bill at the edges. Float rounding; a rental
    // closed at a restart while its job's attempt ends later (at recovery); a job priced at the
    // fleet file's price now, the rental at the price stored when it was rented. Nothing is idle then.
    idleGpuHours: Math.max(0, bill.gpuHours - jobs.gpuHours),
    idleCostUsd: Math.max(0, bill.costUsd - jobs.costUsd),
  };
}

/**
 * Node rates from a fleet: an owned hall's node type priced by the facility figures, a rented
 * pool's price per GPU-hour times the node's GPUs. Without a fleet (a Slurm cluster read from
 * Slurm), a node is priced as the catalog's HGX node of its GPU type, owned, and a node of a
 * partition named after no hall as rented at the cloud list price.
 */
export function fleetNodeRates(nodes: readonly ClusterNode[], fleet: FleetSpec | undefined): (nodeIndex: number) => NodeRate {
  const byPool = new Map<string, NodeRate>();
  const custom = fleet?.nodeTypes ?? {};
  for (const h of fleet?.halls ?? []) {
    const t = nodeType(h.nodeType, custom);
    byPool.set(h.name, { kind: 'owned', pool: h.name, usdPerNodeHour: ownedNodeHourlyCostUsd(t, fleet!.facility).totalUsdPerHour, source: `node type ${t.id}: capex over ${fleet!.facility.amortizationYears} years + ${t.maxPowerKw} kW x PUE ${fleet!.facility.pue} x $${fleet!.facility.electricityUsdPerKwh}/kWh (fleet ${fleet!.name})` });
  }
  for (const p of fleet?.pools ?? []) {
    const gpus = nodeType(p.nodeType, custom).gpusPerNode;
    byPool.set(p.name, { kind: 'rented', pool: p.name, usdPerNodeHour: p.pricePerGpuHourUsd * gpus, source: `pool ${p.name} (${p.provider}): $${p.pricePerGpuHourUsd}/GPU-hour x ${gpus} GPUs (fleet ${fleet!.name})` });
  }
  const fallback = (n: ClusterNode): NodeRate => {
    if (n.gpuType === 'cpu' || n.gpus === 0) return { kind: n.rented ? 'rented' : 'owned', pool: n.pool, usdPerNodeHour: 0, source: 'a CPU-only node: no GPU cost' };
    if (n.rented) {
      const price = RENTAL_LIST_PRICE_PER_GPU_HOUR_USD[n.gpuType];
      return { kind: 'rented', pool: n.pool, usdPerNodeHour: price.value * n.gpus, source: `cloud list price ${price.value}/GPU-hour (${price.source})` };
    }
    // The catalog's own server of that GPU (not a cloud shape), scaled to the node's GPUs.
    const t = Object.values(NODE_TYPES).find((c) => c.gpu === n.gpuType && !c.id.startsWith('oci-'))!;
    const scale = n.gpus / t.gpusPerNode;
    const facility = fleet?.facility ?? DEFAULT_FACILITY;
    return { kind: 'owned', pool: n.pool, usdPerNodeHour: ownedNodeHourlyCostUsd(t, facility).totalUsdPerHour * scale, source: `catalog node type ${t.id} (no fleet file for pool ${n.pool})` };
  };
  return (i) => {
    const n = nodes[i]!;
    return byPool.get(n.pool) ?? fallback(n);
  };
}
