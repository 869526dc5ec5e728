/**
 * What rented capacity cost, derived from the store's rentals (./store/rental-table.ts), so it
 * survives control-plane restarts. Pure. A rental is billed from its launch to its release (now
 * while it is still rented), and never less than its pool's minimum term:
 *   cost = max(released_or_now - launched, minimum term) x its node's price per hour
 * (the pool's price per GPU-hour x the node's GPUs, as stored when it was rented). With
 * `sinceSeconds`, only the part of that billed span after it counts (a minimum term counts from launch).
 */
import { clusterSecondsOf, wallSecondsOf } from './cluster-time.ts';
import type { ReleasedRentalRow, RentalRow } from './store/rental-table.ts';

export interface PoolBill {
  readonly pool: string;
  /** GPU-hours paid for, minimum terms included. */
  readonly gpuHours: number;
  readonly costUsd: number;
}

export interface BillInput {
  /** Live rentals (a `launching` one has no instance yet and costs nothing). */
  readonly live: readonly RentalRow[];
  readonly released: readonly ReleasedRentalRow[];
  /** GPUs of a live rental's node (from the topology). */
  readonly gpusOf: (node: string) => number;
  /** The pools billed, with their minimum term. */
  readonly pools: readonly { readonly name: string; readonly minimumHours: number }[];
  readonly nowSeconds: number;
  readonly sinceSeconds?: number;
  /**
   * Cluster seconds per wall second (`up --executor sim --sim-speed`; default 1): the stored
   * times are wall time, the hours billed and the minimum term are the cluster's.
   */
  readonly clusterSpeed?: number;
}

/** One bill per pool of `pools`, in their order (zero for a pool never rented). */
export function poolBills(i: BillInput): PoolBill[] {
  const speed = i.clusterSpeed ?? 1;
  const bills = new Map(i.pools.map((p) => [p.name, { pool: p.name, gpuHours: 0, costUsd: 0, minimumSeconds: wallSecondsOf(p.minimumHours * 3600, speed) }]));
  const since = i.sinceSeconds ?? -Infinity;
  const bill = (pool: string, launched: number, end: number, gpus: number, pricePerHourUsd: number): void => {
    const b = bills.get(pool);
    if (b === undefined) return;
    const billedEnd = launched + Math.max(end - launched, b.minimumSeconds);
    const hours = clusterSecondsOf(Math.max(0, billedEnd - Math.max(launched, since)), speed) / 3600;
    b.gpuHours += hours * gpus;
    b.costUsd += hours * pricePerHourUsd;
  };
  for (const r of i.released) bill(r.pool, r.launchedSeconds, r.releasedSeconds, r.gpus, r.pricePerHourUsd);
  for (const r of i.live) if (r.state !== 'launching') bill(r.pool, r.launchedSeconds, Math.max(r.launchedSeconds, i.nowSeconds), i.gpusOf(r.node), r.pricePerHourUsd);
  return [...bills.values()].map(({ pool, gpuHours, costUsd }) => ({ pool, gpuHours, costUsd }));
}
