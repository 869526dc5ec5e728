// `gigafactory slurm ...`: Slurm's configuration from a fleet, and a real Slurm cluster emulated
// on this machine (munged + slurmctld + one slurmd per node) to run jobs on.
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { FLEET_ARG_HELP, loadFleet } from '../fleet-arg.ts';
import { fleetSlurmConfig, writeSlurmConfig, type FleetCloudOptions } from '../../control/slurm/fleet-config.ts';
import { cloudNodesOf, localEmulationDriver, ociDriver, PowerError, type NodePowerDriver } from '../../control/slurm/power.ts';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { findFreePorts, runScript } from '../../control/slurm/local-cluster.ts';
import { expandHostlist } from '../../control/slurm/hostlist.ts';
import { findSlurmBinary, SlurmUnavailableError } from '../../control/slurm/slurm-cli.ts';
import { InputError } from '../../lib/errors.ts';

/** Most nodes `slurm up` starts on one machine (one slurmd process each). */
const MAX_LOCAL_NODES = 64;

function parsePort(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 65000) throw new InputError({ field: '--port', value: v, expected: 'a whole number from 1024 to 65000 (the controller port; nodes use the ones after it)' });
  return n;
}

function countNodes(slurmConf: string): number {
  return slurmConf.split('\n').filter((l) => l.startsWith('NodeName=')).reduce((a, l) => a + expandHostlist(l.split(/\s+/)[0]!.slice('NodeName='.length)).length, 0);
}

interface ConfigOpts { out: string; includePools?: boolean; clusterName?: string; controller?: string; local?: string; port?: string; cloud?: boolean; suspendTime?: string }

/** The launcher the power programs run: this checkout's (or installation's) `gigafactory`. */
const CLI_PATH = resolve(fileURLToPath(new URL('../../../gigafactory', import.meta.url)));

function parseSuspendTime(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError({ field: '--suspend-time', value: v, expected: 'a whole number of idle seconds, at least 1, before Slurm powers a cloud node down' });
  return n;
}

function cloudOptions(fleetArg: string, o: ConfigOpts): FleetCloudOptions | undefined {
  if (o.cloud !== true) return undefined;
  // The programs run later, from slurmctld's directory: a fleet file must be named absolutely.
  const fleet = existsSync(fleetArg) ? resolve(fleetArg) : fleetArg;
  const suspendTimeSeconds = parseSuspendTime(o.suspendTime);
  return { cliPath: CLI_PATH, fleetArg: fleet, programDir: resolve(o.out), ...(suspendTimeSeconds !== undefined ? { suspendTimeSeconds } : {}) };
}

async function writeConfig(fleetArg: string, o: ConfigOpts): Promise<{ paths: string[]; nodes: number; switches: number }> {
  const fleet = loadFleet(fleetArg);
  const cloud = cloudOptions(fleetArg, o);
  const base = { includePools: o.includePools === true || cloud !== undefined, clusterName: o.clusterName, controllerHost: o.controller, ...(cloud !== undefined ? { cloud } : {}) };
  // Render once to size the port range, then with the ports.
  let files = fleetSlurmConfig(fleet, base);
  const nodes = countNodes(files['slurm.conf']);
  if (o.local !== undefined) {
    const dir = resolve(o.local);
    const port = parsePort(o.port) ?? await findFreePorts(nodes + 1);
    if (port + nodes > 65535) throw new InputError({ field: '--port', value: o.port, expected: `at most ${65535 - nodes}: the ${nodes} nodes use the ports after it` });
    files = fleetSlurmConfig(fleet, { ...base, local: { dir, controllerPort: port, firstNodePort: port + 1, mungeSocket: join(dir, 'run', 'munge.sock') } });
  }
  const switches = files['topology.conf'].split('\n').filter((l) => l.startsWith('SwitchName=')).length;
  return { paths: writeSlurmConfig(files, o.out), nodes, switches };
}

function fleetSlurmConfigSize(fleetArg: string, includePools?: boolean): void {
  const nodes = countNodes(fleetSlurmConfig(loadFleet(fleetArg), { includePools })['slurm.conf']);
  if (nodes > MAX_LOCAL_NODES) {
    throw new InputError({ field: 'FLEET', value: fleetArg, expected: `a fleet of at most ${MAX_LOCAL_NODES} nodes to run on one machine (this one has ${nodes}); use \`slurm config\` for a real cluster` });
  }
}

/** The provider that powers these nodes: the local emulation, or each pool's own provider. */
function powerDriver(nodes: readonly { pool: { name: string; provider: string } }[], local: string | undefined): NodePowerDriver {
  if (local !== undefined) return localEmulationDriver(resolve(local));
  const other = nodes.find((n) => n.pool.provider !== 'oracle');
  if (other !== undefined) {
    throw new InputError({ field: `pools.${other.pool.name}.provider`, value: other.pool.provider, expected: 'a provider this command can call: oracle (Oracle Cloud, through its SDK), or --local DIR for the emulated cluster' });
  }
  return ociDriver();
}

function requireSlurm(): void {
  const missing = ['munged', 'slurmctld', 'slurmd', 'sinfo'].filter((b) => findSlurmBinary(b) === undefined);
  if (missing.length > 0) throw new SlurmUnavailableError(`Slurm not installed (missing: ${missing.join(', ')})`, 'install it: apt-get install -y slurm-wlm munge');
}

export function register(program: Command): void {
  const slurm = program.command('slurm').description('Drive a Slurm cluster: write its configuration from a fleet, run one on this machine');

  slurm.command('config')
    .description('Write slurm.conf, gres.conf (GPUs as typed GRES) and topology.conf (leaf/spine switches) for a fleet')
    .argument('<fleet>', FLEET_ARG_HELP)
    .requiredOption('--out <dir>', 'directory to write the three files into')
    .option('--include-pools', 'also configure rented pools at their maximum size')
    .option('--cluster-name <name>', 'ClusterName (default: the fleet name)')
    .option('--controller <host>', 'SlurmctldHost', 'slurmctld')
    .option('--local <dir>', 'emulate on this machine: nodes on localhost, state/logs/munge under DIR')
    .option('--port <n>', 'with --local: controller port; nodes use the next ones (default: free ports)')
    .option('--cloud', 'rented pools as Slurm cloud nodes (State=CLOUD), powered up on demand through their provider and down after idle')
    .option('--suspend-time <seconds>', 'with --cloud: idle seconds before a cloud node is powered down (default 600)')
    .action(async (fleetArg: string, o: ConfigOpts) => {
      const r = await writeConfig(fleetArg, o);
      process.stdout.write(`${r.paths.join('\n')}\n${r.nodes} nodes, ${r.switches} switches${o.local !== undefined ? `; start with: scripts/slurm-cluster.sh up ${resolve(o.local)}` : ''}\n`);
    });

  slurm.command('up')
    .description('Start a real Slurm cluster for a small fleet on this machine (munged, slurmctld, one slurmd per node)')
    .argument('<fleet>', FLEET_ARG_HELP)
    .requiredOption('--dir <dir>', 'directory for configuration, state, logs and the munge key')
    .option('--include-pools', 'also start rented pools\' nodes')
    .option('--cloud', 'rented pools as cloud nodes: powered down until Slurm needs them, then started after the pool\'s lead time')
    .option('--suspend-time <seconds>', 'with --cloud: idle seconds before a cloud node is powered down (default 600)')
    .action(async (fleetArg: string, o: { dir: string; includePools?: boolean; cloud?: boolean; suspendTime?: string }) => {
      requireSlurm();
      const dir = resolve(o.dir);
      // Size and flag checks before anything is stopped or written.
      fleetSlurmConfigSize(fleetArg, o.includePools === true || o.cloud === true);
      parseSuspendTime(o.suspendTime);
      // Daemons left from an earlier `up` of this directory would hold the old configuration.
      await runScript(['down', dir], 120_000);
      await writeConfig(fleetArg, { out: join(dir, 'etc'), local: dir, includePools: o.includePools, cloud: o.cloud, suspendTime: o.suspendTime });
      process.stdout.write(await runScript(['up', dir], 120_000));
    });

  for (const verb of ['resume', 'suspend'] as const) {
    slurm.command(verb)
      .description(verb === 'resume'
        ? 'Slurm\'s ResumeProgram: ask each cloud node\'s pool provider for the node (written by `slurm config --cloud`)'
        : 'Slurm\'s SuspendProgram: give each cloud node back to its pool provider (written by `slurm config --cloud`)')
      .argument('<nodes>', 'a Slurm hostlist of rented nodes, e.g. oci-[00000-00001]')
      .requiredOption('--fleet <fleet>', FLEET_ARG_HELP)
      .option('--local <dir>', 'the emulated cluster\'s directory: start or stop the node\'s slurmd here')
      .action(async (hostlist: string, o: { fleet: string; local?: string }) => {
        const nodes = cloudNodesOf(loadFleet(o.fleet), hostlist);
        const driver = powerDriver(nodes, o.local);
        try {
          const lines = await driver[verb](nodes);
          process.stdout.write(`${lines.join('\n')}\n`);
        } catch (e) {
          if (!(e instanceof PowerError)) throw e;
          if (e.done.length > 0) process.stdout.write(`${e.done.join('\n')}\n`);
          process.stderr.write(e.failures.map((f) => `error: ${f}\n`).join(''));
          process.exitCode = 1;
        }
      });
  }

  slurm.command('down')
    .description('Stop the cluster `slurm up` started (cancels its jobs)')
    .requiredOption('--dir <dir>', 'the directory given to `slurm up`')
    .action(async (o: { dir: string }) => {
      process.stdout.write(await runScript(['down', resolve(o.dir)], 120_000));
    });
}
