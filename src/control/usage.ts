/**
 * Accounting, like Slurm's `sreport`: GPU-hours and cost per tenant and per job, split into
 * owned capacity (capex amortised plus power, from the fleet's facility figures) and rented
 * capacity (the pool's price per GPU-hour). Pure: computed from the attempts the store keeps,
 * so usage survives control-plane restarts. A job's GPUs on a node are its `gpus_per_node`,
 * or the whole node when it asks for none (a whole-node job holds every GPU of the node).
 * A rented node's minimum term is billed by its pool (GET /v1/pools), not spread over jobs.
 */
import { NODE_TYPES, nodeType } from '../catalog/nodes.ts';
import { DEFAULT_FACILITY, ownedNodeHourlyCostUsd, RENTAL_LIST_PRICE_PER_GPU_HOUR_USD } from '../catalog/prices.ts';
import type { ClusterNode, FleetSpec } from '../fleet/types.ts';
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

export interface UsageReport {
  readonly sinceSeconds: number | undefined;
  readonly untilSeconds: number;
  readonly tenants: TenantUsage[];
  readonly jobs: JobUsage[];
  readonly total: UsageFigures;
  /** Each pool's rate and its source. */
  readonly rates: { pool: string; kind: CapacityKind; usdPerNodeHour: number; source: string }[];
}

export interface UsageInput {
  readonly jobs: readonly JobRecord[];
  readonly attempts: ReadonlyMap<string, readonly AttemptRecord[]>;
  readonly nodes: readonly Pick<ClusterNode, 'gpus' | 'pool'>[];
  readonly rateOf: (nodeIndex: number) => NodeRate;
  readonly nowSeconds: number;
  readonly sinceSeconds?: number;
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
  for (const job of input.jobs) {
    const f = zero();
    for (const a of input.attempts.get(job.id) ?? []) {
      const end = Math.min(a.endSeconds ?? input.nowSeconds, input.nowSeconds);
      const hours = Math.max(0, end - Math.max(a.startSeconds, since)) / 3600;
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
        if (rate.kind === 'owned') { f.ownedGpuHours += hours * gpus; f.ownedCostUsd += cost; } else { f.rentedGpuHours += hours * gpus; f.rentedCostUsd += cost; }
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
