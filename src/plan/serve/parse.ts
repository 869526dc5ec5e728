import { InputError } from '../../lib/errors.ts';
import type { ReplicaLayout } from './types.ts';

const UNIT_SECONDS: Record<string, number> = { us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60 };

/** `1s`, `50ms`, `250us`, `0.2` (seconds) -> seconds. */
export function parseDurationSeconds(field: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m)?\s*$/.exec(text);
  if (!m) throw new InputError({ field, value: text, expected: 'a duration such as 1s, 500ms or 250us' });
  const v = Number(m[1]) * UNIT_SECONDS[m[2] ?? 's']!;
  if (!(v > 0)) throw new InputError({ field, value: text, expected: 'a duration > 0' });
  return v;
}

export function parsePositiveInt(field: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new InputError({ field, value: text, expected: 'a whole number >= 1' });
  return v;
}

/** `tp=8`, `tp=8,ep=8` -> layout (ep defaults to 1). */
export function parseLayout(text: string): ReplicaLayout {
  const parts = new Map<string, string>();
  for (const kv of text.split(',')) {
    const [k, v, extra] = kv.split('=').map((s) => s.trim());
    if (!k || v === undefined || extra !== undefined || (k !== 'tp' && k !== 'ep') || parts.has(k)) {
      throw new InputError({ field: '--layout', value: text, expected: 'tp=N[,ep=M], e.g. tp=8 or tp=8,ep=8' });
    }
    parts.set(k, v);
  }
  if (!parts.has('tp')) throw new InputError({ field: '--layout', value: text, expected: 'tp=N[,ep=M]: tp is required' });
  const tp = Number(parts.get('tp'));
  const ep = Number(parts.get('ep') ?? '1');
  if (!Number.isInteger(tp) || tp < 1 || tp > 64) throw new InputError({ field: '--layout tp', value: parts.get('tp'), expected: 'a whole number 1..64' });
  if (!Number.isInteger(ep) || ep < 1 || tp % ep !== 0) throw new InputError({ field: '--layout ep', value: parts.get('ep'), expected: `a whole number dividing tp=${tp}` });
  return { tp, ep };
}
