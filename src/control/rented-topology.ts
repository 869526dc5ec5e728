/**
 * A live cluster plus one rented pool: the pool's nodes (at its max_nodes, named as the fleet
 * names them, e.g. oci-ashburn-00000) are appended after the cluster's own, on fabric domains of
 * their own. They are down until rented (src/control/renting.ts); `up --rent-pool` on the local
 * executor schedules onto this.
 */
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import type { ClusterTopology, FleetSpec, PoolSpec } from '../fleet/types.ts';

/** The network the pool's own fabric is sized on, when the cluster has no fleet (this machine). */
const POOL_FABRIC: FleetSpec = FLEET_PRESETS['oci-h100']!;

export function withRentedPool(base: ClusterTopology, pool: PoolSpec, fleet: FleetSpec = POOL_FABRIC): ClusterTopology {
  const rented = buildTopology({ ...fleet, halls: [], pools: [pool] }, { includePools: true });
  const offset = base.nodes.length;
  return {
    nodes: [...base.nodes, ...rented.nodes.map((n) => ({ ...n, index: n.index + offset, leaf: n.leaf + base.leafCount, spine: n.spine + base.spineCount }))],
    leafCount: base.leafCount + rented.leafCount, spineCount: base.spineCount + rented.spineCount,
  };
}
