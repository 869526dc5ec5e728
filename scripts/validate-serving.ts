// `npm run validate:serving`: the serving planner's throughput against the measured rows of
// shared/data/serving.md. Prints predicted vs measured and the error per row, then the median
// and maximum absolute error. The model is first principles; nothing here is fitted to rows.
import { GPUS } from '../src/catalog/gpus.ts';
import { maxThroughput } from '../src/plan/serve/planner.ts';
import { servingModel } from '../src/plan/serve/models.ts';
import { SERVING_VALIDATION_ROWS } from '../src/plan/serve/validation-rows.ts';

const json = process.argv.includes('--json');
const results = SERVING_VALIDATION_ROWS.map((row) => {
  const plan = maxThroughput({
    model: servingModel(row.modelId), gpu: GPUS[row.gpuId], precision: row.precision,
    shape: { inputTokens: row.inputTokens, outputTokens: row.outputTokens },
    ...(row.layout ? { layout: row.layout } : {}),
    ...(row.batchSize !== undefined ? { batchSize: row.batchSize } : {}),
    ...(row.ttftP99TargetSeconds !== undefined ? { ttftP99TargetSeconds: row.ttftP99TargetSeconds } : {}),
    ...(row.tpotP99TargetSeconds !== undefined ? { tpotP99TargetSeconds: row.tpotP99TargetSeconds } : {}),
  });
  const predicted = row.metric === 'gpu' ? plan.outputTokensPerSecondPerGpu : plan.outputTokensPerSecondPerReplica;
  const error = predicted / row.measured - 1;
  return { id: row.id, metric: row.metric, layout: `tp=${plan.layout.tp},ep=${plan.layout.ep}`, batchSize: Math.round(plan.batchSize), bound: plan.bound, predicted, measured: row.measured, error, note: row.note };
});
const abs = results.map((r) => Math.abs(r.error)).sort((a, b) => a - b);
const mid = abs.length >> 1;
const median = abs.length % 2 ? abs[mid]! : (abs[mid - 1]! + abs[mid]!) / 2;
const max = abs[abs.length - 1]!;
if (json) {
  process.stdout.write(JSON.stringify({ rows: results, medianAbsError: median, maxAbsError: max }, null, 2) + '\n');
} else {
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('row', 44)} ${pad('layout', 10)} ${pad('batch', 6)} ${pad('bound', 8)} ${pad('predicted', 10)} ${pad('measured', 10)} error`);
  for (const r of results) {
    console.log(`${pad(r.id, 44)} ${pad(r.layout, 10)} ${pad(String(r.batchSize), 6)} ${pad(r.bound, 8)} ${pad(r.predicted.toFixed(0), 10)} ${pad(String(r.measured), 10)} ${(r.error * 100).toFixed(1)}%`);
  }
  console.log(`\n${results.length} rows (tok/s: output tokens per second, per GPU or per TP group as the source states)`);
  console.log(`median absolute error ${(median * 100).toFixed(1)}%, max ${(max * 100).toFixed(1)}% (target: median <= 15%)`);
}
