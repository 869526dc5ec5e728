import type { Command } from 'commander';
import { GPUS, gpuIds, type GpuSpec } from '../../catalog/gpus.ts';
import type { ModelArch } from '../../catalog/model-arch.ts';
import { InputError, UnknownNameError } from '../../lib/errors.ts';
import { DEFAULT_ASSUMPTIONS } from '../../plan/serve/assumptions.ts';
import { servingModel, servingModelIds } from '../../plan/serve/models.ts';
import { loadModel } from '../model-arg.ts';
import { maxThroughput, planServing, type ServingPlan } from '../../plan/serve/planner.ts';
import { parseDurationSeconds, parseLayout, parsePositiveInt } from '../../plan/serve/parse.ts';
import { formatServingPlan } from '../../plan/serve/report.ts';
import type { ServingPrecision } from '../../plan/serve/types.ts';

interface PlanServeOptions {
  model: string; gpu: string; rps?: string; inputTokens: string; outputTokens: string;
  ttftP99?: string; tpotP99?: string; precision: string; layout?: string; maxThroughput?: boolean;
  batch?: string; pricePerGpuHour?: string; json?: boolean;
}

/** A serving-catalog id (training catalog + serving extras), else the shared loader (ids or model YAML). */
function resolveModel(idOrPath: string): ModelArch {
  return servingModelIds.includes(idOrPath) ? servingModel(idOrPath) : loadModel(idOrPath);
}

function resolveGpu(id: string): GpuSpec {
  const gpu = (GPUS as Record<string, GpuSpec>)[id.toLowerCase()];
  if (!gpu) throw new UnknownNameError('gpu', id, gpuIds);
  return gpu;
}

function resolvePrecision(p: string, gpu: GpuSpec): ServingPrecision {
  if (p !== 'bf16' && p !== 'fp8') throw new InputError({ field: '--precision', value: p, expected: 'bf16 or fp8' });
  if (p === 'fp8' && gpu.peakDenseFp8FlopsPerSecond.value === null) throw new InputError({ field: '--precision', value: p, expected: `bf16: ${gpu.name} has no FP8 tensor cores` });
  return p;
}

/** Registers `plan serve`: the serving fleet (layout, batch, replicas, cost) for a load and latency targets. */
export function register(plan: Command): void {
  plan.command('serve')
    .description('Plan a serving fleet: layout, batch, KV cache, replicas, GPUs and cost for a load and latency targets (roofline model)')
    .requiredOption('--model <id|file.yaml>', 'model id (grok-1, llama3-70b, llama2-70b, ...) or model YAML')
    .option('--gpu <id>', `GPU: ${gpuIds.join(', ')}`, 'h100')
    .option('--rps <n>', 'requests per second to serve (required unless --max-throughput)')
    .option('--input-tokens <n>', 'prompt tokens per request', '1000')
    .option('--output-tokens <n>', 'completion tokens per request', '300')
    .option('--ttft-p99 <duration>', 'time-to-first-token target at p99, e.g. 1s, 500ms')
    .option('--tpot-p99 <duration>', 'time-per-output-token target at p99, e.g. 50ms')
    .option('--precision <p>', 'weights and KV cache: bf16 or fp8', 'bf16')
    .option('--layout <spec>', 'fix one replica\'s parallelism: tp=N[,ep=M]')
    .option('--max-throughput', 'saturated throughput of one replica, no load (how serving benchmarks run)')
    .option('--batch <n>', 'fix the decode batch (static-batch benchmarks)')
    .option('--price-per-gpu-hour <usd>', 'override the rental price per GPU-hour')
    .option('--json', 'print the plan as JSON')
    .action(async (o: PlanServeOptions) => {
      const model = resolveModel(o.model);
      const gpu = resolveGpu(o.gpu);
      const precision = resolvePrecision(o.precision, gpu);
      const shape = { inputTokens: parsePositiveInt('--input-tokens', o.inputTokens), outputTokens: parsePositiveInt('--output-tokens', o.outputTokens) };
      const price = o.pricePerGpuHour === undefined ? undefined : Number(o.pricePerGpuHour);
      if (price !== undefined && !(price >= 0)) throw new InputError({ field: '--price-per-gpu-hour', value: o.pricePerGpuHour, expected: 'USD per GPU-hour >= 0, e.g. 2.5' });
      const input = {
        model, gpu, precision, shape,
        ...(o.layout !== undefined ? { layout: parseLayout(o.layout) } : {}),
        ...(o.batch !== undefined ? { batchSize: parsePositiveInt('--batch', o.batch) } : {}),
        ...(o.ttftP99 !== undefined ? { ttftP99TargetSeconds: parseDurationSeconds('--ttft-p99', o.ttftP99) } : {}),
        ...(o.tpotP99 !== undefined ? { tpotP99TargetSeconds: parseDurationSeconds('--tpot-p99', o.tpotP99) } : {}),
        ...(price !== undefined ? { pricePerGpuHourUsd: price } : {}),
      };
      let result: ServingPlan;
      let rps: number | undefined;
      if (o.maxThroughput) result = maxThroughput(input);
      else {
        if (o.rps === undefined) throw new InputError({ field: '--rps', expected: 'requests per second, e.g. --rps 5000 (or use --max-throughput)' });
        rps = Number(o.rps);
        if (!(rps > 0) || !Number.isFinite(rps)) throw new InputError({ field: '--rps', value: o.rps, expected: 'a number of requests per second > 0' });
        result = planServing({ ...input, requestsPerSecond: rps });
      }
      if (o.json) process.stdout.write(JSON.stringify({ ...result, assumptions: DEFAULT_ASSUMPTIONS }, null, 2) + '\n');
      else process.stdout.write(formatServingPlan(result, { maxThroughput: o.maxThroughput === true, ...input, ...(rps !== undefined ? { requestsPerSecond: rps } : {}) }) + '\n');
    });
}
