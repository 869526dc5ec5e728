// `gigafactory sim`: simulate a fleet under a workload (the digital twin's "simulate" face).
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { FLEET_ARG_HELP, loadFleet } from '../fleet-arg.ts';
import { buildTopology } from '../../fleet/topology.ts';
import type { FleetSpec, PoolSpec } from '../../fleet/types.ts';
import { ImpossibleError, InputError } from '../../lib/errors.ts';
import { Rng } from '../../lib/rng.ts';
import { createScheduler, SCHEDULER_POLICIES } from '../../sched/index.ts';
import {
  DEFAULT_FAILURE_MODEL, DEFAULT_SIM, formatReport, grokWorkload, parseTrace, parseWorkloadArg, pretrainWorkload, simulate,
  sparesNeeded, WORKLOAD_HELP, type RecoveryMode, type SimOptions, type Workload,
} from '../../sim/index.ts';
import { parseMixYaml } from '../../sim/mix.ts';

interface SimFlags {
  fleet: string; workload: string; days: string; seed: string; policy: string; checkpointMinutes: string;
  rentPool?: string; rentWaitMinutes: string; failureRate?: string; lemonFraction?: string; restartMinutes?: string; checkpointSeconds?: string;
  spares: string; recovery: string; badRows: string; json?: string;
}

const HELP = `
Simulates months of fleet operation in seconds: jobs arrive, the scheduler (the same core the
control plane runs) places them, nodes fail by the Llama 3 category mix and come back after
repair, hot spares swap in, training jobs checkpoint and restart, services autoscale on a
daily curve, and a rented pool fills in when the queue waits too long.

Examples:
  $ gigafactory sim --fleet colossus-100k --workload grok --days 30 --seed 1
  $ gigafactory sim --fleet h100-16k --workload pretrain:16384 --days 54
  $ gigafactory sim --fleet h100-16k --workload pretrain:16384 --days 54 --recovery replica
  $ gigafactory sim --fleet h100-16k --workload /work/shared/data/traces/philly/pollux_philly_jobs.csv --days 30 --rent-pool oci-h100
  $ gigafactory sim --fleet colossus-100k --workload grok --policy fifo --json out.json`;

/** A number flag: finite and within [min, max], else an InputError naming the flag. */
function numberFlag(flag: string, value: string, min: number, max = Infinity, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new InputError({ field: flag, value, expected: `${integer ? 'a whole number' : 'a number'} from ${min}${max === Infinity ? ' up' : ` to ${max}`}` });
  }
  return n;
}

function readWorkloadFile(path: string): string {
  try {
    const buf = readFileSync(path);
    return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  } catch (e) {
    throw new InputError({ field: '--workload', value: path, expected: `a readable trace or workload file (${(e as Error).message})` });
  }
}

/** The pool to rent from: a pool of the fleet itself by name, or the first pool of a fleet preset/file. */
function rentPool(fleet: FleetSpec, name: string): PoolSpec {
  const own = fleet.pools.find((p) => p.name === name);
  if (own) return own;
  const other = loadFleet(name);
  const pool = other.pools[0];
  if (!pool) throw new InputError({ field: '--rent-pool', value: name, expected: 'a fleet preset or file with a rented pool (e.g. oci-h100), or the name of one of this fleet\'s pools' });
  return pool;
}

export function register(program: Command): void {
  program.command('sim')
    .description('simulate the fleet: jobs, failures, checkpoints, scheduling policy, rented capacity')
    .option('--fleet <fleet>', FLEET_ARG_HELP, 'colossus-100k')
    .option('--workload <spec>', WORKLOAD_HELP, 'grok')
    .option('--days <n>', 'simulated days', '30')
    .option('--seed <n>', 'random seed (same seed, same report)', '1')
    .option('--policy <name>', `scheduler policy: ${SCHEDULER_POLICIES.join(', ')}`, DEFAULT_SIM.policy)
    .option('--checkpoint-minutes <n|auto>', 'checkpoint interval; auto = Daly optimum per job', 'auto')
    .option('--rent-pool <name>', 'rent from this pool (e.g. oci-h100) when the queue waits too long')
    .option('--rent-wait-minutes <n>', 'queue wait that triggers renting', String(DEFAULT_SIM.queueWaitThresholdSeconds / 60))
    .option('--failure-rate <r>', 'unexpected failures per 1,000 node-days (default: Llama 3, 3.79)')
    .option('--restart-minutes <m>', 'restart time of a job after a failure (default: 50 s + 0.009 s per GPU)')
    .option('--checkpoint-seconds <s>', 'blocking cost of one checkpoint save (default 6)')
    .option('--lemon-fraction <f>', 'share of lemon nodes failing 5x as often (same fleet mean rate); default 0')
    .option('--spares <n|auto>', 'hot spare nodes for the largest jobs; auto = 99th percentile of nodes in repair', 'auto')
    .option('--recovery <mode>', 'recovery of the pretraining job: gang (whole job restarts) or replica (only the failed replica)', 'gang')
    .option('--bad-rows <mode>', 'malformed trace rows: skip (listed in the report) or fail', 'skip')
    .option('--json <file>', 'also write the JSON report to this file (- for stdout instead of text)')
    .addHelpText('after', HELP)
    .action((flags: SimFlags) => {
      const days = numberFlag('--days', flags.days, 0.01, 3650);
      const seed = numberFlag('--seed', flags.seed, 0, 2 ** 31, true);
      createScheduler(flags.policy); // unknown policy -> lists the known ones
      if (flags.recovery !== 'gang' && flags.recovery !== 'replica') throw new InputError({ field: '--recovery', value: flags.recovery, expected: 'gang or replica' });
      if (flags.badRows !== 'skip' && flags.badRows !== 'fail') throw new InputError({ field: '--bad-rows', value: flags.badRows, expected: 'skip or fail' });
      const failures = {
        ...DEFAULT_FAILURE_MODEL,
        ...(flags.failureRate !== undefined ? { failuresPer1000NodeDays: numberFlag('--failure-rate', flags.failureRate, 0, 1000) } : {}),
        ...(flags.restartMinutes !== undefined ? { restartSecondsOverride: numberFlag('--restart-minutes', flags.restartMinutes, 0, 10_000) * 60 } : {}),
        ...(flags.checkpointSeconds !== undefined ? { checkpointSaveSeconds: numberFlag('--checkpoint-seconds', flags.checkpointSeconds, 0, 86_400) } : {}),
        ...(flags.lemonFraction !== undefined ? { lemonFraction: numberFlag('--lemon-fraction', flags.lemonFraction, 0, 1) } : {}),
      };
      const checkpointMinutes = flags.checkpointMinutes === 'auto' ? 'auto' as const : numberFlag('--checkpoint-minutes', flags.checkpointMinutes, 0.01, 100_000);
      const spares = flags.spares === 'auto' ? 'auto' as const : numberFlag('--spares', flags.spares, 0, 1e6, true);
      const fleet = loadFleet(flags.fleet);
      const pool = flags.rentPool !== undefined ? rentPool(fleet, flags.rentPool) : undefined;
      const topology = buildTopology(pool ? { ...fleet, pools: [pool] } : { ...fleet, pools: [] }, { includePools: pool !== undefined });
      const ownedNodes = topology.nodes.filter((n) => !n.rented).length;
      const recovery = flags.recovery as RecoveryMode;
      const arg = parseWorkloadArg(flags.workload);
      let workload: Workload;
      if (arg.kind === 'grok') {
        if (ownedNodes === 0) throw new ImpossibleError('the grok mix is sized by the fleet\'s owned nodes, and this fleet has none', 'pick a fleet with halls (colossus-100k, h100-16k), or simulate a trace or YAML mix with --rent-pool');
        const reserved = spares === 'auto' ? sparesNeeded(failures, ownedNodes, days * 86_400) : spares;
        workload = grokWorkload(ownedNodes, days, new Rng(seed), { reservedNodes: reserved, recovery });
      } else if (arg.kind === 'pretrain') {
        workload = pretrainWorkload(arg.gpus, recovery);
      } else {
        const text = readWorkloadFile(arg.path);
        workload = /\.ya?ml$/i.test(arg.path) ? parseMixYaml(text, arg.path, days, new Rng(seed)) : parseTrace(text, arg.path, flags.badRows as 'skip' | 'fail');
      }
      const bar = process.stdout.isTTY && flags.json !== '-' ? new cliProgress.SingleBar({ format: 'sim [{bar}] {percentage}% | day {value}/{total}', clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      bar?.start(days, 0);
      const options: SimOptions = {
        days, seed, policy: flags.policy, checkpointMinutes, failures, spares, spareMinGpus: DEFAULT_SIM.spareMinGpus, cycleSeconds: DEFAULT_SIM.cycleSeconds,
        ...(pool ? { rent: { pool, queueWaitThresholdSeconds: numberFlag('--rent-wait-minutes', flags.rentWaitMinutes, 0) * 60, idleReleaseSeconds: DEFAULT_SIM.idleReleaseSeconds } } : {}),
        ...(bar ? { onProgress: (s: number) => bar.update(Math.floor(s / 864) / 100) } : {}),
      };
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      let report;
      try {
        report = simulate(topology, workload, options);
      } finally {
        bar?.stop();
      }
      report.wallSeconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const json = JSON.stringify(report, null, 1);
      if (flags.json === '-') { process.stdout.write(json + '\n'); return; }
      if (flags.json !== undefined) writeFileSync(flags.json, json + '\n');
      process.stdout.write(formatReport(report));
    });
}
