import { rentDecisions } from '../sched/rent-policy.ts';
import type { Engine } from './engine.ts';
import type { RentPolicy } from './types.ts';

export interface RentStats {
  gpuSeconds: number;
  costUsd: number;
  peakNodes: number;
  requests: number;
  released: number;
}

/** Renting is checked after each scheduling cycle and also this often (idle nodes go back when nothing else happens). */
export const RENT_CHECK_SECONDS = 3600;

/**
 * Renting in the simulator, as a hook after each scheduling cycle and every RENT_CHECK_SECONDS:
 * the pure `rentDecisions` (src/sched/rent-policy.ts, the one the live plane runs too) says how
 * many nodes to ask for and which to give back, as `provision`/`release` decisions (logged via
 * `engine.onDecision`); asked-for nodes come up after the pool's lead time. Billing runs from
 * arrival to release. A job's queue wait counts from when it last entered the queue.
 */
export function runRenting(engine: Engine, policy: RentPolicy): { stats: RentStats; finish: () => void } {
  const stats: RentStats = { gpuSeconds: 0, costUsd: 0, peakNodes: 0, requests: 0, released: 0 };
  const poolNodes = engine.topology.nodes.filter((n) => n.rented && n.pool === policy.pool.name).map((n) => n.index);
  const idle = new Set(poolNodes);      // not rented now
  const arrivedAt = new Map<number, number>();
  let inFlight = 0;
  const leadSeconds = policy.pool.leadTimeHours * 3600;
  const minimumSeconds = policy.pool.minimumHours * 3600;
  const bill = (node: number): void => {
    const gpus = engine.topology.nodes[node]!.gpus;
    const seconds = engine.now - arrivedAt.get(node)!;
    stats.gpuSeconds += seconds * gpus;
    stats.costUsd += (seconds / 3600) * gpus * policy.pool.pricePerGpuHourUsd;
  };
  const check = (): void => {
    const now = engine.now;
    const ds = rentDecisions(policy.pool.name, {
      nowSeconds: now, queue: [...engine.pendingJobs].map((j) => ({ queuedSinceSeconds: j.queuedSinceSeconds, nodes: j.spec.nodes })),
      queueWaitThresholdSeconds: policy.queueWaitThresholdSeconds, inFlightNodes: inFlight, poolAvailableNodes: idle.size,
      rented: [...arrivedAt].map(([node, at]) => ({ node, arrivedAtSeconds: at, idleSinceSeconds: engine.isFree(node) ? engine.idleSinceSeconds(node) : undefined })),
      idleReleaseSeconds: policy.idleReleaseSeconds, minimumRentalSeconds: minimumSeconds,
    });
    let provisionNodes = 0;
    let releaseNodes: readonly number[] = [];
    for (const d of ds) {
      engine.onDecision?.(d, now);
      if (d.kind === 'provision') provisionNodes = d.nodes;
      else if (d.kind === 'release') releaseNodes = d.nodeIndices;
    }
    if (provisionNodes > 0) {
      const batch = [...idle].slice(0, provisionNodes);
      for (const n of batch) idle.delete(n);
      inFlight += batch.length;
      stats.requests++;
      engine.kernel.schedule(leadSeconds, () => {
        inFlight -= batch.length;
        for (const n of batch) {
          arrivedAt.set(n, engine.now);
          engine.provisionRented(n);
        }
        stats.peakNodes = Math.max(stats.peakNodes, arrivedAt.size);
      });
    }
    for (const n of releaseNodes) {
      bill(n);
      arrivedAt.delete(n);
      engine.releaseRented(n);
      idle.add(n);
      stats.released++;
    }
  };
  engine.addAfterCycle(check);
  // Idle nodes must go back even when nothing else happens: check hourly.
  const hourly = (): void => { check(); if (engine.now + RENT_CHECK_SECONDS < engine.horizonSeconds) engine.kernel.schedule(RENT_CHECK_SECONDS, hourly); };
  engine.kernel.schedule(RENT_CHECK_SECONDS, hourly);
  // Bills nodes still rented at the end of the run.
  const finish = (): void => { for (const n of arrivedAt.keys()) bill(n); arrivedAt.clear(); };
  return { stats, finish };
}
