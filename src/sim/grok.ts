import type { Rng } from '../lib/rng.ts';
import type { TenantQuota } from '../sched/types.ts';
import type { TwinSizing } from './sizing.ts';
import type { RecoveryMode, ServiceSpec, Workload, WorkloadJob } from './types.ts';

/**
 * The synthetic `grok` mix: what a frontier lab runs on one fleet at once. Shares are of the
 * fleet's nodes; these are workload assumptions (not measurements), stated here in one place.
 */
export const GROK_MIX = {
  /** One synchronous pretraining job over most of the fleet; its throughput is planned (plan train on the fleet). */
  pretrainShare: 0.75,
  /** The model pretrained and served; replica size and capacity come from plan serve on the fleet's GPU. */
  model: 'grok-1',
  /** Chat inference at the daily peak, share of nodes. */
  servePeakShare: 0.06,
  serveTroughFraction: 0.35,
  /** Consumer chat takes 2/3 of serving and peaks in the evening; the API peaks mid-day (UTC hours). */
  chatShareOfServing: 2 / 3,
  chatPeakHour: 20,
  apiPeakHour: 14,
  /** Offered research + eval load as a share of the nodes left for them. */
  researchLoad: 0.85,
  evalShareOfLoad: 0.1,
  /** Research jobs: one node..4,096 GPUs, P(2^k GPUs) proportional to 2^(-k/2); lognormal duration (heavy tail), capped. */
  researchMaxGpus: 4096,
  researchMedianHours: 3,
  researchLogSigma: 1.5,
  researchMaxDays: 10,
  /** Users overestimate: time limit = duration x U(1, 2) (backfill never sees an underestimate). */
  estimateMaxFactor: 2,
  /** Evaluation batches: one node..64 GPUs, 10-90 minutes, restart from scratch. */
  evalMaxGpus: 64,
  evalMinMinutes: 10,
  evalMaxMinutes: 90,
} as const;

const RESEARCH_TENANTS = [{ tenant: 'research-a', weight: 2 }, { tenant: 'research-b', weight: 1 }, { tenant: 'research-c', weight: 1 }];

/** Sizes 2^k GPUs between min and max, weighted 2^(-k/2) (many small jobs, a heavy tail of big ones). */
function drawSizeGpus(rng: Rng, minGpus: number, maxGpus: number): number {
  const ks: number[] = [];
  for (let g = minGpus; g <= maxGpus; g *= 2) ks.push(g);
  const w = ks.map((g) => 1 / Math.sqrt(g));
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < ks.length; i++) { u -= w[i]!; if (u <= 0) return ks[i]!; }
  return ks[ks.length - 1]!;
}

function meanSizeGpus(minGpus: number, maxGpus: number): number {
  let num = 0; let den = 0;
  for (let g = minGpus; g <= maxGpus; g *= 2) { num += g / Math.sqrt(g); den += 1 / Math.sqrt(g); }
  return num / den;
}

/**
 * Builds the mix for a fleet of `nodes` nodes over `days`, minus `reservedNodes` (spares). Node size,
 * pretraining throughput and serving replicas (GPUs, capacity) come from the planner (`sizing`).
 */
export function grokWorkload(nodes: number, days: number, rng: Rng, opts: { sizing: TwinSizing; reservedNodes?: number; recovery?: RecoveryMode }): Workload {
  const m = GROK_MIX;
  const g = opts.sizing.gpusPerNode;
  const horizon = days * 86_400;
  const pretrainNodes = Math.max(1, Math.floor(nodes * m.pretrainShare));
  const servePeakNodes = Math.max(1, Math.round(nodes * m.servePeakShare));
  const restNodes = Math.max(1, nodes - pretrainNodes - (opts.reservedNodes ?? 0) - servePeakNodes);
  const train = opts.sizing.train(m.model, pretrainNodes * g);
  const jobs: WorkloadJob[] = [{
    id: 'pretrain', tenant: 'pretraining', priority: 100, kind: 'train', nodes: pretrainNodes, gpusPerNode: g, submitSeconds: 0,
    workSeconds: Infinity, preemptible: false, checkpoints: true, recovery: opts.recovery ?? 'gang', replicaNodes: Math.max(1, Math.round(64 / g)),
    model: train.modelId, tokensPerSecondPerGpu: train.tokensPerSecondPerGpu, sizedBy: train.source,
  }];
  // Research: Poisson arrivals at the rate that offers researchLoad x (1 - evalShare) of the rest.
  const maxGpus = Math.min(m.researchMaxGpus, restNodes * g);
  const meanHours = m.researchMedianHours * Math.exp((m.researchLogSigma ** 2) / 2);
  const researchGpuSecondsPerJob = meanSizeGpus(g, maxGpus) * meanHours * 3600;
  const researchRate = (m.researchLoad * (1 - m.evalShareOfLoad) * restNodes * g) / researchGpuSecondsPerJob;
  let n = 0;
  for (let t = rng.exponential(1 / researchRate); t < horizon; t += rng.exponential(1 / researchRate)) {
    const gpus = drawSizeGpus(rng, g, maxGpus);
    const seconds = Math.min(rng.logNormal(m.researchMedianHours * 3600, m.researchLogSigma), m.researchMaxDays * 86_400);
    const tenant = RESEARCH_TENANTS[n % RESEARCH_TENANTS.length]!.tenant;
    jobs.push({
      id: `research-${n++}`, tenant, priority: 10, kind: 'train', nodes: gpus / g, gpusPerNode: g, submitSeconds: t, workSeconds: seconds,
      estimatedRuntimeSeconds: seconds * (1 + rng.next() * (m.estimateMaxFactor - 1)), preemptible: true, checkpoints: true, recovery: 'gang',
    });
  }
  // Evaluation batches.
  const evalMeanSeconds = ((m.evalMinMinutes + m.evalMaxMinutes) / 2) * 60;
  const evalRate = (m.researchLoad * m.evalShareOfLoad * restNodes * g) / (meanSizeGpus(g, Math.max(g, m.evalMaxGpus)) * evalMeanSeconds);
  let e = 0;
  for (let t = rng.exponential(1 / evalRate); t < horizon; t += rng.exponential(1 / evalRate)) {
    const gpus = drawSizeGpus(rng, g, Math.max(g, Math.min(m.evalMaxGpus, maxGpus)));
    const seconds = (m.evalMinMinutes + rng.next() * (m.evalMaxMinutes - m.evalMinMinutes)) * 60;
    jobs.push({
      id: `eval-${e++}`, tenant: 'eval', priority: 20, kind: 'eval', nodes: gpus / g, gpusPerNode: g, submitSeconds: t, workSeconds: seconds,
      estimatedRuntimeSeconds: seconds * m.estimateMaxFactor, preemptible: true, checkpoints: false, recovery: 'gang',
    });
  }
  // Two services sharing the serving share: consumer chat (evening peak) and the API (working
  // hours). Each peaks at 65% of its replicas' capacity, so the 0.7 target leaves headroom.
  const chatNodes = Math.max(1, Math.round(servePeakNodes * m.chatShareOfServing));
  const apiNodes = Math.max(1, servePeakNodes - chatNodes);
  const serve = opts.sizing.serve(m.model);
  const nodesPerReplica = Math.ceil(serve.gpusPerReplica / g);
  const service = (id: string, nodes: number, peakHour: number): ServiceSpec => {
    const replicas = Math.max(1, Math.floor(nodes / nodesPerReplica));
    return {
      id, tenant: 'serving', priority: 200, nodesPerReplica, gpusPerNode: Math.ceil(serve.gpusPerReplica / nodesPerReplica), minReplicas: 1, maxReplicas: replicas,
      capacityTokensPerSecondPerReplica: serve.capacityTokensPerSecondPerReplica,
      peakOutputTokensPerSecond: replicas * serve.capacityTokensPerSecondPerReplica * 0.65, troughFraction: m.serveTroughFraction, peakHour,
      model: serve.modelId, gpusPerReplica: serve.gpusPerReplica, tokensPerSecondPerGpu: serve.tokensPerSecondPerGpu, sizedBy: serve.source,
    };
  };
  const services: ServiceSpec[] = [service('grok-chat', chatNodes, m.chatPeakHour), service('grok-api', apiNodes, m.apiPeakHour)];
  const restGpus = restNodes * g;
  const quotas: TenantQuota[] = [
    { tenant: 'pretraining', guaranteedGpus: pretrainNodes * g, borrowLimitGpus: 0, weight: 1 },
    { tenant: 'serving', guaranteedGpus: servePeakNodes * g, borrowLimitGpus: 0, weight: 1 },
    { tenant: 'eval', guaranteedGpus: Math.floor(restGpus * 0.1), borrowLimitGpus: Infinity, weight: 1 },
    ...RESEARCH_TENANTS.map((r) => ({ tenant: r.tenant, guaranteedGpus: Math.floor((restGpus * 0.9 * r.weight) / 4), borrowLimitGpus: Infinity, weight: r.weight })),
  ];
  return { name: 'grok', jobs, services, rejected: [], quotas };
}
