import type { ServingPlan } from './planner.ts';

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (s: number) => `${fmt(s * 1e3, s < 0.01 ? 2 : 1)} ms`;
const gib = (b: number) => `${fmt(b / 2 ** 30, 1)} GiB`;

export interface ReportContext {
  readonly maxThroughput: boolean;
  readonly requestsPerSecond?: number;
  readonly shape: { readonly inputTokens: number; readonly outputTokens: number };
}

/** Human-readable plan, stating the model behind the numbers. */
export function formatServingPlan(p: ServingPlan, ctx: ReportContext): string {
  const lines = [
    `${p.model} on ${p.gpu}, ${p.precision}, ${fmt(ctx.shape.inputTokens)} in / ${fmt(ctx.shape.outputTokens)} out tokens per request`,
    ctx.maxThroughput ? 'mode: saturated throughput of one replica (no latency target unless given)' : `load: ${fmt(ctx.requestsPerSecond ?? 0)} requests/s`,
    '',
    `replica layout        tp=${p.layout.tp}${p.layout.ep > 1 ? `, ep=${p.layout.ep}` : ''} (${p.gpusPerReplica} GPU${p.gpusPerReplica > 1 ? 's' : ''})`,
    `memory per GPU        weights ${gib(p.memory.weightBytesPerGpu)}, KV cache ${gib(p.memory.kvCacheBytesPerGpu)} of ${gib(p.memory.hbmBytes)}`,
    `KV cache              ${fmt(p.kvCacheTokens)} tokens per replica (max batch ${fmt(p.maxBatchSize)} at ${fmt(ctx.shape.inputTokens + ctx.shape.outputTokens)} tokens/sequence)`,
    `batch (concurrent)    ${fmt(p.batchSize, 1)} sequences per replica`,
    `step                  ${ms(p.step.totalSeconds)} (${p.bound}-bound: compute-bound kernels ${ms(p.step.computeSeconds)}, memory-bound kernels ${ms(p.step.memorySeconds)}, collectives ${ms(p.step.communicationSeconds)})`,
    `prefill throughput    ${fmt(p.prefillTokensPerSecondPerGpu)} input tok/s per GPU (compute-bound)`,
    `decode throughput     ${fmt(p.decodeTokensPerSecondPerGpu)} output tok/s per GPU at this batch`,
    `served throughput     ${fmt(p.outputTokensPerSecondPerGpu)} output tok/s per GPU, ${fmt(p.outputTokensPerSecondPerReplica)} per replica`,
    `TTFT p99              ${ms(p.ttftP99Seconds)}`,
    `TPOT p99              ${ms(p.tpotP99Seconds)} (mean ${ms(p.tpotMeanSeconds)})`,
    `replicas              ${fmt(p.replicas)}`,
    `GPUs                  ${fmt(p.gpus)}`,
    `cost                  $${fmt(p.costPerHourUsd, 2)}/hour at $${fmt(p.pricePerGpuHourUsd, 2)}/GPU-hour`,
    `cost per 1M tokens    $${fmt(p.costPerMillionTokensUsd, 3)} output, $${fmt(p.costPerMillionInputAndOutputTokensUsd, 3)} input+output`,
    '',
    'model: prefill is compute-bound (2 x active params FLOPs/token + causal attention) at 50% of dense peak;',
    'decode reads weights + KV cache each step at 80% of HBM bandwidth, or is compute-bound at large batch;',
    'TP adds 2 ring all-reduces per layer on NVLink, or the 400 Gb/s NICs past 8 GPUs (EP: all-to-all);',
    'KV cache = 90% of HBM left after weights, activations and 2 GB runtime; each sequence reserves',
    'its full prompt + output.',
    'queueing: Poisson arrivals, each replica an M/M/c queue over its batch slots (Erlang C for TTFT p99);',
    'TPOT = a request\'s mean gap between tokens; its p99 counts a p99 number of prompts prefilled alongside (chunked prefill).',
  ];
  return lines.join('\n');
}
