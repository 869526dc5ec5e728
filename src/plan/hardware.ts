import type { GpuSpec } from '../catalog/gpus.ts';
import type { Source } from '../catalog/source.ts';

/**
 * The hardware a training plan runs on, as the planner needs it: one GPU type in nodes of
 * `gpusPerNode`, NVLink inside a node, a rail-optimized fat tree between nodes. Built from a fleet or
 * from `--gpu X --gpus N` (fleet-hardware.ts).
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
  /** The fleet this was built from, if any. */
  readonly fleetName?: string;
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
    { ref: 'nccl-tests all_gather/reduce_scatter bus bandwidth commonly reported on DGX/HGX H100: ~360 GB/s on NVLink4 (of 450 GB/s per direction) and ~46 GB/s per 400 Gb/s NIC (of 50 GB/s)', kind: 'S', note: 'approximate published figures; efficiencies 0.8 and 0.92' },
    { ref: 'NCCL small-message step latency: a few microseconds per ring step (nccl-tests latency at small sizes); link and hop latencies from the fleet catalog (src/catalog/network.ts)', kind: 'S', note: 'approximate' },
  ] as Source[],
} as const;
