/**
 * Writes Slurm's configuration (slurm.conf, gres.conf, topology.conf) for a fleet's cluster
 * topology: GPUs as typed GRES, switches from the leaf/spine layout (topology/tree), one
 * partition for everything plus one per hall or rented pool. Pure: returns file texts.
 *
 * `local` emulates the cluster on one machine (what tests and the benchmark run): every node
 * is `NodeHostname=localhost` with its own slurmd port from a range, fake GPU device files,
 * and all state, spool, log and pid files under one directory.
 */
import type { ClusterNode, ClusterTopology } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import { compressHostlist, expandHostlist } from './hostlist.ts';

/** Per-node hardware Slurm must know (from the node catalog). */
export interface SlurmNodeHardware {
  readonly cpus: number;
  readonly realMemoryMiB: number;
}

export interface LocalEmulation {
  /** Root of state, spool, logs, pid files and the munge socket. */
  readonly dir: string;
  readonly controllerPort: number;
  /** slurmd ports are firstNodePort, firstNodePort+1, ... in node order. */
  readonly firstNodePort: number;
  readonly mungeSocket: string;
}

/**
 * Rented pools as Slurm cloud nodes (Slurm's power-saving and cloud scheduling guides): their
 * nodes are `State=CLOUD`, powered up on demand by `ResumeProgram` (which asks the pool's
 * provider for the node) and powered down by `SuspendProgram` after `SuspendTime` idle seconds.
 */
export interface SlurmCloudOptions {
  readonly resumeProgram: string;
  readonly suspendProgram: string;
  /** Idle seconds before Slurm powers a cloud node down (the pool's idle release). */
  readonly suspendTimeSeconds: number;
  /** Most seconds from resume request to a registered node: the pool's lead time plus boot. */
  readonly resumeTimeoutSeconds: number;
}

export interface SlurmConfOptions {
  readonly clusterName: string;
  /** SlurmctldHost (ignored with `local`: localhost). */
  readonly controllerHost: string;
  readonly hardwareOf: (node: ClusterNode) => SlurmNodeHardware;
  readonly local?: LocalEmulation;
  /** Price per GPU-hour of a rented pool, for node weights (cheaper pools are used first). */
  readonly poolPricePerGpuHourUsd?: (pool: string) => number | undefined;
  /** Write rented nodes as cloud nodes with power saving (absent: ordinary nodes). */
  readonly cloud?: SlurmCloudOptions;
}

export interface SlurmConfigFiles {
  readonly 'slurm.conf': string;
  readonly 'gres.conf': string;
  readonly 'topology.conf': string;
  /** With cloud nodes: Slurm's ResumeProgram and SuspendProgram (executable scripts). */
  readonly 'slurm-resume'?: string;
  readonly 'slurm-suspend'?: string;
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** GRES type from a GPU id: lower-case alphanumerics (Slurm matches `--gres=gpu:TYPE:N`). */
export const gresType = (gpuType: string): string => gpuType.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Partition name for a hall or pool name (Slurm accepts letters, digits, `_`, `-`). */
export const partitionName = (pool: string): string => pool.replace(/[^A-Za-z0-9_-]/g, '_');

interface NodeGroup { names: string[]; hw: SlurmNodeHardware; gpuType: string; gpus: number; weight: number; cloud: boolean }

/**
 * Slurm allocates the lowest `Weight` first. Owned nodes are 1, so they fill before any rented
 * one; a rented node is 1 + its pool's price in cents per GPU-hour, so a cheaper pool fills
 * before a dearer one (an unpriced pool sorts after every priced one).
 */
const UNPRICED_WEIGHT = 1_000_000;

export function nodeWeight(node: Pick<ClusterNode, 'rented' | 'pool'>, priceOf?: (pool: string) => number | undefined): number {
  if (!node.rented) return 1;
  const price = priceOf?.(node.pool);
  return price === undefined ? UNPRICED_WEIGHT : 1 + Math.max(1, Math.round(price * 100));
}

/** Nodes with identical hardware and GPUs, in first-seen order, so each group is one NodeName line. */
/**
 * The inverse of `nodeWeight`, for a cluster read back from Slurm: Weight 1 is owned, a higher
 * one rented at (Weight - 1) cents per GPU-hour (the unpriced pool's weight gives no price).
 */
export function capacityFromWeight(weight: number): { rented: boolean; pricePerGpuHourUsd?: number } {
  if (!(weight > 1)) return { rented: false };
  return weight >= UNPRICED_WEIGHT ? { rented: true } : { rented: true, pricePerGpuHourUsd: (weight - 1) / 100 };
}

function groupNodes(topology: ClusterTopology, o: SlurmConfOptions): NodeGroup[] {
  const groups = new Map<string, NodeGroup>();
  for (const node of topology.nodes) {
    if (!NAME_RE.test(node.name)) {
      throw new InputError({ field: `nodes[${node.index}].name`, value: node.name, expected: 'a Slurm node name: a letter, then letters, digits, "_" or "-"' });
    }
    const hw = o.hardwareOf(node);
    const weight = nodeWeight(node, o.poolPricePerGpuHourUsd);
    const cloud = o.cloud !== undefined && node.rented;
    const key = `${hw.cpus}/${hw.realMemoryMiB}/${node.gpuType}/${node.gpus}/${weight}/${cloud}`;
    let g = groups.get(key);
    if (g === undefined) { g = { names: [], hw, gpuType: node.gpuType, gpus: node.gpus, weight, cloud }; groups.set(key, g); }
    g.names.push(node.name);
  }
  return [...groups.values()];
}

function header(o: SlurmConfOptions): string[] {
  const l = o.local;
  const common = [
    `# Written by \`gigafactory slurm config\`${l ? ' (local emulation: every node on this machine)' : ''}.`,
    `ClusterName=${o.clusterName}`,
    `SlurmctldHost=${l ? 'localhost' : o.controllerHost}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    'GresTypes=gpu',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'TopologyPlugin=topology/tree',
    'MpiDefault=none',
    // Gigafactory requeues from its own checkpoints; Slurm must not silently rerun a job.
    'JobRequeue=0',
  ];
  if (l === undefined) {
    return [...common,
      'SlurmctldPort=6817', 'SlurmdPort=6818', 'SlurmUser=slurm',
      // Nodes DOWN for not responding return when they answer again; an admin's DOWN stays.
      'ReturnToService=1',
      // Finished jobs stay visible to `squeue --json` long enough for the executor to read the exit.
      'MinJobAge=300',
      'SelectTypeParameters=CR_Core_Memory',
      'ProctrackType=proctrack/cgroup', 'TaskPlugin=task/cgroup,task/affinity',
      'JobAcctGatherType=jobacct_gather/cgroup', 'AccountingStorageType=accounting_storage/none',
      'StateSaveLocation=/var/spool/slurmctld', 'SlurmdSpoolDir=/var/spool/slurmd',
      'SlurmctldPidFile=/run/slurmctld.pid', 'SlurmdPidFile=/run/slurmd.pid',
      'SlurmctldLogFile=/var/log/slurm/slurmctld.log', 'SlurmdLogFile=/var/log/slurm/slurmd.log',
    ];
  }
  const d = l.dir;
  return [...common,
    `SlurmctldPort=${l.controllerPort}`, 'SlurmUser=root', 'SlurmdUser=root',
    // As on a real cluster: a node that stopped responding returns when it answers again, one an
    // admin (or a test) set DOWN stays down until RESUME, so the executor can see which node failed.
    'ReturnToService=1',
    // `squeue --json` lists every remembered job (22.05 ignores --jobs/--states with --json):
    // forget finished ones after a minute so polling stays cheap; rank exit files cover the rest.
    'MinJobAge=60',
    `AuthInfo=socket=${l.mungeSocket}`,
    // Emulated nodes share this machine's cores and memory: no cgroups, CPUs not memory.
    'SelectTypeParameters=CR_Core',
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none', 'AccountingStorageType=accounting_storage/none',
    // Nodes announce the configured CPUs/GPUs, not this machine's.
    'SlurmdParameters=config_overrides',
    `StateSaveLocation=${d}/state`, `SlurmdSpoolDir=${d}/spool/%n`,
    `SlurmctldPidFile=${d}/run/slurmctld.pid`, `SlurmdPidFile=${d}/run/slurmd-%n.pid`,
    `SlurmctldLogFile=${d}/log/slurmctld.log`, `SlurmdLogFile=${d}/log/slurmd-%n.log`,
    // Fast node-failure detection and short waits keep the emulated cluster responsive.
    'SlurmdTimeout=30', 'MessageTimeout=5', 'KillWait=2', 'SchedulerParameters=bf_interval=1,sched_min_interval=100000',
  ];
}

/** Renders the three configuration files for a topology. */
export function renderSlurmConfig(topology: ClusterTopology, o: SlurmConfOptions): SlurmConfigFiles {
  if (topology.nodes.length === 0) throw new InputError({ field: 'fleet', value: 0, expected: 'a fleet with at least one node' });
  if (!NAME_RE.test(o.clusterName)) throw new InputError({ field: 'cluster name', value: o.clusterName, expected: 'letters, digits, "_" or "-"' });
  const groups = groupNodes(topology, o);
  const slurm = [...header(o), ...powerSaving(topology, o)];
  const gres = ['# Written by `gigafactory slurm config`: GPUs as typed GRES.'];
  let port = o.local?.firstNodePort ?? 0;
  for (const g of groups) {
    const list = compressHostlist(g.names);
    const count = expandHostlist(list).length;
    const gpu = g.gpus > 0 && g.gpuType !== 'cpu' ? ` Gres=gpu:${gresType(g.gpuType)}:${g.gpus}` : '';
    const where = o.local ? ` NodeHostname=localhost Port=${count === 1 ? port : `${port}-${port + count - 1}`}` : '';
    port += count;
    slurm.push(`NodeName=${list}${where} CPUs=${g.hw.cpus} RealMemory=${g.hw.realMemoryMiB}${gpu} Weight=${g.weight}${g.cloud ? ' Feature=cloud State=CLOUD' : ' State=UNKNOWN'}`);
    if (gpu !== '') {
      const files = o.local ? `/dev/tty[0-${g.gpus - 1}]` : `/dev/nvidia[0-${g.gpus - 1}]`;
      gres.push(`NodeName=${list} Name=gpu Type=${gresType(g.gpuType)} File=${files}`);
    }
  }
  slurm.push('PartitionName=all Nodes=ALL Default=YES MaxTime=INFINITE State=UP');
  const pools = new Map<string, string[]>();
  for (const n of topology.nodes) pools.set(n.pool, [...(pools.get(n.pool) ?? []), n.name]);
  for (const [pool, names] of pools) {
    if (partitionName(pool) === 'all') continue;
    slurm.push(`PartitionName=${partitionName(pool)} Nodes=${compressHostlist(names)} MaxTime=INFINITE State=UP`);
  }
  return { 'slurm.conf': `${slurm.join('\n')}\n`, 'gres.conf': `${gres.join('\n')}\n`, 'topology.conf': renderTopology(topology) };
}

/** Power-saving lines for cloud nodes; owned nodes are excluded so Slurm never powers them down. */
function powerSaving(topology: ClusterTopology, o: SlurmConfOptions): string[] {
  const c = o.cloud;
  if (c === undefined || !topology.nodes.some((n) => n.rented)) return [];
  for (const [field, v] of [['suspend time', c.suspendTimeSeconds], ['resume timeout', c.resumeTimeoutSeconds]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError({ field, value: v, expected: 'a whole number of seconds, at least 1' });
  }
  const owned = topology.nodes.filter((n) => !n.rented).map((n) => n.name);
  return [
    `ResumeProgram=${c.resumeProgram}`,
    `SuspendProgram=${c.suspendProgram}`,
    `SuspendTime=${c.suspendTimeSeconds}`,
    `ResumeTimeout=${c.resumeTimeoutSeconds}`,
    // The emulation stops a slurmd in well under a second; a real server's shutdown takes longer.
    `SuspendTimeout=${o.local !== undefined ? 10 : 60}`,
    ...(owned.length > 0 ? [`SuspendExcNodes=${compressHostlist(owned)}`] : []),
    // Powered-down cloud nodes stay visible (sinfo shows them with a `~`), and slurmd messages
    // fan out from slurmctld directly, never through a cloud node that may be gone.
    'PrivateData=cloud',
    'TreeWidth=65533',
    // A real cloud node's address is known only once it boots: take it from its registration.
    ...(o.local === undefined ? ['SlurmctldParameters=cloud_reg_addrs'] : []),
  ];
}

/** topology/tree: one switch per leaf (its nodes), one per spine (its leaves), a core above spines. */
export function renderTopology(topology: ClusterTopology): string {
  const leafNodes = new Map<number, string[]>();
  const spineLeaves = new Map<number, Set<number>>();
  for (const n of topology.nodes) {
    leafNodes.set(n.leaf, [...(leafNodes.get(n.leaf) ?? []), n.name]);
    const s = spineLeaves.get(n.spine) ?? new Set<number>();
    s.add(n.leaf);
    spineLeaves.set(n.spine, s);
  }
  const lines = ['# Written by `gigafactory slurm config`: switches from the fleet\'s leaf/spine layout.'];
  for (const [leaf, names] of [...leafNodes].sort((a, b) => a[0] - b[0])) lines.push(`SwitchName=leaf${leaf} Nodes=${compressHostlist(names)}`);
  const spines = [...spineLeaves].sort((a, b) => a[0] - b[0]);
  for (const [spine, leaves] of spines) {
    lines.push(`SwitchName=spine${spine} Switches=${compressHostlist([...leaves].sort((a, b) => a - b).map((l) => `leaf${l}`))}`);
  }
  // Slurm places a job only under one switch that reaches all its nodes: give the spines a root.
  if (spines.length > 1) lines.push(`SwitchName=core Switches=${compressHostlist(spines.map(([s]) => `spine${s}`))}`);
  return `${lines.join('\n')}\n`;
}
