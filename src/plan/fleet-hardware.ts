import { GPUS } from '../catalog/gpus.ts';
import { DEFAULT_FACILITY, RENTAL_LIST_PRICE_PER_GPU_HOUR_USD } from '../catalog/prices.ts';
import { homogeneousFleet } from '../fleet/presets.ts';
import { mainFabric, tiersFor } from '../fleet/tiers.ts';
import type { FleetSpec } from '../fleet/types.ts';
import { ImpossibleError } from '../lib/errors.ts';
import { LINKS, type ClusterHardware, type NetworkTier } from './hardware.ts';

const HOURS_PER_YEAR = 8_760;

/**
 * The training cluster of a fleet: its main fabric (owned halls, or the first pool of a rented-only
 * fleet), the GPU type with the most GPUs, the fleet's network tiers with NCCL efficiency and
 * per-step software latency applied, its facility and prices. `gpus` limits the job to part of it.
 */
export function fleetHardware(fleet: FleetSpec, gpus?: number): ClusterHardware {
  const fabric = mainFabric(fleet);
  const main = [...fabric.groups].sort((a, b) => b.nodes * b.type.gpusPerNode - a.nodes * a.type.gpusPerNode)[0];
  if (main === undefined || main.type.gpu === 'cpu' || main.type.gpusPerNode === 0) {
    throw new ImpossibleError(`fleet "${fleet.name}" has no GPU nodes to train on`, 'use a fleet with GPU halls or pools, or --gpu h100 --gpus N');
  }
  const gpuId = main.type.gpu;
  const gpusPerNode = main.type.gpusPerNode;
  const fleetGpus = fabric.groups.filter((g) => g.type.gpu === gpuId).reduce((a, g) => a + g.nodes * g.type.gpusPerNode, 0);
  const useGpus = gpus ?? fleetGpus;
  if (useGpus > fleetGpus) {
    throw new ImpossibleError(`--gpus ${useGpus} is more than the ${fleetGpus} ${gpuId.toUpperCase()} GPUs of fleet "${fleet.name}"`, `use --gpus ${fleetGpus} or less, or a larger fleet`);
  }
  const tiers: NetworkTier[] = tiersFor(fleet, fabric).map((t, i) => ({
    name: t.name,
    groupGpus: i === 0 ? gpusPerNode : t.endpointsWithin,
    busBytesPerSecondPerGpu: t.bandwidthBytesPerSecondPerGpu * (t.name === 'nvlink' ? LINKS.nvlinkEfficiency : LINKS.nicEfficiency),
    stepLatencySeconds: t.latencySeconds + (t.name === 'nvlink' ? LINKS.nvlinkStepLatencySeconds : LINKS.fabricStepLatencySeconds),
  }));
  // The outermost tier spans everything (collectives larger than the fabric cannot happen, but stay defined).
  tiers[tiers.length - 1] = { ...tiers[tiers.length - 1], groupGpus: Number.POSITIVE_INFINITY };
  const facility = fleet.facility ?? DEFAULT_FACILITY;
  const pool = fleet.pools.find((p) => (fleet.nodeTypes?.[p.nodeType]?.gpu ?? p.nodeType).includes(gpuId));
  const rented = pool?.pricePerGpuHourUsd ?? RENTAL_LIST_PRICE_PER_GPU_HOUR_USD[gpuId].value;
  return {
    gpu: GPUS[gpuId], gpus: useGpus, gpusPerNode, tiers,
    nodePowerWatts: main.type.maxPowerKw * 1000,
    pue: facility.pue,
    ownedCapexPerGpuHourUsd: main.type.capexUsd / gpusPerNode / (facility.amortizationYears * HOURS_PER_YEAR),
    electricityUsdPerKwh: facility.electricityUsdPerKwh,
    rentedPricePerGpuHourUsd: rented,
    fleetName: fleet.name,
    sources: [
      ...LINKS.sources,
      { ref: `fleet "${fleet.name}": node type ${main.type.id} (power, capex), network tiers from src/fleet/tiers.ts, facility PUE/electricity/amortization`, kind: 'D' },
      { ref: pool ? `rented price: pool ${pool.name} of fleet ${fleet.name}` : `rented price: ${RENTAL_LIST_PRICE_PER_GPU_HOUR_USD[gpuId].source.ref}`, kind: 'S' },
    ],
  };
}

/** `--gpu X --gpus N`: N GPUs of one type in standard 8-GPU nodes on a non-blocking fat tree (the fleet layer's homogeneous fleet). */
export function homogeneousHardware(gpuId: keyof typeof GPUS, gpus: number): ClusterHardware {
  return fleetHardware(homogeneousFleet(gpuId, gpus), gpus);
}
