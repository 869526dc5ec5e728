import { InputError, UnknownNameError, type InputIssue } from '../lib/errors.ts';

/**
 * The software stack that runs a training job: which kernels it uses and how it communicates. Each
 * preset is a set of parameters, every one with its source (documented defaults, papers, the H200
 * microbenchmarks in shared/data/profiles/h200/); `--stack NAME,key=value` overrides single keys.
 */
export type StackName = 'megatron' | 'fsdp' | 'fsdp-compile' | 'deepspeed' | 'jax';
/** Attention kernel generation: FlashAttention 1/2/3 or cuDNN's fused attention. */
export type AttentionKernel = 'fa1' | 'fa2' | 'fa3' | 'cudnn';
/** How element-wise work runs: eager PyTorch kernels, torch.compile, Transformer Engine fused kernels, XLA fusion. */
export type Fusion = 'eager' | 'compiled' | 'te' | 'xla';
/** Optimizer step: a fused kernel, foreach multi-tensor kernels, or Megatron's distributed optimizer over flat buffers. */
export type OptimizerImpl = 'fused' | 'foreach' | 'sharded';

export interface StackParam<T> { readonly value: T; readonly source: string }

export interface Stack {
  readonly name: StackName;
  readonly attention: StackParam<AttentionKernel>;
  readonly fusion: StackParam<Fusion>;
  /** Tensor-parallel collectives overlapped with GEMMs (used when tp > 1 unless --layout says tpoverlap=off). */
  readonly tpOverlap: StackParam<boolean>;
  readonly gradReduce: StackParam<'fp32' | 'bf16'>;
  readonly optimizer: StackParam<OptimizerImpl>;
  /** Host-side time per micro-batch that the GPU waits for (Python, launches not hidden). */
  readonly hostOverheadSeconds: StackParam<number>;
  /** Keys the user set over the preset, as given (for the report). */
  readonly overrides: readonly string[];
}

export const STACK_NAMES: readonly StackName[] = ['megatron', 'fsdp', 'fsdp-compile', 'deepspeed', 'jax'];
export const STACK_KEYS = ['attention', 'fusion', 'tp-overlap', 'grad-reduce', 'optimizer', 'host-overhead'] as const;
export const DEFAULT_STACK_NAME: StackName = 'megatron';
/** Host overhead above this is surely a typo for milliseconds. */
const MAX_HOST_OVERHEAD_SECONDS = 1;

const p = <T>(value: T, source: string): StackParam<T> => ({ value, source });
const NO_HOST = p(0, 'asynchronous CUDA launches: the CPU enqueues kernels ahead of the GPU, which then waits on nothing (measured launch gaps are in the element-wise model)');

const MEGATRON: Stack = {
  name: 'megatron',
  attention: p('cudnn', 'NeMo/Megatron-Core recipes run Transformer Engine with NVTE_FUSED_ATTN=1: cuDNN fused attention'),
  fusion: p('te', 'Transformer Engine fused norm+GEMM, bias-activation and RoPE fusions (Megatron-Core defaults: bias_activation_fusion, apply_rope_fusion)'),
  tpOverlap: p(true, 'NeMo recipes set tp_comm_overlap=True (Transformer Engine userbuffers)'),
  gradReduce: p('bf16', 'Megatron-Core DDP grad_reduce_in_fp32=False; NeMo recipes keep optim.grad_sync_dtype bf16'),
  optimizer: p('sharded', 'Megatron-Core distributed optimizer: fused Adam over contiguous FP32 main-parameter buffers'),
  hostOverheadSeconds: NO_HOST,
  overrides: [],
};
const FSDP: Stack = {
  name: 'fsdp',
  attention: p('cudnn', 'PyTorch scaled_dot_product_attention picks cuDNN attention on Hopper (the default backend of PyTorch 2.11 in shared/data/profiles/h200)'),
  fusion: p('eager', 'eager PyTorch: one native kernel per op (torchtitan without compile, Composer, Accelerate)'),
  tpOverlap: p(false, 'torchtitan overlaps TP only with async TP, which needs torch.compile'),
  gradReduce: p('fp32', 'torchtitan training.mixed_precision_reduce = "float32" (FSDP2 MixedPrecisionPolicy reduce_dtype)'),
  optimizer: p('fused', 'torchtitan optimizer.implementation = "fused" (torch.optim.AdamW(fused=True))'),
  hostOverheadSeconds: NO_HOST,
  overrides: [],
};
const PRESETS: Record<StackName, Stack> = {
  megatron: MEGATRON,
  fsdp: FSDP,
  'fsdp-compile': {
    ...FSDP, name: 'fsdp-compile',
    fusion: p('compiled', 'torchtitan compile.enable: torch.compile of each transformer block (Inductor fuses element-wise chains)'),
    tpOverlap: p(false, 'torchtitan parallelism.enable_async_tensor_parallel defaults to false'),
  },
  deepspeed: {
    name: 'deepspeed',
    attention: p('fa2', 'DeepSpeed runs the model\'s own attention: the flash-attn 2 package in Hugging Face models (attn_implementation="flash_attention_2")'),
    fusion: p('eager', 'DeepSpeed ZeRO wraps an eager PyTorch model'),
    tpOverlap: p(false, 'DeepSpeed ZeRO has no tensor-parallel communication overlap'),
    gradReduce: p('fp32', 'DeepSpeed BF16 training accumulates and reduces gradients in FP32 (data_types.grad_accum_dtype defaults to fp32 for bf16)'),
    optimizer: p('fused', 'DeepSpeed FusedAdam (the default for "type": "Adam")'),
    hostOverheadSeconds: NO_HOST,
    overrides: [],
  },
  jax: {
    name: 'jax',
    attention: p('cudnn', 'MaxText on GPU: attention=cudnn_flash_te (cuDNN fused attention through Transformer Engine)'),
    fusion: p('xla', 'XLA fuses element-wise chains into the neighbouring kernels'),
    tpOverlap: p(false, 'XLA collective matmul is off unless enabled by flags (MaxText GPU configs do not set it)'),
    gradReduce: p('fp32', 'MaxText base.yml weight_dtype: float32 (dtype bfloat16 for compute): gradients of FP32 weights are reduce-scattered in FP32'),
    optimizer: p('fused', 'optax AdamW, fused by XLA into few kernels over the parameter tree'),
    hostOverheadSeconds: p(0, 'jit-compiled step: one host dispatch per step'),
    overrides: [],
  },
};

/** Which keys a stack cannot run, and why. */
function impossible(s: Stack): InputIssue[] {
  const out: InputIssue[] = [];
  if (s.tpOverlap.value && (s.name === 'fsdp' || s.name === 'deepspeed')) {
    out.push({
      field: '--stack tp-overlap', value: 'on',
      expected: s.name === 'fsdp'
        ? 'off under fsdp: eager PyTorch has no TP communication overlap (torchtitan\'s async TP needs torch.compile: use --stack fsdp-compile,tp-overlap=on)'
        : 'off under deepspeed: DeepSpeed ZeRO has no tensor-parallel communication overlap (use --stack megatron)',
    });
  }
  return out;
}

const onOff = (v: string): boolean | undefined => (['on', 'true', 'yes', '1'].includes(v) ? true : ['off', 'false', 'no', '0'].includes(v) ? false : undefined);

/** The preset of that name. */
export function stackPreset(name: string): Stack {
  const s = PRESETS[name as StackName];
  if (!s) throw new UnknownNameError('stack', name, STACK_NAMES);
  return s;
}

/**
 * Parses `NAME[,key=value...]` (the `--stack` flag). Unknown names and keys list the known ones; a
 * value out of range names the range; a combination the stack cannot run says why.
 */
export function parseStack(text: string, field = '--stack'): Stack {
  const parts = text.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  const name = (parts[0] ?? '').toLowerCase();
  if (name.includes('=')) throw new InputError({ field, value: text, expected: `a stack name first (${STACK_NAMES.join(', ')}), then key=value overrides, e.g. fsdp,attention=fa2` });
  let s: Stack = stackPreset(name);
  const issues: InputIssue[] = [];
  const overrides: string[] = [];
  const user = (v: string): string => `--stack ${v}`;
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim().toLowerCase();
    const src = user(part);
    switch (key) {
      case 'attention':
        if (!['fa1', 'fa2', 'fa3', 'cudnn'].includes(value)) issues.push({ field: `${field} attention`, value, expected: 'one of fa1, fa2, fa3, cudnn' });
        else s = { ...s, attention: p(value as AttentionKernel, src) };
        break;
      case 'fusion':
        if (!['eager', 'compiled', 'te', 'xla'].includes(value)) issues.push({ field: `${field} fusion`, value, expected: 'one of eager, compiled, te, xla' });
        else s = { ...s, fusion: p(value as Fusion, src) };
        break;
      case 'tp-overlap': {
        const b = onOff(value);
        if (b === undefined) issues.push({ field: `${field} tp-overlap`, value, expected: 'on or off' });
        else s = { ...s, tpOverlap: p(b, src) };
        break;
      }
      case 'grad-reduce':
        if (value !== 'fp32' && value !== 'bf16') issues.push({ field: `${field} grad-reduce`, value, expected: 'fp32 or bf16' });
        else s = { ...s, gradReduce: p(value, src) };
        break;
      case 'optimizer':
        if (!['fused', 'foreach', 'sharded'].includes(value)) issues.push({ field: `${field} optimizer`, value, expected: 'one of fused, foreach, sharded' });
        else s = { ...s, optimizer: p(value as OptimizerImpl, src) };
        break;
      case 'host-overhead': {
        const v = Number(value.replace(/s$/, ''));
        if (value === '' || !Number.isFinite(v) || v < 0 || v > MAX_HOST_OVERHEAD_SECONDS) issues.push({ field: `${field} host-overhead`, value, expected: `seconds per micro-batch in the range 0 to ${MAX_HOST_OVERHEAD_SECONDS} (e.g. host-overhead=0.002)` });
        else s = { ...s, hostOverheadSeconds: p(v, src) };
        break;
      }
      default:
        issues.push({ field: `${field} ${key}`, value: part, expected: `one of the keys ${STACK_KEYS.join(', ')} as key=value, e.g. ${name},attention=fa2,fusion=compiled` });
        continue;
    }
    overrides.push(`${key}=${value}`);
  }
  if (issues.length > 0) throw new InputError(issues);
  s = { ...s, overrides };
  const bad = impossible(s);
  if (bad.length > 0) throw new InputError(bad);
  return s;
}

/**
 * Whether the stack runs ZeRO-3 as PyTorch FSDP, whose gradient path copies each gathered gradient outside the
 * collective every micro-batch (fsdp-copies.ts): `fsdp` and `fsdp-compile` (torch.compile
 * compiles the blocks, not FSDP's hooks). Megatron-Core accumulates into its gradient buffer, XLA fuses; DeepSpeed's
 * ZeRO-3 gradient path is not modelled here.
 */
export const runsPytorchFsdp = (s: Stack): boolean => s.name === 'fsdp' || s.name === 'fsdp-compile';

/** `fsdp` or `fsdp (attention=fa2)`: the stack as a user names it. */
export const formatStack = (s: Stack): string => (s.overrides.length > 0 ? `${s.name},${s.overrides.join(',')}` : s.name);

/** Every parameter with its value and source, for `--explain` and the JSON report. */
export function stackParameters(s: Stack): { key: string; value: string; source: string }[] {
  const v = (x: StackParam<unknown>): string => (typeof x.value === 'boolean' ? (x.value ? 'on' : 'off') : String(x.value));
  return [
    { key: 'attention', value: v(s.attention), source: s.attention.source },
    { key: 'fusion', value: v(s.fusion), source: s.fusion.source },
    { key: 'tp-overlap', value: v(s.tpOverlap), source: s.tpOverlap.source },
    { key: 'grad-reduce', value: v(s.gradReduce), source: s.gradReduce.source },
    { key: 'optimizer', value: v(s.optimizer), source: s.optimizer.source },
    { key: 'host-overhead', value: `${s.hostOverheadSeconds.value} s`, source: s.hostOverheadSeconds.source },
  ];
}
