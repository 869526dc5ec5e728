import { InputError } from './errors.ts';

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12 };

/** `15T`, `2.5e12`, `16M` (or a number): a positive count with an optional K/M/B/T suffix; `field` names it in the error. */
export function parseCount(text: string | number, field: string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text <= 0) throw new InputError({ field, value: text, expected: 'a positive number, optionally with K, M, B or T (e.g. 15T, 16M)' });
    return text;
  }
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmbgt]?)\s*$/i.exec(text);
  const v = m ? Number(m[1]) * SUFFIX[m[2].toLowerCase()] : Number.NaN;
  if (!Number.isFinite(v) || v <= 0) throw new InputError({ field, value: text, expected: 'a positive number, optionally with K, M, B or T (e.g. 15T, 16M)' });
  return v;
}
