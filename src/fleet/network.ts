// Fat-tree arithmetic for the scale-out fabric (pure). A k-port switch tier splits its ports
// half down, half up, except the leaf (down:up = oversubscription) and the top tier (all down).
// Non-blocking limits: 1 tier k endpoints, 2 tiers k^2/2, 3 tiers k^3/4 (k = radix).
import { ImpossibleError } from '../lib/errors.ts';

export interface FatTreeInput {
  /** Endpoints (NIC ports) to connect in this plane. */
  readonly endpoints: number;
  /** Switch ports at the NIC speed. */
  readonly radix: number;
  /** Leaf downlinks : uplinks (1 = non-blocking, 7 = Meta's 7:1 taper). */
  readonly oversubscription: number;
  /** Refuse designs deeper than this (default 4). */
  readonly maxTiers?: number;
}

export interface FatTreeDesign {
  readonly tiers: number;
  /** Switches per tier, leaf first. */
  readonly switchesPerTier: readonly number[];
  /** Links (cables) entering each tier from below, leaf first: endpoint-leaf, leaf-spine, spine-core. */
  readonly linksPerTier: readonly number[];
  readonly leafDownlinks: number;
  readonly leafUplinks: number;
  /** Most endpoints this many tiers could connect at this radix and oversubscription. */
  readonly maxEndpoints: number;
  /** Endpoints under one leaf and under one second-tier pod (a pod spans all for 2 tiers). */
  readonly endpointsPerLeaf: number;
  readonly endpointsPerPod: number;
}

/** Leaf ports facing endpoints for a down:up oversubscription ratio. */
export function leafDownlinks(radix: number, oversubscription: number): number {
  return Math.max(1, Math.min(radix - 1, Math.floor((radix * oversubscription) / (1 + oversubscription))));
}

/** Most endpoints a fat tree of `tiers` tiers connects: k, k*d, k*(k/2)^(t-2)*d. */
export function maxEndpoints(radix: number, oversubscription: number, tiers: number): number {
  if (tiers <= 1) return radix;
  const d = leafDownlinks(radix, oversubscription);
  return radix * d * (radix / 2) ** (tiers - 2);
}

/** Smallest fat tree that connects `endpoints`; ImpossibleError if deeper than maxTiers. */
export function fatTree(input: FatTreeInput): FatTreeDesign {
  const { endpoints: n, radix: k, oversubscription: o } = input;
  const maxTiers = input.maxTiers ?? 4;
  if (!(n >= 1) || !(k >= 2) || !(o >= 1)) {
    throw new ImpossibleError(`fat tree needs endpoints >= 1, radix >= 2, oversubscription >= 1 (got ${n}, ${k}, ${o})`, 'check the fleet network section');
  }
  if (n <= k) {
    return { tiers: 1, switchesPerTier: [1], linksPerTier: [n], leafDownlinks: k, leafUplinks: 0, maxEndpoints: k, endpointsPerLeaf: n, endpointsPerPod: n };
  }
  let tiers = 2;
  while (maxEndpoints(k, o, tiers) < n) {
    tiers++;
    if (tiers > maxTiers) {
      throw new ImpossibleError(`${n} endpoints need more than ${maxTiers} tiers of radix-${k} switches`,
        'use rail-optimized planes (network.rail_optimized: true), a higher-radix switch, or more oversubscription');
    }
  }
  const d = leafDownlinks(k, o);
  const u = k - d;
  const half = k / 2;
  const switches = [Math.ceil(n / d)];
  const links = [n];
  let up = switches[0]! * u; // links leaving the leaf tier
  for (let t = 2; t <= tiers; t++) {
    links.push(up);
    const top = t === tiers;
    const s = Math.ceil(up / (top ? k : half));
    switches.push(s);
    up = s * half;
  }
  return {
    tiers, switchesPerTier: switches, linksPerTier: links, leafDownlinks: d, leafUplinks: u,
    maxEndpoints: maxEndpoints(k, o, tiers),
    endpointsPerLeaf: Math.min(n, d),
    endpointsPerPod: tiers === 2 ? n : Math.min(n, Math.floor(half) * d),
  };
}

export interface RailFabricInput {
  readonly nodes: number;
  /** Compute NICs per node; with rail optimization each is a rail. */
  readonly railsPerNode: number;
  readonly radix: number;
  readonly oversubscription: number;
  readonly railOptimized: boolean;
  readonly nicGbps: number;
}

export interface RailFabric {
  /** Independent planes: 1, or one per rail when one plane cannot hold every NIC in 3 tiers. */
  readonly planes: number;
  readonly plane: FatTreeDesign;
  readonly tiers: number;
  /** Totals over all planes, leaf first. */
  readonly switchesPerTier: readonly number[];
  readonly linksPerTier: readonly number[];
  readonly switches: number;
  readonly links: number;
  /** Half the NICs sending to the other half, each direction, after the leaf taper. */
  readonly bisectionBytesPerSecond: number;
  /** Nodes that share a leaf domain (all rails of each in one hop) and a pod. */
  readonly nodesPerLeaf: number;
  readonly nodesPerPod: number;
}

/**
 * The scale-out fabric for `nodes` nodes. Rail-optimized: leaf r of a group connects NIC r of
 * every node in the group (NVIDIA SuperPOD scalable units), so a leaf domain holds `leafDownlinks`
 * whole nodes; when all NICs exceed a 3-tier plane, each rail gets its own plane.
 */
export function railFabric(input: RailFabricInput): RailFabric {
  const { nodes, railsPerNode, radix, oversubscription, railOptimized } = input;
  const allNics = nodes * railsPerNode;
  const onePlaneFits = allNics <= maxEndpoints(radix, oversubscription, 3);
  const planes = !onePlaneFits && railOptimized ? railsPerNode : 1;
  const plane = fatTree({ endpoints: allNics / planes, radix, oversubscription });
  const switchesPerTier = plane.switchesPerTier.map((s) => s * planes);
  const linksPerTier = plane.linksPerTier.map((l) => l * planes);
  const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
  const taper = plane.tiers === 1 ? 1 : oversubscription;
  const perNode = railOptimized ? 1 : railsPerNode;
  const nodesPerLeaf = Math.max(1, Math.min(nodes, Math.floor(plane.endpointsPerLeaf / perNode)));
  return {
    planes, plane, tiers: plane.tiers, switchesPerTier, linksPerTier,
    switches: sum(switchesPerTier), links: sum(linksPerTier),
    bisectionBytesPerSecond: ((allNics / 2) * input.nicGbps * 1e9) / 8 / taper,
    nodesPerLeaf,
    // A pod is k/2 leaf groups (3+ tiers), so a leaf group never straddles two pods.
    nodesPerPod: plane.tiers <= 2 ? Math.max(1, nodes) : Math.max(1, Math.min(nodes, nodesPerLeaf * Math.floor(radix / 2))),
  };
}
