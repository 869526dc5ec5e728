import type { ModelArch } from '../catalog/model-arch.ts';
import { MODELS, modelIds } from '../catalog/models.ts';
import type { FleetSpec } from '../fleet/types.ts';
import { ImpossibleError, UnknownNameError } from '../lib/errors.ts';
import { fleetHardware } from '../plan/fleet-hardware.ts';
import { maxThroughput } from '../plan/serve/planner.ts';
import { planTrain } from '../plan/train-plan.ts';

/**
 * The twin sized by the planner: what a synthetic workload needs to know about a fleet's GPUs,
 * from `plan train` and `plan serve` on that fleet (never a hard-coded GPU count or capacity).
 * Plans are memoized per (fleet, model, GPUs): the search takes ~0.1 s, a mix asks a few times.
 */
export interface TrainSize {
  readonly model: string;
  readonly modelId: string;
  readonly gpus: number;
  /** What `plan train --model M --fleet F --gpus N` prints as tokensPerSecondPerGpu and stepSeconds. */
  readonly tokensPerSecondPerGpu: number;
  readonly stepSeconds: number;
  readonly layout: string;
  /** The planner's Daly interval and blocking checkpoint cost for this gang (the engine derives the same from its failure model). */
  readonly checkpointIntervalSeconds: number;
  readonly checkpointSeconds: number;
  readonly source: string;
}

export interface ServeSize {
  readonly model: string;
  readonly modelId: string;
  readonly gpusPerReplica: number;
  readonly capacityTokensPerSecondPerReplica: number;
  /** What `plan serve --max-throughput` prints as outputTokensPerSecondPerGpu. */
  readonly tokensPerSecondPerGpu: number;
  readonly precision: string;
  readonly source: string;
}

/** Latency targets a synthetic service is sized at (workload assumption: the README's plan serve example). */
export const SERVING_TARGETS = { inputTokens: 1000, outputTokens: 300, ttftP99Seconds: 1, tpotP99Seconds: 0.05 } as const;

export interface TwinSizing {
  readonly fleet: string;
  readonly gpu: string;
  readonly gpusPerNode: number;
  /** `tokens`: the run's budget (the planner's default batch follows it); default 20 tokens per parameter. */
  train(modelId: string, gpus: number, tokens?: number): TrainSize;
  serve(modelId: string): ServeSize;
}

function model(id: string): ModelArch {
  const m = MODELS[id];
  if (m === undefined) throw new UnknownNameError('model', id, modelIds);
  return m;
}

const trainCache = new Map<string, TrainSize>();
const serveCache = new Map<string, ServeSize>();

/** Sizing for a fleet: its main GPU type and node size, as the training planner reads them (fleetHardware). */
export function twinSizing(fleet: FleetSpec): TwinSizing {
  const hw = fleetHardware(fleet);
  const key = `${fleet.name}|${hw.gpu.id}|${hw.gpusPerNode}|${hw.gpus}`;
  return {
    fleet: fleet.name, gpu: hw.gpu.id, gpusPerNode: hw.gpusPerNode,
    train(modelId, gpus, tokens) {
      const k = `${key}|${modelId}|${gpus}|${tokens ?? ''}`;
      let s = trainCache.get(k);
      if (s === undefined) {
        const m = model(modelId);
        const p = planTrain({ model: m, hardware: fleetHardware(fleet, Math.min(gpus, hw.gpus)), precision: 'bf16', seq: m.context, tokens: tokens ?? 20 * m.publishedParams }, { top: 1 });
        s = {
          model: p.model, modelId, gpus, tokensPerSecondPerGpu: p.tokensPerSecondPerGpu, stepSeconds: p.stepSeconds, layout: p.layout.text,
          checkpointIntervalSeconds: p.goodput.checkpointIntervalMinutes * 60, checkpointSeconds: p.goodput.checkpointSeconds,
          source: `plan train --model ${modelId} --fleet ${fleet.name} --gpus ${gpus}${tokens !== undefined ? ` --tokens ${tokens.toExponential(2)}` : ''}: ${p.layout.text}, ${p.tokensPerSecondPerGpu.toFixed(1)} tokens/s/GPU`,
        };
        trainCache.set(k, s);
      }
      return s;
    },
    serve(modelId) {
      const k = `${key}|${modelId}`;
      let s = serveCache.get(k);
      if (s === undefined) {
        const m = model(modelId);
        const precision = hw.gpu.peakDenseFp8FlopsPerSecond.value === null ? 'bf16' : 'fp8';
        const shape = { inputTokens: SERVING_TARGETS.inputTokens, outputTokens: SERVING_TARGETS.outputTokens };
        const base = { model: m, gpu: hw.gpu, precision, shape, gpusPerNvlinkDomain: hw.gpusPerNode } as const;
        let p, targets = ` --ttft-p99 ${SERVING_TARGETS.ttftP99Seconds}s --tpot-p99 ${SERVING_TARGETS.tpotP99Seconds * 1000}ms`;
        try {
          p = maxThroughput({ ...base, ttftP99TargetSeconds: SERVING_TARGETS.ttftP99Seconds, tpotP99TargetSeconds: SERVING_TARGETS.tpotP99Seconds });
        } catch (e) {
          if (!(e instanceof ImpossibleError)) throw e;
          // No layout meets the targets on this GPU (Grok-1 on A100): size at saturated throughput, and say so.
          p = maxThroughput(base);
          targets = ' (no layout meets the latency targets on this GPU: saturated throughput)';
        }
        s = {
          model: p.model, modelId, gpusPerReplica: p.gpusPerReplica, capacityTokensPerSecondPerReplica: p.outputTokensPerSecondPerReplica,
          tokensPerSecondPerGpu: p.outputTokensPerSecondPerGpu, precision,
          source: `plan serve --model ${modelId} --gpu ${hw.gpu.id} --precision ${precision} --max-throughput --input-tokens ${shape.inputTokens} --output-tokens ${shape.outputTokens}${targets}: tp=${p.layout.tp},ep=${p.layout.ep}, ${p.outputTokensPerSecondPerReplica.toFixed(0)} output tokens/s per replica`,
        };
        serveCache.set(k, s);
      }
      return s;
    },
  };
}
