import { denseShardRanks, expertDataParallel, expertTp, hsdpShard, layersOnStage, type Layout } from './layout.ts';
import type { ModelShape } from './shape.ts';

/** Per-GPU memory of the most loaded pipeline stage, bytes. */
export interface MemoryBreakdown {
  readonly weights: number;
  readonly gradients: number;
  readonly optimizer: number;
  readonly activations: number;
  readonly commBuffers: number;
  readonly total: number;
  /** What the layout may use: HBM minus the CUDA context and allocator fragmentation. */
  readonly limit: number;
}

/**
 * Bytes per parameter (mixed precision with Adam, Megatron-Core defaults): BF16 weights, BF16 gradient
 * buffer (DDP grad_reduce_in_fp32=False), FP32 master weights + Adam m + v (12). So 16 bytes per
 * parameter unsharded, 4 + 12/d with the distributed optimizer (ZeRO-1), 2 + 14/d with ZeRO-2, 16/d with ZeRO-3.
 */
export const BYTES = { weight: 2, grad: 2, optimizer: 12, activation: 2, logits: 4 } as const;

/**
 * How a stack holds its training state:
 * - `master-copy`: BF16 weights and a separate FP32 master copy beside Adam's m and v (BYTES above): Megatron-Core's
 *   distributed optimizer (FP32 main parameters in its own buffers), DeepSpeed ZeRO (BF16 parameters, FP32 partitions in
 *   the optimizer), and the `jax` stack as before.
 * - `pytorch-fsdp`: PyTorch FSDP/FSDP2 mixed precision (FSDP_BYTES below).
 */
export type StateLayout = 'master-copy' | 'pytorch-fsdp';

/**
 * PyTorch FSDP/FSDP2 mixed precision, bytes per parameter. The sharded FP32 parameter is the only full-precision copy
 * and the optimizer steps it directly: "Outside forward and backward, the *sharded* parameters are kept in full
 * precision (e.g. for the optimizer step)" (FSDP1 `MixedPrecision.param_dtype`, torch/distributed/fsdp/api.py); "FSDP
 * does not require any extra memory to keep a high-precision copy of the parameters for the optimizer step" and "The
 * optimizer step uses the sharded parameter in the original dtype" (FSDP2 `MixedPrecisionPolicy`,
 * torch.distributed.fsdp.fully_shard docs). The BF16 compute copy exists only gathered (per block, counted in the
 * comm buffers; or whole where the weights are not resharded), and its shard is cast on the fly for each all-gather.
 * The reduced gradient shard is cast back to the parameter's dtype whatever the reduce dtype
 * (FSDP1 `_cast_grad_to_param_dtype`, torch/distributed/fsdp/_runtime_utils.py; FSDP2 `foreach_reduce`:
 * `_to_dtype_if_needed(reduce_output, orig_dtype)`, torch/distributed/fsdp/_fully_shard/_fsdp_collectives.py), so a
 * sharded gradient is FP32; unsharded gradients accumulate in the reduce dtype ("FSDP will accumulate gradients using
 * reduce_dtype", same docs). Adam's m and v follow the FP32 parameter: 8 B.
 */
export const FSDP_BYTES = { param: 4, shardedGrad: 4, adam: 8 } as const;
/** CUDA context and NCCL/cuBLAS workspaces, bytes; allocator fragmentation reserve (PyTorch caching allocator: ~5%). */
export const RESERVE = { contextBytes: 1.5e9, fragmentationFraction: 0.05, dpBucketBytes: 2 * 40e6 * 4 } as const;

const GIB_PER_GB = 1024 ** 3 / 1e9;

/** Parameters held by one GPU of the largest stage (before ZeRO sharding): replicated part and expert part. */
export function stageParams(s: ModelShape, l: Layout): { dense: number; expert: number } {
  const layersPerStage = layersOnStage(s.layers, l);
  // Stage 0 holds the input embedding, the last stage the LM head; pp = 1 holds both (one if tied).
  const embeddingCopies = l.pp === 1 ? (s.tiedEmbeddings ? 1 : 2) : 1;
  const dense = (s.denseParamsPerLayer * layersPerStage + s.embeddingParams * embeddingCopies) / l.tp;
  const expert = (s.expertParamsPerLayer * layersPerStage) / (expertTp(l) * l.ep);
  return { dense, expert };
}

/**
 * Activation bytes one layer keeps per token for the backward pass (FlashAttention: no s^2 scores).
 * Without recompute: layer input, norm outputs, Q/K/V, attention output, FFN input/intermediate
 * (Korthikanti et al. 2022's 34·s·b·h, generalised to GQA, gated FFNs and top-k experts; no dropout).
 * Tensor parallelism shards the projections; sequence parallelism also shards the norm/residual part.
 * Full recompute keeps only the layer input. With FP8 (Transformer Engine) the four GEMM inputs
 * (QKV, proj, FC1, FC2) are kept as their 1-byte FP8 casts for the weight gradients.
 */
export function activationBytesPerTokenPerLayer(s: ModelShape, l: Layout, fp8 = false): number {
  const a = BYTES.activation;
  const g = fp8 ? 1 : a; // bytes of a saved GEMM input
  const replicated = 2 * s.hidden * a + 2 * s.hidden * g; // LN1 in, QKV in, LN2 in, FC1 in
  if (l.recompute === 'full') return (s.hidden * a) / (l.sp ? l.tp : 1);
  const attn = (2 * s.qWidth + 2 * s.kvWidth) * a - s.qWidth * (a - g); // Q, K, V, O (O is the proj input)
  const ffnBytes = (w: number, extra: number): number => ((s.gated ? 2 : 1) * w) * a + w * g + extra; // FC1 out(s), act out (FC2 in)
  const width = s.moe ? s.expertFfn * s.topK + s.expertFfn * s.sharedExperts : s.ffn;
  const ffn = ffnBytes(width, s.moe ? s.topK * s.hidden * a : 0); // MoE: permuted copies of the routed tokens
  const moeShare = s.moe ? s.moeLayers / s.layers : 0;
  const ffnMixed = moeShare * ffn + (1 - moeShare) * ffnBytes(s.ffn, 0);
  return replicated / (l.sp ? l.tp : 1) + (attn + ffnMixed) / l.tp;
}

/** `flashAttention` false: the s^2 scores, probabilities and dropout mask are kept too (5 a s^2 b bytes per layer, Korthikanti). */
/** Weights + gradients + optimizer states per GPU of the largest stage, after ZeRO sharding. */
export function stateBytesPerGpu(s: ModelShape, l: Layout, gradBytes: number = BYTES.grad, states: StateLayout = 'master-copy'): number {
  const m = statesOf(s, l, gradBytes, states);
  return m.weights + m.gradients + m.optimizer;
}

/**
 * `gradBytes`: 2 for a BF16 main-gradient buffer, 4 when gradients are accumulated and reduced in FP32 (context.ts
 * gradReduceFp32). `states`: how the stack holds them (StateLayout).
 */
function statesOf(s: ModelShape, l: Layout, gradBytes: number, states: StateLayout): { weights: number; gradients: number; optimizer: number } {
  const p = stageParams(s, l);
  // HSDP shards within its group only (layout.ts hsdpShard); experts over their own data-parallel ranks, at most the group.
  const denseShard = denseShardRanks(l);
  const expertShard = Math.min(expertDataParallel(l), hsdpShard(l) ?? Number.POSITIVE_INFINITY);
  const sharded = (bytes: number, on: boolean): number => (on ? bytes * (p.dense / denseShard + p.expert / expertShard) : bytes * (p.dense + p.expert));
  // Under pipeline parallelism ZeRO-2 accumulates the micro-batches' gradients unsharded and reduce-scatters
  // them after the last (FSDP2 set_requires_gradient_sync on the last backward only); reshard=off keeps the
  // gathered BF16 weights between forward and backward.
  const weightsSharded = l.zero >= 3 && l.reshardAfterForward !== false;
  const gradientsSharded = l.zero >= 3 || (l.zero === 2 && l.pp === 1);
  if (states === 'pytorch-fsdp') {
    // weights: the FP32 parameter (sharded as the optimizer states are), plus the whole BF16 compute copy where it is
    // kept through forward and backward (ZeRO-1/2, reshard=off); resharded ZeRO-3 holds no BF16 copy outside the
    // gathered blocks. optimizer: Adam m and v only (no master copy).
    return {
      weights: sharded(FSDP_BYTES.param, l.zero >= 1) + (weightsSharded ? 0 : sharded(BYTES.weight, false)),
      gradients: gradientsSharded ? sharded(FSDP_BYTES.shardedGrad, true) : sharded(gradBytes, false),
      optimizer: sharded(FSDP_BYTES.adam, l.zero >= 1),
    };
  }
  return {
    weights: sharded(BYTES.weight, weightsSharded),
    gradients: sharded(gradBytes, gradientsSharded),
    optimizer: sharded(BYTES.optimizer, l.zero >= 1),
  };
}

export function memoryPerGpu(s: ModelShape, l: Layout, seq: number, microbatches: number, hbmBytes: number, flashAttention = true, fp8 = false, gradBytes: number = BYTES.grad, states: StateLayout = 'master-copy'): MemoryBreakdown {
  const { weights, gradients, optimizer } = statesOf(s, l, gradBytes, states);

  const tokensPerMicrobatch = (l.mbs * seq) / l.cp;
  const layersPerStage = layersOnStage(s.layers, l);
  const scoresBytes = !flashAttention && l.recompute === 'none' ? (5 * s.heads * seq * seq * l.mbs) / (l.tp * l.cp) : 0;
  const perLayer = activationBytesPerTokenPerLayer(s, l, fp8) * tokensPerMicrobatch + scoresBytes;
  // 1F1B: stage 0 holds min(m, p) micro-batches in flight; interleaving adds (p-1)/(p v) (Narayanan 2021).
  const inFlight = Math.min(microbatches, l.pp) * (l.vpp > 1 ? 1 + (l.pp - 1) / (l.pp * l.vpp) : 1);
  let activations = perLayer * layersPerStage * inFlight;
  if (l.recompute === 'full') {
    // The layer being recomputed holds its full activations.
    activations += activationBytesPerTokenPerLayer(s, { ...l, recompute: 'none' }, fp8) * tokensPerMicrobatch;
  }
  // Logits of the last stage in FP32 for the loss (vocab sharded over tp).
  activations += (tokensPerMicrobatch * s.vocab * BYTES.logits) / l.tp;

  let commBuffers = 0;
  if (l.tp > 1) commBuffers += 2 * tokensPerMicrobatch * s.hidden * BYTES.activation; // gathered sequence-parallel inputs
  if (l.dp * l.cp > 1) commBuffers += RESERVE.dpBucketBytes;
  if (l.zero >= 3) commBuffers += 2 * ((s.denseParamsPerLayer / l.tp + s.expertParamsPerLayer / (expertTp(l) * l.ep)) * BYTES.weight); // prefetched full layers
  if (s.moe && l.ep > 1) commBuffers += 2 * tokensPerMicrobatch * s.topK * s.hidden * BYTES.activation / (l.sp ? l.tp : 1);

  const total = weights + gradients + optimizer + activations + commBuffers;
  // Datasheet "80 GB" HBM is 80 GiB (nvidia-smi on H100 80GB: 81,559 MiB), so the catalog's decimal GB are read as GiB.
  const limit = hbmBytes * GIB_PER_GB * (1 - RESERVE.fragmentationFraction) - RESERVE.contextBytes;
  return { weights, gradients, optimizer, activations, commBuffers, total, limit };
}
