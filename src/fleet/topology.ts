// The cluster as the scheduler sees it: node i -> leaf domain -> spine (pod) domain.
// Owned halls share one fabric (domain sizes from it), each hall starting fresh domains; each
// rented pool is its own fabric, numbered after the owned ones. One object per node, none per GPU.
import { nodeType } from '../catalog/nodes.ts';
import { radixAt, switchSpec } from '../catalog/network.ts';
import { railFabric, type RailFabric } from './network.ts';
import type { ClusterNode, ClusterTopology, FleetSpec, NodeType } from './types.ts';
import { ImpossibleError } from '../lib/errors.ts';

export interface TopologyOptions {
  /** Add every rented pool's nodes at their maximum size (default false: owned halls only). */
  readonly includePools?: boolean;
}

interface Group { readonly name: string; readonly type: NodeType; readonly nodes: number; readonly rented: boolean; readonly pricePerGpuHourUsd?: number }

/**
 * The fabric of a set of nodes on the fleet's switch type (the widest rail count decides).
 * NIC speed: the fleet's network.nicGbps for owned halls; a rented pool runs at its shape's NICs.
 */
export function fabricFor(fleet: FleetSpec, groups: readonly { type: NodeType; nodes: number }[], nicGbps = fleet.network.nicGbps): RailFabric {
  const sw = switchSpec(fleet.network.switchType);
  const radix = radixAt(sw, nicGbps);
  if (radix < 2) {
    throw new ImpossibleError(`switch ${sw.id} has ${sw.portGbps.value} Gb/s ports; NICs of ${nicGbps} Gb/s do not fit`,
      `set network.nic_gbps to at most ${sw.portGbps.value}, or pick a faster switch`);
  }
  const nodes = groups.reduce((a, g) => a + g.nodes, 0);
  const rails = Math.max(1, ...groups.map((g) => g.type.nicsPerNode));
  return railFabric({ nodes: Math.max(1, nodes), railsPerNode: rails, radix, oversubscription: fleet.network.oversubscription, railOptimized: fleet.network.railOptimized, nicGbps });
}

/** Builds the scheduler's view of a fleet. 12,500 nodes take about a millisecond (bench/topology). */
export function buildTopology(fleet: FleetSpec, options: TopologyOptions = {}): ClusterTopology {
  const custom = fleet.nodeTypes ?? {};
  const owned: Group[] = fleet.halls.map((h) => ({ name: h.name, type: nodeType(h.nodeType, custom), nodes: h.nodes, rented: false }));
  const rented: Group[] = options.includePools === true
    ? fleet.pools.map((p) => ({ name: p.name, type: nodeType(p.nodeType, custom), nodes: p.maxNodes, rented: true, pricePerGpuHourUsd: p.pricePerGpuHourUsd }))
    : [];
  const nodes: ClusterNode[] = [];
  let leafBase = 0;
  let spineBase = 0;
  // One fabric for all owned halls, then one per pool.
  const fabrics: Group[][] = [owned, ...rented.map((g) => [g])].filter((f) => f.length > 0 && f.some((g) => g.nodes > 0));
  for (const groups of fabrics) {
    const fabric = groups[0]!.rented ? fabricFor(fleet, groups, groups[0]!.type.nicGbps) : fabricFor(fleet, groups);
    // Each hall starts a fresh leaf group and pod: a rack row does not straddle two halls.
    for (const g of groups) {
      const gpuType = g.type.gpusPerNode === 0 ? 'cpu' : g.type.gpu;
      for (let i = 0; i < g.nodes; i++) {
        const leaf = leafBase + Math.floor(i / fabric.nodesPerLeaf);
        const spine = spineBase + Math.floor(i / fabric.nodesPerPod);
        nodes.push({ index: nodes.length, name: `${g.name}-${String(i).padStart(5, '0')}`, gpuType, gpus: g.type.gpusPerNode, leaf, spine, pool: g.name, rented: g.rented,
          ...(g.pricePerGpuHourUsd !== undefined ? { pricePerGpuHourUsd: g.pricePerGpuHourUsd } : {}) });
      }
      if (g.nodes > 0) {
        leafBase += Math.ceil(g.nodes / fabric.nodesPerLeaf);
        spineBase += Math.ceil(g.nodes / fabric.nodesPerPod);
      }
    }
  }
  return { nodes, leafCount: leafBase, spineCount: spineBase };
}
