import { InputError } from '../lib/errors.ts';

/** What `--workload` names: the synthetic mix, one pretraining job, or a file (trace or YAML mix). */
export type WorkloadArg =
  | { readonly kind: 'grok' }
  | { readonly kind: 'pretrain'; readonly gpus: number }
  | { readonly kind: 'file'; readonly path: string };

export const WORKLOAD_HELP = 'grok (synthetic mix), pretrain:N (one N-GPU job), a trace CSV (philly, acme/kalos formats) or a YAML workload mix';

export function parseWorkloadArg(value: string): WorkloadArg {
  if (value === 'grok') return { kind: 'grok' };
  const m = /^pretrain:(.*)$/.exec(value);
  if (m) {
    const gpus = Number(m[1]);
    if (!Number.isInteger(gpus) || gpus < 8 || gpus % 8 !== 0) {
      throw new InputError({ field: '--workload', value, expected: 'pretrain:N with N a positive multiple of 8 GPUs, e.g. pretrain:16384' });
    }
    return { kind: 'pretrain', gpus };
  }
  if (/[./\\]/.test(value)) return { kind: 'file', path: value };
  throw new InputError({ field: '--workload', value, expected: WORKLOAD_HELP });
}
