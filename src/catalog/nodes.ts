import { sourced, type Sourced } from './source.ts';
import type { GpuSpec } from './gpus.ts';
import { UnknownNameError } from '../lib/errors.ts';

/** A node type: GPUs per node and the rest of the server. */
export interface NodeType {
  readonly id: string;
  readonly name: string;
  /** GPU model; 'cpu' for a node without a catalog GPU (e.g. a detected laptop), then gpusPerNode is 0. */
  readonly gpu: GpuSpec['id'] | 'cpu';
  readonly gpusPerNode: number;
  readonly nicsPerNode: number;
  readonly nicGbps: number;
  /** Maximum server power including CPUs, NICs, fans, kW. */
  readonly maxPowerKw: number;
  readonly capexUsd: number;
  readonly cpuCores: number;
  readonly memoryBytes: number;
  /** Nodes per rack (power and cooling bound); used to count racks. */
  readonly nodesPerRack?: number;
}

const GB = 1e9;
const DGX_RA = 'NVIDIA DGX SuperPOD reference architecture (H100), DGX SuperPOD components, via shared/data/hardware.md A2';
const DGX_POWER = 'DGX H100/H200 user guide (6 x 3.3 kW PSUs, 4+2) and NCP-AII tables, via shared/data/hardware.md A2';
const NODE_CAPEX = 'HGX H100 8-GPU node incl. NICs $300-350k; Thinkmate quote $317k (tech-talk-cto sheet), via shared/data/hardware.md A8';
const OCI_SHAPES = 'OCI Compute Shapes doc, BM.GPU.H100.8 / BM.GPU.H200.8 (updated 2025-02-13), via shared/data/hardware.md A6';
const COLOSSUS_RACK = 'Colossus rack: 8 x 4U Supermicro HGX H100 = 64 GPUs/rack (ServeTheHome tour), via shared/data/hardware.md A2';

/** The figures of a node type, each with its source (the flat NodeType carries the values). */
export interface NodeTypeEntry {
  readonly id: string;
  readonly name: string;
  readonly gpu: NodeType['gpu'];
  readonly gpusPerNode: Sourced;
  readonly nicsPerNode: Sourced;
  readonly nicGbps: Sourced;
  readonly maxPowerKw: Sourced;
  readonly capexUsd: Sourced;
  readonly cpuCores: Sourced;
  readonly memoryBytes: Sourced;
  readonly nodesPerRack: Sourced;
}

const h100Capex = 317_000;

export const NODE_CATALOG: Readonly<Record<string, NodeTypeEntry>> = {
  'hgx-h100': {
    id: 'hgx-h100', name: 'HGX/DGX H100 (8 x H100 SXM5, 8 x ConnectX-7 400 Gb/s)', gpu: 'h100',
    gpusPerNode: sourced(8, DGX_RA, 'P'),
    nicsPerNode: sourced(8, DGX_RA, 'P', 'one compute NIC per GPU (rail)'),
    nicGbps: sourced(400, DGX_RA, 'P'),
    maxPowerKw: sourced(10.2, DGX_POWER),
    capexUsd: sourced(h100Capex, NODE_CAPEX),
    cpuCores: sourced(112, DGX_RA, 'P', '2 x 56-core Xeon 8480C'),
    memoryBytes: sourced(2048 * GB, DGX_RA, 'P', '2 TB DDR5'),
    nodesPerRack: sourced(8, COLOSSUS_RACK, 'S', 'liquid-cooled; air-cooled halls fit fewer'),
  },
  'hgx-h200': {
    id: 'hgx-h200', name: 'HGX/DGX H200 (8 x H200 SXM, 8 x 400 Gb/s)', gpu: 'h200',
    gpusPerNode: sourced(8, DGX_RA, 'P'),
    nicsPerNode: sourced(8, DGX_RA, 'P'),
    nicGbps: sourced(400, DGX_RA, 'P'),
    maxPowerKw: sourced(10.2, DGX_POWER),
    capexUsd: sourced(h100Capex + 8 * (32_000 - 30_000), NODE_CAPEX, 'D', 'H100 node + 8 x (H200 MSRP $32k - H100 MSRP $30k)'),
    cpuCores: sourced(112, DGX_RA, 'P'),
    memoryBytes: sourced(2048 * GB, DGX_RA, 'P'),
    nodesPerRack: sourced(8, COLOSSUS_RACK),
  },
  'hgx-b200': {
    id: 'hgx-b200', name: 'HGX/DGX B200 (8 x B200, 8 x 400 Gb/s)', gpu: 'b200',
    gpusPerNode: sourced(8, 'NVIDIA DGX B200 datasheet (2024)', 'P'),
    nicsPerNode: sourced(8, 'NVIDIA DGX B200 datasheet (2024): 8 x single-port ConnectX-7', 'P'),
    nicGbps: sourced(400, 'NVIDIA DGX B200 datasheet (2024)', 'P'),
    maxPowerKw: sourced(14.3, 'flashgenius NCP-AII table, DGX B200 ~14.3 kW, via shared/data/hardware.md A2'),
    capexUsd: sourced(h100Capex + 8 * (40_000 - 30_000), NODE_CAPEX, 'D', 'H100 node + 8 x (B200 est. $40k - H100 $30k)'),
    cpuCores: sourced(112, 'NVIDIA DGX B200 datasheet (2024): 2 x Xeon 8570', 'P'),
    memoryBytes: sourced(2048 * GB, 'NVIDIA DGX B200 datasheet (2024)', 'P'),
    nodesPerRack: sourced(4, 'DGX SuperPOD B200 RA: 4 DGX B200 per rack (power-limited)', 'P'),
  },
  'dgx-a100': {
    id: 'dgx-a100', name: 'DGX A100 (8 x A100 SXM4 80GB, 8 x ConnectX-6 200 Gb/s)', gpu: 'a100',
    gpusPerNode: sourced(8, 'NVIDIA DGX A100 datasheet (2020)', 'P'),
    nicsPerNode: sourced(8, 'NVIDIA DGX A100 datasheet (2020): 8 x single-port ConnectX-6 HDR', 'P'),
    nicGbps: sourced(200, 'NVIDIA DGX A100 datasheet (2020)', 'P'),
    maxPowerKw: sourced(6.5, 'flashgenius NCP-AII table, DGX A100 6.5 kW, via shared/data/hardware.md A2'),
    capexUsd: sourced(199_000, 'NVIDIA DGX A100 launch price $199k (May 2020 press)', 'S'),
    cpuCores: sourced(128, 'NVIDIA DGX A100 datasheet (2020): 2 x AMD EPYC 7742', 'P'),
    memoryBytes: sourced(2048 * GB, 'NVIDIA DGX A100 640GB datasheet (2020)', 'P'),
    nodesPerRack: sourced(4, 'DGX SuperPOD A100 RA: 4 DGX per rack', 'P'),
  },
  'oci-bm-gpu-h100-8': {
    id: 'oci-bm-gpu-h100-8', name: 'OCI BM.GPU.H100.8 (8 x H100, 16 x 200 Gb/s RDMA)', gpu: 'h100',
    gpusPerNode: sourced(8, OCI_SHAPES, 'P'),
    nicsPerNode: sourced(16, OCI_SHAPES, 'P', 'RDMA 8 x 2 x 200 Gb/s = 3.2 Tb/s (16 HCAs)'),
    nicGbps: sourced(200, OCI_SHAPES, 'P'),
    maxPowerKw: sourced(10.2, DGX_POWER, 'S', 'assumed equal to a DGX H100: same 8 x 700 W HGX board'),
    capexUsd: sourced(h100Capex, NODE_CAPEX, 'S', 'what owning the same H100 server would cost'),
    cpuCores: sourced(112, OCI_SHAPES, 'P', '112 OCPU = 2 x 56-core Xeon 8480+'),
    memoryBytes: sourced(2048 * GB, OCI_SHAPES, 'P'),
    nodesPerRack: sourced(4, 'assumption: air-cooled cloud racks (~41 kW) hold 4 HGX nodes', 'S', 'estimate'),
  },
  'oci-bm-gpu-h200-8': {
    id: 'oci-bm-gpu-h200-8', name: 'OCI BM.GPU.H200.8 (8 x H200, 8 x 400 Gb/s RDMA)', gpu: 'h200',
    gpusPerNode: sourced(8, OCI_SHAPES, 'P'),
    nicsPerNode: sourced(8, OCI_SHAPES, 'P'),
    nicGbps: sourced(400, OCI_SHAPES, 'P'),
    maxPowerKw: sourced(10.2, DGX_POWER, 'S', 'assumed equal to a DGX H200'),
    capexUsd: sourced(h100Capex + 8 * 2_000, NODE_CAPEX, 'D', 'as hgx-h200'),
    cpuCores: sourced(112, OCI_SHAPES, 'P'),
    memoryBytes: sourced(3072 * GB, OCI_SHAPES, 'P'),
    nodesPerRack: sourced(4, 'assumption: air-cooled cloud racks hold 4 HGX nodes', 'S', 'estimate'),
  },
};

/** Flattens a catalog entry to the NodeType the rest of the code uses. */
export function toNodeType(e: NodeTypeEntry): NodeType {
  return {
    id: e.id, name: e.name, gpu: e.gpu,
    gpusPerNode: e.gpusPerNode.value, nicsPerNode: e.nicsPerNode.value, nicGbps: e.nicGbps.value,
    maxPowerKw: e.maxPowerKw.value, capexUsd: e.capexUsd.value, cpuCores: e.cpuCores.value,
    memoryBytes: e.memoryBytes.value, nodesPerRack: e.nodesPerRack.value,
  };
}

/** Node types by id (values only; sources in NODE_CATALOG). */
export const NODE_TYPES: Readonly<Record<string, NodeType>> = Object.fromEntries(
  Object.values(NODE_CATALOG).map((e) => [e.id, toNodeType(e)]),
);

export const nodeTypeIds = Object.keys(NODE_TYPES);

/** Looks up a node type, also among a fleet's own custom types; throws UnknownNameError. */
export function nodeType(id: string, custom: Readonly<Record<string, NodeType>> = {}): NodeType {
  const t = custom[id] ?? NODE_TYPES[id];
  if (t === undefined) throw new UnknownNameError('node type', id, [...nodeTypeIds, ...Object.keys(custom)]);
  return t;
}
