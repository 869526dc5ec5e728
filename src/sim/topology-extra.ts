import type { ClusterNode, ClusterTopology } from '../fleet/types.ts';

/** Nodes per leaf for nodes the simulator adds (spares beyond the fleet): a 64-port leaf's half. */
const ADDED_NODES_PER_LEAF = 32;

/**
 * A copy of `topology` with `count` more nodes like node 0, in new leaf domains under one new
 * spine, named `<pool>-NNNNN`. Used for hot spares that do not fit inside the fleet.
 */
export function withAddedNodes(topology: ClusterTopology, count: number, pool: string): ClusterTopology {
  if (count <= 0) return topology;
  const like = topology.nodes[0];
  const nodes: ClusterNode[] = [...topology.nodes];
  for (let i = 0; i < count; i++) {
    nodes.push({
      index: nodes.length, name: `${pool}-${String(i).padStart(5, '0')}`, gpuType: like?.gpuType ?? 'h100', gpus: like?.gpus ?? 8,
      leaf: topology.leafCount + Math.floor(i / ADDED_NODES_PER_LEAF), spine: topology.spineCount, pool, rented: false,
    });
  }
  return { nodes, leafCount: topology.leafCount + Math.ceil(count / ADDED_NODES_PER_LEAF), spineCount: topology.spineCount + 1 };
}
