/**
 * Renting in the live plane: the lifecycle's rent policy (src/sched/rent-policy.ts, the one
 * `gigafactory sim --rent-pool` runs) over the reconciler's queue, carried out by a Provider.
 * A rented node is usable only between its join and its release; billing runs over that time.
 * The queue wait of a job counts from when it last entered the queue (its submit, or the end of
 * its last attempt), as in the simulator.
 */
import type { ClusterTopology, PoolSpec } from '../fleet/types.ts';
import { rentDecisions } from '../sched/lifecycle/index.ts';
import type { Decision } from '../sched/types.ts';
import type { Provider } from './provider.ts';

export interface RentingOptions {
  readonly provider: Provider;
  readonly pool: PoolSpec;
  readonly queueWaitThresholdSeconds: number;
  readonly idleReleaseSeconds: number;
}

/** One row of GET /v1/pools. */
export interface PoolRow {
  readonly name: string;
  readonly kind: 'owned' | 'rented';
  readonly nodes: number;
  readonly provisionedNodes: number;
  readonly pricePerGpuHourUsd: number | null;
  readonly rentedGpuHours: number;
  readonly costUsd: number;
}

export class LiveRenting {
  private readonly arrivedAt = new Map<number, number>();
  private readonly idleSince = new Map<number, number>();
  private readonly byName = new Map<string, number>();
  private inFlight = 0;
  private closedGpuSeconds = 0;
  requests = 0;
  released = 0;

  constructor(private readonly topology: ClusterTopology, readonly o: RentingOptions, private readonly now: () => number, onJoin: () => void) {
    for (const n of topology.nodes) if (n.rented && n.pool === o.pool.name) this.byName.set(n.name, n.index);
    o.provider.onJoin((pool, names) => {
      if (pool !== o.pool.name) return;
      const t = this.now();
      for (const name of names) {
        const i = this.byName.get(name);
        if (i === undefined) continue;
        this.arrivedAt.set(i, t);
        this.idleSince.set(i, t);
      }
      this.inFlight = Math.max(0, this.inFlight - names.length);
      onJoin();
    });
  }

  /** Owned nodes are always there; a rented one only while it is rented. */
  isUp(i: number): boolean {
    return !this.topology.nodes[i]?.rented || this.arrivedAt.has(i);
  }

  isRented(i: number): boolean {
    return this.topology.nodes[i]?.rented === true;
  }

  /** Rented nodes up now. */
  get arrived(): number { return this.arrivedAt.size; }

  /** Rented nodes asked for and not joined yet (queued jobs wait for them: WaitingForRentedNodes). */
  get provisioning(): number { return this.inFlight; }

  /**
   * After a cycle: marks which rented nodes are idle, then asks the policy what to provision
   * and what to give back, and has the provider do it (off the decision loop).
   */
  decide(queue: readonly { queuedSinceSeconds: number; nodes: number }[], held: ReadonlySet<number>): Decision[] {
    const now = this.now();
    for (const i of this.arrivedAt.keys()) {
      if (held.has(i)) this.idleSince.delete(i);
      else if (!this.idleSince.has(i)) this.idleSince.set(i, now);
    }
    const ds = rentDecisions(this.o.pool.name, {
      nowSeconds: now, queue, queueWaitThresholdSeconds: this.o.queueWaitThresholdSeconds, inFlightNodes: this.inFlight,
      poolAvailableNodes: this.byName.size - this.arrivedAt.size - this.inFlight,
      rented: [...this.arrivedAt].map(([node, at]) => ({ node, arrivedAtSeconds: at, idleSinceSeconds: this.idleSince.get(node) })),
      idleReleaseSeconds: this.o.idleReleaseSeconds, minimumRentalSeconds: this.o.pool.minimumHours * 3600,
    });
    for (const d of ds) {
      if (d.kind === 'provision') {
        const asked = d.nodes;
        this.inFlight += asked;
        this.requests++;
        void this.o.provider.provision(this.o.pool.name, asked).then((got) => { this.inFlight -= asked - got.length; }, () => { this.inFlight -= asked; });
      } else if (d.kind === 'release') {
        for (const i of d.nodeIndices) {
          this.closedGpuSeconds += (now - this.arrivedAt.get(i)!) * (this.topology.nodes[i]?.gpus ?? 0);
          this.arrivedAt.delete(i);
          this.idleSince.delete(i);
          this.released++;
        }
        void this.o.provider.release(d.nodeIndices.map((i) => this.topology.nodes[i]!.name)).catch(() => undefined);
      }
    }
    return ds;
  }

  /** The rented pool's row: GPU-hours billed so far (released nodes plus those rented now). */
  row(): PoolRow {
    const now = this.now();
    let gpuSeconds = this.closedGpuSeconds;
    for (const [i, at] of this.arrivedAt) gpuSeconds += (now - at) * (this.topology.nodes[i]?.gpus ?? 0);
    const hours = gpuSeconds / 3600;
    return {
      name: this.o.pool.name, kind: 'rented', nodes: this.byName.size, provisionedNodes: this.arrivedAt.size,
      pricePerGpuHourUsd: this.o.pool.pricePerGpuHourUsd, rentedGpuHours: +hours.toFixed(3), costUsd: +(hours * this.o.pool.pricePerGpuHourUsd).toFixed(2),
    };
  }
}

/** Every pool of the cluster: owned halls as they are, the rented pool from `renting`. */
export function poolRows(topology: ClusterTopology, renting: LiveRenting | undefined): PoolRow[] {
  const owned = new Map<string, number>();
  for (const n of topology.nodes) if (!n.rented) owned.set(n.pool, (owned.get(n.pool) ?? 0) + 1);
  const rows: PoolRow[] = [...owned].map(([name, nodes]) => ({ name, kind: 'owned', nodes, provisionedNodes: nodes, pricePerGpuHourUsd: null, rentedGpuHours: 0, costUsd: 0 }));
  // Rented nodes the cluster simply has (a Slurm cluster's cloud partition, a fleet with its
  // pools included), not rented by this plane: listed as they are, with no cost accrued here.
  const fixed = new Map<string, { nodes: number; price: number | null }>();
  for (const n of topology.nodes) {
    if (!n.rented || n.pool === renting?.o.pool.name) continue;
    const f = fixed.get(n.pool) ?? { nodes: 0, price: n.pricePerGpuHourUsd ?? null };
    f.nodes++;
    fixed.set(n.pool, f);
  }
  for (const [name, f] of fixed) rows.push({ name, kind: 'rented', nodes: f.nodes, provisionedNodes: f.nodes, pricePerGpuHourUsd: f.price, rentedGpuHours: 0, costUsd: 0 });
  if (renting) rows.push(renting.row());
  return rows;
}
