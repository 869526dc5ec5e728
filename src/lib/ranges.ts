/** Sorted integer ranges, as Slurm writes node lists: [0,1,2,3,7,9,10] -> "0-3,7,9-10". */
export function formatRanges(values: readonly number[]): string {
  const v = [...values].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < v.length;) {
    let j = i;
    while (j + 1 < v.length && v[j + 1] === v[j]! + 1) j++;
    parts.push(j === i ? String(v[i]) : `${v[i]}-${v[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
