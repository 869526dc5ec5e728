import { isUserError } from '../lib/errors.ts';
import type { TrainRequest } from './context.ts';
import type { ClusterHardware } from './hardware.ts';
import type { SearchOptions } from './search.ts';
import { planTrain } from './train-plan.ts';

/** One cluster size of a sweep: the best layout and what it gives, or why nothing could be planned. */
export interface SweepRow {
  readonly gpus: number;
  readonly layout?: string;
  readonly gpusUsed?: number;
  readonly tokensPerSecond?: number;
  readonly mfu?: number;
  readonly days?: number;
  readonly gpuHours?: number;
  readonly costRentedUsd?: number;
  /** Tokens/s gained over the previous size, divided by the GPU ratio: 1 = perfect scaling, 0 = adding GPUs bought nothing. */
  readonly scalingEfficiency?: number;
  readonly error?: string;
}

/** Powers of two from `from` to `to` (both rounded into the range: 1000..5000 gives 1024, 2048, 4096). */
export function powersOfTwo(from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = 2 ** Math.ceil(Math.log2(from)); n <= to; n *= 2) out.push(n);
  return out;
}

/**
 * The best layout and days to train at each cluster size: where adding GPUs stops paying. `hardwareFor`
 * builds the cluster of n GPUs (a homogeneous one, or the first n of a fleet). Each size is a full search.
 */
export function sweepTrain(base: Omit<TrainRequest, 'hardware'>, sizes: readonly number[], hardwareFor: (gpus: number) => ClusterHardware, opts: SearchOptions = {}): SweepRow[] {
  const rows: SweepRow[] = [];
  let prev: { gpus: number; tps: number } | undefined;
  for (const gpus of sizes) {
    try {
      const p = planTrain({ ...base, hardware: hardwareFor(gpus) }, { ...opts, top: 1 });
      rows.push({
        gpus, layout: p.layout.text, gpusUsed: p.gpusUsed, tokensPerSecond: p.tokensPerSecond, mfu: p.mfu, days: p.daysToTrain, gpuHours: p.gpuHours, costRentedUsd: p.costRentedUsd,
        ...(prev ? { scalingEfficiency: (p.tokensPerSecond / prev.tps - 1) / (gpus / prev.gpus - 1) } : {}),
      });
      prev = { gpus, tps: p.tokensPerSecond };
    } catch (e) {
      if (!isUserError(e)) throw e;
      rows.push({ gpus, error: e.message.split('\n')[0]! });
    }
  }
  return rows;
}
