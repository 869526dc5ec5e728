/**
 * The one adapter between a planned job and the planner (src/plan): at submit the plane plans the
 * job on its own fleet, stores the plan with the spec, sizes the gang from it and hands the layout
 * to the ranks (job-plan.ts planEnv). Also the planner entry of `submit --dry-run`.
 * - gpus given: plan on that many GPUs of the fleet;
 * - deadline_days given: the smallest power-of-two node count (or the whole fleet) that meets it;
 * - else: the fleet's free GPUs (nodes no running job holds), or the whole fleet when under a node is free.
 * A plane whose cluster has no GPUs (the local executor on a CPU-only machine) refuses planned
 * jobs: there is nothing to plan for (see docs/readme/planned-jobs.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { GPUS, peakFlopsPerSecond, type GpuSpec } from '../catalog/gpus.ts';
import type { ModelArch } from '../catalog/model-arch.ts';
import { parseModelYaml } from '../catalog/model-schema.ts';
import { MODELS, modelIds } from '../catalog/models.ts';
import type { ClusterTopology, FleetSpec } from '../fleet/types.ts';
import { parseCount } from '../lib/count.ts';
import { ImpossibleError, InputError, UnknownNameError } from '../lib/errors.ts';
import type { TrainRequest } from '../plan/context.ts';
import { fleetHardware, homogeneousHardware } from '../plan/fleet-hardware.ts';
import type { ClusterHardware } from '../plan/hardware.ts';
import type { SearchOptions } from '../plan/search.ts';
import { planTrain, type TrainPlan } from '../plan/train-plan.ts';
import { planEnv, type JobPlan } from './job-plan.ts';
import { DEFAULT_STACK_NAME, formatStack, parseStack } from '../plan/stack.ts';
import type { JobSpec } from './job-spec.ts';

/** The planner's software stack for a planned job: `stack: NAME[,key=value...]` (plan train --stack). */
function runPlanner(req: TrainRequest, opts: SearchOptions, stack: string): TrainPlan {
  return planTrain({ ...req, stack: parseStack(stack, 'stack') }, opts);
}

/** What the plane plans on: its fleet when it has one (sim executor), else the cluster it schedules. */
export interface PlanTarget {
  readonly topology: ClusterTopology;
  readonly fleet?: FleetSpec;
  /** Nodes held by running jobs: a job given neither gpus nor deadline_days is planned on the rest. */
  readonly busyNodes?: ReadonlySet<number>;
}

/** GPUs of the cluster's main type on nodes no running job holds, in whole nodes of `gpusPerNode`. */
export function freeGpus(t: PlanTarget, gpusPerNode: number): number {
  const main = mainGpus(t.topology);
  if (main === undefined) return 0;
  let free = 0;
  for (const n of t.topology.nodes) if (n.gpuType === main.gpu && !t.busyNodes?.has(n.index)) free += Math.min(n.gpus, gpusPerNode);
  return Math.floor(free / gpusPerNode) * gpusPerNode;
}

/** A catalog id, or a model YAML file (absolute, or relative to the job's workdir). */
export function resolveModel(ref: string, workdir?: string): ModelArch {
  const known = MODELS[ref];
  if (known !== undefined) return known;
  const path = isAbsolute(ref) ? ref : resolve(workdir ?? process.cwd(), ref);
  if (/[/\\]|\.ya?ml$/i.test(ref)) {
    if (!existsSync(path)) throw new InputError({ field: 'model', value: ref, expected: `a model YAML file on the control plane's machine (${path} does not exist), or a catalog model: ${modelIds.join(', ')}` });
    let text: string;
    try { text = readFileSync(path, 'utf8'); } catch (e) { throw new InputError({ field: 'model', value: ref, expected: `a readable file (${(e as Error).message})` }); }
    return parseModelYaml(text, ref);
  }
  throw new UnknownNameError('model', ref, [...modelIds, '(or a path to a model .yaml file)']);
}

/** The GPU type with the most GPUs in the cluster, and how many. */
function mainGpus(t: ClusterTopology): { gpu: GpuSpec['id']; gpus: number } | undefined {
  const by = new Map<GpuSpec['id'], number>();
  for (const n of t.nodes) if (n.gpuType !== 'cpu' && n.gpus > 0) by.set(n.gpuType, (by.get(n.gpuType) ?? 0) + n.gpus);
  const best = [...by.entries()].sort((a, b) => b[1] - a[1])[0];
  return best && { gpu: best[0], gpus: best[1] };
}

/** The planner's hardware for `gpus` of the target (all of it when undefined). */
export function targetHardware(t: PlanTarget, gpus?: number): ClusterHardware {
  if (t.fleet !== undefined) {
    const all = fleetHardware(t.fleet).gpus;
    if (gpus !== undefined && gpus > all) throw new ImpossibleError(`gpus: ${gpus} requested but fleet "${t.fleet.name}" has ${all} training GPUs`, `ask for gpus: ${all} or less, give deadline_days instead, or rent more (gigafactory plan fleet)`);
    return fleetHardware(t.fleet, gpus);
  }
  const main = mainGpus(t.topology);
  if (main === undefined) {
    throw new ImpossibleError('model: this control plane\'s cluster has no GPUs, so there is nothing to plan a training job for',
      'give nodes x gpus_per_node (and your own layout) instead of model + tokens, run a plane over a GPU fleet (gigafactory up --executor sim --sim-fleet colossus-100k, or Slurm), or preview with gigafactory submit --dry-run FILE --fleet F');
  }
  if (gpus !== undefined && gpus > main.gpus) throw new ImpossibleError(`gpus: ${gpus} requested but this cluster has ${main.gpus} ${main.gpu.toUpperCase()} GPUs`, `ask for gpus: ${main.gpus} or less, or give deadline_days instead`);
  return homogeneousHardware(main.gpu, gpus ?? main.gpus);
}

interface Ask { readonly modelRef: string; readonly model: ModelArch; readonly req: Omit<TrainRequest, 'hardware'>; readonly opts: SearchOptions; readonly stack: string }

const attempt = (a: Ask, hw: ClusterHardware): TrainPlan | undefined => {
  try { return runPlanner({ ...a.req, hardware: hw }, a.opts, a.stack); } catch (e) { if (e instanceof ImpossibleError) return undefined; throw e; }
};

/** Smallest power-of-two node count (or the whole fleet) whose plan meets the deadline; binary search (days fall as GPUs grow). */
function sizeForDeadline(t: PlanTarget, a: Ask, deadlineDays: number): { plan: TrainPlan; why: string } {
  const whole = targetHardware(t);
  const sizes: number[] = [];
  for (let n = 1; n * whole.gpusPerNode < whole.gpus; n *= 2) sizes.push(n * whole.gpusPerNode);
  sizes.push(whole.gpus);
  const best = attempt(a, whole);
  if (best === undefined || best.daysToTrain > deadlineDays) {
    const days = best?.daysToTrain;
    const need = days === undefined ? undefined : Math.ceil((whole.gpus * days) / deadlineDays);
    throw new ImpossibleError(
      days === undefined ? `deadline_days: no layout of ${a.model.name} fits the ${whole.gpus} GPUs of this fleet` : `deadline_days: ${deadlineDays} cannot be met: the whole fleet (${whole.gpus} ${whole.gpu.name}) needs ${days.toFixed(1)} days for ${a.req.tokens.toExponential(2)} tokens`,
      days === undefined ? 'use a larger fleet or a smaller model' : `a deadline of at least ${Math.ceil(days)} days, fewer tokens, or about ${need} GPUs (more than this fleet: rent a pool; compare with gigafactory plan fleet --model ${a.modelRef} --tokens ${+(a.req.tokens / 1e12).toPrecision(4)}T --deadline-days ${deadlineDays})`,
    );
  }
  let lo = 0, hi = sizes.length - 1;
  let found = best;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const p = attempt(a, targetHardware(t, sizes[mid]));
    if (p !== undefined && p.daysToTrain <= deadlineDays) { found = p; hi = mid; } else lo = mid + 1;
  }
  return { plan: found, why: `the smallest size that meets deadline_days ${deadlineDays}` };
}

/** Plans a job spec that has `model`; throws a user error (4xx / exit 2) naming the field when it cannot. */
export function planJob(spec: JobSpec, t: PlanTarget): JobPlan {
  if (spec.model === undefined) throw new InputError({ field: 'model', value: undefined, expected: 'a catalog model or model YAML file (a planned job)' });
  const stack = formatStack(parseStack(spec.stack ?? DEFAULT_STACK_NAME, 'stack'));
  const model = resolveModel(spec.model, spec.workdir);
  const tokens = spec.tokens === undefined ? 20 * model.publishedParams : parseCount(spec.tokens, 'tokens');
  const seq = spec.seq ?? model.context;
  const precision = spec.precision ?? 'bf16';
  let globalBatchSeqs: number | undefined;
  if (spec.global_batch !== undefined) {
    globalBatchSeqs = Math.round(parseCount(spec.global_batch, 'global_batch') / seq);
    if (globalBatchSeqs < 1) throw new InputError({ field: 'global_batch', value: spec.global_batch, expected: `at least one sequence (${seq} tokens)` });
  }
  const a: Ask = { modelRef: spec.model, model, req: { model, precision, seq, tokens }, opts: { top: 1, ...(globalBatchSeqs ? { globalBatchSeqs } : {}) }, stack };
  const hw0 = targetHardware(t, spec.gpus);
  if (precision === 'fp8' && hw0.gpu.peakDenseFp8FlopsPerSecond.value === null) throw new InputError({ field: 'precision', value: 'fp8', expected: `bf16: ${hw0.gpu.name} has no FP8 tensor cores` });
  let plan: TrainPlan, why: string;
  if (spec.gpus !== undefined) {
    plan = runPlanner({ ...a.req, hardware: hw0 }, a.opts, stack);
    why = `gpus: ${spec.gpus} as given`;
    if (spec.deadline_days !== undefined && plan.daysToTrain > spec.deadline_days) {
      throw new ImpossibleError(`deadline_days: ${spec.deadline_days} cannot be met on gpus: ${spec.gpus} (the plan needs ${plan.daysToTrain.toFixed(1)} days)`, `about ${Math.ceil((spec.gpus * plan.daysToTrain) / spec.deadline_days)} GPUs, a later deadline, or drop gpus to let the planner size the job`);
    }
  } else if (spec.deadline_days !== undefined) {
    ({ plan, why } = sizeForDeadline(t, a, spec.deadline_days));
  } else {
    const free = Math.min(hw0.gpus, freeGpus(t, hw0.gpusPerNode));
    const useFree = free >= hw0.gpusPerNode && free < hw0.gpus;
    plan = runPlanner({ ...a.req, hardware: useFree ? targetHardware(t, free) : hw0 }, a.opts, stack);
    why = useFree ? `the fleet's ${free} free GPUs (no gpus or deadline_days given)` : 'the whole fleet (no gpus or deadline_days given)';
  }
  const gpusPerNode = hw0.gpusPerNode;
  return {
    model: plan.model, modelRef: spec.model, gpuType: GPUS[hw0.gpu.id].id, ...(plan.fleet !== undefined ? { fleet: plan.fleet } : {}), stack, precision, seq, tokens,
    gpus: plan.gpusUsed, nodes: Math.ceil(plan.gpusUsed / gpusPerNode), gpusPerNode,
    layout: {
      tp: plan.layout.tp, pp: plan.layout.pp, vpp: plan.layout.vpp, dp: plan.layout.dp, cp: plan.layout.cp, ep: plan.layout.ep, mbs: plan.layout.mbs,
      zero: plan.layout.zero, recompute: plan.layout.recompute, text: plan.layout.text, globalBatchSeqs: plan.layout.globalBatchSeqs, globalBatchTokens: plan.layout.globalBatchTokens,
    },
    stepSeconds: plan.stepSeconds, tokensPerSecondPerGpu: plan.tokensPerSecondPerGpu, tflopsPerGpu: plan.tflopsPerGpu, mfu: plan.mfu,
    modelFlopsPerToken: plan.modelFlopsPerToken, peakFlopsPerSecondPerGpu: peakFlopsPerSecond(hw0.gpu, precision),
    days: plan.daysToTrain, daysNoFailures: plan.daysToTrainNoFailures, energyMWh: plan.energyMWh, costOwnedUsd: plan.costOwnedUsd, costRentedUsd: plan.costRentedUsd,
    checkpointIntervalSeconds: plan.goodput.checkpointIntervalMinutes * 60, sizedBy: why,
  };
}

/** The spec as stored: the gang sized from the plan, the layout in the ranks' environment, the plan itself. */
export function applyPlan(spec: JobSpec, plan: JobPlan): JobSpec {
  return {
    ...spec, nodes: plan.nodes, ranks_per_node: plan.gpusPerNode, gpus_per_node: plan.gpusPerNode,
    env: { ...spec.env, ...planEnv(plan) },
    estimated_runtime_seconds: spec.estimated_runtime_seconds ?? Math.min(365 * 86_400, plan.days * 86_400),
    plan,
  };
}
