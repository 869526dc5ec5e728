/**
 * Slurm configuration for a fleet: its topology (owned halls, optionally rented pools at their
 * maximum size) with each node's CPUs and memory from the node catalog, written to a directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nodeType } from '../../catalog/nodes.ts';
import { buildTopology } from '../../fleet/topology.ts';
import type { FleetSpec } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import { renderSlurmConfig, type LocalEmulation, type SlurmConfigFiles, type SlurmNodeHardware } from './conf.ts';

export interface FleetSlurmOptions {
  readonly includePools?: boolean;
  readonly clusterName?: string;
  readonly controllerHost?: string;
  readonly local?: LocalEmulation;
}

const MIB = 1024 * 1024;

/** Renders the three files for a fleet; each node's hardware comes from its hall's or pool's node type. */
export function fleetSlurmConfig(fleet: FleetSpec, o: FleetSlurmOptions = {}): SlurmConfigFiles {
  const topology = buildTopology(fleet, { includePools: o.includePools ?? false });
  const custom = fleet.nodeTypes ?? {};
  const hwByPool = new Map<string, SlurmNodeHardware>();
  for (const g of [...fleet.halls, ...fleet.pools]) {
    const t = nodeType(g.nodeType, custom);
    hwByPool.set(g.name, { cpus: t.cpuCores, realMemoryMiB: Math.floor(t.memoryBytes / MIB) });
  }
  if (topology.nodes.length === 0) {
    throw new InputError({ field: 'FLEET', value: fleet.name, expected: fleet.pools.length > 0 ? 'a fleet with owned nodes, or --include-pools for its rented pools' : 'a fleet with at least one node' });
  }
  return renderSlurmConfig(topology, {
    clusterName: (o.clusterName ?? fleet.name).replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z]+/, 'gf-'),
    controllerHost: o.controllerHost ?? 'slurmctld',
    hardwareOf: (n) => hwByPool.get(n.pool) ?? { cpus: 1, realMemoryMiB: 1024 },
    local: o.local,
  });
}

/** Writes slurm.conf, gres.conf and topology.conf into `outDir`; returns the paths written. */
export function writeSlurmConfig(files: SlurmConfigFiles, outDir: string): string[] {
  const dir = resolve(outDir);
  try { mkdirSync(dir, { recursive: true }); } catch (e) {
    throw new InputError({ field: '--out', value: outDir, expected: `a directory that can be created (${(e as Error).message})` });
  }
  return Object.entries(files).map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}
