// The `local` fleet: this machine as a one-node cluster, from what the edge detected
// (src/control/host.ts). Pure: it maps detected figures onto catalog types.
import { GPUS, type GpuSpec } from '../catalog/gpus.ts';
import type { NodeType } from '../catalog/nodes.ts';
import { DEFAULT_FACILITY } from '../catalog/prices.ts';
import type { FleetSpec } from './types.ts';

export interface HostGpu {
  readonly index: number;
  /** As nvidia-smi prints it, e.g. "NVIDIA H100 80GB HBM3". */
  readonly name: string;
  readonly memoryBytes: number;
}

export interface HostInfo {
  readonly hostname: string;
  readonly cpuCores: number;
  readonly memoryBytes: number;
  readonly gpus: readonly HostGpu[];
}

/** Catalog GPU id for an nvidia-smi name, or undefined for a GPU the catalog lacks (e.g. an RTX card). */
export function catalogGpuId(name: string): GpuSpec['id'] | undefined {
  const n = name.toUpperCase();
  if (n.includes('H200')) return 'h200';
  if (n.includes('H100')) return 'h100';
  if (n.includes('B200')) return 'b200';
  if (n.includes('A100')) return 'a100';
  return undefined;
}

/**
 * This machine as a fleet of one node. GPUs the catalog knows count as GPUs (the most common
 * model if mixed); a machine with none is a CPU node (gpu 'cpu', 0 GPUs). Not costed: capex 0.
 */
export function localFleet(host: HostInfo): FleetSpec {
  const counts = new Map<GpuSpec['id'], number>();
  for (const g of host.gpus) {
    const id = catalogGpuId(g.name);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  const gpu: NodeType['gpu'] = top?.[0] ?? 'cpu';
  const gpus = top?.[1] ?? 0;
  const gpuWatts = top === undefined ? 0 : GPUS[top[0]].tdpWatts.value * gpus;
  const unknown = host.gpus.filter((g) => catalogGpuId(g.name) === undefined).map((g) => g.name);
  const type: NodeType = {
    id: 'local', name: `${host.hostname} (detected)`, gpu, gpusPerNode: gpus,
    nicsPerNode: 0, nicGbps: 0, maxPowerKw: gpuWatts / 1000, capexUsd: 0,
    cpuCores: host.cpuCores, memoryBytes: host.memoryBytes, nodesPerRack: 1,
  };
  const description = `this machine: ${host.cpuCores} CPU cores, ${(host.memoryBytes / 2 ** 30).toFixed(1)} GiB, `
    + (host.gpus.length === 0 ? 'no GPU' : host.gpus.map((g) => g.name).join(', '))
    + (unknown.length > 0 ? ` (not in the GPU catalog, not counted: ${unknown.join(', ')})` : '');
  return {
    name: 'local', description,
    halls: [{ name: host.hostname, nodeType: 'local', nodes: 1, nodesPerRack: 1 }], pools: [],
    network: { switchType: 'sn5600', nicGbps: 400, railOptimized: false, oversubscription: 1, hopLatencyMicroseconds: 0 },
    facility: DEFAULT_FACILITY,
    nodeTypes: { local: type },
  };
}
