// `gigafactory up | submit | jobs | job | logs | cancel | demo`: the live control plane (tokens: ./tokens.ts).
import type { Command } from 'commander';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../../lib/errors.ts';
import { isTerminal } from '../../sched/lifecycle/state-machine.ts';
import { ControlClient, findServer, resolveDataDir } from '../../control/client.ts';
import { parseQuota } from '../../control/cluster.ts';
import { runDemo } from '../../control/demo.ts';
import { formatJobPlan, planEnv, type JobPlan } from '../../control/job-plan.ts';
import type { Actual } from '../../control/progress.ts';
import { GANG_FIELDS, parseJobSpecYaml, type JobSpec } from '../../control/job-spec.ts';
import { applyPlan, planJob } from '../../control/plan-job.ts';
import { buildTopology } from '../../fleet/topology.ts';
import { adminTokenPath } from '../../control/server.ts';
import { dashboardUrlPath } from '../../web/dashboard.ts';
import { startDashboardPlane } from '../../web/start.ts';
import { executorFromFlags } from '../../control/executor-select.ts';
import { tenancyFlags } from '../../control/tenancy-flags.ts';
import { parseSpareMinGpus, parseSpares, resolveSpares } from '../../control/lifecycle-flags.ts';
import type { FleetSpec } from '../../fleet/types.ts';
import { DEFAULT_SIM } from '../../sim/types.ts';
import { resolveRentPool } from '../rent-pool-arg.ts';
import { loadFleet } from '../fleet-arg.ts';
import { readInputFile } from '../../control/input-file.ts';
import { attemptHeader, restartCell, restartsLine } from './job-attempts.ts';
import { jobsReasonCell } from './jobs-reason.ts';

interface JobJson {
  id: string; tenant: string; name: string; state: string; priority: number; nodes: number; ranks_per_node: number;
  gpus_per_node: number; attempt: number; restarts: number; max_restarts: number; submit_time: string;
  start_time: string | null; end_time: string | null; exit_code: number | null; reason: string | null; node_indices: number[];
  /** Queued jobs: why they wait (Slurm's REASON code) and, for the head of the queue, when it should start. */
  reason_code?: string | null; estimated_start?: string | null;
}
interface JobDetail { job: JobJson & { plan: JobPlan | null }; actual: Actual | null; attempts: { attempt: number; start_time: string; end_time: string | null; outcome: string | null; counts_as_restart?: boolean | null; reason: string | null; exit_code: number | null; lost_seconds: number | null }[]; events: { time: string; type: string; message: string }[] }
interface LogChunk { state: string; attempt: number; next_offset: number; text: string }

export const DATA_DIR_HELP = 'data directory (default $GIGAFACTORY_DATA_DIR or ./.gigafactory)';

function intFlag(v: string, flag: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError({ field: flag, value: v, expected: `an integer from ${min} to ${max}` });
  return n;
}

export const client = (dataDir?: string) => new ControlClient(findServer(dataDir));
export const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
};

/** Reads a YAML job file; workdir defaults to the file's folder and relative paths resolve against it. */
export function readJobFile(file: string): unknown {
  const spec = parseJobSpecYaml(readInputFile(file, 'FILE', 'job YAML file'), file);
  const base = resolve(dirname(file));
  const workdir = spec.workdir === undefined ? base : isAbsolute(spec.workdir) ? spec.workdir : resolve(base, spec.workdir);
  const model = spec.model !== undefined && /[/\\]|\.ya?ml$/i.test(spec.model) && !isAbsolute(spec.model) ? { model: resolve(base, spec.model) } : {};
  // A planned job's gang fields are the parser's defaults (the user may not give them): the server sizes them.
  const sent: Record<string, unknown> = { ...spec };
  if (spec.model !== undefined) for (const g of GANG_FIELDS) delete sent[g];
  return { ...sent, workdir, ...model, ...(spec.checkpoint_dir !== undefined && !isAbsolute(spec.checkpoint_dir) ? { checkpoint_dir: resolve(workdir, spec.checkpoint_dir) } : {}) };
}

/** Prints a rank's log from `offset`; with follow, keeps polling (and moves on to new attempts) until the job ends. */
export async function followLogs(c: ControlClient, id: string, o: { rank: number; attempt?: number; follow: boolean; write?: (s: string) => void; pollMs?: number }): Promise<string> {
  const write = o.write ?? ((s: string) => process.stdout.write(s));
  let attempt = o.attempt;
  let offset = 0;
  for (;;) {
    const q = `rank=${o.rank}&offset=${offset}${attempt !== undefined ? `&attempt=${attempt}` : ''}`;
    const chunk = await c.call<LogChunk>('GET', `/v1/jobs/${id}/logs?${q}`);
    if (chunk.text) write(chunk.text);
    offset = chunk.next_offset;
    if (chunk.text) continue;
    if (!o.follow) return chunk.state;
    if (o.attempt === undefined) {
      const detail = await c.call<JobDetail>('GET', `/v1/jobs/${id}`);
      const cur = detail.job;
      if (attempt !== undefined && cur.attempt > attempt) {
        attempt = cur.attempt;
        offset = 0;
        if (attempt > 1) write(attemptHeader(id, cur, detail.attempts));
        continue;
      }
      attempt ??= cur.attempt;
      if (isTerminal(cur.state)) {
        const last = await c.call<LogChunk>('GET', `/v1/jobs/${id}/logs?rank=${o.rank}&offset=${offset}&attempt=${attempt}`);
        if (last.text) write(last.text);
        return cur.state;
      }
    } else if (isTerminal(chunk.state)) return chunk.state;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 300));
  }
}

/** With no --sim-fleet, a rent pool can only come from a preset or file (the local machine has no pools). */
const NO_FLEET = { pools: [] } as unknown as FleetSpec;

/** The measured line of `gigafactory job`, beside the plan's figures. */
function formatActual(a: Actual, p: JobPlan | null): string {
  const vs = (x: string, y: string | undefined) => (y === undefined ? x : `${x} (plan ${y})`);
  const parts = [
    `step ${a.step.toLocaleString('en-US')}`,
    vs(`${a.stepSeconds.toFixed(3)} s/step`, p ? `${p.stepSeconds.toFixed(3)}` : undefined),
    a.tokensPerSecondPerGpu !== null ? vs(`${a.tokensPerSecondPerGpu.toFixed(1)} tokens/s/GPU`, p ? p.tokensPerSecondPerGpu.toFixed(1) : undefined) : `${a.tokensPerSecond.toFixed(1)} tokens/s`,
    ...(a.mfu !== null ? [vs(`MFU ${(a.mfu * 100).toFixed(1)}%`, p ? `${(p.mfu * 100).toFixed(1)}%` : undefined)] : []),
  ];
  const verdict = a.slowdown === null ? '' : a.slow ? `; ${((a.slowdown - 1) * 100).toFixed(0)}% SLOWER than planned` : `; ${((a.slowdown - 1) * 100).toFixed(0)}% vs plan`;
  return `  actual    ${parts.join(', ')}${verdict} (last ${a.samples} progress samples)\n`;
}

/** `submit --dry-run`: the plan from the server (its fleet) or, with --fleet, planned here. */
async function dryRun(file: string, o: { dataDir?: string; fleet?: string }): Promise<void> {
  const raw = readJobFile(file) as JobSpec;
  let spec: JobSpec;
  if (o.fleet !== undefined) {
    const fleet = loadFleet(o.fleet);
    spec = raw.model === undefined ? raw : applyPlan(raw, planJob(raw, { topology: buildTopology(fleet), fleet }));
  } else {
    spec = (await client(o.dataDir).call<{ spec: JobSpec }>('POST', '/v1/jobs?dry_run=true', raw)).spec;
  }
  if (spec.plan === undefined) {
    process.stdout.write(`${spec.name}: not a planned job (no model): ${spec.nodes} node(s) x ${spec.ranks_per_node} rank(s), ${spec.gpus_per_node} GPU(s)/node as given; nothing submitted\n`);
    return;
  }
  process.stdout.write(formatJobPlan(spec.plan));
  process.stdout.write(`  rank env  ${Object.entries(planEnv(spec.plan)).map(([k, v]) => `${k}=${v}`).join(' ')}\n(dry run: nothing submitted)\n`);
}

export function register(program: Command): void {
  program.command('up')
    .description('start the control plane: SQLite store, this machine as the cluster, HTTP API on 127.0.0.1 (Ctrl-C stops it; running jobs are re-adopted on the next up)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 picks a free one)', '8470')
    .option('--local-nodes <n>', 'split this machine into N local nodes, so multi-node jobs can run here', '1')
    .option('--policy <name>', 'scheduler policy (fifo, priority-preempt, fair-share, backfill, default)', 'default')
    .option('--quota <tenant=gpus[:borrow]>', 'a tenant\'s guaranteed GPUs and how many more it may borrow (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--metrics-public', 'serve GET /metrics without a token, every series (default: a token; a tenant sees only its own series)')
    .option('--store <url>', 'job store: postgres://user@host:5432/db[?schema=name] (PostgreSQL, for many machines) or a SQLite file (default <data-dir>/gigafactory.db; env GIGAFACTORY_STORE)')
    .option('--executor <name>', 'where ranks run: local (this machine), slurm (the Slurm cluster of --slurm-conf / $SLURM_CONF) or sim (simulated nodes of --sim-fleet: no process runs)', 'local')
    .option('--slurm-conf <path>', 'with --executor slurm: the cluster\'s slurm.conf (default $SLURM_CONF)')
    .option('--slurm-placement <who>', 'with --executor slurm: who picks the nodes, gigafactory (--nodelist) or slurm', 'gigafactory')
    .option('--slurm-partition <name>', 'with --executor slurm: partition to submit to')
    .option('--sim-fleet <fleet>', 'with --executor sim: fleet preset or YAML file whose nodes are simulated (e.g. colossus-100k)')
    .option('--sim-speed <x>', 'with --executor sim: simulated seconds per wall second (default 1)')
    .option('--sim-failure-rate <r>', 'with --executor sim: node failures per 1,000 node-days (default: the catalog\'s Llama 3 rate, 3.79; 0: none)')
    .option('--sim-seed <n>', 'with --executor sim: seed of the failure draws; the same fleet, rate and seed fail the same nodes as sim --seed (default 1)')
    .option('--allow-path <dir>', 'a root outside the tenants\' areas where jobs\' workdir and checkpoint_dir may lie (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--single-user', 'when not root (no per-tenant Unix users): accept tokens for more than one tenant anyway')
    .option('--admin-user <user>', 'Unix user the admin\'s jobs run as (default gf-admin, created on demand)')
    .option('--run-as <tenant=user>', 'run a tenant\'s jobs as this existing Unix user instead of gf-<tenant> (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--spares <n|auto>', 'hot spare nodes kept free: a gang that loses a node restarts on one at once (auto: 99th percentile of nodes in repair)', '0')
    .option('--spare-min-gpus <g>', 'only gangs of at least G GPUs get a spare', '0')
    .option('--rent-pool <name>', 'rent from this pool when the queue waits too long, as sim --rent-pool: a pool of --sim-fleet, or a fleet preset or file with one. --executor sim rents from a simulated provider; --executor local from Oracle Cloud for a pool with provider: oracle (docs/readme/renting.md)')
    .option('--rent-wait-minutes <n>', 'queue wait that triggers renting', String(DEFAULT_SIM.queueWaitThresholdSeconds / 60))
    .option('--oci-config <file>', 'with --rent-pool of an oracle pool: the OCI config file (default: the pool\'s oci_config_file, else ~/.oci/config)')
    .option('--oci-profile <name>', 'with --rent-pool of an oracle pool: the profile in the OCI config file (default: the pool\'s oci_profile, else DEFAULT)')
    .action(async (o: { ociConfig?: string; ociProfile?: string; rentPool?: string; rentWaitMinutes: string; dataDir?: string; port: string; localNodes: string; policy: string; quota: string[]; store?: string; executor: string; slurmConf?: string; slurmPlacement: string; slurmPartition?: string; simFleet?: string; simSpeed?: string; simFailureRate?: string; simSeed?: string; spares: string; spareMinGpus: string; allowPath: string[]; singleUser?: boolean; adminUser?: string; runAs: string[]; metricsPublic?: boolean }) => {
      const port = intFlag(o.port, '--port', 0, 65535);
      const localNodes = intFlag(o.localNodes, '--local-nodes', 1, 64);
      const dataDir = resolveDataDir(o.dataDir);
      const store = o.store ?? process.env.GIGAFACTORY_STORE;
      const lifecycle = { spares: parseSpares(o.spares), spareMinGpus: parseSpareMinGpus(o.spareMinGpus) };
      const simFleet = o.simFleet === undefined ? undefined : loadFleet(o.simFleet);
      const rentPool = o.rentPool === undefined ? undefined : resolveRentPool(simFleet ?? NO_FLEET, o.rentPool);
      const rentWait = Number(o.rentWaitMinutes);
      if (!(rentWait >= 0)) throw new InputError({ field: '--rent-wait-minutes', value: o.rentWaitMinutes, expected: 'minutes >= 0' });
      const { rentPool: _name, localNodes: _n, ociConfig, ociProfile, ...flags } = o;
      if (rentPool === undefined && (ociConfig !== undefined || ociProfile !== undefined)) {
        throw new InputError({ field: ociConfig !== undefined ? '--oci-config' : '--oci-profile', value: ociConfig ?? ociProfile, expected: 'only with --rent-pool POOL of a pool with provider: oracle' });
      }
      const rentFlags = { ...(ociConfig !== undefined ? { configFile: resolve(ociConfig) } : {}), ...(ociProfile !== undefined ? { profile: ociProfile } : {}) };
      const chosen = await executorFromFlags({ ...flags, simFleet, localNodes, rent: rentFlags, ...(rentPool ? { rentPool } : {}) });
      const rent = rentPool ? { rent: { pool: rentPool, queueWaitThresholdSeconds: rentWait * 60 } } : {};
      const quotas = o.quota.map(parseQuota);
      const tenancy = tenancyFlags(o);
      const cp = await startDashboardPlane({ dataDir, port, localNodes, policy: o.policy, quotas, ...lifecycle, ...rent, ...(o.metricsPublic ? { metricsPublic: true } : {}), ...(store ? { store } : {}), ...(chosen ?? {}), ...(simFleet !== undefined && !chosen?.fleet ? { fleet: simFleet } : {}), ...tenancy, log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`) });
      const nodeText = (n: { name: string; gpus: number; gpuType: string }) => `${n.name} (${n.gpus > 0 ? `${n.gpus} ${n.gpuType} GPUs` : 'CPU'})`;
      const nodes = cp.topology.nodes;
      const cluster = nodes.length <= 8 ? nodes.map(nodeText).join(', ')
        : `${nodes.length.toLocaleString('en-US')} nodes, ${nodes.reduce((a, n) => a + n.gpus, 0).toLocaleString('en-US')} GPUs: ${nodes.slice(0, 2).map(nodeText).join(', ')}, ..., ${nodeText(nodes[nodes.length - 1]!)}`;
      process.stdout.write(`gigafactory control plane on ${cp.url}\n  data dir: ${cp.dataDir}\n  cluster:  ${cluster}${chosen?.executor.name === 'sim' ? ' (simulated: no process runs)' : ''}\n`);
      if (rentPool && chosen?.provider) {
        const here = chosen.executor.name === 'local' ? '; a rented node\'s ranks run on this machine (the local executor)' : '';
        process.stdout.write(`  renting:  pool ${rentPool.name} (${chosen.provider.name}), up to ${rentPool.maxNodes} node(s) at $${rentPool.pricePerGpuHourUsd}/GPU-hour${here}\n`);
      }
      if (lifecycle.spares !== 0) {
        const n = resolveSpares(lifecycle.spares, nodes.filter((x) => !x.rented).length);
        process.stdout.write(`  spares:   ${n} node(s) kept free for gangs that lose a node${lifecycle.spares === 'auto' ? ' (auto: 99th percentile of nodes in repair at once, at most a tenth of the cluster)' : ''}; \`gigafactory nodes\` marks them\n`);
      }
      if (cp.newAdminToken) process.stdout.write(`  admin token (also in ${adminTokenPath(cp.dataDir)}, mode 0600):\n  ${cp.newAdminToken}\n`);
      else process.stdout.write(`  admin token: ${adminTokenPath(cp.dataDir)}\n`);
      process.stdout.write(`  dashboard (one-time login URL, also in ${dashboardUrlPath(cp.dataDir)}):\n  ${cp.dashboardUrl}\n`);
      process.stdout.write(`try: gigafactory submit examples/tiny-chat/job.yaml${o.dataDir ? ` --data-dir ${o.dataDir}` : ''}\n`);
      await new Promise<void>((done) => {
        const stop = () => { process.stderr.write('stopping (jobs keep running; the next up re-adopts them)\n'); void cp.close().then(done); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  program.command('submit')
    .description('submit a job YAML file (name, command, nodes, ranks_per_node, gpus_per_node, env, checkpoint_dir, max_restarts, ...)')
    .argument('<file>', 'job spec YAML; workdir defaults to its folder')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('-f, --follow', 'follow rank 0\'s log until the job ends')
    .option('--dry-run', 'print the plan of a planned job (model + tokens) and the gang it would get; submit nothing')
    .option('--fleet <name|file>', 'with --dry-run: plan on this fleet here, without a server (default: the server\'s own fleet)')
    .action(async (file: string, o: { dataDir?: string; follow?: boolean; dryRun?: boolean; fleet?: string }) => {
      if (o.dryRun) { await dryRun(file, o); return; }
      if (o.fleet !== undefined) throw new InputError({ field: '--fleet', value: o.fleet, expected: 'only with --dry-run (a submitted job is planned on the server\'s fleet)' });
      const spec = readJobFile(file); // a bad file is refused before looking for a server
      const c = client(o.dataDir);
      const { job } = await c.call<{ job: JobJson }>('POST', '/v1/jobs', spec);
      process.stdout.write(`${job.id} queued (${job.name}, ${job.nodes} node(s) x ${job.ranks_per_node} rank(s), tenant ${job.tenant})\n`);
      if (o.follow) {
        const state = await followLogs(c, job.id, { rank: 0, follow: true });
        process.stdout.write(`${job.id} ${state}\n`);
        if (state !== 'succeeded') process.exitCode = 1;
      }
    });

  program.command('jobs')
    .description('list jobs, newest first (a tenant token sees its own; the admin token all)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--state <state>', 'only jobs in this state (queued, running, succeeded, failed, cancelled)')
    .option('--limit <n>', 'at most N jobs', '50')
    .option('--json', 'print JSON')
    .action(async (o: { dataDir?: string; state?: string; limit: string; json?: boolean }) => {
      const limit = intFlag(o.limit, '--limit', 1, 10_000);
      const { jobs } = await client(o.dataDir).call<{ jobs: JobJson[] }>('GET', `/v1/jobs?limit=${limit}${o.state ? `&state=${encodeURIComponent(o.state)}` : ''}`);
      if (o.json) { process.stdout.write(JSON.stringify(jobs, null, 2) + '\n'); return; }
      if (jobs.length === 0) { process.stdout.write('no jobs\n'); return; }
      process.stdout.write(pad([['ID', 'NAME', 'TENANT', 'STATE', 'PRIO', 'NODES', 'RANKS', 'ATTEMPT', 'SUBMITTED', 'REASON'],
        ...jobs.map((j) => [j.id, j.name, j.tenant, j.state, String(j.priority), String(j.nodes), String(j.nodes * j.ranks_per_node), String(j.attempt), j.submit_time.slice(0, 19).replace('T', ' '), jobsReasonCell(j)])]));
    });

  program.command('job')
    .description('show one job: spec, attempts (reason, time lost) and events')
    .argument('<id>', 'job id (job-N)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--json', 'print JSON')
    .action(async (id: string, o: { dataDir?: string; json?: boolean }) => {
      const d = await client(o.dataDir).call<JobDetail>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
      if (o.json) { process.stdout.write(JSON.stringify(d, null, 2) + '\n'); return; }
      const j = d.job;
      const why = j.reason_code ? ` (${j.reason}${j.estimated_start ? `; expected to start by ${j.estimated_start}` : ''})`
        : j.reason ? (isTerminal(j.state) ? ` (${j.reason})` : ` (last attempt: ${j.reason})`) : '';
      process.stdout.write(`${j.id}  ${j.name}  ${j.state}${why}\n  tenant ${j.tenant}, priority ${j.priority}, ${j.nodes} node(s) x ${j.ranks_per_node} rank(s), ${j.gpus_per_node} GPU(s)/node\n  ${restartsLine(j, d.attempts)}, submitted ${j.submit_time}\n`);
      if (d.attempts.length > 0) {
        process.stdout.write('attempts:\n' + pad([['#', 'START', 'END', 'OUTCOME', 'RESTART', 'EXIT', 'LOST_S', 'REASON'], ...d.attempts.map((a) => [String(a.attempt), a.start_time.slice(11, 19), (a.end_time ?? '').slice(11, 19), a.outcome ?? 'running', restartCell(a), a.exit_code === null ? '' : String(a.exit_code), a.lost_seconds === null ? '' : a.lost_seconds.toFixed(1), a.reason ?? ''])]).replace(/^(?=.)/gm, '  '));
      }
      if (j.plan) process.stdout.write(formatJobPlan(j.plan));
      if (d.actual) process.stdout.write(formatActual(d.actual, j.plan));
      process.stdout.write('events:\n' + d.events.map((e) => `  ${e.time.slice(11, 19)} ${e.type}: ${e.message}\n`).join(''));
    });

  program.command('logs')
    .description('print a rank\'s output (default rank 0, current attempt); -f follows it across restarts until the job ends')
    .argument('<id>', 'job id (job-N)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--rank <r>', 'rank', '0')
    .option('--attempt <n>', 'attempt (default: the current one)')
    .option('-f, --follow', 'keep printing new output until the job ends')
    .action(async (id: string, o: { dataDir?: string; rank: string; attempt?: string; follow?: boolean }) => {
      const rank = intFlag(o.rank, '--rank', 0, 1_000_000);
      const attempt = o.attempt === undefined ? undefined : intFlag(o.attempt, '--attempt', 1, 1000);
      await followLogs(client(o.dataDir), id, { rank, follow: o.follow === true, ...(attempt !== undefined ? { attempt } : {}) });
    });

  program.command('cancel')
    .description('cancel a job: a queued one at once, a running one by killing every process of its gang')
    .argument('<id>', 'job id (job-N)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (id: string, o: { dataDir?: string }) => {
      const { job } = await client(o.dataDir).call<{ job: JobJson }>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
      process.stdout.write(`${job.id} ${job.state === 'running' ? 'cancelling (stopping every rank)' : job.state}\n`);
    });

  program.command('demo')
    .description('start a control plane, train the tiny-chat model (2 ranks, PyTorch on CPU) with a rank killed midway to show checkpoint-restart, chat with it, stop')
    .option('--data-dir <dir>', 'data directory (default: a fresh temp dir, removed afterwards)')
    .option('--steps <n>', 'training steps', '300')
    .option('--no-kill', 'do not kill a rank midway')
    .action(async (o: { dataDir?: string; steps: string; kill: boolean }) => {
      const steps = intFlag(o.steps, '--steps', 20, 100_000);
      process.exitCode = await runDemo({ steps, killRank: o.kill, ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}) });
    });
}
