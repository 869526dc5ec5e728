import type { ModelArch } from '../catalog/model-arch.ts';
import { gemmDevice, gemmEfficiency, HBM_FRACTION, type GemmDevice } from './gemm.ts';
import type { ClusterHardware } from './hardware.ts';
import { modelShape, type ModelShape } from './shape.ts';
import type { StateLayout } from './memory.ts';
import { DEFAULT_STACK_NAME, runsPytorchFsdp, stackPreset, type Fusion, type OptimizerImpl, type Stack } from './stack.ts';

/** Benchmark: the published steady-state measurements; production: plus the costs a long run pays (production.ts). */
export type PlanMode = 'benchmark' | 'production';

export type Precision = 'bf16' | 'fp8';

/** What a training plan is asked: model, hardware, precision, sequence length, batch. */
export interface TrainRequest {
  readonly model: ModelArch;
  readonly hardware: ClusterHardware;
  readonly precision: Precision;
  readonly seq: number;
  /** Global batch in tokens; undefined: the planner picks (see defaultGlobalBatchSeqs). */
  readonly globalBatchTokens?: number;
  /** Tokens to train on. */
  readonly tokens: number;
  /**
   * Attention kernels: `flash` (fused, no s^2 scores in memory; cuDNN / FlashAttention-3 on Hopper, the default since 2023),
   * `flash2` (the FlashAttention-2 package: Transformer Engine with NVTE_FUSED_ATTN=0; slower on Hopper) or `unfused` (QK^T and PV as batched GEMMs, softmax/mask/dropout over s^2 scores in HBM: Megatron-LM 2021).
   */
  readonly attention?: 'flash' | 'flash2' | 'unfused';
  /**
   * Data-parallel communication overlapped with the backward/forward passes (Megatron-Core
   * --overlap-grad-reduce/--overlap-param-gather, FSDP prefetch; default true). Megatron-LM of 2021
   * reduced gradients after the last backward.
   */
  readonly dpOverlap?: boolean;
  /**
   * MoE expert kernels: `grouped` (one grouped GEMM over the local experts, Megatron-Core --moe-grouped-gemm;
   * default) or `sequential` (SequentialMLP: one GEMM pair per local expert, each with its own kernels).
   */
  readonly moeExperts?: 'grouped' | 'sequential';
  /**
   * MoE token capacity factor when tokens are dropped and padded to capacity (Megatron-Core
   * --moe-expert-capacity-factor with --moe-pad-expert-input-to-capacity): every expert then computes
   * exactly capacity rows. Undefined: dropless routing, where the most loaded expert-parallel rank sets the pace.
   */
  readonly moeCapacityFactor?: number;
  /**
   * Data-parallel gradients accumulated and reduced in FP32 (4 bytes) instead of BF16. Megatron-LM's
   * launcher forces it for BF16 training (megatron/training/arguments.py: "bfloat16 requires gradient
   * accumulation and all-reduce to be done in fp32" sets accumulate_allreduce_grads_in_fp32, unless
   * --grad-reduce-in-bf16), which makes the main-gradient buffer FP32 and doubles the reduce-scatter.
   * Default false: the Megatron-Core DDP default (grad_reduce_in_fp32=False), which NeMo recipes keep
   * (optim.grad_sync_dtype: bf16).
   */
  readonly gradReduceFp32?: boolean;
  /**
   * The software stack (stack.ts: parseStack or stackPreset); undefined: `megatron`. Its attention kernel and
   * gradient-reduction type apply where `attention` / `gradReduceFp32` above are not given.
   */
  readonly stack?: Stack;
  /** `benchmark` (default: what the validation rows measure) or `production` (production.ts adds stragglers, data loading, logging, checkpoint stalls). */
  readonly mode?: PlanMode;
  /** Hidden and attention dropout probability (Megatron's 0.1 when used); undefined or 0: none. */
  readonly dropout?: number;
}

/** Everything the cost models read, derived once per request (the search evaluates many layouts against it). */
export interface PlanContext {
  readonly req: TrainRequest;
  readonly shape: ModelShape;
  readonly hw: ClusterHardware;
  readonly seq: number;
  /** GEMMs in the requested precision. */
  readonly gemm: GemmDevice;
  /** Attention and the LM head run in BF16 even in FP8 recipes (Transformer Engine default). */
  readonly gemmBf16: GemmDevice;
  readonly attentionForwardFlopsPerSecond: number;
  readonly attentionBackwardFlopsPerSecond: number;
  readonly hbmBytesPerSecond: number;
  readonly fp8: boolean;
  readonly flashAttention: boolean;
  readonly dpOverlap: boolean;
  readonly moeGroupedGemm: boolean;
  readonly moeCapacityFactor: number | undefined;
  /** Bytes per gradient element in the main-gradient buffer and the data-parallel reduction (2 BF16, 4 FP32). */
  readonly gradBytes: number;
  /** How the stack holds weights, gradients and optimizer states (memory.ts StateLayout). */
  readonly states: StateLayout;
  readonly stack: Stack;
  readonly fusion: Fusion;
  readonly optimizer: OptimizerImpl;
  readonly hostOverheadSeconds: number;
  readonly dropout: number;
  readonly mode: PlanMode;
  /** Memoized per-layer costs keyed by the layout fields they depend on. */
  readonly layerCache: Map<string, unknown>;
}

export function planContext(req: TrainRequest): PlanContext {
  const gpu = req.hardware.gpu;
  const eff = gemmEfficiency(gpu);
  const bf16Peak = gpu.peakDenseBf16FlopsPerSecond.value;
  const stack = req.stack ?? stackPreset(DEFAULT_STACK_NAME);
  // cuDNN and FlashAttention-3 share the Hopper fractions; FlashAttention-1 is half FlashAttention-2's speed
  // ("FlashAttention-2 ... 2x speedup compared to FlashAttention", Dao 2023, abstract).
  const kernel = req.attention === 'flash2' ? 'fa2' : req.attention === 'flash' ? 'cudnn' : stack.attention.value;
  const [fwd, bwd] = kernel === 'fa2' ? [eff.attentionFa2ForwardFraction, eff.attentionFa2BackwardFraction]
    : kernel === 'fa1' ? [eff.attentionFa2ForwardFraction / 2, eff.attentionFa2BackwardFraction / 2]
      : [eff.attentionForwardFraction, eff.attentionBackwardFraction];
  return {
    req, shape: modelShape(req.model), hw: req.hardware, seq: req.seq,
    gemm: gemmDevice(gpu, req.precision), gemmBf16: gemmDevice(gpu, 'bf16'),
    attentionForwardFlopsPerSecond: bf16Peak * fwd,
    attentionBackwardFlopsPerSecond: bf16Peak * bwd,
    hbmBytesPerSecond: gpu.hbmBandwidthBytesPerSecond.value * HBM_FRACTION,
    fp8: req.precision === 'fp8',
    flashAttention: req.attention !== 'unfused',
    dpOverlap: req.dpOverlap !== false,
    moeGroupedGemm: req.moeExperts !== 'sequential',
    moeCapacityFactor: req.moeCapacityFactor,
    gradBytes: (req.gradReduceFp32 ?? stack.gradReduce.value === 'fp32') ? 4 : 2,
    states: runsPytorchFsdp(stack) ? 'pytorch-fsdp' : 'master-copy',
    stack, fusion: stack.fusion.value, optimizer: stack.optimizer.value, hostOverheadSeconds: stack.hostOverheadSeconds.value,
    dropout: req.dropout ?? 0,
    mode: req.mode ?? 'benchmark',
    layerCache: new Map(),
  };
}
