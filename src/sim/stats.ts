/** Mean, median and 99th percentile (nearest rank) of a sample; nulls when empty. */
export interface Summary { readonly count: number; readonly mean: number | null; readonly p50: number | null; readonly p99: number | null }

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, mean: null, p50: null, p99: null };
  const s = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { count: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: rank(0.5), p99: rank(0.99) };
}

/** Job size classes for queue-wait and completion reports, by GPUs. */
export const SIZE_CLASSES: readonly { readonly name: string; readonly maxGpus: number }[] = [
  { name: '1-8', maxGpus: 8 }, { name: '9-64', maxGpus: 64 }, { name: '65-512', maxGpus: 512 },
  { name: '513-4096', maxGpus: 4096 }, { name: '4097+', maxGpus: Infinity },
];

export const sizeClassOf = (gpus: number): string => SIZE_CLASSES.find((c) => gpus <= c.maxGpus)!.name;
