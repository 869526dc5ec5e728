/**
 * A real Slurm cluster emulated on this machine (tests, benchmark, demos): writes the
 * configuration with `renderSlurmConfig(..., { local })` and starts munged, slurmctld and one
 * `slurmd -N NAME` per node through scripts/slurm-cluster.sh. `down()` always stops them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterTopology, FleetSpec } from '../../fleet/types.ts';
import { renderSlurmConfig, type LocalEmulation, type SlurmConfigFiles, type SlurmNodeHardware } from './conf.ts';
import { fleetSlurmConfig, writeSlurmConfig } from './fleet-config.ts';
import { expandHostlist } from './hostlist.ts';
import { findSlurmBinary } from './slurm-cli.ts';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/slurm-cluster.sh');

export interface LocalCluster {
  readonly dir: string;
  /** SLURM_CONF for client commands and the executor. */
  readonly confPath: string;
  readonly nodeNames: readonly string[];
  /** Stops every daemon (and cancels jobs); removes the directory unless `keep`. Idempotent. */
  down(options?: { keep?: boolean }): Promise<void>;
}

/** A hand-built leaf/spine topology of `nodes` GPU nodes (`gf-n0`, ...), `nodesPerLeaf` per leaf. */
export function smallTopology(nodes: number, gpusPerNode = 8, nodesPerLeaf = 2): ClusterTopology {
  const list = Array.from({ length: nodes }, (_, i) => ({
    index: i, name: `gf-n${i}`, gpuType: 'h100' as const, gpus: gpusPerNode,
    leaf: Math.floor(i / nodesPerLeaf), spine: 0, pool: 'hall1', rented: false,
  }));
  return { nodes: list, leafCount: Math.ceil(nodes / nodesPerLeaf), spineCount: 1 };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '0.0.0.0', () => s.close(() => res(true)));
  });
}

/** First port of `count` consecutive free TCP ports in 20000-59999. */
export async function findFreePorts(count: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + Math.floor(Math.random() * (40000 - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

export function runScript(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((res, rej) => {
    execFile('bash', [SCRIPT, ...args], { timeout: timeoutMs, env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin` } }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${SCRIPT} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else res(stdout);
    });
  });
}

/** Writes the three files into `etcDir`; returns the slurm.conf path. */
export function writeConfigFiles(files: SlurmConfigFiles, etcDir: string): string {
  writeSlurmConfig(files, etcDir);
  return join(etcDir, 'slurm.conf');
}

const DEFAULT_HW: SlurmNodeHardware = { cpus: 64, realMemoryMiB: 2048 };

/** Node names of a rendered slurm.conf, in file order. */
export function configuredNodes(slurmConf: string): string[] {
  return slurmConf.split('\n').filter((l) => l.startsWith('NodeName=')).flatMap((l) => expandHostlist(l.split(/\s+/)[0]!.slice('NodeName='.length)));
}

const isFleet = (s: ClusterTopology | FleetSpec): s is FleetSpec => 'halls' in s;

/**
 * Writes DIR/etc for a fleet (as `gigafactory slurm config FLEET --local DIR --include-pools`
 * does) or a hand-built topology, and starts the cluster; rejects if it cannot.
 */
export async function startLocalCluster(source: ClusterTopology | FleetSpec, options: { dir?: string; hardware?: SlurmNodeHardware } = {}): Promise<LocalCluster> {
  if (findSlurmBinary('slurmctld') === undefined) throw new Error('slurmctld not found; apt-get install -y slurm-wlm munge');
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gf-slurm-'));
  const render = (local?: LocalEmulation): SlurmConfigFiles => (isFleet(source)
    ? fleetSlurmConfig(source, { includePools: true, local })
    : renderSlurmConfig(source, { clusterName: 'gf', controllerHost: 'localhost', hardwareOf: () => options.hardware ?? DEFAULT_HW, local }));
  const nodeNames = configuredNodes(render()['slurm.conf']);
  const base = await findFreePorts(nodeNames.length + 1);
  const files = render({ dir, controllerPort: base, firstNodePort: base + 1, mungeSocket: join(dir, 'run', 'munge.sock') });
  writeConfigFiles(files, join(dir, 'etc'));
  let stopped = false;
  const down = async (o: { keep?: boolean } = {}): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await runScript(['down', dir]).catch(() => undefined);
    if (o.keep !== true && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await runScript(['up', dir]);
  } catch (e) {
    await down({ keep: true });
    throw e;
  }
  return { dir, confPath: join(dir, 'etc', 'slurm.conf'), nodeNames, down };
}
