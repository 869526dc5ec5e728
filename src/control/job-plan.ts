/**
 * The plan stored with a planned job (a spec with `model` + `tokens`): what the planner chose on the
 * plane's own fleet, and the environment it hands every rank. Built by plan-job.ts at submit, read
 * by the API (`plan` of GET /v1/jobs/{id}), the CLI and plan-versus-actual (progress.ts).
 */
export interface JobPlan {
  readonly model: string;
  /** Catalog id or file the user gave. */
  readonly modelRef: string;
  readonly gpuType: string;
  readonly fleet?: string;
  readonly stack: string;
  readonly precision: string;
  readonly seq: number;
  readonly tokens: number;
  /** GPUs the layout uses (tp x pp x cp x dp), the gang's nodes and GPUs per node. */
  readonly gpus: number;
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly layout: {
    readonly tp: number; readonly pp: number; readonly vpp: number; readonly dp: number; readonly cp: number; readonly ep: number;
    readonly mbs: number; readonly zero: number; readonly recompute: string; readonly text: string;
    readonly globalBatchSeqs: number; readonly globalBatchTokens: number;
  };
  readonly stepSeconds: number;
  readonly tokensPerSecondPerGpu: number;
  readonly tflopsPerGpu: number;
  readonly mfu: number;
  /** Model FLOPs per token (the planner's convention), so measured MFU uses the same count. */
  readonly modelFlopsPerToken: number;
  readonly peakFlopsPerSecondPerGpu: number;
  readonly days: number;
  readonly daysNoFailures: number;
  readonly energyMWh: number;
  readonly costOwnedUsd: number;
  readonly costRentedUsd: number;
  /** Daly's optimum for this gang's failure rate (the planner's goodput model). */
  readonly checkpointIntervalSeconds: number;
  /** Why this size: the user's `gpus`, the smallest that meets `deadline_days`, or the whole fleet. */
  readonly sizedBy: string;
}

/** The layout for the ranks, beside the torchrun contract (RANK, WORLD_SIZE, ...). */
export function planEnv(p: JobPlan): Record<string, string> {
  const l = p.layout;
  return {
    GF_TP: String(l.tp), GF_PP: String(l.pp), GF_VPP: String(l.vpp), GF_DP: String(l.dp), GF_CP: String(l.cp), GF_EP: String(l.ep),
    GF_MBS: String(l.mbs), GF_GLOBAL_BATCH: String(l.globalBatchSeqs), GF_SEQ: String(p.seq),
    GF_CHECKPOINT_INTERVAL_SECONDS: String(Math.round(p.checkpointIntervalSeconds)),
  };
}

const num = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A few lines for `submit --dry-run` and `gigafactory job`. */
export function formatJobPlan(p: JobPlan): string {
  return [
    `plan: ${p.model} on ${num(p.gpus)} x ${p.gpuType.toUpperCase()}${p.fleet ? ` (fleet ${p.fleet})` : ''}, ${p.precision.toUpperCase()}, seq ${num(p.seq)}, ${num(p.tokens / 1e9, 1)}B tokens, stack ${p.stack}`,
    `  gang      ${num(p.nodes)} node(s) x ${p.gpusPerNode} GPU(s) (${p.sizedBy})`,
    `  layout    ${p.layout.text}; global batch ${num(p.layout.globalBatchSeqs)} sequences`,
    `  predicted step ${p.stepSeconds.toFixed(3)} s, ${num(p.tokensPerSecondPerGpu, 1)} tokens/s/GPU, ${num(p.tflopsPerGpu)} TFLOP/s/GPU, MFU ${(p.mfu * 100).toFixed(1)}%`,
    `  time/cost ${p.days.toFixed(2)} days (${p.daysNoFailures.toFixed(2)} without failures), ${num(p.energyMWh)} MWh; owned $${num(p.costOwnedUsd / 1e6, 2)}M, rented $${num(p.costRentedUsd / 1e6, 2)}M`,
    `  checkpoint every ${num(p.checkpointIntervalSeconds)} s (Daly optimum for this gang)`,
  ].join('\n') + '\n';
}
