import type { ClusterTopology } from '../fleet/types.ts';

/**
 * Hot spares: nodes held out of ordinary placement (ClusterView.spareNodes) and swapped into a
 * large job when one of its nodes fails, so it restarts at once instead of waiting in the queue.
 * Shared by the simulator and the live control plane.
 */
/** The spare closest to `node`: same leaf, else same spine, else the lowest index. */
export function nearestSpare(topology: ClusterTopology, spares: ReadonlySet<number>, node: number): number | undefined {
  const at = topology.nodes[node]!;
  let sameSpine: number | undefined;
  let any: number | undefined;
  for (const s of spares) {
    const n = topology.nodes[s]!;
    if (n.leaf === at.leaf) return s;
    if (sameSpine === undefined && n.spine === at.spine) sameSpine = s;
    if (any === undefined || s < any) any = s;
  }
  return sameSpine ?? any;
}
