import type { SweepRow } from './sweep.ts';

/** Text table of a cluster-size sweep (`plan train --gpus FROM..TO`). */
export function formatSweep(model: string, stack: string, rows: readonly SweepRow[]): string {
  const out = [`${model}, stack ${stack}: best layout per cluster size (scaling = tokens/s gained over the previous size / GPUs added; 1 = perfect, 0 = adding GPUs bought nothing)`, ''];
  out.push(`${'GPUs'.padStart(7)} ${'tokens/s'.padStart(10)} ${'MFU'.padStart(6)} ${'days'.padStart(8)} ${'scaling'.padStart(8)}  layout`);
  for (const r of rows) {
    if (r.error !== undefined) { out.push(`${String(r.gpus).padStart(7)}  ${r.error}`); continue; }
    const tps = r.tokensPerSecond! >= 1e6 ? `${(r.tokensPerSecond! / 1e6).toFixed(2)}M` : `${(r.tokensPerSecond! / 1e3).toFixed(0)}k`;
    out.push(`${String(r.gpus).padStart(7)} ${tps.padStart(10)} ${`${(r.mfu! * 100).toFixed(1)}%`.padStart(6)} ${r.days!.toFixed(1).padStart(8)} ${(r.scalingEfficiency === undefined ? '-' : r.scalingEfficiency.toFixed(2)).padStart(8)}  ${r.layout}${r.gpusUsed! < r.gpus ? ` (${r.gpus - r.gpusUsed!} idle)` : ''}`);
  }
  return out.join('\n');
}
