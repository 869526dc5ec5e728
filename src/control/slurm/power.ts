/**
 * Slurm's power saving for rented pools: `gigafactory slurm resume|suspend HOSTLIST`, what the
 * ResumeProgram and SuspendProgram that `slurm config --cloud` writes run. Each node of the
 * hostlist must be a node of one of the fleet's rented pools; the node is asked of (or given
 * back to) its pool's provider. In the local emulation (`--local DIR`) the provider is this
 * machine: a resumed node's slurmd starts after the pool's lead time, a suspended one stops.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildTopology } from '../../fleet/topology.ts';
import type { FleetSpec, PoolSpec } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import { expandHostlist } from './hostlist.ts';
import { ociAuthentication, ociPoolConfig, OciProvider, OciProvisionError } from '../providers/oci.ts';

export interface CloudNode {
  readonly name: string;
  readonly pool: PoolSpec;
}

/** The rented nodes a hostlist names; an owned or unknown node is an error naming it. */
export function cloudNodesOf(fleet: FleetSpec, hostlist: string): CloudNode[] {
  let names: string[];
  try { names = expandHostlist(hostlist); } catch (e) {
    throw new InputError({ field: 'NODES', value: hostlist, expected: `a Slurm hostlist such as oci-[00000-00003] (${(e as Error).message})` });
  }
  if (names.length === 0) throw new InputError({ field: 'NODES', value: hostlist, expected: 'at least one node name' });
  const topology = buildTopology(fleet, { includePools: true });
  const byName = new Map(topology.nodes.map((n) => [n.name, n]));
  const pools = new Map(fleet.pools.map((p) => [p.name, p]));
  return names.map((name) => {
    const node = byName.get(name);
    const pool = node?.rented === true ? pools.get(node.pool) : undefined;
    if (pool === undefined) {
      const rented = fleet.pools.map((p) => `${p.name} (${p.maxNodes} nodes)`).join(', ') || 'none';
      throw new InputError({ field: 'NODES', value: name, expected: `a node of one of fleet ${fleet.name}'s rented pools: ${rented}; list them with \`gigafactory slurm config FLEET --include-pools\`` });
    }
    return { name, pool };
  });
}

/** Some nodes could not be powered: what was done, and each failure. */
export class PowerError extends Error {
  constructor(readonly done: readonly string[], readonly failures: readonly string[]) {
    super(failures.join('\n'));
    this.name = 'PowerError';
  }
}

/** Powers cloud nodes up and down. */
export interface NodePowerDriver {
  resume(nodes: readonly CloudNode[]): Promise<string[]>;
  suspend(nodes: readonly CloudNode[]): Promise<string[]>;
}

/** A process's command line (NULs as spaces), or '' when it is gone. */
function commandLineOf(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; }
}

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * The local emulation's provider: a resumed node's slurmd starts after the pool's lead time
 * (unless the controller is gone by then), as a rented server would join after provisioning;
 * a suspended node's slurmd stops. Pending starts are tracked in `run/resume-NODE.pid` so
 * `scripts/slurm-cluster.sh down` cancels them.
 */
export function localEmulationDriver(dir: string): NodePowerDriver {
  const conf = join(dir, 'etc', 'slurm.conf');
  const run = join(dir, 'run');
  // slurmctld runs its power programs with an almost empty environment: name the system paths.
  const env = { ...process.env, SLURM_CONF: conf, PATH: `${process.env['PATH'] ?? ''}:${SYSTEM_PATH}` };
  return {
    async resume(nodes) {
      const lines: string[] = [];
      for (const n of nodes) {
        if (!SAFE_NAME.test(n.name)) throw new InputError({ field: 'NODES', value: n.name, expected: 'a Slurm node name' });
        const leadSeconds = Math.max(0, Math.round(n.pool.leadTimeHours * 3600));
        const pidFile = join(run, `resume-${n.name}.pid`);
        const script = [
          `echo $$ > '${pidFile}'`,
          `sleep ${leadSeconds}`,
          `rm -f '${pidFile}'`,
          'scontrol ping 2>/dev/null | grep -q UP || exit 0',
          `mkdir -p '${join(dir, 'spool', n.name)}'`,
          `exec slurmd -b -N '${n.name}'`,
        ].join('; ');
        const child = spawn('/bin/sh', ['-c', script], { env, detached: true, stdio: 'ignore' });
        child.unref();
        lines.push(`resume ${n.name}: pool ${n.pool.name} (${n.pool.provider}), joins in ${leadSeconds} s`);
      }
      return lines;
    },
    async suspend(nodes) {
      const lines: string[] = [];
      for (const n of nodes) {
        for (const f of [join(run, `resume-${n.name}.pid`), join(run, `slurmd-${n.name}.pid`)]) {
          if (!existsSync(f)) continue;
          const pid = Number(readFileSync(f, 'utf8').trim());
          // Only the process this emulation started for the node: a stale pid file may name a reused pid.
          if (Number.isInteger(pid) && pid > 1 && commandLineOf(pid).includes(n.name)) {
            try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
          }
          rmSync(f, { force: true });
        }
        lines.push(`suspend ${n.name}: pool ${n.pool.name} (${n.pool.provider}), released`);
      }
      return lines;
    },
  };
}

/**
 * Oracle Cloud: resume launches one instance per node (named after it) and returns once OCI
 * accepted it; the instance's own boot starts its slurmd, which registers with its address
 * (`SlurmctldParameters=cloud_reg_addrs`), and Slurm's ResumeTimeout marks a node that never
 * registers DOWN. Suspend terminates the node's instances.
 */
export function ociDriver(): NodePowerDriver {
  const providers = new Map<string, Promise<OciProvider>>();
  const providerOf = (pool: PoolSpec): Promise<OciProvider> => {
    let p = providers.get(pool.name);
    if (p === undefined) {
      const cfg = ociPoolConfig(pool);
      p = ociAuthentication(cfg).then((authentication) => new OciProvider(cfg, { authentication }));
      providers.set(pool.name, p);
    }
    return p;
  };
  return {
    async resume(nodes) {
      const lines: string[] = [];
      const failed: string[] = [];
      for (const n of nodes) {
        // One refused node (out of capacity) must not stop the others: Slurm marks it DOWN.
        try {
          const inst = await (await providerOf(n.pool)).launch(n.name);
          lines.push(`resume ${n.name}: pool ${n.pool.name} (oracle), instance ${inst.ocid} ${inst.state}, launched ${inst.launchedAt}, $${n.pool.pricePerGpuHourUsd}/GPU-hour`);
        } catch (e) {
          if (!(e instanceof OciProvisionError)) throw e;
          failed.push(e.message);
        }
      }
      if (failed.length > 0) throw new PowerError(lines, failed);
      return lines;
    },
    async suspend(nodes) {
      const lines: string[] = [];
      for (const n of nodes) {
        const ocids = await (await providerOf(n.pool)).release(n.name);
        lines.push(`suspend ${n.name}: pool ${n.pool.name} (oracle), terminated ${ocids.length > 0 ? ocids.join(', ') : 'nothing (no live instance)'}`);
      }
      return lines;
    },
  };
}
