import { allReduce, reduceScatter, reduceScatterPipelined, sendRecv } from './collectives.ts';
import type { PlanContext } from './context.ts';
import { linearTrainSeconds } from './gemm.ts';
import { COMM_SMS, layerCost } from './layer-cost.ts';
import { denseShardRanks, expertDataParallel, expertTp, hsdpShard, layersOnStage, type Layout } from './layout.ts';
import { stageParams } from './memory.ts';
import { OPTIMIZERS } from './h200-calibration.ts';
import type { ProductionCosts } from './production.ts';
import { fsdpCopySecondsPerMicrobatch } from './fsdp-copies.ts';

/** One training step of a layout, broken down by cause. All times in seconds per step. */
export interface StepBreakdown {
  readonly stepSeconds: number;
  readonly microbatches: number;
  /** GEMMs + attention + element-wise + recompute across all micro-batches of the slowest stage. */
  readonly computeSeconds: number;
  readonly gemmSeconds: number;
  readonly attentionSeconds: number;
  readonly elementwiseSeconds: number;
  /** FP8 weight casts (included in elementwiseSeconds): once per step, or per micro-batch under ZeRO-3/FSDP. */
  readonly fp8WeightCastSeconds: number;
  /** PyTorch FSDP's copies outside its collectives, every micro-batch: gradient path and own shard (included in elementwiseSeconds; fsdp-copies.ts). */
  readonly fsdpCopySeconds: number;
  readonly recomputeSeconds: number;
  /** LM head and loss on the last stage (with its tensor-parallel collectives), plus the input embedding when pp = 1. */
  readonly headSeconds: number;
  readonly tp: { readonly totalSeconds: number; readonly exposedSeconds: number; readonly algorithm: string };
  readonly cp: { readonly exposedSeconds: number; readonly algorithm: string };
  readonly ep: { readonly seconds: number; readonly algorithm: string };
  readonly pp: { readonly bubbleSeconds: number; readonly bubbleFraction: number; readonly p2pExposedSeconds: number; readonly algorithm: string };
  readonly dp: { readonly totalSeconds: number; readonly exposedSeconds: number; readonly hiddenSeconds: number; readonly algorithm: string };
  readonly optimizerSeconds: number;
  /** Compute slowed by hidden collectives sharing the SMs. */
  readonly commContentionSeconds: number;
  /** `--mode production` only: the costs it adds (included in stepSeconds; checkpoint stalls go to goodput). */
  readonly production?: ProductionCosts;
}


/**
 * Vocab-parallel cross-entropy, bytes per logit, as Megatron-Core's unfused vocab_parallel_cross_entropy
 * runs it (megatron/core/tensor_parallel/cross_entropy.py): forward cast the BF16 logits to FP32 (read 2,
 * write 4), max (read 4), in-place subtract of the max (read 4, write 4), in-place exp (4 + 4), sum (4),
 * in-place divide by the sum (4 + 4): 38; backward grad.mul_(grad_output) over the kept softmax (4 + 4)
 * and the cast back to BF16 (4 + 2): 14. 52 in all.
 */
const LOSS_BYTES_PER_LOGIT = 52;
/** Megatron's DDP bucket: 40M parameters; the last bucket of each pass cannot be overlapped. */
const BUCKET_PARAMS = 40e6;
/** Parameters are gathered in BF16; gradients are reduced in ctx.gradBytes (BF16, or FP32 under Megatron-LM's bf16 default). */
const PARAM_BYTES = 2;
/** Adam step, bytes per local parameter: read FP32 master, m, v, grad; write master, m, v; write BF16 copy. */
const ADAM_BYTES_PER_PARAM = 4 * 4 + 3 * 4 + 2;
/** Embedding backward per micro-batch, bytes per local embedding parameter: zero-fill the BF16 dense gradient (2), main_grad += grad (4 + 2 + 4). */
const EMBEDDING_GRAD_BYTES_PER_PARAM = 2 + 10;

export function stepTime(ctx: PlanContext, l: Layout, globalBatchSeqs: number): StepBreakdown {
  const s = ctx.shape;
  const hw = ctx.hw;
  const m = globalBatchSeqs / (l.dp * l.mbs);
  const layer = layerCost(ctx, l);
  const layersPerStage = layersOnStage(s.layers, l);
  const tokens = (l.mbs * ctx.seq) / l.cp;

  // LM head + vocab-parallel cross-entropy on the last stage; the loss streams the logits in FP32
  // (LOSS_BYTES_PER_LOGIT).
  const head = linearTrainSeconds(ctx.gemmBf16, tokens, s.hidden, s.vocab / l.tp);
  const lossSeconds = (tokens * (s.vocab / l.tp) * LOSS_BYTES_PER_LOGIT) / ctx.hbmBytesPerSecond;
  // Tensor parallel around the vocab-parallel head: with SP its input is all-gathered forward, the input
  // gradient reduce-scattered and the input re-gathered for the weight gradient backward (3 passes);
  // without SP, one all-reduce of the input gradient.
  const actBytes = tokens * s.hidden * 2;
  const tpGroup = { size: l.tp, stride: 1 };
  const headTp = l.tp > 1 ? (l.sp ? 3 * reduceScatter(hw, tpGroup, actBytes).seconds : allReduce(hw, tpGroup, actBytes).seconds) : 0;
  const headSeconds = head.forward + head.backward + lossSeconds + headTp;
  // Input embedding (its stage: with pp = 1 the same GPU): the vocab-parallel lookup is reduce-scattered
  // (SP) or all-reduced over tp forward, gathered backward; its backward builds a dense gradient of the
  // local vocab shard (zero-filled, BF16) that the DDP hook adds into the FP32 main gradient
  // (read 4 + 2, write 4): 2 + 10 bytes per embedding element per micro-batch, memory bound.
  const embeddingSeconds = l.pp === 1
    ? (l.tp > 1 ? 2 * (l.sp ? reduceScatter(hw, tpGroup, actBytes).seconds : allReduce(hw, tpGroup, actBytes).seconds) : 0)
      + ((s.embeddingParams / l.tp) * EMBEDDING_GRAD_BYTES_PER_PARAM) / ctx.hbmBytesPerSecond
    : 0;

  // FP8 weight casts. An FP8 GEMM reads its weight as FP8, plus a transposed FP8 copy for the dgrad GEMM
  // (Hopper FP8 tensor cores take only the TN layout): one kernel reads the BF16 weight (2 bytes) and writes
  // both copies (1 + 1). Transformer Engine casts once per step and reuses the cast over the micro-batches
  // (is_first_microbatch), which only works while the weight stays in memory. Under ZeRO-3/FSDP the weight is
  // gathered anew for every micro-batch, so each GPU casts the whole stage's gathered weights each time:
  // forward (read 2, write 1), backward the transposed copy (read 2, write 1), and once more in the recomputed
  // forward under full recomputation. The embedding and LM head stay in BF16.
  const layerWeights = layersPerStage * (s.denseParamsPerLayer / l.tp + s.expertParamsPerLayer / (expertTp(l) * l.ep));
  const fp8CastPerMicrobatch = ctx.fp8 && l.zero >= 3 ? (layerWeights * (PARAM_BYTES + 1) * (2 + (l.recompute === 'full' ? 1 : 0))) / ctx.hbmBytesPerSecond : 0;
  const fp8CastPerStep = ctx.fp8 && l.zero < 3 ? (layerWeights * (PARAM_BYTES + 2)) / ctx.hbmBytesPerSecond : 0;
  // Parameters on this stage (per tp/ep rank, before data-parallel sharding), and the data-parallel groups that shard
  // them: dense over dp x cp (HSDP: the shard group), experts over dp x cp / ep.
  const p = stageParams(s, l);
  const hsdp = hsdpShard(l);
  const denseGroup = { size: denseShardRanks(l), stride: l.tp };
  const expertGroup = { size: Math.min(expertDataParallel(l), hsdp ?? Number.POSITIVE_INFINITY), stride: expertTp(l) * l.ep };
  // PyTorch FSDP: the copies outside its collectives, every micro-batch (fsdp-copies.ts).
  const fsdpCopyPerMicrobatch = fsdpCopySecondsPerMicrobatch(ctx, l, p.dense + p.expert, p.dense / denseGroup.size + p.expert / expertGroup.size, m);
  const perMicrobatch = layersPerStage * layer.totalSeconds + headSeconds + embeddingSeconds + fp8CastPerMicrobatch + fsdpCopyPerMicrobatch;
  const forwardPerMicrobatch = layersPerStage * layer.forwardSeconds + head.forward;

  // Pipeline: interleaved 1F1B bubble (p-1)/v micro-batch times; p2p exposed while filling and draining.
  let bubble = 0;
  let p2p = 0;
  let ppAlgorithm = 'none';
  if (l.pp > 1) {
    bubble = ((l.pp - 1) / l.vpp) * perMicrobatch;
    const bytes = (tokens * s.hidden * 2) / (l.sp ? l.tp : 1);
    const hop = sendRecv(hw, l.tp * l.cp * l.dp, bytes);
    p2p = 2 * (l.pp * l.vpp - 1) * hop.seconds;
    ppAlgorithm = hop.algorithm;
  }

  // Data parallel: gradients reduced over dp x cp (experts over dp x cp / ep).
  // HSDP: gathers and reduce-scatters inside the shard group (consecutive dp ranks), an all-reduce across the replicas.
  const replicaGroup = { size: hsdp !== undefined ? (l.dp * l.cp) / hsdp : 1, stride: l.tp * (hsdp ?? 1) };
  // Collectives are issued per bucket (ZeRO-1/2, DDP: 40M-parameter buckets) or per layer (ZeRO-3),
  // so each pays its own latency: n x cost(bytes / n). Gradients go in ctx.gradBytes, parameters in BF16.
  const buckets = Math.max(1, Math.ceil((p.dense + p.expert) / BUCKET_PARAMS));
  const pieces = l.zero >= 3 ? Math.max(1, layersPerStage) : buckets;
  // Megatron-Core's DDP never splits a parameter across buckets, so with pp = 1 the input embedding
  // (vocab/tp x hidden, the last gradient the backward produces and the first weight the forward needs)
  // is a bucket of its own size at least: its reduce-scatter after the backward and its all-gather before
  // the forward cannot be hidden (param_and_grad_buffer.py; with the distributed optimizer a shared
  // embedding is even forced into a separate bucket). For a 131k vocabulary at hidden 2048 that is 268M
  // parameters against the 40M bucket.
  const tailParams = l.zero < 3 && l.pp === 1 ? Math.max((p.dense + p.expert) / pieces, s.embeddingParams / l.tp) : (p.dense + p.expert) / pieces;
  const tailShare = Math.min(1, tailParams / Math.max(1, p.dense + p.expert));
  let dpTotal = 0;
  let dpExposed = 0;
  let dpAlgorithm = 'none';
  if (l.dp * l.cp > 1) {
    const rs = l.zero >= 3 ? reduceScatterPipelined : reduceScatter;
    const half = (bytesPerParam: number): number => pieces * (rs(hw, denseGroup, (p.dense * bytesPerParam) / pieces).seconds
      + rs(hw, expertGroup, (p.expert * bytesPerParam) / pieces).seconds);
    const gradRs = half(ctx.gradBytes); // reduce-scatter of the gradients
    const paramAg = half(PARAM_BYTES); // all-gather of the parameters (costs as a reduce-scatter of the same bytes)
    const algorithm = rs(hw, denseGroup, (p.dense * ctx.gradBytes) / pieces).algorithm;
    const backwardWindow = perMicrobatch - forwardPerMicrobatch;
    if (l.zero === 0) {
      const arDense = allReduce(hw, denseGroup, (p.dense * ctx.gradBytes) / pieces);
      const ar = pieces * (arDense.seconds + allReduce(hw, expertGroup, (p.expert * ctx.gradBytes) / pieces).seconds);
      dpTotal = ar;
      dpExposed = Math.max(ar * tailShare, ar - backwardWindow);
      dpAlgorithm = `all-reduce ${arDense.algorithm}, ${pieces} buckets`;
    } else if (l.zero < 3) {
      // Reduce-scatter hides behind the last micro-batch's backward, the parameter all-gather behind the first forward.
      dpTotal = gradRs + paramAg;
      dpExposed = Math.max(gradRs * tailShare, gradRs - backwardWindow) + Math.max(paramAg * tailShare, paramAg - forwardPerMicrobatch);
      dpAlgorithm = `reduce-scatter + all-gather ${algorithm}, ${pieces} buckets${ctx.gradBytes === 4 ? ', FP32 gradients' : ''}`;
    } else {
      // FSDP / ZeRO-3: every micro-batch, layer by layer, parameters are gathered for the forward and again
      // for the backward, and gradients reduce-scattered. Each pass can only hide behind the compute of its
      // own phase: the forward gathers behind the forward, the backward gathers and reduce-scatters behind
      // the backward (with its recompute). With one micro-batch per step nothing else is there to overlap.
      // HSDP adds, in the last micro-batch's backward, the all-reduce of each layer's gradient shard across the
      // replicas (FSDP2 all-reduces only when gradients are synchronised), issued after that layer's
      // reduce-scatter on the same stream.
      const forwardComm = paramAg;
      const backwardComm = (l.reshardAfterForward === false ? 0 : paramAg) + gradRs;
      const replicaAr = replicaGroup.size > 1 ? pieces * allReduce(hw, replicaGroup, (p.dense * ctx.gradBytes) / (denseGroup.size * pieces)).seconds : 0;
      const exposed = (forward: number, backward: number): number => Math.max(forward / pieces, forward - forwardPerMicrobatch) + Math.max(backward / pieces, backward - backwardWindow);
      dpTotal = m * (forwardComm + backwardComm) + replicaAr;
      dpExposed = (m - 1) * exposed(forwardComm, backwardComm) + exposed(forwardComm, backwardComm + replicaAr);
      dpAlgorithm = `FSDP all-gather x${l.reshardAfterForward === false ? 1 : 2} + reduce-scatter per layer ${algorithm}`
        + (replicaAr > 0 ? `; HSDP shard ${hsdp}, all-reduce across ${replicaGroup.size} replicas ${allReduce(hw, replicaGroup, (p.dense * ctx.gradBytes) / (denseGroup.size * pieces)).algorithm}` : '');
    }
    if (!ctx.dpOverlap) dpExposed = dpTotal;
  }

  // Optimizer: Adam over the local shard, memory bound; plus zeroing the main-gradient buffer before each
  // step's first backward (Megatron-Core zero_grad_buffer: the whole local buffer, sharded only by ZeRO-2/3),
  // gradBytes written per local parameter.
  const shard = l.zero >= 1 ? { d: denseShardRanks(l), e: expertGroup.size } : { d: 1, e: 1 };
  const gradShard = l.zero >= 2 ? shard : { d: 1, e: 1 };
  const localParams = p.dense / shard.d + p.expert / shard.e;
  const zeroGradSeconds = ((p.dense / gradShard.d + p.expert / gradShard.e) * ctx.gradBytes) / ctx.hbmBytesPerSecond;
  let optimizerSeconds: number;
  if (ctx.optimizer === 'sharded') {
    optimizerSeconds = (localParams * ADAM_BYTES_PER_PARAM) / ctx.hbmBytesPerSecond + zeroGradSeconds;
  } else {
    // torch.optim AdamW (fused or foreach) over the local parameter tensors, the full mixed-precision
    // step at the rate measured on an H200 (h200-calibration.ts), plus a cost per tensor. Tensors per
    // layer: gated (Llama-family) 2 norms + q, k, v, o + 3 FFN = 9; with linear biases (GPT) 2 x 2 norm
    // + 4 x 2 linear = 12; MoE adds the router and 3 grouped expert tensors. Plus embedding, final norm
    // and head (and GPT's position table): 3 or 5.
    const rate = OPTIMIZERS[ctx.optimizer];
    const perLayer = (s.gated ? 9 : 12) + (s.moe ? 4 : 0);
    const tensors = layersPerStage * perLayer + (s.gated ? 3 : 5);
    optimizerSeconds = (localParams * rate.bytesPerParam) / (hw.gpu.hbmBandwidthBytesPerSecond.value * rate.hbmFraction)
      + tensors * rate.secondsPerTensor + zeroGradSeconds;
  }

  // Host time the GPU waits for, once per micro-batch (the stack's host-overhead).
  const pipeline = m * (perMicrobatch + ctx.hostOverheadSeconds) + bubble;
  // Hidden communication is not free: NCCL and userbuffer kernels occupy COMM_SMS of the GPU's SMs
  // while they run, slowing the compute they overlap by that share.
  // (Hidden tensor-parallel communication is already charged in layer-cost.ts: its GEMMs run on fewer SMs.)
  const hiddenComm = dpTotal - dpExposed;
  const contentionSeconds = hiddenComm * (COMM_SMS / ctx.hw.gpu.streamingMultiprocessors.value);
  const stepSeconds = pipeline + p2p + dpExposed + optimizerSeconds + contentionSeconds + fp8CastPerStep;
  const fp8CastSeconds = m * fp8CastPerMicrobatch + fp8CastPerStep;
  const fsdpCopySeconds = m * fsdpCopyPerMicrobatch;
  const times = m * layersPerStage;
  return {
    stepSeconds, microbatches: m,
    computeSeconds: times * (layer.gemmSeconds + layer.attentionSeconds + layer.elementwiseSeconds + layer.recomputeSeconds) + m * (headSeconds + embeddingSeconds) + fp8CastSeconds + fsdpCopySeconds,
    gemmSeconds: times * layer.gemmSeconds, attentionSeconds: times * layer.attentionSeconds,
    elementwiseSeconds: times * layer.elementwiseSeconds + fp8CastSeconds + fsdpCopySeconds, recomputeSeconds: times * layer.recomputeSeconds,
    fp8WeightCastSeconds: fp8CastSeconds, fsdpCopySeconds,
    headSeconds: m * (headSeconds + embeddingSeconds),
    tp: { totalSeconds: times * layer.tpCommSeconds, exposedSeconds: times * layer.tpExposedSeconds, algorithm: layer.tpAlgorithm },
    cp: { exposedSeconds: times * layer.cpExposedSeconds, algorithm: layer.cpAlgorithm },
    ep: { seconds: times * layer.epSeconds, algorithm: layer.epAlgorithm },
    pp: { bubbleSeconds: bubble, bubbleFraction: bubble / pipeline, p2pExposedSeconds: p2p, algorithm: ppAlgorithm },
    dp: { totalSeconds: dpTotal, exposedSeconds: dpExposed, hiddenSeconds: dpTotal - dpExposed, algorithm: dpAlgorithm },
    optimizerSeconds, commContentionSeconds: contentionSeconds,
  };
}
