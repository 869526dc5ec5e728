// What `gigafactory fleet show` reports: per hall and pool, and totals. Pure arithmetic over the
// catalogs: FLOP/s, HBM, power (nameplate x PUE), capex, and the hourly cost of owning vs renting.
import { GPUS, type GpuSpec } from '../catalog/gpus.ts';
import { switchSpec, radixAt } from '../catalog/network.ts';
import { nodeType } from '../catalog/nodes.ts';
import { ownedNodeHourlyCostUsd, rentalPricePerGpuHourUsd } from '../catalog/prices.ts';
import type { RailFabric } from './network.ts';
import { mainFabric, tiersFor, type NetworkTier } from './tiers.ts';
import { fabricFor } from './topology.ts';
import type { FleetSpec, NodeType } from './types.ts';

export interface GroupSummary {
  readonly name: string;
  readonly kind: 'owned' | 'rented';
  readonly provider?: string;
  readonly nodeType: string;
  readonly gpu: NodeType['gpu'];
  readonly nodes: number;
  readonly gpus: number;
  readonly racks: number;
  readonly cpuCores: number;
  readonly memoryBytes: number;
  readonly peakDenseBf16FlopsPerSecond: number;
  /** 0 for GPUs without FP8 (A100). */
  readonly peakDenseFp8FlopsPerSecond: number;
  readonly hbmBytes: number;
  /** Nodes at nameplate maximum power. */
  readonly itPowerKw: number;
  readonly capexUsd: number;
  /** Owning these nodes: capex amortized + energy x PUE. */
  readonly ownUsdPerHour: number;
  /** Renting the same GPUs: the pool's price, or the cloud list price for owned halls. */
  readonly rentUsdPerHour: number | null;
  readonly leadTimeHours?: number;
}

export interface FabricSummary {
  /** `owned` for the halls' shared fabric, else the pool name. */
  readonly name: string;
  readonly switchType: string;
  readonly radix: number;
  readonly nicGbps: number;
  readonly railOptimized: boolean;
  readonly oversubscription: number;
  readonly fabric: RailFabric;
  readonly powerKw: number;
  readonly capexUsd: number;
}

export interface FleetSummary {
  readonly name: string;
  readonly description?: string;
  readonly groups: readonly GroupSummary[];
  readonly gpusByType: Readonly<Partial<Record<GpuSpec['id'], number>>>;
  readonly fabrics: readonly FabricSummary[];
  readonly tiers: readonly NetworkTier[];
  readonly pue: number;
  readonly totals: {
    readonly nodes: number; readonly gpus: number; readonly racks: number;
    readonly cpuCores: number; readonly memoryBytes: number;
    readonly peakDenseBf16FlopsPerSecond: number; readonly peakDenseFp8FlopsPerSecond: number; readonly hbmBytes: number;
    /** Owned nodes + owned fabric switches; facility = IT x PUE. Rented pools draw the provider's power. */
    readonly ownedItPowerKw: number; readonly ownedFacilityPowerKw: number;
    readonly ownedCapexUsd: number;
    readonly ownUsdPerHour: number; readonly rentUsdPerHour: number;
  };
}

function group(fleet: FleetSpec, name: string, t: NodeType, nodes: number, rented: boolean, nodesPerRack: number | undefined, extra: Partial<GroupSummary>): GroupSummary {
  const gpus = nodes * t.gpusPerNode;
  const g = t.gpu === 'cpu' ? undefined : GPUS[t.gpu];
  const own = ownedNodeHourlyCostUsd(t, fleet.facility).totalUsdPerHour * nodes;
  const rentPerGpu = extra.rentUsdPerHour ?? rentalPricePerGpuHourUsd(t);
  return {
    name, kind: rented ? 'rented' : 'owned', nodeType: t.id, gpu: t.gpu, nodes, gpus,
    racks: Math.ceil(nodes / (nodesPerRack ?? t.nodesPerRack ?? 1)),
    cpuCores: nodes * t.cpuCores, memoryBytes: nodes * t.memoryBytes,
    peakDenseBf16FlopsPerSecond: g === undefined ? 0 : gpus * g.peakDenseBf16FlopsPerSecond.value,
    peakDenseFp8FlopsPerSecond: g === undefined ? 0 : gpus * (g.peakDenseFp8FlopsPerSecond.value ?? 0),
    hbmBytes: g === undefined ? 0 : gpus * g.hbmBytes.value,
    itPowerKw: nodes * t.maxPowerKw,
    capexUsd: nodes * t.capexUsd,
    ownUsdPerHour: own,
    ...extra,
    rentUsdPerHour: rentPerGpu === undefined || rentPerGpu === null ? null : rentPerGpu * gpus,
  };
}

function fabricSummary(fleet: FleetSpec, name: string, groups: readonly { type: NodeType; nodes: number }[], nicGbps: number): FabricSummary {
  const sw = switchSpec(fleet.network.switchType);
  const fabric = fabricFor(fleet, groups, nicGbps);
  return {
    name, switchType: sw.id, radix: radixAt(sw, nicGbps), nicGbps,
    railOptimized: fleet.network.railOptimized, oversubscription: fleet.network.oversubscription, fabric,
    powerKw: (fabric.switches * sw.maxPowerWatts.value) / 1000,
    capexUsd: fabric.switches * sw.priceUsd.value,
  };
}

export function summarizeFleet(fleet: FleetSpec): FleetSummary {
  const custom = fleet.nodeTypes ?? {};
  const groups: GroupSummary[] = [
    ...fleet.halls.map((h) => group(fleet, h.name, nodeType(h.nodeType, custom), h.nodes, false, h.nodesPerRack, {})),
    ...fleet.pools.map((p) => group(fleet, p.name, nodeType(p.nodeType, custom), p.maxNodes, true, undefined,
      { provider: p.provider, leadTimeHours: p.leadTimeHours, rentUsdPerHour: p.pricePerGpuHourUsd })),
  ];
  const ownedNodes = fleet.halls.reduce((a, h) => a + h.nodes, 0);
  const fabrics: FabricSummary[] = [];
  if (ownedNodes > 1) fabrics.push(fabricSummary(fleet, 'owned', mainFabric(fleet).groups, fleet.network.nicGbps));
  for (const p of fleet.pools) {
    const t = nodeType(p.nodeType, custom);
    if (p.maxNodes > 1) fabrics.push(fabricSummary(fleet, p.name, [{ type: t, nodes: p.maxNodes }], t.nicGbps));
  }
  const owned = groups.filter((g) => g.kind === 'owned');
  const ownedFabric = fabrics.find((f) => f.name === 'owned');
  const sum = (xs: readonly GroupSummary[], f: (g: GroupSummary) => number) => xs.reduce((a, g) => a + f(g), 0);
  const gpusByType: Partial<Record<GpuSpec['id'], number>> = {};
  for (const g of groups) if (g.gpu !== 'cpu' && g.gpus > 0) gpusByType[g.gpu] = (gpusByType[g.gpu] ?? 0) + g.gpus;
  const ownedItPowerKw = sum(owned, (g) => g.itPowerKw) + (ownedFabric?.powerKw ?? 0);
  return {
    name: fleet.name,
    ...(fleet.description !== undefined ? { description: fleet.description } : {}),
    groups, gpusByType, fabrics, tiers: tiersFor(fleet, mainFabric(fleet)), pue: fleet.facility.pue,
    totals: {
      nodes: sum(groups, (g) => g.nodes), gpus: sum(groups, (g) => g.gpus), racks: sum(groups, (g) => g.racks),
      cpuCores: sum(groups, (g) => g.cpuCores), memoryBytes: sum(groups, (g) => g.memoryBytes),
      peakDenseBf16FlopsPerSecond: sum(groups, (g) => g.peakDenseBf16FlopsPerSecond),
      peakDenseFp8FlopsPerSecond: sum(groups, (g) => g.peakDenseFp8FlopsPerSecond),
      hbmBytes: sum(groups, (g) => g.hbmBytes),
      ownedItPowerKw, ownedFacilityPowerKw: ownedItPowerKw * fleet.facility.pue,
      ownedCapexUsd: sum(owned, (g) => g.capexUsd) + (ownedFabric?.capexUsd ?? 0),
      ownUsdPerHour: sum(groups, (g) => g.ownUsdPerHour) + fabricHourlyUsd(fleet, fabrics),
      rentUsdPerHour: sum(groups, (g) => g.rentUsdPerHour ?? 0),
    },
  };
}

/** Owning the fabrics: switch capex amortized + switch power x PUE (rented pools' fabrics included, for like-for-like). */
function fabricHourlyUsd(fleet: FleetSpec, fabrics: readonly FabricSummary[]): number {
  const f = fleet.facility;
  return fabrics.reduce((a, x) => a + x.capexUsd / (f.amortizationYears * 8_760) + x.powerKw * f.pue * f.electricityUsdPerKwh, 0);
}
