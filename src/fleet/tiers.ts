// The bandwidth and latency a collective sees at each level of the fleet: NVLink inside a node,
// then each tier of the scale-out fat tree. Used by the training planner (src/plan/collectives.ts).
import { GPUS } from '../catalog/gpus.ts';
import { LINK_LATENCY } from '../catalog/network.ts';
import { nodeType } from '../catalog/nodes.ts';
import { fabricFor } from './topology.ts';
import type { FleetSpec, NodeType } from './types.ts';

export interface NetworkTier {
  readonly name: 'nvlink' | 'leaf' | 'spine' | 'core';
  /** GPUs reachable without leaving this tier (cumulative: a spine domain includes its leaves). */
  readonly endpointsWithin: number;
  /** Per-GPU bandwidth, one direction, between GPUs whose closest common tier is this one. */
  readonly bandwidthBytesPerSecondPerGpu: number;
  /** One-way latency of a small message crossing this tier. */
  readonly latencySeconds: number;
}

export interface FabricGroup { readonly type: NodeType; readonly nodes: number }
export interface MainFabric { readonly groups: readonly FabricGroup[]; readonly nicGbps: number }

/** The node groups of a fleet's main fabric: every owned hall, or the first pool of a rented-only fleet (at its NIC speed). */
export function mainFabric(fleet: FleetSpec): MainFabric {
  const custom = fleet.nodeTypes ?? {};
  if (fleet.halls.length > 0) return { groups: fleet.halls.map((h) => ({ type: nodeType(h.nodeType, custom), nodes: h.nodes })), nicGbps: fleet.network.nicGbps };
  const groups = fleet.pools.slice(0, 1).map((p) => ({ type: nodeType(p.nodeType, custom), nodes: p.maxNodes }));
  return { groups, nicGbps: groups[0]?.type.nicGbps ?? fleet.network.nicGbps };
}

/** Network tiers of a set of nodes on the fleet's network; the node type with the most GPUs sets per-GPU figures. */
export function tiersFor(fleet: FleetSpec, { groups, nicGbps }: MainFabric): NetworkTier[] {
  const main = [...groups].sort((a, b) => b.nodes * b.type.gpusPerNode - a.nodes * a.type.gpusPerNode)[0];
  if (main === undefined || main.type.gpu === 'cpu' || main.type.gpusPerNode === 0) return [];
  const gpn = main.type.gpusPerNode;
  const totalNodes = groups.reduce((a, g) => a + g.nodes, 0);
  const us = 1e-6;
  const tiers: NetworkTier[] = [{
    name: 'nvlink', endpointsWithin: gpn,
    bandwidthBytesPerSecondPerGpu: GPUS[main.type.gpu].nvlinkBidirectionalBytesPerSecond.value / 2,
    latencySeconds: LINK_LATENCY.nvlinkMicroseconds.value * us,
  }];
  if (totalNodes <= 1) return tiers;
  const fabric = fabricFor(fleet, groups, nicGbps);
  const nicBytesPerGpu = (main.type.nicsPerNode * nicGbps * 1e9) / 8 / gpn;
  const hop = fleet.network.hopLatencyMicroseconds;
  const latency = (hops: number) => (2 * LINK_LATENCY.nicMicroseconds.value + hops * hop) * us;
  const levels: { name: NetworkTier['name']; nodes: number; hops: number; taper: number }[] = [
    { name: 'leaf', nodes: fabric.nodesPerLeaf, hops: 1, taper: 1 },
    { name: 'spine', nodes: fabric.tiers === 2 ? totalNodes : fabric.nodesPerPod, hops: 3, taper: fleet.network.oversubscription },
    { name: 'core', nodes: totalNodes, hops: 2 * fabric.tiers - 1, taper: fleet.network.oversubscription },
  ];
  for (const l of levels.slice(0, Math.min(3, fabric.tiers))) {
    const endpointsWithin = Math.min(totalNodes, l.nodes) * gpn;
    if (endpointsWithin <= tiers[tiers.length - 1]!.endpointsWithin) continue;
    tiers.push({ name: l.name, endpointsWithin, bandwidthBytesPerSecondPerGpu: nicBytesPerGpu / l.taper, latencySeconds: latency(l.hops) });
  }
  // A fabric whose leaves already hold every node still spans all GPUs at its top tier.
  const last = tiers[tiers.length - 1]!;
  if (last.endpointsWithin < totalNodes * gpn) {
    tiers.push({ name: 'core', endpointsWithin: totalNodes * gpn, bandwidthBytesPerSecondPerGpu: nicBytesPerGpu / fleet.network.oversubscription, latencySeconds: latency(2 * fabric.tiers - 1) });
  }
  return tiers;
}

/** Network tiers of the fleet's main fabric (owned halls, or the first pool when there are none). */
export function networkTiers(fleet: FleetSpec): NetworkTier[] {
  return tiersFor(fleet, mainFabric(fleet));
}
