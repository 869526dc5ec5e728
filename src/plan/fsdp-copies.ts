import type { PlanContext } from './context.ts';
import type { Layout } from './layout.ts';
import { runsPytorchFsdp } from './stack.ts';

/**
 * PyTorch FSDP (ZeRO-3) moves memory outside its collectives every micro-batch. As FSDP1 runs it (torch 2.0-2.1,
 * torch/distributed/fsdp/_runtime_utils.py and _flat_param.py), per parameter gathered on the GPU (the gradient
 * path, over the unsharded gradient):
 * - the parameters are views of one flat parameter (`torch.split` of the flat tensor), so autograd assembles the
 *   flat gradient from theirs (split's backward is a cat): read 2, write 2 (BF16);
 * - `_post_backward_hook` casts that gradient to the reduce dtype when it differs from the compute dtype
 *   (`flat_param.grad.to(handle._reduce_dtype)`): read 2, write 4 for an FP32 reduction, nothing for BF16;
 * - the reduce-scatter hook pre-divides it in place before the collective (`grad.div_(gradient_predivide_factor)`,
 *   torch/distributed/algorithms/_comm_hooks/default_hooks.py; the factor is above 1 for any world size of 2 or
 *   more): read + write in the reduce dtype.
 * FP32 reduction: 4 + 6 + 8 = 18 bytes; BF16: 4 + 0 + 4 = 8. FSDP2 (torch 2.4+, `foreach_reduce`) copies the
 * gradients into the reduce-scatter buffer in the reduce dtype (2 + 4), pre-divides it where the version does (8, or
 * 0 where it reduces with NCCL's AVG) and copies each all-gather's output into the parameters (2 + 2 per gather):
 * 14 to 22 bytes at FP32, so FSDP1's count lies in its range.
 */
export const fsdpGradientCopyBytesPerParam = (gradBytes: number): number => 2 * 2 + (gradBytes === 2 ? 0 : 2 + gradBytes) + 2 * gradBytes;

/**
 * Per parameter of the GPU's own shard (the FP32 parameter, FSDP's only full-precision copy: memory.ts FSDP_BYTES), FSDP1 and FSDP2
 * alike: the shard is cast to BF16 before each all-gather (`_use_low_precision_shard`: read 4, write 2; twice per
 * micro-batch when parameters are resharded after the forward); the reduced shard is post-divided (read + write in
 * the reduce dtype), cast to FP32 if reduced in BF16 (read 2, write 4), and from the second micro-batch on added to
 * the gradient of the earlier ones (`_saved_grad_shard += new_sharded_grad`: read 4 + 4, write 4).
 */
export function fsdpShardBytesPerParam(gradBytes: number, gathers: number, microbatches: number): number {
  return gathers * (4 + 2) + 2 * gradBytes + (gradBytes === 2 ? 2 + 4 : 0) + ((microbatches - 1) / microbatches) * 3 * 4;
}

/**
 * Seconds per micro-batch of these copies on one GPU, at the HBM streaming rate, for `gathered` parameters on its
 * stage and `local` of them in its shard; 0 where the stack does not run ZeRO-3 as PyTorch FSDP or nothing is
 * sharded. Not hidden: FSDP1 runs the cat on the compute stream and the rest on its pre-unshard and post-backward
 * streams beside the layers' compute, where they take SMs and HBM bandwidth from it.
 */
export function fsdpCopySecondsPerMicrobatch(ctx: PlanContext, l: Layout, gathered: number, local: number, microbatches: number): number {
  if (l.zero < 3 || gathered <= local || !runsPytorchFsdp(ctx.stack)) return 0;
  const gathers = l.reshardAfterForward === false ? 1 : 2;
  return (gathered * fsdpGradientCopyBytesPerParam(ctx.gradBytes) + local * fsdpShardBytesPerParam(ctx.gradBytes, gathers, microbatches)) / ctx.hbmBytesPerSecond;
}
