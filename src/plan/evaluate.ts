import type { PlanContext } from './context.ts';
import { layoutGpus, type Layout } from './layout.ts';
import { memoryPerGpu, type MemoryBreakdown } from './memory.ts';
import { modelFlopsPerToken } from './shape.ts';
import { stepTime, type StepBreakdown } from './step-time.ts';
import { productionCosts } from './production.ts';

/** A layout with its memory and step time, and the throughput that follows. */
export interface Evaluated {
  readonly layout: Layout;
  readonly globalBatchSeqs: number;
  readonly gpusUsed: number;
  readonly memory: MemoryBreakdown;
  readonly step: StepBreakdown;
  readonly tokensPerSecondPerGpu: number;
  readonly tokensPerSecond: number;
  /** Model FLOP/s per GPU under FLOPS_CONVENTION, and its fraction of the dense peak. */
  readonly tflopsPerGpu: number;
  readonly mfu: number;
}

/** `memory`: pass it when already computed (the search checks memory first). */
export function evaluateLayout(ctx: PlanContext, l: Layout, globalBatchSeqs: number, memory?: MemoryBreakdown): Evaluated {
  const microbatches = globalBatchSeqs / (l.dp * l.mbs);
  memory ??= memoryPerGpu(ctx.shape, l, ctx.seq, microbatches, ctx.hw.gpu.hbmBytes.value, ctx.flashAttention, ctx.fp8, ctx.gradBytes, ctx.states);
  const gpusUsed = layoutGpus(l);
  let step = stepTime(ctx, l, globalBatchSeqs);
  if (ctx.mode === 'production') {
    const p = productionCosts(ctx, gpusUsed, step.stepSeconds, (globalBatchSeqs / l.dp) * ctx.seq, memory.weights + memory.gradients + memory.optimizer);
    step = { ...step, stepSeconds: step.stepSeconds + p.stragglerSeconds + p.dataLoadingSeconds + p.loggingSeconds, production: p };
  }
  const tokensPerSecond = (globalBatchSeqs * ctx.seq) / step.stepSeconds;
  const tokensPerSecondPerGpu = tokensPerSecond / gpusUsed;
  const flopsPerGpu = tokensPerSecondPerGpu * modelFlopsPerToken(ctx.shape, ctx.seq);
  return {
    layout: l, globalBatchSeqs, gpusUsed, memory, step, tokensPerSecondPerGpu, tokensPerSecond,
    tflopsPerGpu: flopsPerGpu / 1e12, mfu: flopsPerGpu / ctx.gemm.peakFlopsPerSecond,
  };
}
