import { z } from 'zod';
import type { ModelArch } from '../../catalog/model-arch.ts';
import type { GpuSpec } from '../../catalog/gpus.ts';
import { InputError } from '../../lib/errors.ts';
import { planContext } from '../context.ts';
import { homogeneousHardware } from '../fleet-hardware.ts';
import type { Layout } from '../layout.ts';
import { stepTime } from '../step-time.ts';
import { DEFAULT_STACK_NAME, formatStack, stackPreset, type Stack } from '../stack.ts';

/**
 * A measured single-GPU step profile (scripts/profile-step.py) against the planner's breakdown of
 * the same model, micro-batch and GPU: which modelled part (GEMMs, attention core, element-wise,
 * head + loss, optimizer) is off, and by how much.
 */
const Seconds = z.number().nonnegative();
export const StepProfileSchema = z.object({
  config: z.object({
    name: z.string(), hidden: z.number().int().positive(), layers: z.number().int().positive(), heads: z.number().int().positive(),
    ffn: z.number().int().positive(), vocab: z.number().int().positive(), seq: z.number().int().positive(), mbs: z.number().int().positive(),
    dropout: z.number().min(0).max(1),
  }),
  device: z.string(),
  dtype: z.string(),
  torch: z.string(),
  seconds: z.object({ gemm: Seconds, attention: Seconds, layer: Seconds, elementwise: Seconds, head: Seconds, step: Seconds, optimizer: Seconds }),
  attentionBackends: z.record(Seconds).default({}),
  /** The layer's own kernels (torch.profiler, GPU only), summed by kind and times the layer count; absent in older profiles. */
  layerKernels: z.object({ gemm: Seconds, attention: Seconds, other: Seconds, kernelsPerLayer: z.number().int().nonnegative() }).optional(),
  notes: z.array(z.string()).default([]),
});
export type StepProfile = z.infer<typeof StepProfileSchema>;

export interface ProfilePart { readonly part: string; readonly measuredSeconds: number; readonly predictedSeconds: number; readonly errorPct: number }
export interface ProfileComparison { readonly gpuId: GpuSpec['id']; readonly model: string; readonly stack: string; readonly parts: readonly ProfilePart[] }

/** The catalog GPU a CUDA device name is (`NVIDIA H200`, `NVIDIA H100 80GB HBM3`, ...). */
export function gpuIdOfDevice(device: string): GpuSpec['id'] {
  const m = /\b(A100|H100|H200|B200)\b/i.exec(device);
  if (!m) throw new InputError({ field: 'device', value: device, expected: 'a profile taken on an A100, H100, H200 or B200 (run scripts/profile-step.py on that GPU)' });
  return m[1]!.toLowerCase() as GpuSpec['id'];
}

export function parseStepProfile(json: unknown): StepProfile {
  const r = StepProfileSchema.safeParse(json);
  if (!r.success) {
    throw new InputError(r.error.issues.map((i) => ({ field: i.path.join('.') || '(profile)', expected: `${i.message.toLowerCase()} (the JSON object scripts/profile-step.py prints)` })));
  }
  return r.data;
}

/**
 * `stack`: the software the planner assumes (default megatron, today's tuned-recipe model); the profiles
 * in shared/data/profiles/h200 are eager PyTorch, so `fsdp` is their stack. The attention kernel is the
 * stack's unless it says otherwise; the FlashAttention-2 line always uses fa2.
 */
export function compareProfile(p: StepProfile, stack: Stack = stackPreset(DEFAULT_STACK_NAME)): ProfileComparison {
  const gpuId = gpuIdOfDevice(p.device);
  if (!/bfloat16/.test(p.dtype)) throw new InputError({ field: 'dtype', value: p.dtype, expected: 'bfloat16: a profile taken on a GPU (on CPU the script runs in float32, which the planner does not model)' });
  const c = p.config;
  const model: ModelArch = {
    name: c.name, layers: c.layers, hidden: c.hidden, heads: c.heads, kvHeads: c.heads, ffn: c.ffn, ffnKind: 'plain', vocab: c.vocab,
    context: c.seq, publishedParams: 0, source: { ref: 'scripts/profile-step.py configuration', kind: 'D' },
  };
  const req = { model, hardware: homogeneousHardware(gpuId, 1), precision: 'bf16', seq: c.seq, tokens: 1e12, stack, dropout: c.dropout } as const;
  const ctx = planContext(req);
  const layout: Layout = { tp: 1, pp: 1, vpp: 1, dp: 1, cp: 1, ep: 1, mbs: c.mbs, zero: 0, sp: false, recompute: 'none', tpOverlap: false };
  const b = stepTime(ctx, layout, c.mbs);
  const ctxFa2 = planContext({ ...req, attention: 'flash2' });
  const part = (name: string, measured: number | undefined, predicted: number): ProfilePart[] =>
    measured === undefined ? [] : [{ part: name, measuredSeconds: measured, predictedSeconds: predicted, errorPct: (predicted / measured - 1) * 100 }];
  const s = p.seconds;
  return {
    gpuId, model: c.name, stack: formatStack(stack),
    parts: [
      ...part('gemm (layers)', s.gemm, b.gemmSeconds),
      ...part(`attention (default backend vs ${stack.attention.value} model)`, s.attention, b.attentionSeconds),
      ...part('attention cuDNN vs cuDNN model', p.attentionBackends.cudnn_attention, stepTime(planContext({ ...req, attention: 'flash' }), layout, c.mbs).attentionSeconds),
      ...part('attention flash vs FlashAttention-2 model', p.attentionBackends.flash_attention, stepTime(ctxFa2, layout, c.mbs).attentionSeconds),
      ...part('elementwise (layer - gemm - attention)', s.elementwise, b.elementwiseSeconds),
      // Kernel times inside the layer, where the profile has them: element-wise without the residual's noise.
      ...part('elementwise kernels in the layer (profiler)', p.layerKernels?.other, b.elementwiseSeconds),
      ...part('gemm kernels in the layer (profiler)', p.layerKernels?.gemm, b.gemmSeconds),
      ...part('attention kernels in the layer (profiler)', p.layerKernels?.attention, b.attentionSeconds),
      ...part('layer total x layers', s.layer, b.gemmSeconds + b.attentionSeconds + b.elementwiseSeconds),
      ...part('head + loss (+ embedding)', s.head, b.headSeconds),
      ...part('optimizer', s.optimizer, b.optimizerSeconds),
      ...part('step', s.step, b.stepSeconds),
    ],
  };
}
