import { dalyIntervalSeconds } from '../catalog/reliability.ts';
import { nodeFailureRatePerSecond, type FailureModel } from './failures.ts';
import type { SimOptions } from './types.ts';

/**
 * Checkpoint interval of a job of `nodes` nodes: the given minutes, or Daly's optimum for the
 * job's own MTBF (a series system of its nodes: M = 1 / (nodes x per-node failure rate)).
 */
export function checkpointIntervalSeconds(options: Pick<SimOptions, 'checkpointMinutes'>, f: FailureModel, nodes: number): number {
  if (options.checkpointMinutes !== 'auto') return options.checkpointMinutes * 60;
  const rate = nodeFailureRatePerSecond(f) * Math.max(1, nodes);
  if (!(rate > 0)) return Infinity;
  return dalyIntervalSeconds(f.checkpointSaveSeconds, 1 / rate);
}
