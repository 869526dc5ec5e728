import type { ServingPrecision, ReplicaLayout } from './types.ts';

/**
 * Measured serving throughput from shared/data/serving.md, as the planner is asked to predict
 * it. Lengths the file does not state are assumptions, named in `note`.
 */
export interface ServingValidationRow {
  readonly id: string;
  readonly modelId: string;
  readonly gpuId: 'a100' | 'h100' | 'h200' | 'b200';
  readonly precision: ServingPrecision;
  /** Fixed layout when the source states it; absent: the planner's best per-GPU layout. */
  readonly layout?: ReplicaLayout;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly batchSize?: number;
  readonly ttftP99TargetSeconds?: number;
  readonly tpotP99TargetSeconds?: number;
  /** 'replica': output tok/s of the TP group; 'gpu': per GPU. */
  readonly metric: 'replica' | 'gpu';
  readonly measured: number;
  readonly source: string;
  readonly note?: string;
}

const MLPERF = 'serving.md B1: MLPerf Inference v4.1 closed, TensorRT-LLM FP8';
const TRT = 'serving.md B2: TensorRT-LLM perf-overview (trtllm-bench, max load)';
const MLPERF_LENGTHS = 'input 1,024 assumed (the reference caps prompts at 1,024; the mean is not in serving.md); output 290 (serving.md: 24,525 / 84.48)';
const TRT_LENGTHS: readonly (readonly [number, number])[] = [[128, 128], [1000, 1000], [2048, 2048], [5000, 500], [20000, 2000]];
const TRT_8B = [28312, 15220, 9305, 3459, 1351];
const TRT_405B = [3627, 2919, 2296, 610, 345];

export const SERVING_VALIDATION_ROWS: readonly ServingValidationRow[] = [
  { id: 'mlperf-llama2-70b-offline-8xh100', modelId: 'llama2-70b', gpuId: 'h100', precision: 'fp8', inputTokens: 1024, outputTokens: 290, metric: 'gpu', measured: 3066, source: MLPERF, note: MLPERF_LENGTHS },
  { id: 'mlperf-llama2-70b-server-8xh100', modelId: 'llama2-70b', gpuId: 'h100', precision: 'fp8', inputTokens: 1024, outputTokens: 290, ttftP99TargetSeconds: 2, tpotP99TargetSeconds: 0.2, metric: 'gpu', measured: 2701, source: MLPERF, note: MLPERF_LENGTHS },
  { id: 'mlperf-mixtral-offline-8xh100', modelId: 'mixtral-8x7b', gpuId: 'h100', precision: 'fp8', inputTokens: 1024, outputTokens: 290, metric: 'gpu', measured: 6552, source: MLPERF, note: `lengths as the Llama 2 rows (${MLPERF_LENGTHS}); the Mixtral mix is not described in serving.md` },
  { id: 'mlperf-mixtral-server-8xh100', modelId: 'mixtral-8x7b', gpuId: 'h100', precision: 'fp8', inputTokens: 1024, outputTokens: 290, ttftP99TargetSeconds: 2, tpotP99TargetSeconds: 0.2, metric: 'gpu', measured: 6349, source: MLPERF, note: 'lengths as the Llama 2 rows' },
  { id: 'mlperf-llama2-70b-server-1xb200', modelId: 'llama2-70b', gpuId: 'b200', precision: 'fp8', layout: { tp: 1, ep: 1 }, inputTokens: 1024, outputTokens: 290, ttftP99TargetSeconds: 2, tpotP99TargetSeconds: 0.2, metric: 'gpu', measured: 10755.6, source: MLPERF, note: `${MLPERF_LENGTHS}; NVIDIA's B200 entry may use FP4, which the GPU catalog does not model` },
  ...TRT_LENGTHS.map(([isl, osl], i): ServingValidationRow => ({
    id: `trtllm-llama3.1-8b-fp8-tp1-${isl}-${osl}`, modelId: 'llama3.1-8b', gpuId: 'h100', precision: 'fp8', layout: { tp: 1, ep: 1 },
    inputTokens: isl, outputTokens: osl, metric: 'replica', measured: TRT_8B[i]!, source: TRT,
  })),
  ...TRT_LENGTHS.map(([isl, osl], i): ServingValidationRow => ({
    id: `trtllm-llama3.1-405b-fp8-tp8-${isl}-${osl}`, modelId: 'llama3.1-405b', gpuId: 'h100', precision: 'fp8', layout: { tp: 8, ep: 1 },
    inputTokens: isl, outputTokens: osl, metric: 'replica', measured: TRT_405B[i]!, source: TRT,
  })),
  { id: 'trtllm-0.5-llama-70b-fp8-tp4-b64-128-128', modelId: 'llama2-70b', gpuId: 'h100', precision: 'fp8', layout: { tp: 4, ep: 1 }, inputTokens: 128, outputTokens: 128, batchSize: 64, metric: 'replica', measured: 3317, source: 'serving.md B2: TensorRT-LLM v0.5 static batch 64' },
];
