import { dalyEttr, dalyIntervalSeconds, RELIABILITY_DEFAULTS, restartSeconds, youngIntervalSeconds } from '../catalog/reliability.ts';

/** Time lost to failures at a job's scale, and the checkpoint interval that minimises it. */
export interface Goodput {
  readonly nodes: number;
  /** Mean time between unexpected job interruptions, hours (Llama 3 rate x nodes). */
  readonly mtbfHours: number;
  readonly interruptionsPerDay: number;
  /** Young (sqrt(2 delta M)) and Daly (higher order, used) optimal checkpoint intervals, minutes. */
  readonly youngIntervalMinutes: number;
  readonly checkpointIntervalMinutes: number;
  /** Blocking seconds per checkpoint, and restart (detect + relaunch + reload) seconds per failure. */
  readonly checkpointSeconds: number;
  readonly restartSeconds: number;
  /** Effective training time ratio: useful time / wall time (Daly, plus planned interruptions). */
  readonly ettr: number;
  /** 1 - ettr: fraction of wall time lost to failures, checkpoints and restarts. */
  readonly lostFraction: number;
  readonly source: string;
}

/**
 * Goodput of a synchronous job on `nodes` nodes of `gpusPerNode` GPUs: failures arrive at Llama 3's
 * rate per node-day (exponential), each costs detection + restart + checkpoint reload + the work since
 * the last checkpoint; checkpoints cost `checkpointBlockingSeconds` each, at Daly's optimal interval.
 * Planned interruptions (Llama 3: 47 in 54 days) each cost a restart too.
 */
export function goodput(gpus: number, gpusPerNode: number, checkpointBlockingSeconds?: number): Goodput {
  const d = RELIABILITY_DEFAULTS;
  const nodes = Math.ceil(gpus / gpusPerNode);
  const failuresPerDay = (d.unexpectedFailuresPer1000NodeDays / 1000) * nodes;
  const mtbfSeconds = 86_400 / failuresPerDay;
  const restart = d.detectionSeconds + restartSeconds(gpus) + d.checkpointLoadSeconds;
  const delta = checkpointBlockingSeconds ?? d.checkpointBlockingSeconds;
  const interval = dalyIntervalSeconds(delta, mtbfSeconds);
  const unplanned = dalyEttr(interval, delta, restart, mtbfSeconds);
  const planned = 1 - (d.plannedInterruptionsPerDay * restart) / 86_400;
  const ettr = Math.max(0, unplanned * planned);
  return {
    nodes, mtbfHours: mtbfSeconds / 3600, interruptionsPerDay: failuresPerDay + d.plannedInterruptionsPerDay,
    youngIntervalMinutes: youngIntervalSeconds(delta, mtbfSeconds) / 60, checkpointIntervalMinutes: interval / 60,
    checkpointSeconds: delta, restartSeconds: restart, ettr, lostFraction: 1 - ettr,
    source: `${d.sources.rate.ref}; restart ${d.sources.restart.ref}; checkpoint ${d.sources.checkpoint.ref}; reload ${d.sources.load.ref}`,
  };
}
