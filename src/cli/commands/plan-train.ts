import type { Command } from 'commander';
import { gpuIds, type GpuSpec } from '../../catalog/gpus.ts';
import { parseCount as parseCountOf } from '../../lib/count.ts';
import { InputError } from '../../lib/errors.ts';
import type { Precision } from '../../plan/context.ts';
import { fleetHardware, homogeneousHardware } from '../../plan/fleet-hardware.ts';
import { formatTrainPlan } from '../../plan/format-train.ts';
import { parseLayout } from '../../plan/layout.ts';
import { planTrain } from '../../plan/train-plan.ts';
import { powersOfTwo, sweepTrain } from '../../plan/sweep.ts';
import { formatSweep } from '../../plan/format-sweep.ts';
import { PLAN_MODES, type PlanMode } from '../../plan/production.ts';
import { DEFAULT_STACK_NAME, formatStack, parseStack, STACK_KEYS, STACK_NAMES } from '../../plan/stack.ts';
import { FLEET_ARG_HELP, loadFleet } from '../fleet-arg.ts';
import { MODEL_ARG_HELP, loadModel } from '../model-arg.ts';
import { trainPlanHtml } from '../../web/report-html.ts';
import { writeOutputFile } from '../output-file.ts';

/** `15T`, `2.5e12`, `16M`: a positive count with an optional K/M/B/T suffix (one implementation, in src/lib/count.ts). */
export const parseCount = (text: string, field: string): number => parseCountOf(text, field);

function positiveInt(text: string, field: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new InputError({ field, value: text, expected: 'a positive whole number' });
  return v;
}

interface Options {
  model: string; fleet?: string; gpu?: string; gpus?: string; tokens?: string; precision: string; seq?: string;
  globalBatch?: string; top: string; json?: boolean; html?: string; layout?: string; explain?: boolean; stack?: string; mode: string;
}

/** Registers `plan train`. */
export function register(plan: Command): void {
  plan.command('train')
    .description('Best parallel layout, step time, MFU, days, energy and cost to train a model on a fleet or a homogeneous cluster')
    .requiredOption('--model <id|file>', MODEL_ARG_HELP)
    .option('--fleet <name|file>', FLEET_ARG_HELP)
    .option('--gpu <id>', `plan on a homogeneous cluster of this GPU in 8-GPU nodes (${gpuIds.join(', ')})`)
    .option('--gpus <n|from..to>', 'GPUs to use (with --gpu: the cluster size; with --fleet: at most the fleet); FROM..TO sweeps the powers of two between them: best layout and days at each size')
    .option('--tokens <n>', 'training tokens, e.g. 15T (default: 20 tokens per parameter, Chinchilla)')
    .option('--precision <p>', 'bf16 or fp8', 'bf16')
    .option('--seq <n>', 'sequence length (default: the model context)')
    .option('--global-batch <tokens>', 'global batch in tokens, e.g. 16M (to whole sequences), used exactly: layouts whose dp x mbs does not divide it are not planned (default: DeepSeek LLM batch law from the compute budget)')
    .option('--layout <spec>', 'evaluate this layout, e.g. tp=8,pp=16,vpp=4,dp=64,cp=1,ep=1,mbs=1,zero=1,sp=on,recompute=selective (missing keys are searched); also reshard=off, etp=N (MoE folding) and shard=N (HSDP: ZeRO-3 sharded within groups of N ranks, replicated across them)')
    .option('--stack <name[,key=value...]>', `software stack: ${STACK_NAMES.join(', ')} (default ${DEFAULT_STACK_NAME}); keys ${STACK_KEYS.join(', ')}, e.g. fsdp,attention=fa2`)
    .option('--mode <m>', 'benchmark (default: what published benchmark runs measure, the validated mode) or production (adds stragglers, data loading, logging and checkpoint stalls, each sourced)', 'benchmark')
    .option('--top <n>', 'layouts to report: the best and the runners-up', '5')
    .option('--explain', 'list why layouts were rejected and the assumptions used')
    .option('--json', 'print JSON')
    .option('--html <file>', 'also write a self-contained HTML page: the layouts compared and each one\'s step-time breakdown')
    .action((o: Options) => {
      const model = loadModel(o.model);
      if (o.precision !== 'bf16' && o.precision !== 'fp8') throw new InputError({ field: '--precision', value: o.precision, expected: 'bf16 or fp8' });
      const precision = o.precision as Precision;
      if (o.fleet !== undefined && o.gpu !== undefined) throw new InputError({ field: '--gpu', value: o.gpu, expected: 'either --fleet or --gpu, not both' });
      const range = o.gpus !== undefined ? /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(o.gpus) : null;
      const sizes = range ? powersOfTwo(positiveInt(range[1]!, '--gpus FROM..TO'), positiveInt(range[2]!, '--gpus FROM..TO')) : undefined;
      if (sizes !== undefined && sizes.length === 0) throw new InputError({ field: '--gpus', value: o.gpus, expected: 'FROM..TO with a power of two between them, e.g. 1024..131072' });
      const gpus = sizes ? sizes[sizes.length - 1] : o.gpus !== undefined ? positiveInt(o.gpus, '--gpus') : undefined;
      let hardware;
      let hardwareFor: (n: number) => ReturnType<typeof homogeneousHardware>;
      if (o.gpu !== undefined) {
        if (!(gpuIds as string[]).includes(o.gpu)) throw new InputError({ field: '--gpu', value: o.gpu, expected: `one of ${gpuIds.join(', ')}` });
        if (gpus === undefined) throw new InputError({ field: '--gpus', value: undefined, expected: 'the number of GPUs with --gpu (e.g. --gpu h100 --gpus 16384)' });
        hardwareFor = (n) => homogeneousHardware(o.gpu as GpuSpec['id'], n);
        hardware = hardwareFor(gpus);
      } else if (o.fleet !== undefined) {
        const fleet = loadFleet(o.fleet);
        hardwareFor = (n) => fleetHardware(fleet, n);
        hardware = hardwareFor(gpus ?? Number.NaN);
        if (gpus === undefined) hardware = fleetHardware(fleet, undefined);
      } else {
        throw new InputError({ field: '--fleet', value: undefined, expected: `${FLEET_ARG_HELP}, or --gpu ${gpuIds.join('|')} --gpus N` });
      }
      if (precision === 'fp8' && hardware.gpu.peakDenseFp8FlopsPerSecond.value === null) {
        throw new InputError({ field: '--precision', value: 'fp8', expected: `bf16: ${hardware.gpu.name} has no FP8 tensor cores` });
      }
      const seq = o.seq !== undefined ? positiveInt(o.seq, '--seq') : model.context;
      const tokens = o.tokens !== undefined ? parseCount(o.tokens, '--tokens') : undefined;
      const fixed = o.layout !== undefined ? parseLayout(o.layout) : undefined;
      let globalBatchSeqs: number | undefined;
      if (o.globalBatch !== undefined) {
        const batchTokens = parseCount(o.globalBatch, '--global-batch');
        globalBatchSeqs = Math.round(batchTokens / seq);
        if (globalBatchSeqs < 1) throw new InputError({ field: '--global-batch', value: o.globalBatch, expected: `at least one sequence (${seq} tokens)` });
      }
      const stack = parseStack(o.stack ?? DEFAULT_STACK_NAME);
      if (!(PLAN_MODES as readonly string[]).includes(o.mode)) throw new InputError({ field: '--mode', value: o.mode, expected: PLAN_MODES.join(' or ') });
      const mode = o.mode as PlanMode;
      const paramsTotal = model.publishedParams;
      if (sizes) {
        const rows = sweepTrain({ model, precision, seq, tokens: tokens ?? 20 * paramsTotal, stack, mode }, sizes, hardwareFor, { ...(fixed ? { fixed } : {}), ...(globalBatchSeqs ? { globalBatchSeqs } : {}) });
        process.stdout.write((o.json ? JSON.stringify({ model: model.name, stack: formatStack(stack), sweep: rows }, null, 2) : formatSweep(model.name, formatStack(stack), rows)) + '\n');
        return;
      }
      const plan = planTrain(
        { model, hardware, precision, seq, tokens: tokens ?? 20 * paramsTotal, stack, mode },
        { top: positiveInt(o.top, '--top'), ...(fixed ? { fixed } : {}), ...(globalBatchSeqs ? { globalBatchSeqs } : {}) },
      );
      if (o.html !== undefined) writeOutputFile('--html', o.html, trainPlanHtml(plan));
      process.stdout.write((o.json ? JSON.stringify(plan, (_k, v) => (v === Number.POSITIVE_INFINITY ? null : v), 2) : formatTrainPlan(plan, o.explain === true)) + '\n');
    });
}
