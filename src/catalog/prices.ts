import { sourced, type Sourced } from './source.ts';
import type { NodeType } from './nodes.ts';
import type { GpuSpec } from './gpus.ts';

const OCI_LIST = 'OCI pay-as-you-go list prices compiled by oraclelicensingexperts.com (Apr 2026), via shared/data/hardware.md A6';

/**
 * Cloud list price per GPU-hour for renting the same GPU (on demand, bare metal 8-GPU shapes).
 * Used for "owning vs renting" when a fleet has no pool of that GPU.
 */
export const RENTAL_LIST_PRICE_PER_GPU_HOUR_USD: Readonly<Record<GpuSpec['id'], Sourced>> = {
  a100: sourced(4.0, OCI_LIST, 'S', 'BM.GPU.A100-v2.8 $32/node-hour'),
  h100: sourced(10.0, OCI_LIST, 'S', 'BM.GPU.H100.8 $80/node-hour'),
  h200: sourced(12.25, OCI_LIST, 'S', 'BM.GPU.H200.8 $98/node-hour'),
  b200: sourced(16.0, OCI_LIST, 'S', 'BM.GPU.B200.8 $128/node-hour'),
};

/** Market H100 rental prices for context (not used in arithmetic). */
export const H100_MARKET_PRICES_PER_GPU_HOUR_USD = {
  awsP5AfterJune2025: sourced(6.88, 'AWS p5.48xlarge ~$55/hr after the June 2025 cut (costnimbus.com), via hardware.md A7'),
  neocloudLambda: sourced(2.99, 'Lambda on-demand H100, Mar 2026 (costnimbus.com), via hardware.md A7'),
  longTermContract: sourced(2.0, 'CoreWeave 12-36 month contracts ~$1.75-2.25 (disintermediate.global), via hardware.md A7'),
} as const;

/** OCI GPU capacity needs a service-limit request: time from asking to usable nodes. */
export const OCI_PROVISIONING_LEAD_TIME_HOURS = sourced(48, 'OCI service limits: GPU quotas default "Contact Us", a limit increase must be requested (OCI docs, via hardware.md A6)', 'S', 'estimate: hours to days; 48 h assumed');
/** OCI instance pools hold at most 500 instances (hardware.md A6). */
export const OCI_MAX_INSTANCES_PER_POOL = sourced(500, 'OCI Service Limits doc: instances per instance pool, via hardware.md A6', 'P');

/** US industrial electricity, USD per kWh (EIA Electric Power Annual 2023). */
export const ELECTRICITY_USD_PER_KWH = {
  tennessee: sourced(0.0623, 'EIA Electric Power Annual 2023, industrial, TN (via hardware.md A8)', 'P'),
  texas: sourced(0.066, 'EIA Electric Power Annual 2023, industrial, TX (via hardware.md A8)', 'P'),
  virginia: sourced(0.0892, 'EIA Electric Power Annual 2023, industrial, VA (via hardware.md A8)', 'P'),
  california: sourced(0.1864, 'EIA Electric Power Annual 2023, industrial, CA (via hardware.md A8)', 'P'),
} as const;

export const PUE = {
  hyperscaleModelling: sourced(1.2, 'lynx-cortex datacenter-economics: 1.2 hyperscale default (via hardware.md A8)'),
  industryAverage2024: sourced(1.56, 'Uptime Institute 2024 survey (via hardware.md A8)'),
} as const;

export const AMORTIZATION_YEARS = sourced(4, 'GPU server residual value 25-35% at 36 months (v2-pseo GPU TCO, via hardware.md A8)', 'D', 'linear to ~zero: 36 months / (1 - 0.3) = 4.3 years, rounded to 4');

/** Facility defaults when a fleet file omits them. */
export const DEFAULT_FACILITY: FacilitySpec = {
  pue: PUE.hyperscaleModelling.value,
  electricityUsdPerKwh: ELECTRICITY_USD_PER_KWH.tennessee.value,
  amortizationYears: AMORTIZATION_YEARS.value,
};

/** The facility figures that price owned capacity (fleet/types.ts FacilitySpec has the same shape). */
export interface FacilitySpec {
  readonly pue: number;
  readonly electricityUsdPerKwh: number;
  readonly amortizationYears: number;
}

const HOURS_PER_YEAR = 8_760;

/** Hourly cost of owning one node: capex spread linearly plus energy at nameplate power x PUE. */
export function ownedNodeHourlyCostUsd(node: NodeType, facility: FacilitySpec): { capexUsdPerHour: number; energyUsdPerHour: number; totalUsdPerHour: number } {
  const capexUsdPerHour = node.capexUsd / (facility.amortizationYears * HOURS_PER_YEAR);
  const energyUsdPerHour = node.maxPowerKw * facility.pue * facility.electricityUsdPerKwh;
  return { capexUsdPerHour, energyUsdPerHour, totalUsdPerHour: capexUsdPerHour + energyUsdPerHour };
}

/** List price per GPU-hour to rent this node's GPU, or undefined for a CPU-only node. */
export function rentalPricePerGpuHourUsd(node: NodeType): number | undefined {
  return node.gpu === 'cpu' ? undefined : RENTAL_LIST_PRICE_PER_GPU_HOUR_USD[node.gpu].value;
}
