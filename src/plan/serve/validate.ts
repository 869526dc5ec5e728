import { GPUS } from '../../catalog/gpus.ts';
import { servingModel } from './models.ts';
import { maxThroughput } from './planner.ts';
import { SERVING_VALIDATION_ROWS, type ServingValidationRow } from './validation-rows.ts';

export interface ValidationResult {
  readonly id: string;
  readonly metric: ServingValidationRow['metric'];
  readonly layout: string;
  readonly batchSize: number;
  readonly bound: string;
  readonly predicted: number;
  readonly measured: number;
  /** predicted / measured - 1. */
  readonly error: number;
  readonly note?: string;
}

/** Predicts every row the way its benchmark ran (saturated; latency bounds where stated). */
export function validateServing(rows: readonly ServingValidationRow[] = SERVING_VALIDATION_ROWS): { rows: ValidationResult[]; medianAbsError: number; maxAbsError: number } {
  const results = rows.map((row): ValidationResult => {
    const plan = maxThroughput({
      model: servingModel(row.modelId), gpu: GPUS[row.gpuId], precision: row.precision,
      shape: { inputTokens: row.inputTokens, outputTokens: row.outputTokens },
      ...(row.layout ? { layout: row.layout } : {}),
      ...(row.batchSize !== undefined ? { batchSize: row.batchSize } : {}),
      ...(row.ttftP99TargetSeconds !== undefined ? { ttftP99TargetSeconds: row.ttftP99TargetSeconds } : {}),
      ...(row.tpotP99TargetSeconds !== undefined ? { tpotP99TargetSeconds: row.tpotP99TargetSeconds } : {}),
    });
    const predicted = row.metric === 'gpu' ? plan.outputTokensPerSecondPerGpu : plan.outputTokensPerSecondPerReplica;
    return {
      id: row.id, metric: row.metric, layout: `tp=${plan.layout.tp},ep=${plan.layout.ep}`, batchSize: plan.batchSize, bound: plan.bound,
      predicted, measured: row.measured, error: predicted / row.measured - 1, ...(row.note ? { note: row.note } : {}),
    };
  });
  const abs = results.map((r) => Math.abs(r.error)).sort((a, b) => a - b);
  const mid = abs.length >> 1;
  const medianAbsError = abs.length % 2 ? abs[mid]! : (abs[mid - 1]! + abs[mid]!) / 2;
  return { rows: results, medianAbsError, maxAbsError: abs[abs.length - 1] ?? 0 };
}
