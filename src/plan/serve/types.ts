import type { GpuSpec } from '../../catalog/gpus.ts';
import type { ModelArch } from '../../catalog/model-arch.ts';
import type { ServingAssumptions } from './assumptions.ts';

export type ServingPrecision = 'bf16' | 'fp8';

/** Parallelism of one replica: `tp` GPUs; MoE experts spread over `ep` of them (ep divides tp). */
export interface ReplicaLayout {
  readonly tp: number;
  readonly ep: number;
}

/** What the roofline needs to price one forward pass. */
export interface ServingSetup {
  readonly model: ModelArch;
  readonly gpu: GpuSpec;
  readonly precision: ServingPrecision;
  readonly layout: ReplicaLayout;
  readonly assumptions: ServingAssumptions;
  /** GPUs per NVLink domain (8 on HGX); a wider replica crosses nodes. */
  readonly gpusPerNvlinkDomain?: number;
}

/** Time of one decode step split by bound, seconds (for the report: which bound dominates). */
export interface StepTime {
  readonly totalSeconds: number;
  readonly computeSeconds: number;
  readonly memorySeconds: number;
  readonly communicationSeconds: number;
}
