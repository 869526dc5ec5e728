import { allReduce } from './collectives.ts';
import type { PlanContext, PlanMode } from './context.ts';
import { KERNEL_LAUNCH_SECONDS } from './gemm.ts';
import type { StackName } from './stack.ts';

/**
 * `--mode production`: costs a real run pays that a short benchmark hides, each with its source. The
 * default mode is `benchmark`: the published measurements the planner is validated on are benchmark
 * runs (steady-state steps, no checkpoints), so that is the mode whose accuracy is known.
 */
export type { PlanMode };
export const PLAN_MODES: readonly PlanMode[] = ['benchmark', 'production'];

/** Step-time jitter of one GPU under sustained load: standard deviation / mean over 300 steps (shared/data/profiles/h200/jitter.json: 2.8 ms of 357.5 ms). */
const STEP_TIME_CV = 2.8 / 357.5;
/** Device-to-pinned-host copy, bytes/s (shared/data/profiles/h200/moe-ckpt.json: 14 GB in 0.25 s). */
const DEVICE_TO_HOST_BYTES_PER_SECOND = 55e9;
/** torch.save of a host copy to the node's local disk with fsync, bytes/s (moe-ckpt.json: 14 GB in 17.3 s). */
const LOCAL_DISK_WRITE_BYTES_PER_SECOND = 0.81e9;
/** Stacks whose default checkpoint blocks only for the device-to-host copy and writes in the background. */
const ASYNC_CHECKPOINT: Record<StackName, { async: boolean; source: string }> = {
  megatron: { async: true, source: 'NeMo 2 recipes: ckpt_async_save=True (Megatron-Core dist_checkpointing async save)' },
  fsdp: { async: false, source: 'torchtitan checkpoint.async_mode = "disabled": synchronous DCP save' },
  'fsdp-compile': { async: false, source: 'torchtitan checkpoint.async_mode = "disabled": synchronous DCP save' },
  deepspeed: { async: false, source: 'DeepSpeed save_checkpoint is synchronous (torch.save per rank)' },
  jax: { async: true, source: 'MaxText async_checkpointing: true (Orbax asynchronous checkpointer)' },
};

export interface ProductionCosts {
  /** Added to each step: the slowest of N GPUs' jitter, the batch's host-to-device copy, the logging reduction. */
  readonly stragglerSeconds: number;
  readonly dataLoadingSeconds: number;
  readonly loggingSeconds: number;
  /** Blocking seconds per checkpoint at the stack's checkpoint path (replaces the benchmark default in goodput). */
  readonly checkpointBlockingSeconds: number;
  readonly sources: readonly string[];
}

/**
 * - Stragglers: the ranks synchronise every step, so a step lasts as long as the slowest GPU's. With
 *   independent normal jitter of standard deviation sd, the expected maximum of N is about
 *   mean + sd x sqrt(2 ln N) (the extreme-value bound the jitter measurement cites).
 * - Data loading: token ids and labels (int64) of the rank's micro-batches copied to the GPU (loader
 *   workers prefetch on the host; the copy itself is counted, at the measured device-host rate).
 * - Logging: the per-step loss / grad-norm reduction over all ranks, and the host sync that reads it.
 * - Checkpoints: the rank's weights and optimizer state, copied to pinned host memory (asynchronous
 *   stacks) or saved to the node's local disk by its 8 ranks in turn (synchronous ones).
 */
export function productionCosts(ctx: PlanContext, gpus: number, stepSeconds: number, tokensPerRankPerStep: number, stateBytesPerGpu: number): ProductionCosts {
  const stragglerSeconds = stepSeconds * STEP_TIME_CV * Math.sqrt(2 * Math.log(Math.max(1, gpus)));
  const dataLoadingSeconds = (tokensPerRankPerStep * 2 * 8) / DEVICE_TO_HOST_BYTES_PER_SECOND;
  const loggingSeconds = allReduce(ctx.hw, { size: gpus, stride: 1 }, 8).seconds + KERNEL_LAUNCH_SECONDS;
  const ck = ASYNC_CHECKPOINT[ctx.stack.name];
  const checkpointBlockingSeconds = ck.async
    ? stateBytesPerGpu / DEVICE_TO_HOST_BYTES_PER_SECOND
    : (stateBytesPerGpu * Math.min(gpus, ctx.hw.gpusPerNode)) / LOCAL_DISK_WRITE_BYTES_PER_SECOND;
  return {
    stragglerSeconds, dataLoadingSeconds, loggingSeconds, checkpointBlockingSeconds,
    sources: [
      `stragglers: step-time CV ${(STEP_TIME_CV * 100).toFixed(2)}% on an H200 under sustained load (shared/data/profiles/h200/jitter.json), expected maximum over ${gpus} GPUs = mean + sd x sqrt(2 ln N)`,
      'data loading: int64 ids + labels per token, copied at 55 GB/s (device-host rate, shared/data/profiles/h200/moe-ckpt.json)',
      'logging: one 8-byte all-reduce over all ranks per step (loss, grad norm) and the host sync that reads it',
      `checkpoints: ${ck.source}; ${ck.async ? 'blocks for the device-to-host copy at 55 GB/s' : 'the node\'s ranks write to local disk at 0.81 GB/s (torch.save + fsync)'} (moe-ckpt.json)`,
    ],
  };
}
