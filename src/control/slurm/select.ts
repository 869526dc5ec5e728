/**
 * `gigafactory up --executor slurm`: the Slurm executor and the cluster it schedules onto,
 * from command-line flags. With `--slurm-placement gigafactory` (default) Gigafactory's
 * scheduler picks the nodes (--nodelist); with `slurm` it only decides what starts when
 * (priorities, quotas, preemption) and Slurm's select plugin picks the nodes.
 */
import type { ClusterTopology } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import type { Executor } from '../executor.ts';
import { readSlurmTopology } from './cluster-topology.ts';
import { SlurmExecutor } from './executor.ts';

export const EXECUTORS = ['local', 'slurm'] as const;
export const PLACEMENTS = ['gigafactory', 'slurm'] as const;

export interface ExecutorFlags {
  readonly executor?: string;
  /** slurm.conf of the cluster (default: $SLURM_CONF, else Slurm's own default). */
  readonly slurmConf?: string;
  readonly slurmPlacement?: string;
  readonly slurmPartition?: string;
}

/** Undefined for the local executor; else the Slurm executor and the topology read from Slurm. */
export async function executorFromFlags(f: ExecutorFlags): Promise<{ executor: Executor; topology: ClusterTopology } | undefined> {
  const name = f.executor ?? 'local';
  if (!(EXECUTORS as readonly string[]).includes(name)) throw new InputError({ field: '--executor', value: name, expected: `one of ${EXECUTORS.join(', ')}` });
  if (name === 'local') return undefined;
  const placement = f.slurmPlacement ?? 'gigafactory';
  if (!(PLACEMENTS as readonly string[]).includes(placement)) {
    throw new InputError({ field: '--slurm-placement', value: placement, expected: `one of ${PLACEMENTS.join(', ')} (who picks the nodes)` });
  }
  const confPath = f.slurmConf ?? process.env['SLURM_CONF'];
  const executor = new SlurmExecutor({
    ...(confPath !== undefined ? { confPath } : {}), placement: placement as 'gigafactory' | 'slurm',
    ...(f.slurmPartition !== undefined ? { partition: f.slurmPartition } : {}),
  });
  try {
    return { executor, topology: await readSlurmTopology(executor.cli) };
  } catch (e) {
    await executor.close();
    throw e;
  }
}
