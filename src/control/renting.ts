/**
 * Renting in the live plane: the lifecycle's rent policy (src/sched/rent-policy.ts, the one
 * `gigafactory sim --rent-pool` runs) over the reconciler's queue, carried out by a Provider.
 * A rented node is usable only between its join and its release. What the pool has cost
 * (GET /v1/pools) is derived from the store's rentals (./rental-cost.ts), so it survives restarts:
 * a real provider (Oracle) records its own from launch to release; for one that does not (the
 * simulated provider) this records each node from its join to its release.
 * The queue wait of a job counts from when it last entered the queue (its submit, or the end of
 * its last attempt), as in the simulator.
 */
import type { ClusterTopology, PoolSpec } from '../fleet/types.ts';
import { rentDecisions, type RentWait } from '../sched/lifecycle/index.ts';
import type { Decision } from '../sched/types.ts';
import { wallSecondsOf } from './cluster-time.ts';
import type { Provider } from './provider.ts';
import { poolBills, type PoolBill } from './rental-cost.ts';
import type { RentalTable } from './store/rental-table.ts';

export interface RentingOptions {
  readonly provider: Provider;
  readonly pool: PoolSpec;
  readonly queueWaitThresholdSeconds: number;
  readonly idleReleaseSeconds: number;
  /** Where rentals are recorded and the pool's cost is derived from (the plane's store). */
  readonly rentals: RentalTable;
  /**
   * Cluster seconds per wall second (`up --executor sim --sim-speed`; default 1). The threshold,
   * idle time, minimum term and billed hours are the cluster's; `now` is the plane's wall clock.
   */
  readonly clusterSpeed?: number;
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
  /** Rental records of a provider that keeps none, in order (put at join, close at release). */
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown;
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
        const node = this.topology.nodes[i]!;
        this.record(() => o.rentals.put({ node: name, pool: o.pool.name, provider: o.provider.name, instanceId: null, state: 'running', launchedSeconds: t, pricePerHourUsd: o.pool.pricePerGpuHourUsd * node.gpus }));
      }
      this.inFlight = Math.max(0, this.inFlight - names.length);
      onJoin();
    });
  }

  /** The provider keeps no rentals of its own (no `attach`): this records them. */
  private get recordsRentals(): boolean { return this.o.provider.attach === undefined; }

  private record(write: () => Promise<unknown>): void {
    if (!this.recordsRentals) return;
    this.writes = this.writes.then(write).then(() => undefined, (e: unknown) => { this.writeError = e; });
  }

  /**
   * At start, for a provider that keeps no rentals: the nodes a previous plane had rented from it
   * went with that plane, so their rentals are closed now (billed until this restart, the last
   * moment they may have been paid for). Their cost stays in the pool's.
   */
  async restore(): Promise<number> {
    if (!this.recordsRentals) return 0;
    let closed = 0;
    for (const r of await this.o.rentals.list()) {
      if (r.pool !== this.o.pool.name || r.provider !== this.o.provider.name) continue;
      const i = this.byName.get(r.node);
      if (await this.o.rentals.close(r.node, Math.max(r.launchedSeconds, this.now()), i === undefined ? 0 : this.topology.nodes[i]!.gpus)) closed++;
    }
    return closed;
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

  /** Rented nodes asked for and not joined yet. */
  get provisioning(): number { return this.inFlight; }

  /**
   * What queued jobs wait for (their WaitingForRentedNodes reason): the nodes on the way, as the
   * provider counts them when it can (a real one also waits for nodes a previous plane asked
   * for), and the provider's last refusal.
   */
  waiting(): RentWait {
    const s = this.o.provider.status?.();
    return { provisioningNodes: Math.max(this.inFlight, s?.provisioningNodes ?? 0), ...(s?.problem !== undefined ? { problem: s.problem } : {}) };
  }

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
    // The policy compares wall times, so the cluster's durations cross to wall seconds here.
    const speed = this.o.clusterSpeed;
    const ds = rentDecisions(this.o.pool.name, {
      nowSeconds: now, queue, queueWaitThresholdSeconds: wallSecondsOf(this.o.queueWaitThresholdSeconds, speed), inFlightNodes: this.inFlight,
      poolAvailableNodes: this.byName.size - this.arrivedAt.size - this.inFlight,
      rented: [...this.arrivedAt].map(([node, at]) => ({ node, arrivedAtSeconds: at, idleSinceSeconds: this.idleSince.get(node) })),
      idleReleaseSeconds: wallSecondsOf(this.o.idleReleaseSeconds, speed), minimumRentalSeconds: wallSecondsOf(this.o.pool.minimumHours * 3600, speed),
    });
    for (const d of ds) {
      if (d.kind === 'provision') {
        const asked = d.nodes;
        this.inFlight += asked;
        this.requests++;
        void this.o.provider.provision(this.o.pool.name, asked).then((got) => { this.inFlight -= asked - got.length; }, () => { this.inFlight -= asked; });
      } else if (d.kind === 'release') {
        for (const i of d.nodeIndices) {
          const node = this.topology.nodes[i]!;
          this.record(() => this.o.rentals.close(node.name, now, node.gpus));
          this.arrivedAt.delete(i);
          this.idleSince.delete(i);
          this.released++;
        }
        void this.o.provider.release(d.nodeIndices.map((i) => this.topology.nodes[i]!.name)).catch(() => undefined);
      }
    }
    return ds;
  }

  /**
   * The rented pool's bill from the store: GPU-hours and cost of every rental, released or
   * live, each at least the pool's minimum term (./rental-cost.ts); `sinceSeconds` as usage's.
   */
  async bill(sinceSeconds?: number): Promise<PoolBill> {
    await this.writes;
    if (this.writeError !== undefined) { const e = this.writeError; this.writeError = undefined; throw e; }
    const [live, released] = await Promise.all([this.o.rentals.list(), this.o.rentals.listReleased(this.o.pool.name)]);
    const gpusOf = (name: string) => this.topology.nodes[this.byName.get(name) ?? -1]?.gpus ?? 0;
    return poolBills({ live, released, gpusOf, pools: [this.o.pool], nowSeconds: this.now(), ...(sinceSeconds !== undefined ? { sinceSeconds } : {}), ...(this.o.clusterSpeed !== undefined ? { clusterSpeed: this.o.clusterSpeed } : {}) })[0]!;
  }

  /** The rented pool's row: GPU-hours and cost so far, from the store (minimum terms included). */
  async row(): Promise<PoolRow> {
    const b = await this.bill();
    return {
      name: this.o.pool.name, kind: 'rented', nodes: this.byName.size, provisionedNodes: this.arrivedAt.size,
      pricePerGpuHourUsd: this.o.pool.pricePerGpuHourUsd, rentedGpuHours: +b.gpuHours.toFixed(3), costUsd: +b.costUsd.toFixed(2),
    };
  }
}

/** Every pool of the cluster: owned halls as they are, the rented pool from `renting`. */
export async function poolRows(topology: ClusterTopology, renting: LiveRenting | undefined): Promise<PoolRow[]> {
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
  if (renting) rows.push(await renting.row());
  return rows;
}
