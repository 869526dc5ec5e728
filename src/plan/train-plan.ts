import { planContext, type TrainRequest } from './context.ts';
import type { Evaluated } from './evaluate.ts';
import { gemmEfficiency } from './gemm.ts';
import { goodput, type Goodput } from './goodput.ts';
import { formatLayout, type Layout } from './layout.ts';
import type { MemoryBreakdown } from './memory.ts';
import { bestLayouts, defaultGlobalBatch, type Rejection, type SearchOptions } from './search.ts';
import { FLOPS_CONVENTION, modelFlopsPerToken } from './shape.ts';
import type { StepBreakdown } from './step-time.ts';
import { formatStack, stackParameters } from './stack.ts';

/** One layout's full answer: throughput, memory, step breakdown, time, energy, cost and goodput. */
export interface TrainLayoutReport {
  readonly layout: Layout & { readonly text: string; readonly microbatches: number; readonly globalBatchSeqs: number; readonly globalBatchTokens: number };
  readonly gpusUsed: number;
  readonly gpusIdle: number;
  readonly tokensPerSecondPerGpu: number;
  readonly tokensPerSecond: number;
  readonly stepSeconds: number;
  readonly tflopsPerGpu: number;
  readonly mfu: number;
  readonly flopsConvention: string;
  readonly modelFlopsPerToken: number;
  readonly memoryBytesPerGpu: MemoryBreakdown;
  readonly step: StepBreakdown;
  /** Wall-clock days including goodput lost to failures; and without failures. */
  readonly daysToTrain: number;
  readonly daysToTrainNoFailures: number;
  readonly gpuHours: number;
  /** Facility energy (node power x PUE) over the wall-clock time, MWh. */
  readonly energyMWh: number;
  /** Owned: capex amortized over the GPU-hours + electricity; rented: GPU-hours x price. */
  readonly costOwnedUsd: number;
  readonly costRentedUsd: number;
  readonly goodput: Goodput;
}

export interface TrainPlan extends TrainLayoutReport {
  readonly model: string;
  readonly gpu: string;
  readonly fleet?: string;
  readonly gpus: number;
  readonly precision: string;
  readonly seq: number;
  readonly tokens: number;
  readonly layoutsEvaluated: number;
  readonly rejections: readonly Rejection[];
  readonly alternatives: readonly TrainLayoutReport[];
  readonly assumptions: readonly string[];
  /** Problems the user should see next to the answer (a fully stated layout over the memory model's limit). */
  readonly warnings: readonly string[];
  /** benchmark (default) or production (production.ts). */
  readonly mode: string;
  /** How the layouts are ordered. */
  readonly rankedBy: string;
  /** Where the global batch came from: the user's, used exactly, or the default rule with its source. */
  readonly globalBatchRule: string;
  /** The software stack assumed (`megatron` unless the request names one), as `--stack` takes it, and its sourced parameters. */
  readonly stack: { readonly name: string; readonly text: string; readonly parameters: readonly { key: string; value: string; source: string }[] };
}

function report(req: TrainRequest, e: Evaluated): TrainLayoutReport {
  const hw = req.hardware;
  const g = goodput(e.gpusUsed, hw.gpusPerNode, e.step.production?.checkpointBlockingSeconds);
  const idealSeconds = req.tokens / e.tokensPerSecond;
  const wallSeconds = idealSeconds / g.ettr;
  const gpuHours = (e.gpusUsed * wallSeconds) / 3600;
  const nodes = Math.ceil(e.gpusUsed / hw.gpusPerNode);
  const energyKwh = (nodes * hw.nodePowerWatts * hw.pue * wallSeconds) / 3600 / 1000;
  return {
    layout: { ...e.layout, text: formatLayout(e.layout), microbatches: e.step.microbatches, globalBatchSeqs: e.globalBatchSeqs, globalBatchTokens: e.globalBatchSeqs * req.seq },
    gpusUsed: e.gpusUsed, gpusIdle: hw.gpus - e.gpusUsed,
    tokensPerSecondPerGpu: e.tokensPerSecondPerGpu, tokensPerSecond: e.tokensPerSecond, stepSeconds: e.step.stepSeconds,
    tflopsPerGpu: e.tflopsPerGpu, mfu: e.mfu, flopsConvention: FLOPS_CONVENTION,
    modelFlopsPerToken: modelFlopsPerToken(planContext(req).shape, req.seq),
    memoryBytesPerGpu: e.memory, step: e.step,
    daysToTrain: wallSeconds / 86_400, daysToTrainNoFailures: idealSeconds / 86_400,
    gpuHours, energyMWh: energyKwh / 1000,
    costOwnedUsd: gpuHours * hw.ownedCapexPerGpuHourUsd + energyKwh * hw.electricityUsdPerKwh,
    costRentedUsd: gpuHours * hw.rentedPricePerGpuHourUsd,
    goodput: g,
  };
}

/** Layout keys that, all given, make `--layout` a fully stated layout. */
const FULL_LAYOUT_KEYS = ['tp', 'pp', 'dp', 'cp', 'mbs', 'zero', 'recompute'] as const;
export const RANKED_BY = 'ranked by training tokens/s, the same order as days to train without failures (failures cost every layout of one size alike); ties: fewer GPUs, then less memory';

/** Plans a training run: searches layouts (keys in `opts.fixed` are kept), returns the best with runners-up. */
export function planTrain(req: TrainRequest, opts: SearchOptions = {}): TrainPlan {
  const ctx = planContext(req);
  // A fully stated layout is the user's decision: evaluate it even where the memory model says it does
  // not fit, and say so (the model's activation estimate is not exact; the run may fit).
  const f = opts.fixed ?? {};
  const fullyStated = FULL_LAYOUT_KEYS.every((k) => f[k] !== undefined);
  const r = bestLayouts(ctx, { ...opts, top: Math.max(1, opts.top ?? 5), ...(fullyStated ? { allowOverMemory: true } : {}) });
  const gb = (b: number): string => (b / 1e9).toFixed(1);
  const warnings = fullyStated
    ? r.ranked.filter((e) => e.memory.total > e.memory.limit).map((e) => `${formatLayout(e.layout)} needs ${gb(e.memory.total)} GB per GPU by the memory model (weights ${gb(e.memory.weights)}, gradients ${gb(e.memory.gradients)}, optimizer ${gb(e.memory.optimizer)}, activations ${gb(e.memory.activations)}, comm buffers ${gb(e.memory.commBuffers)}), over the ${gb(e.memory.limit)} GB usable: evaluated anyway because --layout states it fully; try recompute=full, a smaller mbs or more sharding if it does not fit`)
    : [];
  const [best, ...rest] = r.ranked.map((e) => report(req, e));
  const hw = req.hardware;
  return {
    model: req.model.name, gpu: hw.gpu.name, ...(hw.fleetName ? { fleet: hw.fleetName } : {}), gpus: hw.gpus,
    precision: req.precision, seq: req.seq, tokens: req.tokens,
    ...best,
    layoutsEvaluated: r.evaluated, rejections: r.rejections, alternatives: rest, warnings,
    rankedBy: RANKED_BY,
    mode: ctx.mode,
    globalBatchRule: opts.globalBatchSeqs !== undefined
      ? `as given: ${opts.globalBatchSeqs.toLocaleString('en-US')} sequences, used exactly (only micro-batch sizes that divide the per-rank batch are planned)`
      : `default: ${defaultGlobalBatch(ctx).rule}; each layout uses the nearest batch that splits evenly over its dp x mbs (x pp when interleaved), within a factor of 2`,
    stack: { name: ctx.stack.name, text: formatStack(ctx.stack), parameters: stackParameters(ctx.stack) },
    assumptions: [
      `MFU and TFLOP/s count model FLOPs: ${FLOPS_CONVENTION}; peak = dense ${req.precision.toUpperCase()} datasheet peak`,
      `node power ${(hw.nodePowerWatts / 1000).toFixed(1)} kW, PUE ${hw.pue}, electricity $${hw.electricityUsdPerKwh}/kWh, owned capex $${hw.ownedCapexPerGpuHourUsd.toFixed(2)}/GPU-hour, rented $${hw.rentedPricePerGpuHourUsd.toFixed(2)}/GPU-hour`,
      `GEMM and attention efficiency: ${gemmEfficiency(hw.gpu).source.ref}${gemmEfficiency(hw.gpu).source.note ? ` (${gemmEfficiency(hw.gpu).source.note})` : ''}`,
      `memory: ${ctx.states === 'pytorch-fsdp'
        ? 'PyTorch FSDP mixed precision: the sharded FP32 parameter is the only full-precision copy (no master), FP32 gradient shards, Adam m, v (16 bytes/parameter sharded; BF16 weights only gathered)'
        : 'BF16 weights and gradient buffer, FP32 master weights + Adam m, v (16 bytes/parameter before sharding)'}; activations after Korthikanti et al. 2022 with FlashAttention; usable = HBM (GiB) x 0.95 - 1.5 GB`,
      `failures: ${goodput(best.gpusUsed, hw.gpusPerNode).source}`,
      ctx.mode === 'production' ? 'mode production: the costs below are added to every layout' : 'mode benchmark (default): steady-state steps as published benchmarks measure them, the mode the planner is validated in; --mode production adds stragglers, data loading, logging and the stack\'s checkpoint stalls',
      ...(best.step.production?.sources ?? []),
      ...hw.sources.map((s) => s.ref),
    ],
  };
}
