/**
 * Slurm configuration for a fleet: its topology (owned halls, optionally rented pools at their
 * maximum size) with each node's CPUs and memory from the node catalog, written to a directory.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SYSTEM_PATH } from './power.ts';
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
  /** Rented pools as cloud nodes powered up and down through `gigafactory slurm resume|suspend`. */
  readonly cloud?: FleetCloudOptions;
}

export interface FleetCloudOptions {
  /** Absolute path of the `gigafactory` launcher the power programs run. */
  readonly cliPath: string;
  /** The fleet argument as the power programs must pass it (preset name or absolute file path). */
  readonly fleetArg: string;
  /** Absolute directory the two programs are written to (beside slurm.conf). */
  readonly programDir: string;
  /** Idle seconds before a cloud node is powered down (default 600). */
  readonly suspendTimeSeconds?: number;
}

/** Seconds a node may take past its pool's lead time to boot and register its slurmd. */
export const CLOUD_BOOT_MARGIN_SECONDS = 300;
export const DEFAULT_SUSPEND_TIME_SECONDS = 600;
/**
 * slurmctld refuses a ResumeTimeout above 65,535 s (about 18 h; "ResumeTimeout value ... is
 * greater than 65535", seen with Slurm 22.05). A pool whose lead time is longer (OCI's 48 h for
 * a GPU quota) cannot be burst into on demand: the plane must rent it ahead.
 */
export const SLURM_MAX_RESUME_TIMEOUT_SECONDS = 65_535;

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The ResumeProgram or SuspendProgram: Slurm runs it with one argument, a hostlist of nodes. */
function powerProgram(verb: 'resume' | 'suspend', fleet: FleetSpec, o: FleetSlurmOptions, cloud: FleetCloudOptions): string {
  const log = o.local !== undefined ? join(o.local.dir, 'log', 'power.log') : '/var/log/slurm/gigafactory-power.log';
  const local = o.local !== undefined ? ` --local ${shQuote(o.local.dir)}` : '';
  return [
    '#!/bin/sh',
    `# Written by \`gigafactory slurm config --cloud\` for fleet ${fleet.name}: Slurm's ${verb === 'resume' ? 'ResumeProgram' : 'SuspendProgram'}.`,
    `# Slurm runs it with a hostlist of cloud nodes; it ${verb === 'resume' ? 'asks each node\'s pool provider for the node' : 'gives each node back to its pool provider'}.`,
    // slurmctld runs this with an almost empty environment: give it node's and the system's paths.
    `PATH=${shQuote(`${dirname(process.execPath)}:${SYSTEM_PATH}`)}; export PATH`,
    `exec ${shQuote(cloud.cliPath)} slurm ${verb} --fleet ${shQuote(cloud.fleetArg)}${local} "$1" >>${shQuote(log)} 2>&1`,
    '',
  ].join('\n');
}

const MIB = 1024 * 1024;

/** Renders the three files for a fleet; each node's hardware comes from its hall's or pool's node type. */
export function fleetSlurmConfig(fleet: FleetSpec, o: FleetSlurmOptions = {}): SlurmConfigFiles {
  // Cloud nodes are the rented pools' nodes: --cloud implies them.
  const topology = buildTopology(fleet, { includePools: (o.includePools ?? false) || o.cloud !== undefined });
  const custom = fleet.nodeTypes ?? {};
  const hwByPool = new Map<string, SlurmNodeHardware>();
  for (const g of [...fleet.halls, ...fleet.pools]) {
    const t = nodeType(g.nodeType, custom);
    hwByPool.set(g.name, { cpus: t.cpuCores, realMemoryMiB: Math.floor(t.memoryBytes / MIB) });
  }
  if (topology.nodes.length === 0) {
    throw new InputError({ field: 'FLEET', value: fleet.name, expected: fleet.pools.length > 0 ? 'a fleet with owned nodes, or --include-pools for its rented pools' : 'a fleet with at least one node' });
  }
  const prices = new Map(fleet.pools.map((p) => [p.name, p.pricePerGpuHourUsd]));
  const cloud = o.cloud;
  const files = renderSlurmConfig(topology, {
    clusterName: (o.clusterName ?? fleet.name).replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z]+/, 'gf-'),
    controllerHost: o.controllerHost ?? 'slurmctld',
    hardwareOf: (n) => hwByPool.get(n.pool) ?? { cpus: 1, realMemoryMiB: 1024 },
    local: o.local,
    poolPricePerGpuHourUsd: (pool) => prices.get(pool),
    ...(cloud !== undefined ? {
      cloud: {
        resumeProgram: join(cloud.programDir, 'slurm-resume'),
        suspendProgram: join(cloud.programDir, 'slurm-suspend'),
        suspendTimeSeconds: cloud.suspendTimeSeconds ?? DEFAULT_SUSPEND_TIME_SECONDS,
        resumeTimeoutSeconds: Math.min(SLURM_MAX_RESUME_TIMEOUT_SECONDS, Math.ceil(Math.max(0, ...fleet.pools.map((p) => p.leadTimeHours * 3600))) + CLOUD_BOOT_MARGIN_SECONDS),
      },
    } : {}),
  });
  if (cloud === undefined || !topology.nodes.some((n) => n.rented)) return files;
  const slow = fleet.pools.filter((p) => p.leadTimeHours * 3600 + CLOUD_BOOT_MARGIN_SECONDS > SLURM_MAX_RESUME_TIMEOUT_SECONDS);
  const note = slow.map((p) => `# Pool ${p.name}: lead time ${p.leadTimeHours} h is longer than Slurm's largest ResumeTimeout (${SLURM_MAX_RESUME_TIMEOUT_SECONDS} s); rent it ahead (gigafactory up --rent-pool), on-demand resumes time out.\n`).join('');
  return { ...files, 'slurm.conf': `${note}${files['slurm.conf']}`, 'slurm-resume': powerProgram('resume', fleet, o, cloud), 'slurm-suspend': powerProgram('suspend', fleet, o, cloud) };
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
    if (text.startsWith('#!')) chmodSync(p, 0o755);
    return p;
  });
}
