// `gigafactory sim`: simulate a fleet under a workload (the digital twin's "simulate" face).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { FLEET_ARG_HELP, loadFleet } from '../fleet-arg.ts';
import { resolveRentPool } from '../rent-pool-arg.ts';
import { buildTopology } from '../../fleet/topology.ts';
import { ImpossibleError, InputError } from '../../lib/errors.ts';
import { Rng } from '../../lib/rng.ts';
import { createScheduler, SCHEDULER_POLICIES } from '../../sched/index.ts';
import {
  DEFAULT_FAILURE_MODEL, DEFAULT_SIM, formatReport, grokWorkload, parseTrace, parseWorkloadArg, pretrainWorkload, simulate,
  sparesNeeded, twinSizing, WORKLOAD_HELP, type RecoveryMode, type SimOptions, type Workload,
} from '../../sim/index.ts';
import { formatComparison, type LabelledReport } from '../../sim/format-compare.ts';
import { parseMixYaml } from '../../sim/mix.ts';
import { simReportHtml } from '../../web/report-html.ts';
import { checkOutputFile, writeOutputFile } from '../output-file.ts';
import { readInputFile } from '../../control/input-file.ts';

interface SimFlags {
  fleet: string; workload: string; days: string; seed: string; policy: string; checkpointMinutes: string;
  rentPool?: string; rentWaitMinutes: string; failureRate?: string; lemonFraction?: string; restartMinutes?: string; checkpointSeconds?: string;
  spares: string; recovery: string; badRows: string; json?: string; html?: string;
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
  $ gigafactory sim --fleet h100-16k --workload ../shared/data/traces/philly/pollux_philly_jobs.csv --days 30 --rent-pool oci-h100
  $ gigafactory sim --fleet colossus-100k --workload grok --policy fifo --json out.json
  $ gigafactory sim --fleet h100-16k --workload grok --policy fifo,backfill,default   (one line per policy)
  $ gigafactory sim --fleet colossus-100k --workload pretrain:98304 --recovery gang,replica --checkpoint-minutes 10,auto`;

/** A comma list flag (`--policy fifo,default`): one run per value; empty items are refused. */
function listFlag(value: string): string[] {
  return value.split(',').map((v) => v.trim());
}

/** A number flag: finite and within [min, max], else an InputError naming the flag. */
function numberFlag(flag: string, value: string, min: number, max = Infinity, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new InputError({ field: flag, value, expected: `${integer ? 'a whole number' : 'a number'} from ${min}${max === Infinity ? ' up' : ` to ${max}`}` });
  }
  return n;
}

function readWorkloadFile(path: string): string {
  // A YAML mix goes through the YAML loader's size limit; traces (CSV, .gz) may be large.
  if (/\.ya?ml$/i.test(path)) return readInputFile(path, '--workload', 'workload mix YAML file');
  try {
    const buf = readFileSync(path);
    return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  } catch (e) {
    throw new InputError({ field: '--workload', value: path, expected: `a readable trace or workload file (${(e as Error).message})` });
  }
}

export function register(program: Command): void {
  program.command('sim')
    .description('simulate the fleet: jobs, failures, checkpoints, scheduling policy, rented capacity')
    .option('--fleet <fleet>', FLEET_ARG_HELP, 'colossus-100k')
    .option('--workload <spec>', WORKLOAD_HELP, 'grok')
    .option('--days <n>', 'simulated days', '30')
    .option('--seed <n>', 'random seed (same seed, same report)', '1')
    .option('--policy <name>', `scheduler policy: ${SCHEDULER_POLICIES.join(', ')} (a comma list compares them)`, DEFAULT_SIM.policy)
    .option('--checkpoint-minutes <n|auto>', 'checkpoint interval; auto = Daly optimum per job (a comma list compares them)', 'auto')
    .option('--rent-pool <name>', 'rent from this pool (e.g. oci-h100) when the queue waits too long')
    .option('--rent-wait-minutes <n>', 'queue wait that triggers renting', String(DEFAULT_SIM.queueWaitThresholdSeconds / 60))
    .option('--failure-rate <r>', 'unexpected failures per 1,000 node-days (default: Llama 3, 3.79)')
    .option('--restart-minutes <m>', 'restart time of a job after a failure (default: 50 s + 0.009 s per GPU)')
    .option('--checkpoint-seconds <s>', 'blocking cost of one checkpoint save (default 6)')
    .option('--lemon-fraction <f>', 'share of lemon nodes failing 5x as often (same fleet mean rate); default 0')
    .option('--spares <n|auto>', 'hot spare nodes for the largest jobs; auto = 99th percentile of nodes in repair', 'auto')
    .option('--recovery <mode>', 'recovery of the pretraining job: gang (whole job restarts) or replica (only the failed replica); gang,replica compares', 'gang')
    .option('--bad-rows <mode>', 'malformed trace rows: skip (listed in the report) or fail', 'skip')
    .option('--json <file>', 'also write the JSON report to this file (- for stdout instead of text)')
    .option('--html <file>', 'also write a self-contained HTML report with charts (utilisation, interruptions, ETTR, queue wait, rented, policies)')
    .addHelpText('after', HELP)
    .action((flags: SimFlags) => {
      const days = numberFlag('--days', flags.days, 0.01, 3650);
      const seed = numberFlag('--seed', flags.seed, 0, 2 ** 31, true);
      if (flags.badRows !== 'skip' && flags.badRows !== 'fail') throw new InputError({ field: '--bad-rows', value: flags.badRows, expected: 'skip or fail' });
      const failures = {
        ...DEFAULT_FAILURE_MODEL,
        ...(flags.failureRate !== undefined ? { failuresPer1000NodeDays: numberFlag('--failure-rate', flags.failureRate, 0, 1000) } : {}),
        ...(flags.restartMinutes !== undefined ? { restartSecondsOverride: numberFlag('--restart-minutes', flags.restartMinutes, 0, 10_000) * 60 } : {}),
        ...(flags.checkpointSeconds !== undefined ? { checkpointSaveSeconds: numberFlag('--checkpoint-seconds', flags.checkpointSeconds, 0, 86_400) } : {}),
        ...(flags.lemonFraction !== undefined ? { lemonFraction: numberFlag('--lemon-fraction', flags.lemonFraction, 0, 1) } : {}),
      };
      const checkpointList = listFlag(flags.checkpointMinutes).map((v) => (v === 'auto' ? 'auto' as const : numberFlag('--checkpoint-minutes', v, 0.01, 100_000)));
      const policies = listFlag(flags.policy);
      for (const p of policies) createScheduler(p); // unknown policy -> lists the known ones
      const recoveries = listFlag(flags.recovery).map((r) => {
        if (r !== 'gang' && r !== 'replica') throw new InputError({ field: '--recovery', value: r, expected: 'gang or replica (or a comma list to compare)' });
        return r as RecoveryMode;
      });
      const spares = flags.spares === 'auto' ? 'auto' as const : numberFlag('--spares', flags.spares, 0, 1e6, true);
      // Output paths are checked now, not after the simulation.
      if (flags.json !== undefined && flags.json !== '-') checkOutputFile('--json', flags.json);
      if (flags.html !== undefined) checkOutputFile('--html', flags.html);
      const fleet = loadFleet(flags.fleet);
      const pool = flags.rentPool !== undefined ? resolveRentPool(fleet, flags.rentPool) : undefined;
      const topology = buildTopology(pool ? { ...fleet, pools: [pool] } : { ...fleet, pools: [] }, { includePools: pool !== undefined });
      const ownedNodes = topology.nodes.filter((n) => !n.rented).length;
      const arg = parseWorkloadArg(flags.workload);
      const fileText = arg.kind === 'file' ? readWorkloadFile(arg.path) : undefined;
      // Built per run (same seed: the same jobs), since the recovery mode is part of the workload.
      // Node size, planned throughput and replica sizes from the planner on this fleet's GPUs (sim/sizing.ts).
      const sizing = twinSizing(fleet);
      const workloadFor = (recovery: RecoveryMode): Workload => {
        if (arg.kind === 'grok') {
          if (ownedNodes === 0) throw new ImpossibleError('the grok mix is sized by the fleet\'s owned nodes, and this fleet has none', 'pick a fleet with halls (colossus-100k, h100-16k), or simulate a trace or YAML mix with --rent-pool');
          const reserved = spares === 'auto' ? sparesNeeded(failures, ownedNodes, days * 86_400) : spares;
          return grokWorkload(ownedNodes, days, new Rng(seed), { reservedNodes: reserved, recovery, sizing });
        }
        if (arg.kind === 'pretrain') return pretrainWorkload(arg.gpus, sizing, recovery, 64, arg.model);
        return /\.ya?ml$/i.test(arg.path) ? parseMixYaml(fileText!, arg.path, days, new Rng(seed), sizing) : parseTrace(fileText!, arg.path, flags.badRows as 'skip' | 'fail', sizing.gpusPerNode);
      };
      const runs: { label: string; policy: string; recovery: RecoveryMode; checkpointMinutes: number | 'auto' }[] = [];
      for (const policy of policies) for (const recovery of recoveries) for (const checkpointMinutes of checkpointList) {
        runs.push({ label: [policies.length > 1 ? policy : '', recoveries.length > 1 ? recovery : '', checkpointList.length > 1 ? `ckpt ${checkpointMinutes}` : ''].filter(Boolean).join(' / ') || policy, policy, recovery, checkpointMinutes });
      }
      const rentWaitSeconds = numberFlag('--rent-wait-minutes', flags.rentWaitMinutes, 0) * 60;
      const reports: LabelledReport[] = [];
      for (const run of runs) {
        const bar = process.stdout.isTTY && flags.json !== '-' ? new cliProgress.SingleBar({ format: `sim ${runs.length > 1 ? run.label + ' ' : ''}[{bar}] {percentage}% | day {value}/{total}`, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
        bar?.start(days, 0);
        const options: SimOptions = {
          days, seed, policy: run.policy, checkpointMinutes: run.checkpointMinutes, failures, spares, spareMinGpus: DEFAULT_SIM.spareMinGpus, cycleSeconds: DEFAULT_SIM.cycleSeconds,
          ...(pool ? { rent: { pool, queueWaitThresholdSeconds: rentWaitSeconds, idleReleaseSeconds: DEFAULT_SIM.idleReleaseSeconds } } : {}),
          ...(bar ? { onProgress: (s: number) => bar.update(Math.floor(s / 864) / 100) } : {}),
        };
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        let report;
        try {
          report = simulate(topology, workloadFor(run.recovery), options);
        } finally {
          bar?.stop();
        }
        report.wallSeconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
        reports.push({ label: run.label, report });
      }
      const json = JSON.stringify(reports.length === 1 ? reports[0]!.report : reports.map((r) => ({ run: r.label, ...r.report })), null, 1);
      if (flags.json === '-') { process.stdout.write(json + '\n'); return; }
      if (flags.json !== undefined) writeOutputFile('--json', flags.json, json + '\n');
      if (flags.html !== undefined) writeOutputFile('--html', flags.html, simReportHtml(reports));
      process.stdout.write(reports.length === 1 ? formatReport(reports[0]!.report) : formatComparison(reports));
    });
}
