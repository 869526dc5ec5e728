// `npm run validate:planner`: evaluates every row of shared/data/training-runs.csv with that row's
// hardware, model, batch, layout and software stack (the preset of the framework the row names) (keys a row leaves blank are chosen by the planner's search),
// and compares predicted with measured tokens/s per GPU. Prints a table, the median and maximum
// absolute error; `--json` prints the same as JSON. `--published`: instead, the published runs that are not in
// shared data (src/plan/validation/published-runs.ts), each with its source, under its framework's stack. Exit 1 when the targets (median <= 10%, max <= 25%) are missed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { homogeneousHardware } from '../src/plan/fleet-hardware.ts';
import { planContext } from '../src/plan/context.ts';
import { bestLayouts } from '../src/plan/search.ts';
import { formatLayout } from '../src/plan/layout.ts';
import { parseCsv } from '../src/plan/validation/csv.ts';
import { validationCases } from '../src/plan/validation/rows.ts';
import { isUserError } from '../src/lib/errors.ts';
import { stackPreset } from '../src/plan/stack.ts';
import { comparePublished, PUBLISHED_RUNS, summarizePublished } from '../src/plan/validation/published-runs.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
if (args.includes('--published')) {
  // `--published`: the runs of src/plan/validation/published-runs.ts (not in shared data), each under its own stack.
  const cs = PUBLISHED_RUNS.map(comparePublished);
  const sum = summarizePublished(cs);
  const pass = sum.refused === 0 && sum.medianAbsErrorPct <= 10 && sum.maxAbsErrorPct <= 25;
  if (json) {
    process.stdout.write(JSON.stringify({ runs: cs.map((c) => ({ id: c.run.id, source: c.run.source, url: c.run.url, where: c.run.where, model: c.run.model.name, gpu: c.run.gpu, gpus: c.run.gpus, seq: c.run.seq, globalBatchSeqs: c.run.globalBatchSeqs, framework: c.run.framework, stack: c.stack, layout: c.layout, measured: c.measuredTokensPerSecondPerGpu, predicted: c.predictedTokensPerSecondPerGpu, errorPct: c.errorPct, overMemory: c.overMemory, ...(c.refused ? { refused: c.refused } : {}), ...(c.run.hardwareNote ? { hardwareNote: c.run.hardwareNote } : {}), ...(c.run.excluded ? { excluded: c.run.excluded } : {}) })), ...sum, pass }, null, 2) + '\n');
  } else {
    const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
    const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
    console.log(`${pad('id', 4)} ${pad('framework', 30)} ${pad('stack', 19)} ${pad('model', 15)} ${pad('gpu', 4)} ${lpad('gpus', 5)} ${lpad('meas tok/s/gpu', 14)} ${lpad('pred', 8)} ${lpad('error', 7)}  layout`);
    for (const c of cs) {
      const err = Number.isNaN(c.errorPct) ? 'refused' : `${c.errorPct >= 0 ? '+' : ''}${c.errorPct.toFixed(1)}%`;
      console.log(`${pad(c.run.id, 4)} ${pad(c.run.framework, 30)} ${pad(c.stack, 19)} ${pad(c.run.model.name, 15)} ${pad(c.run.gpu, 4)} ${lpad(String(c.run.gpus), 5)} ${lpad(c.measuredTokensPerSecondPerGpu.toFixed(1), 14)} ${lpad(Number.isNaN(c.predictedTokensPerSecondPerGpu) ? '-' : c.predictedTokensPerSecondPerGpu.toFixed(1), 8)} ${lpad(err, 7)}  ${c.refused ?? c.layout}${c.overMemory ? ' [memory model: over the limit; the run fit]' : ''}${c.run.excluded ? ` [excluded: ${c.run.excluded}]` : ''}`);
    }
    console.log(`\n${sum.rows} published runs (${sum.counted} counted, ${sum.rows - sum.counted} excluded with a reason); sources and hardware notes: src/plan/validation/published-runs.ts`);
    console.log(`refused: ${sum.refused} (target 0); median absolute error ${sum.medianAbsErrorPct.toFixed(1)}% (target <= 10%), max ${sum.maxAbsErrorPct.toFixed(1)}% (target <= 25%) over the counted rows: ${pass ? 'PASS' : 'FAIL'}`);
    console.log(`(all ${sum.rows} rows, excluded ones included: median ${sum.medianAbsErrorPctAll.toFixed(1)}%, max ${sum.maxAbsErrorPctAll.toFixed(1)}%)`);
  }
  process.exit(pass ? 0 : 1);
}
const fileArg = args.find((a) => !a.startsWith('--'));
const file = resolve(fileArg ?? process.env.GIGAFACTORY_TRAINING_RUNS ?? '../shared/data/training-runs.csv');
const { cases, skipped } = validationCases(parseCsv(readFileSync(file, 'utf8')));

interface Row { id: string; family: string; stack: string; model: string; gpus: number; precision: string; layout: string; predicted: number; measured: number; measuredFrom: string; errorPct: number; note?: string; excluded?: string; overMemory?: boolean }
const rows: Row[] = [];
for (const c of cases) {
  const ctx = planContext({ model: c.model, hardware: homogeneousHardware(c.gpuId, c.gpus), precision: c.precision, seq: c.seq, tokens: 1e12, attention: c.attention, dpOverlap: c.dpOverlap, moeExperts: c.moeExperts, moeCapacityFactor: c.moeCapacityFactor, ...(c.gradReduceFp32 ? { gradReduceFp32: true } : {}), stack: stackPreset(c.stack) });
  try {
    const best = bestLayouts(ctx, { fixed: c.layout, globalBatchSeqs: c.globalBatchSeqs, exactGlobalBatch: true, top: 1, allowOverMemory: c.allowOverMemory }).ranked[0];
    const err = best.tokensPerSecondPerGpu / c.measuredTokensPerSecondPerGpu - 1;
    rows.push({
      id: c.id, family: c.family, stack: c.stack, model: c.label, gpus: c.gpus, precision: c.precision, layout: formatLayout(best.layout), predicted: best.tokensPerSecondPerGpu, measured: c.measuredTokensPerSecondPerGpu, measuredFrom: c.measuredFrom, errorPct: err * 100,
      ...(c.excluded ? { excluded: c.excluded } : {}), ...(best.memory.total > best.memory.limit ? { overMemory: true } : {}),
    });
  } catch (e) {
    if (!isUserError(e)) throw e;
    rows.push({ id: c.id, family: c.family, stack: c.stack, model: c.label, gpus: c.gpus, precision: c.precision, layout: '-', predicted: Number.NaN, measured: c.measuredTokensPerSecondPerGpu, measuredFrom: c.measuredFrom, errorPct: Number.NaN, note: e.message.split('\n')[0], ...(c.excluded ? { excluded: c.excluded } : {}) });
  }
}
const counted = rows.filter((r) => r.excluded === undefined);
const errs = counted.map((r) => (Number.isNaN(r.errorPct) ? Number.POSITIVE_INFINITY : Math.abs(r.errorPct))).sort((a, b) => a - b);
const median = errs.length ? (errs[(errs.length - 1) >> 1] + errs[errs.length >> 1]) / 2 : Number.NaN;
const max = errs.length ? errs[errs.length - 1] : Number.NaN;
const pass = median <= 10 && max <= 25;
const stats = (rs: Row[]): { rows: number; medianAbsErrorPct: number; maxAbsErrorPct: number } => {
  const e = rs.map((r) => (Number.isNaN(r.errorPct) ? Number.POSITIVE_INFINITY : Math.abs(r.errorPct))).sort((a, b) => a - b);
  return { rows: e.length, medianAbsErrorPct: e.length ? (e[(e.length - 1) >> 1]! + e[e.length >> 1]!) / 2 : Number.NaN, maxAbsErrorPct: e.length ? e[e.length - 1]! : Number.NaN };
};
const byFamily = Object.fromEntries([...new Set(counted.map((r) => r.family))].map((f) => [f, { stack: counted.find((r) => r.family === f)!.stack, ...stats(counted.filter((r) => r.family === f)) }]));
const allErrs = rows.map((r) => (Number.isNaN(r.errorPct) ? Number.POSITIVE_INFINITY : Math.abs(r.errorPct))).sort((a, b) => a - b);
const medianAll = allErrs.length ? (allErrs[(allErrs.length - 1) >> 1] + allErrs[allErrs.length >> 1]) / 2 : Number.NaN;

if (json) {
  process.stdout.write(JSON.stringify({ file, rows, skipped, counted: counted.length, excluded: rows.length - counted.length, byFamily, medianAbsErrorPct: median, medianAbsErrorPctIncludingExcluded: medianAll, maxAbsErrorPct: max, pass }, null, 2) + '\n');
} else {
  const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
  const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
  console.log(`${pad('id', 5)} ${pad('stack', 9)} ${pad('model', 28)} ${lpad('gpus', 5)} ${pad('prec', 4)} ${lpad('pred tok/s/gpu', 14)} ${lpad('meas tok/s/gpu', 14)} ${lpad('error', 7)}  layout`);
  for (const r of rows) {
    const pred = Number.isNaN(r.predicted) ? 'rejected' : r.predicted.toFixed(1);
    const err = Number.isNaN(r.errorPct) ? '-' : `${r.errorPct >= 0 ? '+' : ''}${r.errorPct.toFixed(1)}%`;
    console.log(`${pad(r.id, 5)} ${pad(r.stack, 9)} ${pad(r.model, 28)} ${lpad(String(r.gpus), 5)} ${pad(r.precision, 4)} ${lpad(pred, 14)} ${lpad(r.measured.toFixed(1), 14)} ${lpad(err, 7)}  ${r.note ?? r.layout}${r.measuredFrom === 'tokens/s' ? '' : ` [measured from ${r.measuredFrom}]`}${r.overMemory ? ' [memory model: over the limit; the run fit]' : ''}${r.excluded ? ` [excluded: ${r.excluded}]` : ''}`);
  }
  console.log(`\n${rows.length} rows compared (${counted.length} counted, ${rows.length - counted.length} excluded with a reason), ${skipped.length} skipped (${[...new Set(skipped.map((s) => s.reason))].join('; ')})`);
  console.log('by family of source (counted rows):');
  for (const [f, x] of Object.entries(byFamily)) console.log(`  ${pad(f, 24)} stack ${pad(x.stack, 10)} ${lpad(String(x.rows), 4)} rows  median ${lpad(x.medianAbsErrorPct.toFixed(1), 5)}%  max ${lpad(x.maxAbsErrorPct.toFixed(1), 5)}%`);
  console.log(`median absolute error ${median.toFixed(1)}% (target <= 10%), max ${max.toFixed(1)}% (target <= 25%) over the counted rows: ${pass ? 'PASS' : 'FAIL'}`);
  console.log(`(median over all ${rows.length} rows, excluded ones included: ${medianAll.toFixed(1)}%)`);
}
process.exitCode = pass ? 0 : 1;
