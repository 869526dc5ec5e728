/**
 * Integer ranges, as Slurm writes node lists: [0,1,2,3,7,9,10] -> "0-3,7,9-10" (sorted, duplicates
 * dropped); `format` writes each number (e.g. zero-padded for hostlists).
 */
export function formatRanges(values: readonly number[], format: (n: number) => string = String): string {
  const v = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < v.length;) {
    let j = i;
    while (j + 1 < v.length && v[j + 1] === v[j]! + 1) j++;
    parts.push(j === i ? format(v[i]!) : `${format(v[i]!)}-${format(v[j]!)}`);
    i = j + 1;
  }
  return parts.join(',');
}
