import type { Decision } from './types.ts';

/**
 * When to rent and when to give back: a pure policy over a few numbers, shared by the simulator
 * and (through `provision`/`release` decisions) the live control plane.
 * Rent: when queued jobs have waited longer than the threshold, ask for the nodes they need
 * that free rented nodes and requests already in flight do not cover, up to what the pool has.
 * Give back: when nothing waits that long, release rented nodes idle for `idleReleaseSeconds`
 * whose minimum rental term is over.
 */
export interface RentInput {
  readonly nowSeconds: number;
  /** Queued jobs: when each entered the queue and how many nodes it needs. */
  readonly queue: Iterable<{ readonly queuedSinceSeconds: number; readonly nodes: number }>;
  readonly queueWaitThresholdSeconds: number;
  /** Nodes requested and not yet arrived. */
  readonly inFlightNodes: number;
  /** Nodes the pool can still provide. */
  readonly poolAvailableNodes: number;
  /** Rented nodes that have arrived: when, and since when they are idle (undefined: busy). */
  readonly rented: Iterable<{ readonly node: number; readonly arrivedAtSeconds: number; readonly idleSinceSeconds: number | undefined }>;
  readonly idleReleaseSeconds: number;
  readonly minimumRentalSeconds: number;
}

export interface RentDecision {
  readonly provisionNodes: number;
  readonly releaseNodes: readonly number[];
}

export function rentDecision(input: RentInput): RentDecision {
  let waitingNodes = 0;
  for (const j of input.queue) if (input.nowSeconds - j.queuedSinceSeconds > input.queueWaitThresholdSeconds) waitingNodes += j.nodes;
  const rented = [...input.rented];
  const idleRented = rented.filter((r) => r.idleSinceSeconds !== undefined).length;
  const provisionNodes = Math.max(0, Math.min(waitingNodes - idleRented - input.inFlightNodes, input.poolAvailableNodes));
  if (waitingNodes > 0) return { provisionNodes, releaseNodes: [] };
  const releaseNodes = rented.filter((r) => r.idleSinceSeconds !== undefined
    && input.nowSeconds - r.idleSinceSeconds >= input.idleReleaseSeconds
    && input.nowSeconds - r.arrivedAtSeconds >= input.minimumRentalSeconds).map((r) => r.node);
  return { provisionNodes: 0, releaseNodes };
}

/** Why the policy rents (the `provision` decision's reason, the same in both drivers). */
export const RENT_REASON = 'queue waited past the threshold';

/**
 * The policy's answer as scheduler decisions for `pool` (what both drivers log and carry out):
 * a `provision` of the nodes to ask for, a `release` of the nodes to give back, or none.
 */
export function rentDecisions(pool: string, input: RentInput): Decision[] {
  const d = rentDecision(input);
  const out: Decision[] = [];
  if (d.provisionNodes > 0) out.push({ kind: 'provision', pool, nodes: d.provisionNodes, reason: RENT_REASON });
  if (d.releaseNodes.length > 0) out.push({ kind: 'release', pool, nodeIndices: d.releaseNodes });
  return out;
}
