import { InputError } from '../lib/errors.ts';

/** What `--workload` names: the synthetic mix, one pretraining job, or a file (trace or YAML mix). */
export type WorkloadArg =
  | { readonly kind: 'grok' }
  | { readonly kind: 'pretrain'; readonly gpus: number; readonly model?: string }
  | { readonly kind: 'file'; readonly path: string };

export const WORKLOAD_HELP = 'grok (synthetic mix), pretrain:N[:MODEL] (one N-GPU job, default grok-1), a trace CSV (philly, acme/kalos formats) or a YAML workload mix';

export function parseWorkloadArg(value: string): WorkloadArg {
  if (value === 'grok') return { kind: 'grok' };
  const m = /^pretrain:([^:]*)(?::(.+))?$/.exec(value);
  if (m) {
    const gpus = Number(m[1]);
    // The multiple of the fleet's node size is checked by pretrainWorkload, which knows the fleet.
    if (!Number.isInteger(gpus) || gpus < 1) {
      throw new InputError({ field: '--workload', value, expected: 'pretrain:N[:MODEL] with N a positive multiple of the fleet\'s GPUs per node, e.g. pretrain:16384 or pretrain:16384:llama3-405b' });
    }
    return { kind: 'pretrain', gpus, ...(m[2] !== undefined ? { model: m[2] } : {}) };
  }
  if (/[./\\]/.test(value)) return { kind: 'file', path: value };
  throw new InputError({ field: '--workload', value, expected: WORKLOAD_HELP });
}
