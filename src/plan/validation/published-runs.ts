// Published training runs that are NOT in ../shared/data/training-runs.csv, made with other stacks than the
// tuned NVIDIA/JAX recipes there: Composer/LLM Foundry, torchtitan, IBM's fms-fsdp (FSDP and HSDP),
// Megatron-DeepSpeed (BLOOM) and Meta's Llama 3 pre-training. Each row quotes its source (URL + table + the
// figures as printed) and states the run's model, GPUs, layout, batch and stack. Nothing here was fitted:
// `npm run validate:planner -- --published` only compares. Where a row's hardware differs from the catalog
// GPU it is planned on, `hardwareNote` says how.
import type { ModelArch } from '../../catalog/model-arch.ts';
import { MODELS } from '../../catalog/models.ts';
import type { GpuSpec } from '../../catalog/gpus.ts';
import { SWITCHES } from '../../catalog/network.ts';
import { NODE_TYPES } from '../../catalog/nodes.ts';
import { homogeneousFleet } from '../../fleet/presets.ts';
import type { Precision } from '../context.ts';
import { planContext } from '../context.ts';
import { fleetHardware, homogeneousHardware } from '../fleet-hardware.ts';
import type { ClusterHardware } from '../hardware.ts';
import { formatLayout, type PartialLayout } from '../layout.ts';
import { bestLayouts } from '../search.ts';
import { modelFlopsPerToken, modelShape } from '../shape.ts';
import { formatStack, parseStack } from '../stack.ts';

export interface PublishedRun {
  readonly id: string;
  /** Who published it, the document, and the URL. */
  readonly source: string;
  readonly url: string;
  /** Where in the source: table and row, as printed. */
  readonly where: string;
  readonly model: ModelArch;
  readonly gpu: GpuSpec['id'];
  readonly gpus: number;
  readonly seq: number;
  readonly globalBatchSeqs: number;
  /** The run's whole layout (tp x pp x cp x dp = gpus). */
  readonly layout: PartialLayout;
  /** `--stack` text: the framework's preset, with the run's stated attention kernel. */
  readonly stack: string;
  readonly framework: string;
  readonly precision: Precision;
  /** The published throughput: tokens/s per GPU as printed, or TFLOP/s per GPU with the source's FLOP convention. */
  readonly published: { readonly tokensPerSecondPerGpu: number } | { readonly tflopsPerGpu: number; readonly convention: 'narayanan-96' | 'planner' };
  /** Attention implementation when the stack key cannot say it (`unfused`: QK^T and PV as GEMMs, softmax in HBM). */
  readonly attention?: 'unfused';
  /** Data-parallel communication overlapped with compute (false: reduced after the backward). */
  readonly dpOverlap?: boolean;
  /** How the source's hardware differs from the catalog GPU it is planned on (first-principles reason for an error). */
  readonly hardwareNote?: string;
  /**
   * The cluster network, where the source states one other than the catalog node's (8 x 200 Gb/s InfiniBand on
   * A100, 8 x 400 Gb/s on H100): compute bandwidth per node in Gb/s, all NICs together, whether it is Ethernet
   * (costed with the catalog's Ethernet switch latency), and where the figure is printed.
   */
  readonly network?: { readonly gbpsPerNode: number; readonly ethernet: boolean; readonly source: string };
  /**
   * Printed but not counted towards the targets, with the reason: the run's GPU is not one the catalog has
   * (a different memory, bandwidth or power limit), so the comparison measures the catalog gap, not the model.
   */
  readonly excluded?: string;
}

const src = (ref: string): ModelArch['source'] => ({ ref, kind: 'P' });

/**
 * MPT models of LLM Foundry's benchmark table: GPT-style (LayerNorm, linear biases, GELU MLP x4, learned
 * positions in the benchmark runs: the table's NumParams grows by d_model x 1,024 per 1,024 of SeqLen), tied
 * embeddings, vocab 50,368; sizes and heads from scripts/train/yamls/pretrain/mpt-*.yaml. The NumParams column
 * reproduces exactly from these (e.g. 70b: 64,862,437,376 at seq 2,048).
 */
const mpt = (name: string, layers: number, hidden: number, heads: number, seq: number): ModelArch => ({
  name: `MPT ${name}`, layers, hidden, heads, kvHeads: heads, ffn: 4 * hidden, ffnKind: 'plain', vocab: 50368, tiedEmbeddings: true,
  context: seq, publishedParams: 12 * layers * hidden * hidden + 50368 * hidden,
  source: src(`mosaicml/llm-foundry scripts/train/yamls/pretrain/mpt-${name}.yaml (d_model, n_heads, n_layers, vocab_size 50368, expansion_ratio 4)`),
});

/** Llama 2 (Touvron et al. 2023, Table 1; meta-llama/Llama-2-*-hf config.json); 34B as Code Llama 34B (GQA 8). */
const llama2 = (size: '7b' | '13b' | '34b' | '70b'): ModelArch => {
  const d = { '7b': [32, 4096, 32, 32, 11008, 6.74e9], '13b': [40, 5120, 40, 40, 13824, 13.0e9], '34b': [48, 8192, 64, 8, 22016, 33.7e9], '70b': [80, 8192, 64, 8, 28672, 69.0e9] }[size];
  return {
    name: `Llama 2 ${size.toUpperCase()}`, layers: d[0]!, hidden: d[1]!, heads: d[2]!, kvHeads: d[3]!, ffn: d[4]!, ffnKind: 'gated', vocab: 32000,
    context: 4096, publishedParams: d[5]!, source: src('Touvron et al., "Llama 2", 2023, Table 1; meta-llama/Llama-2 and CodeLlama-34b config.json'),
  };
};

const BLOOM: ModelArch = {
  name: 'BLOOM 176B', layers: 70, hidden: 14336, heads: 112, kvHeads: 112, ffn: 4 * 14336, ffnKind: 'plain', vocab: 250880, tiedEmbeddings: true,
  context: 2048, publishedParams: 176.2e9,
  source: src('bigscience-workshop/bigscience train/tr11-176B-ml/tr11-176B-ml.slurm (NLAYERS 70, NHIDDEN 14336, NHEADS 112, --pad-vocab-size-to 250880)'),
};

const FOUNDRY = 'MosaicML LLM Foundry, scripts/train/benchmarking/README.md ("MPT Training Benchmarks")';
const FOUNDRY_URL = 'https://github.com/mosaicml/llm-foundry/blob/main/scripts/train/benchmarking/README.md';
const TITAN_A100 = 'torchtitan docs/performance.md (git 0413364), FSDP2 on 64 A100 80GB';
const TITAN_URL = 'https://github.com/pytorch/torchtitan/blob/main/docs/performance.md';
const FMS = 'IBM foundation-model-stack/fms-fsdp README.md (also PyTorch blog "Maximizing training throughput using PyTorch FSDP", 2024)';
const FMS_URL = 'https://github.com/foundation-model-stack/fms-fsdp';
const GRAND_TETON = 'Grand Teton H100: 96 GB HBM2e at 2.4 TB/s and a 500 W power limit (the source says so), against the catalog H100 SXM5 at 3.35 TB/s and 700 W: lower clocks and 28% less HBM bandwidth, so the planner should come out optimistic';
const VELA = 'IBM Vela: A100 80GB nodes on a RoCE Ethernet network of 400 Gb/s per node (planned with that network, not the catalog 8 x 200 Gb/s InfiniBand rails); HSDP keeps the per-layer traffic inside the node';
/**
 * The fms-fsdp README's own table header (from commit 5e522b4, 2024-03-13, on): "A100 80G 128 GPUs with 400Gbps", for the
 * same 128 A100 and "the exact same scripts and configurations" as the February table these rows quote. Vela is a
 * virtualized RoCE (RDMA over Converged Ethernet) cluster (IBM Research, "Vela: A Virtualized LLM Training System with
 * GPU Direct and RoCE").
 */
const VELA_NETWORK = {
  gbpsPerNode: 400, ethernet: true,
  source: 'fms-fsdp README.md table header "A100 80G 128 GPUs with 400Gbps" (2024-03-13 on); IBM Research, "Vela: A Virtualized LLM Training System with GPU Direct and RoCE"',
} as const;

/**
 * fms-fsdp's own stack for P23-P26, as the source states it at the commits whose README prints these rows (3d28d72,
 * 2024-02-21, to 99821ec, 2024-02-26; the table changed in cf6e42c), https://github.com/foundation-model-stack/fms-fsdp/tree/3d28d72:
 * - attention: the README's "SDPA implementation of Flash attention v2" (fa2).
 * - grad-reduce=bf16: fms_fsdp/config/training.py `mixed_precision: bool = True`, which fms_fsdp/utils/train_utils.py
 *   `get_policies` maps (on a GPU with BF16) to `bfSixteen`, fms_fsdp/policies/mixed_precision.py
 *   `MixedPrecision(param_dtype=torch.bfloat16, reduce_dtype=torch.bfloat16, buffer_dtype=torch.bfloat16)`: FSDP reduces
 *   gradients in BF16. The per-size scripts linked from that table (scripts/7b.sh ... 70b.sh, commit 2fdced7 and its
 *   updates) do not set mixed_precision, so every row runs the default.
 * - optimizer=foreach: main_training.py builds `optim.AdamW(model.parameters(), lr=..., betas=(0.9, 0.95),
 *   weight_decay=0.1)` with neither `fused` nor `foreach`; torch.optim then picks foreach on CUDA ("If unspecified by
 *   the user (so foreach is None), we will try to use foreach over the for-loop implementation on CUDA", the AdamW
 *   `foreach` documentation; torch/optim/adamw.py `adamw`: "we default to foreach and pass False to use_fused" to
 *   torch/optim/optimizer.py `_default_to_fused_or_foreach`). FSDP1 without use_orig_params (the rows' default,
 *   use_orig_params=use_torch_compile=False) steps one FlatParameter per wrapped block, fewer tensors than the
 *   planner's per-tensor count; that cost is small against these steps.
 */
const FMS_STACK = 'fsdp,attention=fa2,grad-reduce=bf16,optimizer=foreach';

/**
 * One LLM Foundry row: Composer FSDP FULL_SHARD over all GPUs, micro-batch and gradient accumulation as printed. The
 * tables' runs, as the source states them (llm-foundry git b2a43a1, 2023-10-19, scripts/train/benchmarking/):
 * - submit_benchmarks.py `run_config` installs llm-foundry `v0.3.0` with `.[gpu]` (Composer >=0.16.3,<0.17, torch <2.1.1,
 *   triton-pre-mlir; sweep.sh image mosaicml/pytorch:2.1.0_cu121) and `mod_parameters` sets `attn_impl` (default
 *   `triton`), `norm_type: low_precision_layernorm`, `precision: amp_bf16` and `fsdp_config.mixed_precision` to its
 *   own default 'DEFAULT' (the `--fsdp_config_mixed_precision` flag, default PURE, is never passed on): the tables'
 *   "MP Mode" column. Composer's DEFAULT is FSDP MixedPrecision(param_dtype=bf16, reduce_dtype=float32,
 *   buffer_dtype=bf16) (composer/trainer/mosaic_fsdp_utils.py `get_mixed_precision`, v0.16.4): gradients reduced in
 *   FP32, the `fsdp` preset's grad-reduce. Rows printed "bf16 | PURE" (the A100 70B row) reduce in BF16
 *   (PURE: reduce_dtype = the precision's dtype), so they say grad-reduce=bf16.
 * - scripts/train/yamls/pretrain/mpt-*.yaml (v0.3.0): FULL_SHARD, activation_checkpointing (the rows' column),
 *   activation_checkpointing_reentrant false, limit_all_gathers true; Composer defaults backward_prefetch
 *   BACKWARD_POST, forward_prefetch false, use_orig_params true (composer/trainer/dist_strategy.py `set_fsdp_default`).
 *   Composer does not use no_sync under FSDP (`ddp_sync_context` only acts on DDP), so gradients are reduce-scattered
 *   every micro-batch, as the planner's ZeRO-3 model does.
 * - The same yamls: optimizer `decoupled_adamw` (Composer's DecoupledAdamW: a Python for-loop over the parameters,
 *   composer/optim/decoupled_weight_decay.py `adamw`), weight_decay 0, and gradient_clipping by norm 1.0 (FSDP
 *   clip_grad_norm_, once per step). The stack keys have no for-loop optimizer; with FSDP1's use_orig_params each
 *   rank steps only the parameters its shard touches, so the per-tensor cost is small against these steps, and
 *   the row keeps the preset's `fused`.
 * - MPT (llmfoundry/models/mpt/configuration_mpt.py, v0.3.0): learned positions, alibi false, no_bias false
 *   (linear biases), no dropout, GELU MLP; the pre-tokenized text loader passes no attention mask, so the Triton
 *   kernel runs without a bias.
 */
const foundry = (id: string, size: string, layers: number, hidden: number, heads: number, gpu: 'h100' | 'a100', row: { seq: number; gpus: number; mbs: number; gbs: number; ac: boolean; tps: number; pure?: boolean }, printed: string): PublishedRun => ({
  id, source: FOUNDRY, url: FOUNDRY_URL, where: `${gpu === 'h100' ? 'H100 80GB BF16' : 'A100 80GB with 1600 Gbps node-node interconnect (RoCE)'} table: ${printed}`,
  model: mpt(size, layers, hidden, heads, row.seq), gpu, gpus: row.gpus, seq: row.seq, globalBatchSeqs: row.gbs,
  // FULL_SHARD: sharded over every data-parallel rank (shard = dp; not HSDP).
  layout: { tp: 1, pp: 1, cp: 1, dp: row.gpus, zero: 3, shard: row.gpus, mbs: row.mbs, recompute: row.ac ? 'full' : 'none' },
  // submit_benchmarks.py runs every row with --attn_impl triton (its default): llm-foundry's flash_attn_triton.py, Tri Dao's
  // Triton port of FlashAttention (v1, before FlashAttention-2's work partitioning), so the kernel generation is fa1.
  stack: row.pure ? 'fsdp,attention=fa1,grad-reduce=bf16' : 'fsdp,attention=fa1', framework: 'Composer / LLM Foundry (FSDP FULL_SHARD)', precision: 'bf16',
  published: { tokensPerSecondPerGpu: row.tps },
});

export const PUBLISHED_RUNS: readonly PublishedRun[] = [
  // LLM Foundry, H100 80GB BF16 (Model | SeqLen | #GPUs | ... | MicroBatchSize | GradAccum | GlobalBatchSize | ... | T/s/GPU | ... | Activation Checkpointing)
  foundry('P01', '70b', 80, 8192, 64, 'h100', { seq: 2048, gpus: 64, mbs: 8, gbs: 2048, ac: true, tps: 1039 }, '70b | 2048 | 64 | MFU 42.57 | mbs 8 | GA 4 | GBS 2048 | 1039 T/s/GPU | AC True'),
  foundry('P02', '70b', 80, 8192, 64, 'h100', { seq: 2048, gpus: 32, mbs: 2, gbs: 1024, ac: true, tps: 882 }, '70b | 2048 | 32 | MFU 36.15 | mbs 2 | GA 16 | GBS 1024 | 882 T/s/GPU | AC True'),
  foundry('P03', '30b', 48, 7168, 56, 'h100', { seq: 2048, gpus: 32, mbs: 14, gbs: 1344, ac: true, tps: 2308 }, '30b | 2048 | 32 | MFU 43.92 | mbs 14 | GA 3 | GBS 1344 | 2308 T/s/GPU | AC True'),
  foundry('P04', '30b', 48, 7168, 56, 'h100', { seq: 8192, gpus: 8, mbs: 1, gbs: 168, ac: true, tps: 1384 }, '30b | 8192 | 8 | MFU 29.92 | mbs 1 | GA 21 | GBS 168 | 1384 T/s/GPU | AC True'),
  foundry('P05', '13b', 40, 5120, 40, 'h100', { seq: 4096, gpus: 8, mbs: 10, gbs: 240, ac: true, tps: 4717 }, '13b | 4096 | 8 | MFU 41.6 | mbs 10 | GA 3 | GBS 240 | 4717 T/s/GPU | AC True'),
  foundry('P06', '13b', 40, 5120, 40, 'h100', { seq: 2048, gpus: 64, mbs: 2, gbs: 128, ac: false, tps: 4800 }, '13b | 2048 | 64 | MFU 39.86 | mbs 2 | GA 1 | GBS 128 | 4800 T/s/GPU | AC False'),
  foundry('P07', '7b', 32, 4096, 32, 'h100', { seq: 2048, gpus: 8, mbs: 6, gbs: 48, ac: false, tps: 10643 }, '7b | 2048 | 8 | MFU 46.44 | mbs 6 | GA 1 | GBS 48 | 10643 T/s/GPU | AC False'),
  foundry('P08', '7b', 32, 4096, 32, 'h100', { seq: 4096, gpus: 8, mbs: 16, gbs: 256, ac: true, tps: 8611 }, '7b | 4096 | 8 | MFU 40.42 | mbs 16 | GA 2 | GBS 256 | 8611 T/s/GPU | AC True'),
  foundry('P09', '3b', 32, 2560, 20, 'h100', { seq: 2048, gpus: 64, mbs: 6, gbs: 1152, ac: false, tps: 22525 }, '3b | 2048 | 64 | MFU 40.8 | mbs 6 | GA 3 | GBS 1152 | 22525 T/s/GPU | AC False'),
  foundry('P10', '1b', 24, 2048, 16, 'h100', { seq: 2048, gpus: 64, mbs: 20, gbs: 1280, ac: false, tps: 44402 }, '1b | 2048 | 64 | MFU 40.85 | mbs 20 | GA 1 | GBS 1280 | 44402 T/s/GPU | AC False'),
  // LLM Foundry, A100 80GB (1600 Gbps RoCE)
  foundry('P11', '70b', 80, 8192, 64, 'a100', { seq: 2048, gpus: 64, mbs: 8, gbs: 2048, ac: true, tps: 410, pure: true }, '70b | 2048 | 64 | MFU 53.33 | mbs 8 | GA 4 | GBS 2048 | 410 T/s/GPU | bf16 PURE | AC True'),
  foundry('P12', '30b', 48, 7168, 56, 'a100', { seq: 2048, gpus: 8, mbs: 3, gbs: 504, ac: true, tps: 916 }, '30b | 2048 | 8 | MFU 55.3 | mbs 3 | GA 21 | GBS 504 | 916 T/s/GPU | AC True'),
  foundry('P13', '13b', 40, 5120, 40, 'a100', { seq: 2048, gpus: 8, mbs: 2, gbs: 48, ac: false, tps: 2262 }, '13b | 2048 | 8 | MFU 59.57 | mbs 2 | GA 3 | GBS 48 | 2262 T/s/GPU | AC False'),
  foundry('P14', '7b', 32, 4096, 32, 'a100', { seq: 2048, gpus: 8, mbs: 6, gbs: 96, ac: false, tps: 4641 }, '7b | 2048 | 8 | MFU 64.23 | mbs 6 | GA 2 | GBS 96 | 4641 T/s/GPU | AC False'),
  foundry('P15', '3b', 32, 2560, 20, 'a100', { seq: 2048, gpus: 8, mbs: 10, gbs: 160, ac: false, tps: 10811 }, '3b | 2048 | 8 | MFU 62.11 | mbs 10 | GA 2 | GBS 160 | 10811 T/s/GPU | AC False'),
  foundry('P16', '1b', 24, 2048, 16, 'a100', { seq: 2048, gpus: 8, mbs: 14, gbs: 448, ac: false, tps: 20513 }, '1b | 2048 | 8 | MFU 59.86 | mbs 14 | GA 4 | GBS 448 | 20513 T/s/GPU | AC False'),
  // torchtitan, FSDP2 on 64 A100 80GB: local batch = the micro-batch, one per step (global = local x 64). SDPA: FlashAttention-2 on A100.
  {
    id: 'P17', source: TITAN_A100, url: TITAN_URL, where: 'Llama 3 performance numbers: 8B | batch 1 | selective op | 2973 WPS | 58.2% MFU',
    model: MODELS['llama3-8b']!, gpu: 'a100', gpus: 64, seq: 8192, globalBatchSeqs: 64, layout: { tp: 1, pp: 1, cp: 1, dp: 64, zero: 3, shard: 64, mbs: 1, recompute: 'selective' },
    stack: 'fsdp,attention=fa2', framework: 'torchtitan (FSDP2, eager)', precision: 'bf16', published: { tokensPerSecondPerGpu: 2973 },
  },
  {
    id: 'P18', source: TITAN_A100, url: TITAN_URL, where: 'Llama 3 performance numbers: 70B | batch 1 | full | 331 WPS | 51.7% MFU',
    model: MODELS['llama3-70b']!, gpu: 'a100', gpus: 64, seq: 8192, globalBatchSeqs: 64, layout: { tp: 1, pp: 1, cp: 1, dp: 64, zero: 3, shard: 64, mbs: 1, recompute: 'full' },
    stack: 'fsdp,attention=fa2', framework: 'torchtitan (FSDP2, eager)', precision: 'bf16', published: { tokensPerSecondPerGpu: 331 },
  },
  {
    id: 'P19', source: TITAN_A100, url: TITAN_URL, where: 'Llama 2 performance numbers: 13B | batch 2 | no | 2162 WPS | 61.1% MFU',
    model: llama2('13b'), gpu: 'a100', gpus: 64, seq: 4096, globalBatchSeqs: 128, layout: { tp: 1, pp: 1, cp: 1, dp: 64, zero: 3, shard: 64, mbs: 2, recompute: 'none' },
    stack: 'fsdp,attention=fa2', framework: 'torchtitan (FSDP2, eager)', precision: 'bf16', published: { tokensPerSecondPerGpu: 2162 },
  },
  {
    id: 'P20', source: TITAN_A100, url: TITAN_URL, where: 'Llama 2 performance numbers: 70B | batch 2 | full | 353 WPS | 50.5% MFU',
    model: llama2('70b'), gpu: 'a100', gpus: 64, seq: 4096, globalBatchSeqs: 128, layout: { tp: 1, pp: 1, cp: 1, dp: 64, zero: 3, shard: 64, mbs: 2, recompute: 'full' },
    stack: 'fsdp,attention=fa2', framework: 'torchtitan (FSDP2, eager)', precision: 'bf16', published: { tokensPerSecondPerGpu: 353 },
  },
  // torchtitan on Grand Teton H100 (docs/performance.md, current): Table 1, Llama 3.1 8B, 8 GPUs, local batch 2, global 16, selective AC.
  {
    id: 'P21', source: 'torchtitan docs/performance.md (Llama 3.1 on Grand Teton H100)', url: TITAN_URL, where: 'Table 1 1D Parallelism (FSDP), 8 GPUs, local batch 2: FSDP | 5,762 TPS/GPU | 82.4 GiB',
    model: MODELS['llama3-8b']!, gpu: 'h100', gpus: 8, seq: 8192, globalBatchSeqs: 16, layout: { tp: 1, pp: 1, cp: 1, dp: 8, zero: 3, shard: 8, mbs: 2, recompute: 'selective' },
    stack: 'fsdp', framework: 'torchtitan (FSDP2, eager)', precision: 'bf16', published: { tokensPerSecondPerGpu: 5762 }, hardwareNote: GRAND_TETON, excluded: 'GPU not in the catalog (H100 96 GB HBM2e, 500 W)',
  },
  {
    id: 'P22', source: 'torchtitan docs/performance.md (Llama 3.1 on Grand Teton H100)', url: TITAN_URL, where: 'Table 1 1D Parallelism (FSDP), 8 GPUs, local batch 2: FSDP + torch.compile | 6,667 TPS/GPU | 77.0 GiB',
    model: MODELS['llama3-8b']!, gpu: 'h100', gpus: 8, seq: 8192, globalBatchSeqs: 16, layout: { tp: 1, pp: 1, cp: 1, dp: 8, zero: 3, shard: 8, mbs: 2, recompute: 'selective' },
    stack: 'fsdp-compile', framework: 'torchtitan (FSDP2 + torch.compile)', precision: 'bf16', published: { tokensPerSecondPerGpu: 6667 }, hardwareNote: GRAND_TETON, excluded: 'GPU not in the catalog (H100 96 GB HBM2e, 500 W)',
  },
  // IBM fms-fsdp on 128 A100 (Llama 2 architectures, 4k context; "SDPA implementation of Flash attention v2"). HSDP = FSDP HYBRID_SHARD: shard within a node of 8.
  {
    id: 'P23', source: FMS, url: FMS_URL, where: 'README table: 7b | 128 * A100 | HSDP | AC False | batch 2 | 3760 token/gpu/sec',
    model: llama2('7b'), gpu: 'a100', gpus: 128, seq: 4096, globalBatchSeqs: 256, layout: { tp: 1, pp: 1, cp: 1, dp: 128, zero: 3, shard: 8, mbs: 2, recompute: 'none' },
    stack: FMS_STACK, framework: 'fms-fsdp (PyTorch FSDP, HYBRID_SHARD)', precision: 'bf16', published: { tokensPerSecondPerGpu: 3760 }, hardwareNote: VELA, network: VELA_NETWORK,
  },
  {
    id: 'P24', source: FMS, url: FMS_URL, where: 'README table: 13b | 128 * A100 | HSDP | AC False | batch 1 | 1700 token/gpu/sec',
    model: llama2('13b'), gpu: 'a100', gpus: 128, seq: 4096, globalBatchSeqs: 128, layout: { tp: 1, pp: 1, cp: 1, dp: 128, zero: 3, shard: 8, mbs: 1, recompute: 'none' },
    stack: FMS_STACK, framework: 'fms-fsdp (PyTorch FSDP, HYBRID_SHARD)', precision: 'bf16', published: { tokensPerSecondPerGpu: 1700 }, hardwareNote: VELA, network: VELA_NETWORK,
  },
  {
    id: 'P25', source: FMS, url: FMS_URL, where: 'README table: 34b | 128 * A100 | FSDP | AC True | batch 8 | 772 token/gpu/sec',
    model: llama2('34b'), gpu: 'a100', gpus: 128, seq: 4096, globalBatchSeqs: 1024, layout: { tp: 1, pp: 1, cp: 1, dp: 128, zero: 3, shard: 128, mbs: 8, recompute: 'full' },
    stack: FMS_STACK, framework: 'fms-fsdp (PyTorch FSDP, FULL_SHARD)', precision: 'bf16', published: { tokensPerSecondPerGpu: 772 }, hardwareNote: VELA, network: VELA_NETWORK,
  },
  {
    id: 'P26', source: FMS, url: FMS_URL, where: 'README table: 70b | 128 * A100 | FSDP | AC True | batch 6 | 380 token/gpu/sec',
    model: llama2('70b'), gpu: 'a100', gpus: 128, seq: 4096, globalBatchSeqs: 768, layout: { tp: 1, pp: 1, cp: 1, dp: 128, zero: 3, shard: 128, mbs: 6, recompute: 'full' },
    stack: FMS_STACK, framework: 'fms-fsdp (PyTorch FSDP, FULL_SHARD)', precision: 'bf16', published: { tokensPerSecondPerGpu: 380 }, hardwareNote: VELA, network: VELA_NETWORK,
  },
  // BLOOM 176B, Megatron-DeepSpeed on Jean Zay: TP 4, PP 12, DP 8, MBS 2, GBS 2048, bf16 (DeepSpeed's BF16 optimizer, "its own zero stage 1
  // equivalent"), --checkpoint-activations, Megatron's fused softmax (unfused attention), gradients reduced after the backward.
  {
    id: 'P27', source: 'BigScience, "BigScience 176B Model" training page (Notion) and train/tr11-176B-ml/tr11-176B-ml.slurm', url: 'https://bigscience.notion.site/BigScience-176B-Model-ad073ca07cdf479398d5f95d88e218c4',
    where: '"number of GPU used for the training: 384 A100 GPU with 80 Gb of memory each"; "one copy of the model takes 48 GPUs"; "training throughput: about 150 TFLOPs"; slurm: TP_SIZE=4, PP_SIZE=12, MICRO_BATCH_SIZE=2, GLOBAL_BATCH_SIZE=2048',
    model: BLOOM, gpu: 'a100', gpus: 384, seq: 2048, globalBatchSeqs: 2048, layout: { tp: 4, pp: 12, vpp: 1, cp: 1, dp: 8, zero: 1, mbs: 2, recompute: 'full', sp: false, tpOverlap: false },
    stack: 'deepspeed', framework: 'Megatron-DeepSpeed', precision: 'bf16', published: { tflopsPerGpu: 150, convention: 'narayanan-96' },
    attention: 'unfused', dpOverlap: false,
    hardwareNote: 'Jean Zay: 4 x 100 Gb/s Omni-Path per node (the catalog A100 node has 8 x 200 Gb/s); the slurm script also sets CUDA_LAUNCH_BLOCKING=1, which serialises every kernel launch with the host',
  },
  // Llama 3 405B pre-training (Meta's own stack: TP + PP + CP + FSDP-style DP; costed with the megatron preset).
  ...([
    { id: 'P28', gpus: 8192, cp: 1, dp: 64, seq: 8192, seqs: 2048, tflops: 430 },
    { id: 'P29', gpus: 16384, cp: 1, dp: 128, seq: 8192, seqs: 2048, tflops: 400 },
    { id: 'P30', gpus: 16384, cp: 16, dp: 8, seq: 131072, seqs: 128, tflops: 380 },
  ] as const).map((r): PublishedRun => ({
    id: r.id, source: 'Llama Team (Meta), "The Llama 3 Herd of Models", 2024', url: 'https://arxiv.org/abs/2407.21783',
    where: `Table 4: ${r.gpus} GPUs | TP 8 | CP ${r.cp} | PP 16 | DP ${r.dp} | seq ${r.seq} | batch 16M tokens | ${r.tflops} TFLOPs/GPU`,
    model: MODELS['llama3-405b']!, gpu: 'h100', gpus: r.gpus, seq: r.seq, globalBatchSeqs: r.seqs, layout: { tp: 8, pp: 16, cp: r.cp, dp: r.dp, mbs: 1 },
    stack: 'megatron', framework: 'Meta in-house (TP, PP, CP, FSDP)', precision: 'bf16', published: { tflopsPerGpu: r.tflops, convention: 'planner' },
  })),
];

export interface PublishedComparison {
  readonly run: PublishedRun;
  readonly stack: string;
  readonly measuredTokensPerSecondPerGpu: number;
  /** NaN when the planner refused the layout. */
  readonly predictedTokensPerSecondPerGpu: number;
  readonly errorPct: number;
  readonly layout: string;
  /** The planner's refusal, if any (the target is none). */
  readonly refused?: string;
  /** The memory model put the run over the GPU's memory (it ran, so it fit): evaluated anyway, flagged. */
  readonly overMemory: boolean;
}

/** The published figure as tokens/s per GPU: as printed, or TFLOP/s divided by the source's FLOPs per token. */
export function measuredTokensPerSecondPerGpu(r: PublishedRun): number {
  const p = r.published;
  if ('tokensPerSecondPerGpu' in p) return p.tokensPerSecondPerGpu;
  const m = r.model;
  if (p.convention === 'narayanan-96') {
    // Megatron(-DeepSpeed)'s TFLOPs with activation recomputation: 96 B s l h^2 (1 + s/6h + V/16lh) per step.
    const perToken = 96 * m.layers * m.hidden * m.hidden * (1 + r.seq / (6 * m.hidden) + m.vocab / (16 * m.layers * m.hidden));
    return (p.tflopsPerGpu * 1e12) / perToken;
  }
  return (p.tflopsPerGpu * 1e12) / modelFlopsPerToken(modelShape(m), r.seq);
}

/**
 * The run's cluster: the catalog node of its GPU on non-blocking Quantum-2 InfiniBand, or, where the run states its
 * network, that bandwidth per node spread over the node's compute NICs (the model costs bandwidth per GPU).
 */
export function publishedRunHardware(r: PublishedRun): ClusterHardware {
  if (r.network === undefined) return homogeneousHardware(r.gpu, r.gpus);
  const fleet = homogeneousFleet(r.gpu, r.gpus);
  const nics = NODE_TYPES[fleet.halls[0]!.nodeType]!.nicsPerNode;
  const ethernet = SWITCHES.sn5600!;
  return fleetHardware({
    ...fleet, name: `${fleet.name}-${r.network.gbpsPerNode}gbps`,
    network: { ...fleet.network, nicGbps: r.network.gbpsPerNode / nics, ...(r.network.ethernet ? { switchType: ethernet.id, hopLatencyMicroseconds: ethernet.hopLatencyMicroseconds.value } : {}) },
  }, r.gpus);
}

/** Plans one published run with its own GPUs, layout, batch and stack, and compares with what it measured. */
export function comparePublished(r: PublishedRun): PublishedComparison {
  const stack = parseStack(r.stack);
  const ctx = planContext({
    model: r.model, hardware: publishedRunHardware(r), precision: r.precision, seq: r.seq, tokens: 1e12, stack,
    ...(r.attention ? { attention: r.attention } : {}), ...(r.dpOverlap === false ? { dpOverlap: false } : {}),
  });
  const measured = measuredTokensPerSecondPerGpu(r);
  try {
    // The run fit its GPUs; where the memory model disagrees, the layout is evaluated anyway and flagged.
    const plan = (allowOverMemory: boolean) => bestLayouts(ctx, { fixed: r.layout, globalBatchSeqs: r.globalBatchSeqs, top: 1, allowOverMemory }).ranked[0]!;
    let best;
    try { best = plan(false); } catch (e) { if (!/does not fit|over memory/.test((e as Error).message)) throw e; best = plan(true); }
    return {
      run: r, stack: formatStack(stack), measuredTokensPerSecondPerGpu: measured, predictedTokensPerSecondPerGpu: best.tokensPerSecondPerGpu,
      errorPct: (best.tokensPerSecondPerGpu / measured - 1) * 100, layout: formatLayout(best.layout), overMemory: best.memory.total > best.memory.limit,
    };
  } catch (e) {
    return { run: r, stack: formatStack(stack), measuredTokensPerSecondPerGpu: measured, predictedTokensPerSecondPerGpu: Number.NaN, errorPct: Number.NaN, layout: '-', refused: (e as Error).message.split('\n')[0]!, overMemory: false };
  }
}

export interface PublishedSummary {
  readonly rows: number;
  readonly counted: number;
  readonly refused: number;
  readonly medianAbsErrorPct: number;
  readonly maxAbsErrorPct: number;
  /** The same over every row, the excluded ones included. */
  readonly medianAbsErrorPctAll: number;
  readonly maxAbsErrorPctAll: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : Number.NaN;
};

/** Median and max absolute error (a refused row counts as infinite), over the counted rows and over all. */
export function summarizePublished(cs: readonly PublishedComparison[]): PublishedSummary {
  const abs = (c: PublishedComparison): number => (Number.isNaN(c.errorPct) ? Number.POSITIVE_INFINITY : Math.abs(c.errorPct));
  const counted = cs.filter((c) => c.run.excluded === undefined).map(abs);
  const all = cs.map(abs);
  return {
    rows: cs.length, counted: counted.length, refused: cs.filter((c) => c.refused !== undefined).length,
    medianAbsErrorPct: median(counted), maxAbsErrorPct: Math.max(...counted),
    medianAbsErrorPctAll: median(all), maxAbsErrorPctAll: Math.max(...all),
  };
}
