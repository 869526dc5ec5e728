/**
 * Slurm hostlist expressions: `gf-n[0-3,7]` <-> [gf-n0, gf-n1, gf-n2, gf-n3, gf-n7].
 * Needed to write compact configuration for 12,500 nodes and to read Slurm's `nodes` fields.
 */
import { formatRanges } from '../../lib/ranges.ts';

interface Split { prefix: string; num: number; width: number; suffixless: boolean }

function split(name: string): Split {
  const m = /^(.*?)(\d+)$/.exec(name);
  if (m === null) return { prefix: name, num: 0, width: 0, suffixless: true };
  const digits = m[2]!;
  // Width only matters when zero-padded ("n007"); unpadded numbers compress with any width.
  return { prefix: m[1]!, num: Number(digits), width: digits.startsWith('0') && digits.length > 1 ? digits.length : 0, suffixless: false };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Compresses names into one hostlist expression, keeping first-seen order of prefixes. */
export function compressHostlist(names: readonly string[]): string {
  const groups = new Map<string, { prefix: string; width: number; nums: number[] }>();
  const plain: string[] = [];
  for (const name of names) {
    const s = split(name);
    if (s.suffixless) { plain.push(name); continue; }
    const key = `${s.prefix}\u0000${s.width}`;
    let g = groups.get(key);
    if (g === undefined) { g = { prefix: s.prefix, width: s.width, nums: [] }; groups.set(key, g); }
    g.nums.push(s.num);
  }
  const parts: string[] = [...plain];
  for (const g of groups.values()) {
    const nums = [...new Set(g.nums)];
    const format = (n: number) => pad(n, g.width);
    parts.push(nums.length === 1 ? g.prefix + format(nums[0]!) : `${g.prefix}[${formatRanges(nums, format)}]`);
  }
  return parts.join(',');
}

/** Expands a hostlist expression (`a[1-3],b7`, also `x[01-02]y`); the inverse of compressHostlist. */
export function expandHostlist(expr: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= expr.length; i++) {
    const c = expr[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if ((c === ',' || c === undefined) && depth === 0) {
      const item = expr.slice(start, i).trim();
      if (item !== '') out.push(...expandOne(item));
      start = i + 1;
    }
  }
  return out;
}

function expandOne(item: string): string[] {
  const open = item.indexOf('[');
  if (open < 0) return [item];
  const close = item.indexOf(']', open);
  const head = item.slice(0, open);
  const tails = expandOne(item.slice(close + 1));
  const out: string[] = [];
  for (const range of item.slice(open + 1, close).split(',')) {
    const [a, b] = range.split('-') as [string, string | undefined];
    const width = a.length;
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    for (let n = lo; n <= hi; n++) for (const t of tails) out.push(head + pad(n, width) + t);
  }
  return out;
}
