// Named fleets: the main Colossus-class build, a Llama 3-scale cluster, and a rented OCI pool.
import type { GpuSpec } from '../catalog/gpus.ts';
import { SWITCHES } from '../catalog/network.ts';
import { DEFAULT_FACILITY, ELECTRICITY_USD_PER_KWH, OCI_MAX_INSTANCES_PER_POOL, OCI_PROVISIONING_LEAD_TIME_HOURS, RENTAL_LIST_PRICE_PER_GPU_HOUR_USD } from '../catalog/prices.ts';
import { InputError } from '../lib/errors.ts';
import type { FleetSpec, NetworkSpec, PoolSpec } from './types.ts';

const sn5600Latency = SWITCHES.sn5600!.hopLatencyMicroseconds.value;
const qm9700Latency = SWITCHES.qm9700!.hopLatencyMicroseconds.value;

/** Spectrum-X SN5600 at 400 GbE per GPU, rail-optimized, non-blocking (Colossus, hardware.md A4). */
const SPECTRUM_X: NetworkSpec = { switchType: 'sn5600', nicGbps: 400, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: sn5600Latency };
/** Quantum-2 NDR, rail-optimized, non-blocking (DGX SuperPOD H100, hardware.md A3). */
const QUANTUM_2: NetworkSpec = { switchType: 'qm9700', nicGbps: 400, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: qm9700Latency };

/** OCI BM.GPU.H100.8 on demand: list price, one instance pool's limit, quota-request lead time. */
export const OCI_H100_POOL: PoolSpec = {
  name: 'oci-h100', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8',
  maxNodes: OCI_MAX_INSTANCES_PER_POOL.value,
  pricePerGpuHourUsd: RENTAL_LIST_PRICE_PER_GPU_HOUR_USD.h100.value,
  leadTimeHours: OCI_PROVISIONING_LEAD_TIME_HOURS.value,
  minimumHours: 1,
};

const colossusHalls = ['hall-a', 'hall-b', 'hall-c', 'hall-d'].map((name) => ({ name, nodeType: 'hgx-h100', nodes: 3_125 }));

export const FLEET_PRESETS: Readonly<Record<string, FleetSpec>> = {
  'colossus-100k': {
    name: 'colossus-100k',
    description: '100,000 H100 SXM in 12,500 HGX nodes, 4 halls of ~25k GPUs, 8 x 400 GbE per node on a 3-tier Spectrum-X fabric (xAI Colossus, hardware.md A4)',
    halls: colossusHalls, pools: [],
    network: SPECTRUM_X,
    facility: { ...DEFAULT_FACILITY, electricityUsdPerKwh: ELECTRICITY_USD_PER_KWH.tennessee.value },
  },
  'h100-16k': {
    name: 'h100-16k',
    description: '16,384 H100 in 2,048 nodes (Llama 3 405B scale, 64 SuperPOD scalable units) on non-blocking Quantum-2 InfiniBand',
    halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 2_048 }], pools: [],
    network: QUANTUM_2,
    facility: DEFAULT_FACILITY,
  },
  'oci-h100': {
    name: 'oci-h100',
    description: 'Rented only: up to 500 OCI BM.GPU.H100.8 (4,000 GPUs, one instance pool) at list price, RoCE cluster network',
    halls: [], pools: [OCI_H100_POOL],
    network: { switchType: 'sn5600', nicGbps: 200, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: sn5600Latency },
    facility: DEFAULT_FACILITY,
  },
};

export const fleetPresetNames = Object.keys(FLEET_PRESETS);

const NODE_FOR_GPU: Readonly<Record<GpuSpec['id'], string>> = { a100: 'dgx-a100', h100: 'hgx-h100', h200: 'hgx-h200', b200: 'hgx-b200' };

/** An owned fleet of `gpus` GPUs of one model in 8-GPU nodes (rounded up), on non-blocking Quantum-2. */
export function homogeneousFleet(gpuId: GpuSpec['id'], gpus: number): FleetSpec {
  const nodeType = NODE_FOR_GPU[gpuId];
  if (nodeType === undefined) throw new InputError({ field: 'gpu', value: gpuId, expected: `one of ${Object.keys(NODE_FOR_GPU).join(', ')}` });
  if (!Number.isInteger(gpus) || gpus < 1) throw new InputError({ field: 'gpus', value: gpus, expected: 'a positive whole number of GPUs' });
  const nodes = Math.ceil(gpus / 8);
  return {
    name: `${gpuId}-${gpus}`,
    halls: [{ name: 'hall-a', nodeType, nodes }], pools: [],
    network: { ...QUANTUM_2, nicGbps: gpuId === 'a100' ? 200 : 400 },
    facility: DEFAULT_FACILITY,
  };
}
