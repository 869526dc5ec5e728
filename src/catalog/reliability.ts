import type { Source } from './source.ts';

/**
 * Failure and checkpointing figures for the simulator and the planner's goodput model.
 * From shared/data/reliability.md; counts (not printed percentages) of Llama 3 Table 5.
 */

export type FailureCategoryId =
  | 'gpu' | 'hbm' | 'gpu-sram' | 'gpu-processor' | 'sdc' | 'gpu-thermal'
  | 'software' | 'network' | 'host-maintenance' | 'nic' | 'nccl-timeout' | 'host-other';

export interface FailureCategory {
  readonly id: FailureCategoryId;
  readonly name: string;
  /** Component class for reports: interruptions by category. */
  readonly component: 'GPU' | 'HBM' | 'network' | 'host' | 'software';
  /** Interruptions of this category in Llama 3's 54-day snapshot on 16,384 H100. */
  readonly llama3Count: number;
}

const LLAMA3: Source = { ref: 'Grattafiori et al., "The Llama 3 Herd of Models", arXiv:2407.21783, sec. 3.3.4 and Table 5 (counts)', kind: 'P' };

/** Llama 3's Table 5 counts grouped into categories (sum 419). */
export const FAILURE_CATEGORIES: readonly FailureCategory[] = [
  { id: 'gpu', name: 'Faulty GPU', component: 'GPU', llama3Count: 148 },
  { id: 'hbm', name: 'GPU HBM3 memory', component: 'HBM', llama3Count: 72 },
  { id: 'gpu-sram', name: 'GPU SRAM memory', component: 'GPU', llama3Count: 19 },
  { id: 'gpu-processor', name: 'GPU system processor', component: 'GPU', llama3Count: 17 },
  { id: 'sdc', name: 'Silent data corruption', component: 'GPU', llama3Count: 6 },
  { id: 'gpu-thermal', name: 'GPU thermal interface and sensor', component: 'GPU', llama3Count: 6 },
  { id: 'software', name: 'Software bug (dependency)', component: 'software', llama3Count: 54 },
  { id: 'network', name: 'Network switch/cable', component: 'network', llama3Count: 35 },
  { id: 'host-maintenance', name: 'Host maintenance (unplanned)', component: 'host', llama3Count: 32 },
  { id: 'nic', name: 'NIC', component: 'network', llama3Count: 7 },
  { id: 'nccl-timeout', name: 'NCCL watchdog timeout (unknown)', component: 'software', llama3Count: 7 },
  // SSD 3, power supply 3, chassis 2, IO board 2, dependency 2, CPU 2, system memory 2 = 16.
  { id: 'host-other', name: 'Other host (SSD, PSU, CPU, memory, chassis)', component: 'host', llama3Count: 16 },
];

export const LLAMA3_SNAPSHOT = {
  gpus: 16_384,
  nodes: 2_048,
  days: 54,
  unexpectedInterruptions: 419,
  plannedInterruptions: 47,
  /** "higher than 90%". */
  minEffectiveTrainingTimeRatio: 0.9,
  source: LLAMA3,
} as const;

/** Default failure and recovery assumptions (reliability.md sec. 3.2). */
export const RELIABILITY_DEFAULTS = {
  /** Unexpected failures per 1,000 node-days (8-GPU nodes): 419 / (2,048 x 54) x 1,000 = 3.79. */
  unexpectedFailuresPer1000NodeDays: (419 / (2_048 * 54)) * 1000,
  /** Planned interruptions per day, independent of scale (Llama 3: 47 in 54 days). */
  plannedInterruptionsPerDay: 47 / 54,
  /** Detection latency of an explicit hardware error, seconds (ByteRobust: 2-60 s). */
  detectionSeconds: 30,
  /** Restart of a synchronous job: R(N) = 50 s + 0.009 s x N_GPU (FT-HSDP fit): ~10 min at 16K. */
  restartBaseSeconds: 50,
  restartSecondsPerGpu: 0.009,
  /** Blocking cost of one checkpoint save, seconds (async two-stage: 1-10 s; PyTorch DCP async 6.3 s). */
  checkpointBlockingSeconds: 6,
  /** Checkpoint load time on restart, seconds (ByteCheckpoint 129 s). */
  checkpointLoadSeconds: 120,
  /** Node repair: lognormal, median 0.85 days, sigma 2.5 (StepFun trace). */
  repairMedianSeconds: 0.85 * 86_400,
  repairLogSigma: 2.5,
  /** Warm spares: about 4 per 1,024 nodes (ByteRobust). */
  spareNodeFraction: 4 / 1024,
  sources: {
    rate: LLAMA3,
    restart: { ref: 'FT-HSDP fit R(N) = 50 s + 0.009 s x N_GPU; Kokolis et al. 5-20 min (reliability.md 3.2)', kind: 'S' } as Source,
    checkpoint: { ref: 'PyTorch blog 2024-06-12 (DCP async save 6.3 s); MegaScale "several seconds" (reliability.md 117, 3.2)', kind: 'S' } as Source,
    load: { ref: 'ByteCheckpoint: 129 s load for 405B on 8,960 GPUs (reliability.md 3.2)', kind: 'S' } as Source,
    repair: { ref: 'StepFun InfiniteHBD-Trace, SIGCOMM 2025: repair median 0.85 d, lognormal sigma 2.5 (reliability.md 103)', kind: 'S' } as Source,
    spares: { ref: 'ByteRobust: ~4 spares per 1,024 nodes (reliability.md 3.2)', kind: 'S' } as Source,
  },
} as const;

/** Restart time of a synchronous job of `gpus` GPUs, seconds. */
export function restartSeconds(gpus: number): number {
  return RELIABILITY_DEFAULTS.restartBaseSeconds + RELIABILITY_DEFAULTS.restartSecondsPerGpu * gpus;
}

/** Young (1974): tau = sqrt(2 delta M). */
export function youngIntervalSeconds(checkpointSeconds: number, mtbfSeconds: number): number {
  return Math.sqrt(2 * checkpointSeconds * mtbfSeconds);
}

/** Daly (2006) higher-order optimum; tau = M when delta >= 2M. */
export function dalyIntervalSeconds(checkpointSeconds: number, mtbfSeconds: number): number {
  const d = checkpointSeconds;
  const m = mtbfSeconds;
  if (d >= 2 * m) return m;
  const x = d / (2 * m);
  return Math.sqrt(2 * d * m) * (1 + Math.sqrt(x) / 3 + x / 9) - d;
}

/**
 * Daly's expected ETTR for exponential failures: tau / [M e^{R/M} (e^{(tau+delta)/M} - 1)].
 * R = restart (and reload) time, delta = blocking checkpoint cost, tau = interval.
 */
export function dalyEttr(intervalSeconds: number, checkpointSeconds: number, restartSecondsValue: number, mtbfSeconds: number): number {
  const m = mtbfSeconds;
  return intervalSeconds / (m * Math.exp(restartSecondsValue / m) * (Math.exp((intervalSeconds + checkpointSeconds) / m) - 1));
}
