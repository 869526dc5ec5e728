/**
 * The scheduler's view of a running Slurm cluster: its nodes (`sinfo --json`: GPUs from GRES,
 * pool from partition, owned or rented and the price from Weight, as `slurm config` writes it) and network domains (`scontrol show topology`: a node's lowest switch
 * is its leaf, that switch's parent its spine). Lets `up --executor slurm` schedule onto any
 * Slurm cluster, including one Gigafactory did not configure.
 */
import { gpuIds, type GpuSpec } from '../../catalog/gpus.ts';
import type { ClusterNode, ClusterTopology } from '../../fleet/types.ts';
import { ImpossibleError } from '../../lib/errors.ts';
import { capacityFromWeight } from './conf.ts';
import { expandHostlist } from './hostlist.ts';
import type { SlurmCli, SlurmNode } from './slurm-cli.ts';

interface Switch { name: string; level: number; nodes: string[]; children: string[] }

function parseSwitches(text: string): Switch[] {
  const out: Switch[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('SwitchName=')) continue;
    const kv = Object.fromEntries(line.trim().split(/\s+/).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    out.push({ name: kv['SwitchName'] ?? '', level: Number(kv['Level'] ?? 0), nodes: kv['Nodes'] ? expandHostlist(kv['Nodes']) : [], children: kv['Switches'] ? expandHostlist(kv['Switches']) : [] });
  }
  return out;
}

/** GPUs per node and their catalog type from a GRES string like `gpu:h100:8(S:0-1)` or `gpu:4`. */
export function gpusFromGres(gres: string): { gpuType: ClusterNode['gpuType']; gpus: number } {
  for (const item of gres.split(',')) {
    const parts = item.replace(/\(.*\)$/, '').split(':');
    if (parts[0] !== 'gpu') continue;
    const count = Number(parts[parts.length - 1]);
    const type = parts.length >= 3 ? (parts[1] ?? '').toLowerCase() : '';
    // Unknown or untyped GPUs count as H100s (the fleet's default part) for placement purposes.
    const known = gpuIds.find((id) => type.startsWith(id));
    return { gpuType: (known ?? 'h100') as GpuSpec['id'], gpus: Number.isFinite(count) ? count : 0 };
  }
  return { gpuType: 'cpu', gpus: 0 };
}

/** Pure: topology from sinfo nodes and `scontrol show topology` text. */
export function topologyFromSlurm(nodes: readonly SlurmNode[], topologyText: string): ClusterTopology {
  const switches = parseSwitches(topologyText);
  const leafOf = new Map<string, string>();
  for (const s of switches.filter((x) => x.level === 0)) for (const n of s.nodes) if (!leafOf.has(n)) leafOf.set(n, s.name);
  const parentOf = new Map<string, string>();
  for (const s of switches.filter((x) => x.level === 1)) for (const c of s.children) parentOf.set(c, s.name);
  const leafIndex = new Map<string, number>();
  const spineIndex = new Map<string, number>();
  const indexOf = (m: Map<string, number>, k: string): number => { if (!m.has(k)) m.set(k, m.size); return m.get(k)!; };
  const list: ClusterNode[] = [...nodes].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })).map((n, index) => {
    const leafName = leafOf.get(n.name) ?? 'flat';
    const { gpuType, gpus } = gpusFromGres(n.gres);
    return {
      index, name: n.name, gpuType, gpus,
      leaf: indexOf(leafIndex, leafName), spine: indexOf(spineIndex, parentOf.get(leafName) ?? leafName),
      pool: n.partitions.find((p) => p !== 'all') ?? n.partitions[0] ?? 'slurm', ...capacityFromWeight(n.weight),
    };
  });
  return { nodes: list, leafCount: leafIndex.size, spineCount: spineIndex.size };
}

/** Reads the topology of the cluster behind `cli`; a cluster without nodes is an error. */
export async function readSlurmTopology(cli: SlurmCli): Promise<ClusterTopology> {
  await cli.ping();
  const t = topologyFromSlurm(await cli.nodes(), await cli.topology());
  if (t.nodes.length === 0) throw new ImpossibleError(`the Slurm cluster (${cli.confPath ?? 'default slurm.conf'}) has no nodes`, 'add NodeName lines to slurm.conf (gigafactory slurm config FLEET writes them)');
  return t;
}
