import type { ModelArch } from '../../catalog/model-arch.ts';
import type { GpuSpec } from '../../catalog/gpus.ts';
import type { PartialLayout, ZeroStage } from '../layout.ts';
import type { Precision } from '../context.ts';
import type { StackName } from '../stack.ts';

/** One row of shared/data/training-runs.csv turned into a planner question and its measured answer. */
export interface ValidationCase {
  readonly id: string;
  readonly label: string;
  readonly model: ModelArch;
  readonly gpuId: GpuSpec['id'];
  readonly gpus: number;
  readonly precision: Precision;
  readonly seq: number;
  readonly globalBatchSeqs: number;
  /** The row's layout; keys it does not state are left for the search. */
  readonly layout: PartialLayout;
  readonly measuredTokensPerSecondPerGpu: number;
  readonly attention: 'flash' | 'flash2' | 'unfused';
  /** Data-parallel communication overlapped with compute (false for the 2021 stacks). */
  readonly dpOverlap: boolean;
  /** How the measured tokens/s was obtained: copied, or converted from TFLOP/s under the row's own convention. */
  readonly measuredFrom: 'tokens/s' | 'tflops (Narayanan 96-factor)' | 'tflops (Megatron-Core 72-factor)';
  /** MoE software of the row's recipe (grouped GEMM or one GEMM per expert; capacity factor if tokens are padded to capacity). */
  readonly moeExperts?: 'grouped' | 'sequential';
  readonly moeCapacityFactor?: number;
  /** The row states its whole layout (recompute by the framework's default): evaluate it even if the memory model says it does not fit. */
  readonly allowOverMemory: boolean;
  /**
   * Gradients accumulated and reduced in FP32: plain Megatron-LM launches in BF16 (the Megatron-Core README
   * rows), whose arguments.py forces accumulate_allreduce_grads_in_fp32 for bf16 (context.ts gradReduceFp32).
   */
  readonly gradReduceFp32: boolean;
  /** The stack preset of the framework the row's source names (stackOfFramework), and its family for the report. */
  readonly stack: StackName;
  readonly family: string;
  /** Why the row is printed but does not count towards the targets (with the evidence in docs/readme/planner.md). */
  readonly excluded?: string;
}

/**
 * The stack preset a framework name maps to, and the family the report groups it under. NeMo and
 * Megatron-Core, and Megatron-LM of 2021 (its own family: unfused attention, no overlap, set per row) run
 * Megatron; MaxText and PaxML run JAX/XLA; DeepSpeed its ZeRO.
 */
export function stackOfFramework(framework: string): { stack: StackName; family: string } {
  if (/maxtext|paxml|jax/i.test(framework)) return { stack: 'jax', family: 'JAX (MaxText, PaxML)' };
  if (/deepspeed/i.test(framework)) return { stack: 'deepspeed', family: 'DeepSpeed' };
  if (/torchtitan|fsdp|composer|accelerate/i.test(framework)) return { stack: 'fsdp', family: 'PyTorch FSDP' };
  if (/2021/.test(framework)) return { stack: 'megatron', family: 'Megatron-LM 2021' };
  return { stack: 'megatron', family: 'NeMo / Megatron-Core' };
}

export interface SkippedRow { readonly id: string; readonly reason: string }

const num = (v: string | undefined): number | undefined => (v === undefined || v.trim() === '' ? undefined : Number(v));

/** Architecture from the row's columns; FFN kind from the model family (Llama, Grok, Mixtral: SwiGLU; GPT, Nemotron: two matrices). */
function rowModel(r: Record<string, string>): ModelArch | string {
  const layers = num(r.layers);
  const hidden = num(r.hidden);
  if (!layers || !hidden) return 'no layers/hidden';
  const name = r.model;
  const gated = /llama|grok|mixtral/i.test(name);
  const heads = num(r.heads) ?? hidden / 128;
  const experts = num(r.moe_experts);
  return {
    name, layers, hidden, heads, kvHeads: num(r.kv_heads) ?? heads,
    ffn: num(r.ffn) ?? 4 * hidden, ffnKind: gated ? 'gated' : 'plain', vocab: num(r.vocab) ?? 51200,
    ...(experts ? { experts, topK: num(r.moe_topk) ?? 2 } : {}),
    ...(/grok/i.test(name) ? { tiedEmbeddings: true, headDim: 128 } : {}),
    context: num(r.seq_len) ?? 2048, publishedParams: (num(r.params_b) ?? 0) * 1e9,
    source: { ref: `shared/data/training-runs.csv ${r.id}`, kind: 'R' },
  };
}

function rowLayout(r: Record<string, string>): PartialLayout {
  const fw = r.framework;
  const modern = !/2021|deepspeed/i.test(fw);
  const jax = /maxtext|paxml|jax/i.test(fw);
  const zf = r.zero_or_fsdp;
  const zero: ZeroStage = /zero-3|fsdp/i.test(zf) ? 3 : modern ? 1 : 0;
  const tp = num(r.tp);
  const l: PartialLayout = {
    zero,
    tpOverlap: modern && !jax,
  };
  // A blank recompute column means "not stated". NeMo and Megatron-Core recompute nothing unless asked
  // (activations_checkpoint_granularity: null; no --recompute-granularity), so their rows run without;
  // for other stacks the search picks it, like any other missing key.
  if (/full/i.test(r.recompute)) l.recompute = 'full';
  else if (/selective/i.test(r.recompute)) l.recompute = 'selective';
  else if (modern && !jax) l.recompute = 'none';
  // Megatron-Core interleaves only with --num-layers-per-virtual-pipeline-stage: the Megatron-Core README rows
  // (plain Megatron-LM launches, no recipe) state pp but not vpp, so they ran without. (NeMo recipes set vpp.)
  if (/^Megatron-Core/i.test(fw) && r.vpp === '' && num(r.pp) !== undefined) l.vpp = 1;
  for (const k of ['tp', 'pp', 'dp', 'cp', 'ep', 'vpp', 'mbs'] as const) {
    const v = num(r[k]);
    if (v !== undefined) l[k] = v;
  }
  if (zero === 3 && tp === undefined) { l.tp = 1; l.pp = l.pp ?? 1; }
  if (r.tp === '' && r.pp === '' && /ZeRO|FSDP/.test(zf)) l.cp = l.cp ?? 1;
  l.sp = modern && !jax;
  return l;
}

/** Tokens per second per GPU measured, copied or converted from the row's TFLOP/s with its own FLOP formula. */
function measured(r: Record<string, string>, m: ModelArch): { value: number; from: ValidationCase['measuredFrom'] } | undefined {
  const tps = num(r.tokens_per_s_per_gpu);
  if (tps) return { value: tps, from: 'tokens/s' };
  const tflops = num(r.tflops_per_gpu);
  const s = num(r.seq_len);
  if (!tflops || !s) return undefined;
  const l = m.layers, h = m.hidden, v = m.vocab;
  if (/96 factor|Narayanan/i.test(r.flops_convention)) {
    const perToken = 96 * l * h * h * (1 + s / (6 * h) + v / (16 * l * h));
    return { value: (tflops * 1e12) / perToken, from: 'tflops (Narayanan 96-factor)' };
  }
  if (/Megatron-Core num_floating_point_operations/i.test(r.flops_convention)) {
    const perToken = 72 * l * h * h * (1 + s / (6 * h) + v / (12 * l * h));
    return { value: (tflops * 1e12) / perToken, from: 'tflops (Megatron-Core 72-factor)' };
  }
  return undefined;
}

/**
 * Attention kernels of the row's software: Megatron-LM 2021 and DeepSpeed of 2021 ran unfused attention;
 * the dgxc Grok-1 recipe (grok1/configure.sh, dgxc-benchmarking 24.11-25.01) and the 24.11 Nemotron-4 340B
 * recipe export NVTE_FUSED_ATTN=0 with use_flash_attention=true, so Transformer Engine runs the
 * FlashAttention-2 package instead of cuDNN;
 * the other NeMo/Megatron-Core recipes use cuDNN fused attention (NVTE_FUSED_ATTN=1).
 */
function attentionKernel(r: Record<string, string>): ValidationCase['attention'] {
  if (/2021|deepspeed/i.test(r.framework)) return 'unfused';
  if (/grok/i.test(r.framework)) return 'flash2';
  // nemotron/configure.sh at the same commit (35a9aec) exports NVTE_FUSED_ATTN=0 for 340b (=1 for 15b).
  if (/340B/.test(r.model) && /README_340b/.test(r.source_ref) && /35a9aec/.test(r.source_ref)) return 'flash2';
  return 'flash';
}

/**
 * The dgxc Grok-1 recipe's model config (grok1/grok1_314b.yaml, git 35a9aec; assumed unchanged at 85380ff):
 * moe_grouped_gemm: false (SequentialMLP), moe_pad_expert_input_to_capacity: true, moe_expert_capacity_factor: 1.0.
 */
function moeStack(r: Record<string, string>): Pick<ValidationCase, 'moeExperts' | 'moeCapacityFactor'> {
  return /grok/i.test(r.framework) ? { moeExperts: 'sequential', moeCapacityFactor: 1 } : {};
}

/**
 * Rows printed but not counted, each with the evidence in docs/readme/planner.md ("Excluded rows").
 * DeepSpeed ZeRO-3 of 2021 (Narayanan et al. Table 2): at a fixed global batch, doubling the GPUs leaves
 * the cluster's total throughput flat (R012 -> R013, R015 -> R016), although each GPU's ZeRO-3 traffic
 * (3 x 2 bytes x parameters) is constant and its compute halves; the implied communication time grows
 * with the GPU count, at 20-36 GB/s per GPU against the 184 GB/s of a DGX A100's 8 HDR NICs behind NVLink.
 * No bandwidth-bound execution of the stated hardware behaves like this: the rows measure that
 * software's per-collective overheads, which the rows do not describe.
 */
function exclusion(r: Record<string, string>): Pick<ValidationCase, 'excluded'> {
  if (/deepspeed/i.test(r.framework) && /zero-3/i.test(r.zero_or_fsdp)) {
    return { excluded: 'DeepSpeed 2021 ZeRO-3: total throughput flat as GPUs double; software-bound, not the hardware (docs/readme/planner.md)' };
  }
  return {};
}

export function validationCases(rows: Record<string, string>[]): { cases: ValidationCase[]; skipped: SkippedRow[] } {
  const cases: ValidationCase[] = [];
  const skipped: SkippedRow[] = [];
  for (const r of rows) {
    const model = rowModel(r);
    if (typeof model === 'string') { skipped.push({ id: r.id, reason: model }); continue; }
    const gpuId = /H100/.test(r.gpu_class) ? 'h100' : /A100/.test(r.gpu_class) ? 'a100' : undefined;
    if (!gpuId) { skipped.push({ id: r.id, reason: `GPU ${r.gpu_class} not in the catalog` }); continue; }
    const meas = measured(r, model);
    if (!meas) { skipped.push({ id: r.id, reason: 'no tokens/s and no convertible TFLOP/s' }); continue; }
    const gpus = num(r.num_gpus);
    const seq = num(r.seq_len);
    const gbs = num(r.global_batch_seqs);
    if (!gpus || !seq || !gbs) { skipped.push({ id: r.id, reason: 'missing GPUs, sequence or batch' }); continue; }
    cases.push({
      id: r.id, label: r.model, model, gpuId, gpus, precision: r.precision_class === 'FP8' ? 'fp8' : 'bf16', seq, globalBatchSeqs: gbs,
      ...stackOfFramework(r.framework),
      layout: rowLayout(r), ...moeStack(r), gradReduceFp32: /^Megatron-Core/i.test(r.framework) && /BF16|FP8/.test(r.precision_class), ...exclusion(r), allowOverMemory: /NeMo|Megatron-Core/i.test(r.framework) && ['tp', 'pp', 'mbs'].every((k) => num(r[k]) !== undefined), attention: attentionKernel(r), dpOverlap: !/2021|deepspeed/i.test(r.framework), measuredTokensPerSecondPerGpu: meas.value, measuredFrom: meas.from,
    });
  }
  return { cases, skipped };
}
