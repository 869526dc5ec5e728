import { FAILURE_CATEGORIES } from '../catalog/reliability.ts';
import type { Engine } from './engine.ts';
import type { RentStats } from './rent.ts';
import type { ServiceStats } from './services.ts';
import type { Timeline } from './timeline.ts';
import { SIZE_CLASSES, sizeClassOf, summarize, type Summary } from './stats.ts';
import type { RejectedJob, SimOptions, Workload } from './types.ts';

export interface JobReport {
  readonly id: string;
  readonly kind: string;
  readonly tenant: string;
  readonly gpus: number;
  /** Productive training time over time since first start (training jobs; null otherwise). */
  readonly ettr: number | null;
  readonly restarts: number;
  readonly preemptions: number;
  /** Submit to first start; null if it never started. */
  readonly queueSeconds: number | null;
  /** Submit to finish; null if unfinished at the end. */
  readonly completionSeconds: number | null;
  /** Leaf and spine domains of its first placement. */
  readonly spread: { readonly leaves: number; readonly spines: number } | null;
  /** State at the end of the simulation: done, running or queued. */
  readonly status: string;
  /** State the source trace recorded for it, when it has one. */
  readonly traceStatus?: string;
  /** A planned job: its model and planned tokens/s per GPU (as plan train prints them). */
  readonly model?: string;
  readonly tokensPerSecondPerGpu?: number;
}

export interface SimReport {
  readonly workload: string;
  readonly policy: string;
  readonly seed: number;
  readonly days: number;
  readonly gpus: number;
  readonly events: number;
  readonly schedulingCycles: number;
  /** Filled in by the edge that measured it (0 from the pure core). */
  wallSeconds: number;
  /** CPU seconds of the run, filled in by the edge (on a shared machine wall time includes waiting). */
  cpuSeconds: number;
  readonly utilization: { readonly allocated: number; readonly productive: number };
  readonly interruptions: {
    readonly unexpected: number; readonly planned: number;
    readonly byCategory: Record<string, number>; readonly perDay: Record<string, number>;
    /** Interruptions per component class (GPU, HBM, network, host, software). */
    readonly byComponent: Record<string, number>;
  };
  readonly preemptions: number;
  readonly preemptionsByReason: Record<string, number>;
  readonly checkpointMinutes: number | 'auto';
  readonly training: readonly {
    readonly id: string; readonly gpus: number; readonly ettr: number; readonly goodput: number; readonly checkpointIntervalSeconds: number; readonly restarts: number;
    /** Planned jobs: model, planned tokens/s per GPU and the tokens trained in the simulated time (productive seconds x planned rate). */
    readonly model?: string; readonly tokensPerSecondPerGpu?: number; readonly tokensTrained?: number;
  }[];
  readonly sizeClasses: readonly {
    readonly name: string; readonly jobs: number; readonly finished: number; readonly queueSeconds: Summary; readonly completionSeconds: Summary;
    /** Mean leaf and spine domains of first placements (topology spread). */
    readonly meanLeaves: number | null; readonly meanSpines: number | null;
  }[];
  readonly spares: { readonly target: number; readonly carvedFromFleet: number; readonly addedBeyondFleet: number; readonly swaps: number };
  readonly rented: { readonly gpuHours: number; readonly costUsd: number; readonly peakNodes: number };
  readonly services: readonly {
    readonly id: string; readonly demandServed: number; readonly meanReplicas: number; readonly peakReplicas: number;
    /** Planned services: model, GPUs per replica, most GPUs it may hold, output tokens/s per GPU and per replica (plan serve). */
    readonly model?: string; readonly gpusPerReplica?: number; readonly gpus?: number; readonly tokensPerSecondPerGpu?: number; readonly capacityTokensPerSecondPerReplica?: number;
  }[];
  /** Where each planned size came from (the planner command that gives it). */
  readonly sizing: readonly string[];
  readonly rejected: readonly RejectedJob[];
  /** Workload jobs whose submit time falls after the simulated period (not simulated). */
  readonly jobsAfterHorizon: number;
  readonly jobs: readonly JobReport[];
  /** The fleet sampled over time (at most 2,000 samples; src/sim/timeline.ts). */
  readonly timeline: Timeline;
}

export interface ReportInput {
  readonly engine: Engine;
  readonly workload: Workload;
  readonly options: SimOptions;
  readonly rejected: readonly RejectedJob[];
  readonly services: readonly ServiceStats[];
  readonly rent: RentStats | undefined;
  readonly spares: SimReport['spares'];
  readonly ownedGpus: number;
  readonly timeline: Timeline;
}

export function buildReport(r: ReportInput): SimReport {
  const { engine, options } = r;
  const horizon = engine.horizonSeconds;
  const rentedGpuSeconds = r.rent?.gpuSeconds ?? 0;
  const capacity = r.ownedGpus * horizon + rentedGpuSeconds;
  let allocated = 0;
  let productive = 0;
  const jobs: JobReport[] = [];
  const training: SimReport['training'][number][] = [];
  let notArrived = 0;
  for (const j of engine.jobs) {
    allocated += j.allocatedGpuSeconds;
    productive += j.productiveGpuSeconds;
    if (j.spec.kind === 'serve') continue; // replicas are summarised per service
    if (j.status === 'future') { notArrived++; continue; } // submitted after the horizon
    const isTraining = j.spec.checkpoints && j.firstStartSeconds !== undefined;
    const since = (j.endSeconds ?? horizon) - (j.firstStartSeconds ?? horizon);
    const ettr = isTraining && since > 0 ? Math.min(1, j.savedSeconds / since) : null;
    if (isTraining && ettr !== null) {
      const tps = j.spec.tokensPerSecondPerGpu;
      training.push({
        id: j.spec.id, gpus: j.gpus, ettr, goodput: j.allocatedGpuSeconds > 0 ? j.productiveGpuSeconds / j.allocatedGpuSeconds : 0, checkpointIntervalSeconds: j.intervalSeconds, restarts: j.restarts,
        ...(j.spec.model !== undefined && tps !== undefined ? { model: j.spec.model, tokensPerSecondPerGpu: tps, tokensTrained: j.savedSeconds * tps * j.gpus } : {}),
      });
    }
    jobs.push({
      id: j.spec.id, kind: j.spec.kind, tenant: j.spec.tenant, gpus: j.gpus, ettr, restarts: j.restarts, preemptions: j.preemptions,
      queueSeconds: j.firstQueueSeconds ?? null,
      completionSeconds: j.status === 'done' && j.endSeconds !== undefined ? j.endSeconds - j.spec.submitSeconds : null,
      spread: j.spread ?? null, status: j.status,
      ...(j.spec.traceStatus !== undefined ? { traceStatus: j.spec.traceStatus } : {}),
      ...(j.spec.model !== undefined ? { model: j.spec.model } : {}), ...(j.spec.tokensPerSecondPerGpu !== undefined ? { tokensPerSecondPerGpu: j.spec.tokensPerSecondPerGpu } : {}),
    });
  }
  const byCategory: Record<string, number> = {};
  const perDay: Record<string, number> = {};
  const byComponent: Record<string, number> = {};
  for (const c of FAILURE_CATEGORIES) {
    const n = engine.interruptionsByCategory.get(c.id) ?? 0;
    byCategory[c.id] = n;
    byComponent[c.component] = (byComponent[c.component] ?? 0) + n;
    perDay[c.id] = n / options.days;
  }
  const sizeClasses = SIZE_CLASSES.map((c) => {
    const inClass = jobs.filter((j) => sizeClassOf(j.gpus) === c.name);
    const placed = inClass.flatMap((j) => (j.spread ? [j.spread] : []));
    const mean = (f: (s: { leaves: number; spines: number }) => number): number | null => (placed.length === 0 ? null : placed.reduce((a, s) => a + f(s), 0) / placed.length);
    return {
      meanLeaves: mean((s) => s.leaves), meanSpines: mean((s) => s.spines),
      name: c.name, jobs: inClass.length, finished: inClass.filter((j) => j.completionSeconds !== null).length,
      queueSeconds: summarize(inClass.flatMap((j) => (j.queueSeconds === null ? [] : [j.queueSeconds]))),
      completionSeconds: summarize(inClass.flatMap((j) => (j.completionSeconds === null ? [] : [j.completionSeconds]))),
    };
  }).filter((c) => c.jobs > 0);
  const specs = new Map(r.workload.services.map((s) => [s.id, s]));
  const services = r.services.map((s) => {
    const spec = specs.get(s.id);
    return {
      id: s.id, demandServed: s.demandTokens > 0 ? s.servedTokens / s.demandTokens : 1,
      meanReplicas: s.replicaSecondsServing / horizon, peakReplicas: s.peakReplicas,
      ...(spec?.model !== undefined && spec.gpusPerReplica !== undefined ? {
        model: spec.model, gpusPerReplica: spec.gpusPerReplica, gpus: spec.maxReplicas * spec.gpusPerReplica,
        tokensPerSecondPerGpu: spec.tokensPerSecondPerGpu, capacityTokensPerSecondPerReplica: spec.capacityTokensPerSecondPerReplica,
      } : {}),
    };
  });
  const sizing = [...new Set([...r.workload.jobs.flatMap((j) => (j.sizedBy ? [`${j.id}: ${j.sizedBy}`] : [])), ...r.workload.services.flatMap((s) => (s.sizedBy ? [`${s.id}: ${s.sizedBy}`] : []))])];
  return {
    workload: r.workload.name, policy: options.policy, seed: options.seed, days: options.days, gpus: r.ownedGpus,
    events: engine.kernel.processed, schedulingCycles: engine.cycles, wallSeconds: 0, cpuSeconds: 0,
    utilization: { allocated: capacity > 0 ? allocated / capacity : 0, productive: capacity > 0 ? productive / capacity : 0 },
    interruptions: { unexpected: engine.unexpected, planned: engine.planned, byCategory, perDay, byComponent },
    preemptions: engine.preemptions, preemptionsByReason: Object.fromEntries([...engine.preemptionsByReason].sort()), checkpointMinutes: options.checkpointMinutes,
    training, sizeClasses, spares: r.spares,
    rented: { gpuHours: rentedGpuSeconds / 3600, costUsd: r.rent?.costUsd ?? 0, peakNodes: r.rent?.peakNodes ?? 0 },
    services, sizing, rejected: r.rejected, jobsAfterHorizon: notArrived, jobs, timeline: r.timeline,
  };
}
