// `npm run validate:serving [-- --json]`: the serving planner's throughput against the measured
// rows of shared/data/serving.md. Prints predicted vs measured and the error per row, then the
// median and maximum absolute error. The model is first principles; nothing is fitted to rows.
import { validateServing } from '../src/plan/serve/validate.ts';

const { rows, medianAbsError, maxAbsError } = validateServing();
if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ rows, medianAbsError, maxAbsError }, null, 2) + '\n');
} else {
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('row', 44)} ${pad('layout', 10)} ${pad('batch', 6)} ${pad('bound', 8)} ${pad('predicted', 10)} ${pad('measured', 10)} error`);
  for (const r of rows) {
    console.log(`${pad(r.id, 44)} ${pad(r.layout, 10)} ${pad(String(r.batchSize), 6)} ${pad(r.bound, 8)} ${pad(r.predicted.toFixed(0), 10)} ${pad(String(r.measured), 10)} ${(r.error * 100).toFixed(1)}%`);
  }
  console.log(`\n${rows.length} rows (output tokens/s, per GPU or per TP group as the source states)`);
  console.log(`median absolute error ${(medianAbsError * 100).toFixed(1)}%, max ${(maxAbsError * 100).toFixed(1)}% (target: median <= 15%)`);
}
