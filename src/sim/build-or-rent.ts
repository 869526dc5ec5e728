import { MODELS, modelIds } from '../catalog/models.ts';
import { nodeType } from '../catalog/nodes.ts';
import { buildTopology } from '../fleet/topology.ts';
import type { FleetSpec, PoolSpec } from '../fleet/types.ts';
import { ImpossibleError, UnknownNameError } from '../lib/errors.ts';
import { fleetHardware } from '../plan/fleet-hardware.ts';
import { planTrain } from '../plan/train-plan.ts';
import { sparesNeeded, type FailureModel } from './failures.ts';
import { simulate } from './simulate.ts';
import { DEFAULT_SIM } from './types.ts';

/**
 * Build or rent, answered by the twin: train `tokens` of a model on (1) the owned fleet, (2) the
 * owned fleet plus a rented pool, (3) the rented pool alone. Each option is planned (plan train on
 * its GPUs: layout and tokens/s) and then run in the simulator with failures, spares and restarts
 * until the tokens are trained; rented capacity starts after the pool's lead time and is paid for
 * at least its minimum term. Pure: the same inputs and seed give the same answer.
 */
export interface BuildOrRentInput {
  readonly modelId: string;
  readonly tokens: number;
  readonly deadlineDays: number;
  readonly fleet: FleetSpec;
  /** The pool to rent from, and the fleet it belongs to (its network). */
  readonly pool: PoolSpec;
  readonly poolFleet: FleetSpec;
  readonly failures: FailureModel;
  readonly seed: number;
}

export type OptionName = 'owned' | 'owned+rented' | 'rented';

export interface BuildOrRentOption {
  readonly name: OptionName;
  readonly ownedGpus: number;
  readonly rentedGpus: number;
  /** GPUs the job uses (the rest are hot spares), its layout and planned rate. */
  readonly jobGpus: number;
  readonly spareNodes: number;
  readonly layout: string;
  readonly tokensPerSecondPerGpu: number;
  /** The analytical plan's days (with its failure model) and the twin's: lead time + simulated run. */
  readonly plannedDays: number;
  readonly leadTimeDays: number;
  readonly days: number;
  /** Productive time over wall time of the run in the twin (ETTR). */
  readonly goodput: number;
  readonly interruptions: number;
  readonly energyMWh: number;
  readonly costOwnedUsd: number;
  readonly costRentedUsd: number;
  readonly costUsd: number;
  readonly meetsDeadline: boolean;
  readonly finished: boolean;
}

export interface BuildOrRentAnswer {
  readonly model: string;
  readonly tokens: number;
  readonly deadlineDays: number;
  readonly options: readonly BuildOrRentOption[];
  /** The option that meets the deadline at the least cost; undefined when none does (see `why`). */
  readonly choice?: OptionName;
  readonly why: string;
  readonly assumptions: readonly string[];
}

interface Candidate { readonly name: OptionName; readonly fleet: FleetSpec; readonly ownedNodes: number; readonly rentedNodes: number; readonly leadTimeHours: number }

function runOption(c: Candidate, i: BuildOrRentInput): BuildOrRentOption | string {
  const model = MODELS[i.modelId]!;
  const topology = buildTopology(c.fleet);
  const nodes = topology.nodes.length;
  const gpn = Math.max(...topology.nodes.map((n) => n.gpus));
  const hw0 = fleetHardware(c.fleet);
  // Hot spares: the 99th percentile of nodes in repair over a generous horizon; the job takes the rest.
  const guessDays = Math.min(3650, 4 * i.deadlineDays);
  const spares = Math.min(nodes - 1, sparesNeeded(i.failures, nodes, guessDays * 86_400));
  const jobNodes = nodes - spares;
  let plan;
  try {
    plan = planTrain({ model, hardware: fleetHardware(c.fleet, jobNodes * gpn), precision: 'bf16', seq: model.context, tokens: i.tokens }, { top: 1 });
  } catch (e) {
    if (e instanceof ImpossibleError) return `${c.name}: ${e.message.split('\n')[0]}`;
    throw e;
  }
  const jobGpus = jobNodes * gpn;
  const workSeconds = i.tokens / (plan.tokensPerSecondPerGpu * jobGpus);
  const horizonDays = Math.min(3650, Math.max(1, (workSeconds / 86_400) * 3 + 1));
  const r = simulate(topology, {
    name: `build-or-rent:${c.name}`, services: [], rejected: [], quotas: [],
    jobs: [{
      id: 'pretrain', tenant: 'pretraining', priority: 100, kind: 'train', nodes: jobNodes, gpusPerNode: gpn, submitSeconds: 0, workSeconds,
      preemptible: false, checkpoints: true, recovery: 'gang', model: i.modelId, tokensPerSecondPerGpu: plan.tokensPerSecondPerGpu,
    }],
  }, { days: horizonDays, seed: i.seed, policy: DEFAULT_SIM.policy, checkpointMinutes: 'auto', failures: i.failures, spares, spareMinGpus: 0, cycleSeconds: DEFAULT_SIM.cycleSeconds });
  const job = r.jobs.find((j) => j.id === 'pretrain')!;
  const train = r.training.find((t) => t.id === 'pretrain');
  const finished = job.completionSeconds !== null;
  const runSeconds = job.completionSeconds ?? horizonDays * 86_400;
  const hours = runSeconds / 3600;
  const leadTimeDays = c.leadTimeHours / 24;
  const days = leadTimeDays + runSeconds / 86_400;
  // Every node of the option (job + spares) is held for the run; rented ones for at least the minimum term.
  const ownedGpus = c.ownedNodes * gpn, rentedGpus = c.rentedNodes * gpn;
  const energyMWh = (nodes * hw0.nodePowerWatts * hw0.pue * hours) / 1e6;
  const ownedShare = nodes > 0 ? c.ownedNodes / nodes : 0;
  const costOwnedUsd = ownedGpus * hours * hw0.ownedCapexPerGpuHourUsd + energyMWh * ownedShare * 1000 * hw0.electricityUsdPerKwh;
  const costRentedUsd = rentedGpus * Math.max(hours, i.pool.minimumHours) * i.pool.pricePerGpuHourUsd;
  return {
    name: c.name, ownedGpus, rentedGpus, jobGpus, spareNodes: spares, layout: plan.layout.text, tokensPerSecondPerGpu: plan.tokensPerSecondPerGpu,
    plannedDays: leadTimeDays + plan.daysToTrain, leadTimeDays, days, goodput: train?.ettr ?? 0, interruptions: r.interruptions.unexpected,
    energyMWh, costOwnedUsd, costRentedUsd, costUsd: costOwnedUsd + costRentedUsd, meetsDeadline: finished && days <= i.deadlineDays, finished,
  };
}

/** Compares the three options in the twin and picks the cheapest that meets the deadline. */
export function buildOrRent(i: BuildOrRentInput): BuildOrRentAnswer {
  const model = MODELS[i.modelId];
  if (model === undefined) throw new UnknownNameError('model', i.modelId, modelIds);
  const custom = { ...(i.poolFleet.nodeTypes ?? {}), ...(i.fleet.nodeTypes ?? {}) };
  const poolHall = { name: `rented-${i.pool.name}`, nodeType: i.pool.nodeType, nodes: i.pool.maxNodes };
  const ownedGpu = i.fleet.halls[0] ? nodeType(i.fleet.halls[0].nodeType, custom).gpu : undefined;
  const poolGpu = nodeType(i.pool.nodeType, custom).gpu;
  const ownedNodes = i.fleet.halls.reduce((a, h) => a + h.nodes, 0);
  const candidates: Candidate[] = [];
  const skipped: string[] = [];
  if (ownedNodes > 0) candidates.push({ name: 'owned', fleet: { ...i.fleet, pools: [], nodeTypes: custom }, ownedNodes, rentedNodes: 0, leadTimeHours: 0 });
  else skipped.push('owned: the fleet has no owned halls');
  if (ownedNodes > 0 && ownedGpu === poolGpu) {
    candidates.push({ name: 'owned+rented', fleet: { ...i.fleet, halls: [...i.fleet.halls, poolHall], pools: [], nodeTypes: custom }, ownedNodes, rentedNodes: i.pool.maxNodes, leadTimeHours: i.pool.leadTimeHours });
  } else if (ownedNodes > 0) skipped.push(`owned+rented: the pool's ${poolGpu} nodes cannot join one job with the fleet's ${ownedGpu} nodes`);
  candidates.push({ name: 'rented', fleet: { ...i.poolFleet, halls: [poolHall], pools: [], nodeTypes: custom }, ownedNodes: 0, rentedNodes: i.pool.maxNodes, leadTimeHours: i.pool.leadTimeHours });
  const options: BuildOrRentOption[] = [];
  for (const c of candidates) {
    const o = runOption(c, i);
    if (typeof o === 'string') skipped.push(o); else options.push(o);
  }
  const meeting = options.filter((o) => o.meetsDeadline).sort((a, b) => a.costUsd - b.costUsd);
  const choice = meeting[0];
  let why: string;
  if (choice) {
    why = `${choice.name} meets the ${i.deadlineDays}-day deadline (${choice.days.toFixed(1)} days) at the least cost ($${(choice.costUsd / 1e6).toFixed(2)}M)`
      + (meeting.length > 1 ? `; also meeting it: ${meeting.slice(1).map((o) => `${o.name} $${(o.costUsd / 1e6).toFixed(2)}M`).join(', ')}` : '');
  } else {
    const fastest = [...options].sort((a, b) => a.days - b.days)[0];
    why = fastest
      ? `no option meets ${i.deadlineDays} days: the fastest, ${fastest.name} on ${fastest.jobGpus} GPUs, needs ${fastest.days.toFixed(1)} days`
      : `no option can train ${model.name}: ${skipped.join('; ')}`;
  }
  return {
    model: model.name, tokens: i.tokens, deadlineDays: i.deadlineDays, options, ...(choice ? { choice: choice.name } : {}), why,
    assumptions: [
      'each option is planned (plan train on its GPUs) and then run in the twin: failures at the catalog rate, hot spares carved from the option\'s nodes, gang restarts from the Daly-interval checkpoint',
      'owned cost: capex amortized per GPU-hour plus electricity, for the GPUs held during the run; rented: pool price x GPUs x max(run, minimum term)',
      'owned+rented: the pool joins the owned fabric as one job (the owned network; cross-site bandwidth not modelled); rented capacity starts after the pool\'s lead time',
      ...skipped.map((s) => `not compared: ${s}`),
    ],
  };
}
