/**
 * `gigafactory up --executor local|slurm|sim`: the executor and the cluster it schedules onto,
 * from command-line flags.
 * - slurm: with `--slurm-placement gigafactory` (default) Gigafactory's scheduler picks the nodes
 *   (--nodelist); with `slurm` it only decides what starts when (priorities, quotas,
 *   preemption) and Slurm's select plugin picks the nodes. The cluster is read from Slurm.
 * - sim: the simulator's executor over the nodes of a fleet (`--sim-fleet`), `--sim-speed`
 *   times faster than wall time, on a real-time event kernel whose failure process (the
 *   simulator's) fails nodes at `--sim-failure-rate`, drawn from `--sim-seed` (sim/executor.ts).
 * - `--rent-pool`: sim rents from a simulated provider; local from the pool's real provider
 *   (Oracle Cloud, ./providers/rent-provider.ts), its rented nodes' ranks running on this
 *   machine; slurm refuses it (Slurm's own power saving drives cloud nodes: `slurm config --cloud`).
 */
import { buildTopology } from '../fleet/topology.ts';
import type { ClusterTopology, FleetSpec, PoolSpec } from '../fleet/types.ts';
import { InputError } from '../lib/errors.ts';
import type { Executor } from './executor.ts';
import { localTopology } from './cluster.ts';
import { detectHost } from './host.ts';
import { LocalExecutor } from './local/executor.ts';
import { rentProviderFor, type RentProviderOptions } from './providers/rent-provider.ts';
import { withRentedPool } from './rented-topology.ts';
import { SimulatedProvider, wallClock, type Provider } from './provider.ts';
import { SimCluster, SimExecutor } from './sim/executor.ts';
import { readSlurmTopology } from './slurm/cluster-topology.ts';
import { SlurmExecutor } from './slurm/executor.ts';

export const EXECUTORS = ['local', 'slurm', 'sim'] as const;
export const PLACEMENTS = ['gigafactory', 'slurm'] as const;

export interface ExecutorFlags {
  readonly executor?: string;
  /** slurm.conf of the cluster (default: $SLURM_CONF, else Slurm's own default). */
  readonly slurmConf?: string;
  readonly slurmPlacement?: string;
  readonly slurmPartition?: string;
  /** With --executor sim: the fleet whose nodes are simulated (the CLI loads it from a preset or file). */
  readonly simFleet?: FleetSpec;
  readonly simSpeed?: string;
  readonly simFailureRate?: string;
  /** Seed of the failure draws (as `sim --seed`). */
  readonly simSeed?: string;
  /** `--rent-pool`, resolved: its nodes join the topology, down until rented (needs a provider). */
  readonly rentPool?: PoolSpec;
  /** With --executor local and --rent-pool: this machine's local nodes (`--local-nodes`). */
  readonly localNodes?: number;
  /** `--oci-config FILE`, `--oci-profile NAME` (and test knobs) for a pool with provider: oracle. */
  readonly rent?: RentProviderOptions;
}

/** A numeric flag, or undefined when not given. */
function numberFlag(v: string | undefined, flag: string, allowZero: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) throw new InputError({ field: flag, value: v, expected: allowZero ? 'a number >= 0' : 'a number > 0' });
  return n;
}

/** Undefined for the local executor; else the executor and the topology it runs on. */
export async function executorFromFlags(f: ExecutorFlags): Promise<{ executor: Executor; topology: ClusterTopology; fleet?: FleetSpec; provider?: Provider; clusterSpeed?: number } | undefined> {
  const name = f.executor ?? 'local';
  if (!(EXECUTORS as readonly string[]).includes(name)) throw new InputError({ field: '--executor', value: name, expected: `one of ${EXECUTORS.join(', ')}` });
  if (f.rentPool !== undefined && name === 'slurm') {
    throw new InputError({ field: '--rent-pool', value: f.rentPool.name, expected: `no --rent-pool with --executor slurm: Slurm's own power saving rents cloud nodes there. Write the pool as Slurm cloud nodes with \`gigafactory slurm config FLEET --cloud\` (its ResumeProgram launches them), then run up --executor slurm without --rent-pool` });
  }
  if (name === 'local') {
    if (f.rentPool === undefined) return undefined;
    // This machine's nodes, then the pool's; a rented node's ranks run here too (docs/readme/renting.md).
    const host = detectHost();
    const topology = withRentedPool(localTopology(host, f.localNodes ?? 1), f.rentPool);
    const provider = await rentProviderFor(topology, f.rentPool, f.rent ?? {});
    return { executor: new LocalExecutor({ gpuCount: host.gpus.length }), topology, provider };
  }
  if (name === 'sim') {
    if (f.simFleet === undefined) throw new InputError({ field: '--sim-fleet', value: '(missing)', expected: 'a fleet preset or YAML file whose nodes to simulate, e.g. --sim-fleet colossus-100k' });
    const speed = numberFlag(f.simSpeed, '--sim-speed', false);
    const rate = numberFlag(f.simFailureRate, '--sim-failure-rate', true);
    const seed = numberFlag(f.simSeed, '--sim-seed', true);
    if (seed !== undefined && !Number.isInteger(seed)) throw new InputError({ field: '--sim-seed', value: f.simSeed!, expected: 'a whole number >= 0, as sim --seed' });
    const pool = f.rentPool;
    const fleet = pool ? { ...f.simFleet, pools: [pool] } : f.simFleet;
    const topology = pool ? buildTopology(fleet, { includePools: true }) : buildTopology(fleet);
    if (topology.nodes.every((n) => n.rented)) throw new InputError({ field: '--sim-fleet', value: f.simFleet.name, expected: 'a fleet with owned nodes (add rented ones with --rent-pool)' });
    const cluster = new SimCluster({
      nodes: topology.nodes.map((n) => n.name), ...(speed !== undefined ? { speed } : {}),
      ...(rate !== undefined ? { failuresPer1000NodeDays: rate } : {}), ...(seed !== undefined ? { seed } : {}),
    });
    // One clock: the plane turns the cluster's durations into wall time by this speed (./cluster-time.ts).
    return { executor: new SimExecutor(cluster), topology, fleet, clusterSpeed: cluster.speed, ...(pool ? { provider: new SimulatedProvider(topology, [pool], wallClock(cluster.speed)) } : {}) };
  }
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
