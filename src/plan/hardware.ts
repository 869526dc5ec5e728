import { GPUS, type GpuSpec } from '../catalog/gpus.ts';
import type { Source } from '../catalog/source.ts';

/**
 * The hardware a training plan runs on, as the planner needs it: one GPU type in nodes of
 * `gpusPerNode`, NVLink inside a node, a rail-optimized fat tree between nodes. Built from
 * `--gpu X --gpus N` (homogeneousCluster) or from a fleet (see fleet-hardware.ts).
 */
export interface ClusterHardware {
  readonly gpu: GpuSpec;
  readonly gpus: number;
  readonly gpusPerNode: number;
  /** Network tiers from the innermost (NVLink) outwards; each spans `groupGpus` GPUs. */
  readonly tiers: readonly NetworkTier[];
  /** Facility power per node while training, watts (GPUs + CPUs + NICs + fans). */
  readonly nodePowerWatts: number;
  readonly pue: number;
  /** Hourly cost of owning one GPU (capex amortized + nothing else), USD. */
  readonly ownedCapexPerGpuHourUsd: number;
  readonly electricityUsdPerKwh: number;
  readonly rentedPricePerGpuHourUsd: number;
  readonly sources: readonly Source[];
}

/** One level of the network: NVLink domain, leaf (rail group), spine, core. */
export interface NetworkTier {
  readonly name: string;
  /** GPUs reachable inside this tier (a node for NVLink; nodes x gpusPerNode under one leaf). */
  readonly groupGpus: number;
  /** Per-GPU unidirectional bandwidth a collective can drive across this tier, bytes/s (after NCCL efficiency). */
  readonly busBytesPerSecondPerGpu: number;
  /** Latency of one collective step across this tier (software + hops), seconds. */
  readonly stepLatencySeconds: number;
}

/** Physical constants of links, with where they come from. */
export const LINKS = {
  /**
   * NCCL bus bandwidth over NVLink4 (H100) reaches ~360 GB/s of the 450 GB/s unidirectional peak for
   * large all-gather/reduce-scatter: efficiency 0.8.
   */
  nvlinkEfficiency: 0.8,
  /** NCCL over 400G InfiniBand NDR / RoCE: ~46 of 50 GB/s per NIC in nccl-tests busbw: 0.92. */
  nicEfficiency: 0.92,
  /** One NCCL ring step on NVLink (launch + sync): ~3 us; across the fabric: ~6 us plus ~1 us per switch hop. */
  nvlinkStepLatencySeconds: 3e-6,
  fabricStepLatencySeconds: 6e-6,
  hopLatencySeconds: 1e-6,
  sources: [
    { ref: 'NVIDIA nccl-tests on DGX H100: all_gather/reduce_scatter busbw ~360 GB/s on NVLink4 (450 GB/s/dir peak); ~46 GB/s per 400G NIC (NVIDIA DGX SuperPOD H100 reference architecture, 2023)', kind: 'S' },
    { ref: 'NCCL latency: Hu et al., "Demystifying NCCL" (arXiv:2507.04786, 2025): per-step LL/Simple latencies of a few microseconds', kind: 'S' },
  ] as Source[],
} as const;

/** Defaults for a homogeneous cluster (no fleet file): a standard HGX 8-GPU node, 8 x 400 Gb/s NICs. */
export const HOMOGENEOUS_DEFAULTS = {
  gpusPerNode: 8,
  /** One NIC per GPU: 400 Gb/s NDR on Hopper/Blackwell nodes, 200 Gb/s HDR on DGX A100. */
  nicGbpsPerGpu: { a100: 200, h100: 400, h200: 400, b200: 400 } as Record<GpuSpec['id'], number>,
  /** Nodes under one rail-optimized leaf group (NVIDIA SuperPOD scalable unit: 32 nodes). */
  nodesPerLeaf: 32,
  /** Leaf groups under one spine layer before a core tier (SuperPOD: up to 4 SU per spine group here 16 -> 512 nodes). */
  leavesPerSpine: 16,
  /** Facility PUE for modelling (shared/data/hardware.md A8: 1.2 hyperscale default). */
  pue: 1.2,
  /** USD/kWh (shared/data/hardware.md A8: $0.0623 TN industrial to $0.078 SemiAnalysis). */
  electricityUsdPerKwh: 0.078,
  /** Capex amortized over 4 years (SemiAnalysis TCO convention); capex per GPU from the node price below. */
  amortizationYears: 4,
  /** All-in capex per GPU incl. fabric, USD (shared/data/hardware.md A8: ~$50k per H100). Scaled by unit price for other GPUs. */
  allInCapexPerH100Usd: 50_000,
  /** Rented price per GPU-hour (shared/data/hardware.md A6: OCI list $10.00 H100). TODO: switch to catalog/prices.ts when it lands. */
  rentedPricePerGpuHourUsd: { a100: 4.0, h100: 10.0, h200: 10.0, b200: 14.0 } as Record<GpuSpec['id'], number>,
  /** Node power while training = GPU TDP x 8 + 3.6 kW host (DGX H100: 10.2 kW max with 8 x 700 W). */
  hostPowerWatts: 4_600,
  sources: [
    { ref: 'shared/data/hardware.md A6 (OCI list $10/GPU-hr H100; A100 ~$3-4, B200 $14-16), A8 (PUE 1.2, $50k all-in per H100, $0.078/kWh)', kind: 'S' },
    { ref: 'NVIDIA DGX H100 datasheet: 10.2 kW max system power with 8 x 700 W GPUs, 8 x 400 Gb/s ConnectX-7; DGX A100: 8 x 200 Gb/s HDR', kind: 'P' },
    { ref: 'NVIDIA DGX SuperPOD reference architecture: 32-node scalable units, rail-optimized leaves', kind: 'P' },
  ] as Source[],
} as const;

const HOURS_PER_YEAR = 8_760;

/** Builds the network tiers of a rail-optimized fat tree of 8-GPU nodes. */
export function fatTreeTiers(gpu: GpuSpec, gpusPerNode: number, nicGbpsPerGpu: number, nodesPerLeaf: number, leavesPerSpine: number, oversubscription = 1): NetworkTier[] {
  const nvlinkUni = gpu.nvlinkBidirectionalBytesPerSecond.value / 2;
  const nicBytes = (nicGbpsPerGpu * 1e9) / 8;
  const fabric = nicBytes * LINKS.nicEfficiency;
  const l = LINKS;
  return [
    { name: 'nvlink', groupGpus: gpusPerNode, busBytesPerSecondPerGpu: nvlinkUni * l.nvlinkEfficiency, stepLatencySeconds: l.nvlinkStepLatencySeconds },
    { name: 'leaf', groupGpus: gpusPerNode * nodesPerLeaf, busBytesPerSecondPerGpu: fabric, stepLatencySeconds: l.fabricStepLatencySeconds + 1 * l.hopLatencySeconds },
    { name: 'spine', groupGpus: gpusPerNode * nodesPerLeaf * leavesPerSpine, busBytesPerSecondPerGpu: fabric / oversubscription, stepLatencySeconds: l.fabricStepLatencySeconds + 3 * l.hopLatencySeconds },
    { name: 'core', groupGpus: Number.POSITIVE_INFINITY, busBytesPerSecondPerGpu: fabric / oversubscription, stepLatencySeconds: l.fabricStepLatencySeconds + 5 * l.hopLatencySeconds },
  ];
}

/** `--gpu X --gpus N`: N GPUs of one type in standard 8-GPU nodes with 8 x 400 Gb/s NICs. */
export function homogeneousCluster(gpuId: GpuSpec['id'], gpus: number): ClusterHardware {
  const gpu = GPUS[gpuId];
  const d = HOMOGENEOUS_DEFAULTS;
  const capexPerGpu = d.allInCapexPerH100Usd * (gpu.unitPriceUsd.value / GPUS.h100.unitPriceUsd.value);
  return {
    gpu, gpus, gpusPerNode: d.gpusPerNode,
    tiers: fatTreeTiers(gpu, d.gpusPerNode, d.nicGbpsPerGpu[gpuId], d.nodesPerLeaf, d.leavesPerSpine),
    nodePowerWatts: gpu.tdpWatts.value * d.gpusPerNode + d.hostPowerWatts,
    pue: d.pue,
    ownedCapexPerGpuHourUsd: capexPerGpu / (d.amortizationYears * HOURS_PER_YEAR),
    electricityUsdPerKwh: d.electricityUsdPerKwh,
    rentedPricePerGpuHourUsd: d.rentedPricePerGpuHourUsd[gpuId],
    sources: [...d.sources, ...LINKS.sources],
  };
}
