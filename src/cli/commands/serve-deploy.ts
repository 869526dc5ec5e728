/**
 * `serve deploy`, `serve promote`, `serve undeploy` and `serve rollout`: serve deployments
 * as control-plane objects (src/serve/deployment.ts). The plane owns the replicas, their
 * autoscaler and the canary; these commands only talk to its API.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ControlClient, findServer } from '../../control/client.ts';
import { InputError } from '../../lib/errors.ts';
import { servingModel, servingModelIds } from '../../plan/serve/models.ts';
import { parseCanaryEval, parseCanaryPercent, parseDeploymentSpec, type DeploymentSpec } from '../../serve/deployment.ts';
import { loadGateSpec } from '../../serve/gate.ts';
import { DEFAULT_PYTHON, TINY_CHAT_DIR } from '../../serve/gate-run.ts';
import { servedCheckpoint } from '../../serve/gate-client.ts';

const words = (s: string) => (s.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"|"$/g, ''));
const TINY_CHAT_REPLICA = `${DEFAULT_PYTHON} server.py {checkpoint} --port {port} --model {model}`;

interface DeployOptions {
  file?: string; name?: string; gpusPerReplica?: string; nodesPerReplica?: string; min?: string; max?: string; replicaCommand?: string;
  capacityTps?: string; slots?: string; portBase?: string; workdir?: string; fromPlan?: string; dataDir?: string;
}

interface PlanJson { model?: string; gpusPerReplica?: number; outputTokensPerSecondPerReplica?: number; batchSize?: number; replicas?: number }

function int(field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InputError({ field, value: v, expected: 'an integer' });
  return n;
}

/** Layout and per-replica capacity from `plan serve --json` output. */
function fromPlan(file: string, model: string, gpusPerNode: number): Partial<DeploymentSpec> {
  let plan: PlanJson;
  try { plan = JSON.parse(readFileSync(file, 'utf8')) as PlanJson; } catch (e) {
    throw new InputError({ field: '--from-plan', value: file, expected: `the JSON of \`gigafactory plan serve ... --json\` (${(e as Error).message})` });
  }
  if (typeof plan.gpusPerReplica !== 'number' || typeof plan.outputTokensPerSecondPerReplica !== 'number') {
    throw new InputError({ field: '--from-plan', value: file, expected: 'plan serve --json output with gpusPerReplica and outputTokensPerSecondPerReplica' });
  }
  if (!servingModelIds.includes(model)) throw new InputError({ field: 'MODEL', value: model, expected: `a model of the serving catalog for --from-plan: ${servingModelIds.join(', ')}` });
  const arch = servingModel(model) as { name?: string };
  if (plan.model !== undefined && arch.name !== undefined && arch.name !== plan.model) throw new InputError({ field: '--from-plan', value: file, expected: `a plan for ${arch.name} (this one is for ${plan.model})` });
  const nodes = gpusPerNode > 0 ? Math.max(1, Math.ceil(plan.gpusPerReplica / gpusPerNode)) : 1;
  return {
    gpus_per_replica: plan.gpusPerReplica, nodes_per_replica: nodes, replica_capacity_tps: plan.outputTokensPerSecondPerReplica,
    ...(typeof plan.batchSize === 'number' ? { slots_per_replica: Math.max(1, Math.floor(plan.batchSize)) } : {}),
    ...(typeof plan.replicas === 'number' ? { max_replicas: Math.max(1, plan.replicas) } : {}),
  };
}

interface DeploymentJson {
  name: string; model: string; stable: { id: string; checkpoint?: string } | null; canary: { id: string; sharePercent: number } | null;
  spec: DeploymentSpec; replicas: { job_id: string; release: string; state: string; url: string | null; ready: boolean; draining: boolean }[];
  load: { gateways: number; outputTokensPerSecond: number };
  unhealthy: { jobId: string; reason: string; logTail: string }[];
}

export function formatDeployment(d: DeploymentJson): string {
  const lines = [
    `deployment ${d.name}: ${d.model}, ${d.spec.gpus_per_replica} GPU(s) x ${d.spec.nodes_per_replica} node(s) per replica, ${d.spec.min_replicas}-${d.spec.max_replicas} replicas`,
    `  release ${d.stable ? `${d.stable.id}${d.stable.checkpoint ? ` (${d.stable.checkpoint})` : ''}` : 'none promoted'}${d.canary ? `; canary ${d.canary.id} at ${d.canary.sharePercent}%` : ''}`,
    `  load ${d.load.outputTokensPerSecond.toFixed(1)} tok/s from ${d.load.gateways} gateway(s)`,
  ];
  for (const r of d.replicas) lines.push(`  ${r.job_id.padEnd(8)} ${r.release} ${r.state.padEnd(7)} ${r.url ?? '-'} ${r.draining ? 'draining' : r.ready ? 'ready' : 'not ready'}`);
  for (const u of d.unhealthy) lines.push(`  UNHEALTHY ${u.reason}; log tail:\n${u.logTail.split('\n').map((l) => `    ${l}`).join('\n')}`);
  return lines.join('\n');
}

export function registerDeploy(serve: Command, dataDirHelp: string): void {
  serve.command('deploy')
    .description('Create or update a serve deployment: the control plane runs its replicas as gang jobs, autoscales them and rolls out releases')
    .argument('[model]', 'model id (the gateway serves it under this name)')
    .option('-f, --file <deployment.yaml>', 'the deployment as YAML (fields as below, snake_case); flags override it')
    .option('--name <name>', 'deployment name (default: the model id)')
    .option('--gpus-per-replica <n>', 'GPUs per replica (0: CPU replicas)')
    .option('--nodes-per-replica <n>', 'nodes per replica (a gang: the GPUs split evenly)')
    .option('--min <n>', 'fewest replicas')
    .option('--max <n>', 'most replicas')
    .option('--replica-command <cmd>', `replica command with {port} {checkpoint} {model} {release} (default: ${TINY_CHAT_REPLICA} in examples/tiny-chat)`)
    .option('--capacity-tps <n>', 'output tokens/s one replica sustains at its latency target')
    .option('--slots <n>', 'requests one replica serves at once')
    .option('--port-base <n>', 'replica ports: port base + slot')
    .option('--workdir <dir>', 'replica working directory')
    .option('--from-plan <plan.json>', 'layout and per-replica capacity from `gigafactory plan serve ... --json`')
    .option('--data-dir <dir>', dataDirHelp)
    .action(async (model: string | undefined, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<DeployOptions>();
      let base: Record<string, unknown> = {};
      if (o.file !== undefined) {
        let text: string;
        try { text = readFileSync(o.file, 'utf8'); } catch (e) { throw new InputError({ field: '--file', value: o.file, expected: `a readable YAML file (${(e as NodeJS.ErrnoException).code})` }); }
        const doc = parseDocument(text, { prettyErrors: false });
        if (doc.errors.length > 0) throw new InputError({ field: '(yaml)', expected: `valid YAML (${doc.errors[0]!.message.split('\n')[0]})` }, o.file);
        base = (doc.toJS() ?? {}) as Record<string, unknown>;
        // As on the command line: a replica_command string is split into words.
        if (typeof base.replica_command === 'string') base = { ...base, replica_command: words(base.replica_command) };
      }
      const m = model ?? (base.model as string | undefined);
      if (m === undefined) throw new InputError({ field: 'MODEL', expected: 'a model id (gigafactory serve deploy tiny-chat ...) or model: in --file' });
      const control = new ControlClient(findServer(o.dataDir));
      let planned: Partial<DeploymentSpec> = {};
      if (o.fromPlan !== undefined) {
        const { nodes } = await control.call<{ nodes: { gpus: number }[] }>('GET', '/v1/nodes');
        planned = fromPlan(o.fromPlan, m, nodes.reduce((x, n) => Math.max(x, n.gpus), 0));
      }
      const flags = {
        ...(o.gpusPerReplica !== undefined ? { gpus_per_replica: int('--gpus-per-replica', o.gpusPerReplica) } : {}),
        ...(o.nodesPerReplica !== undefined ? { nodes_per_replica: int('--nodes-per-replica', o.nodesPerReplica) } : {}),
        ...(o.min !== undefined ? { min_replicas: int('--min', o.min) } : {}),
        ...(o.max !== undefined ? { max_replicas: int('--max', o.max) } : {}),
        ...(o.capacityTps !== undefined ? { replica_capacity_tps: Number(o.capacityTps) } : {}),
        ...(o.slots !== undefined ? { slots_per_replica: int('--slots', o.slots) } : {}),
        ...(o.portBase !== undefined ? { port_base: int('--port-base', o.portBase) } : {}),
        ...(o.replicaCommand !== undefined ? { replica_command: words(o.replicaCommand) } : {}),
        ...(o.workdir !== undefined ? { workdir: resolve(o.workdir) } : {}),
      };
      const tinyDefaults = base.replica_command === undefined && o.replicaCommand === undefined ? { replica_command: words(TINY_CHAT_REPLICA), workdir: TINY_CHAT_DIR } : {};
      const spec = parseDeploymentSpec({ gpus_per_replica: 0, ...tinyDefaults, ...base, ...planned, ...flags, model: m, name: o.name ?? base.name ?? m }, o.file);
      const r = await control.call<{ deployment: DeploymentJson; created: boolean }>('POST', '/v1/deployments', spec);
      process.stdout.write(`${r.created ? 'created' : 'updated'} ${formatDeployment(r.deployment)}\n`);
      if (!r.deployment.stable && spec.replica_command.some((w) => w.includes('{checkpoint}'))) process.stdout.write(`  replicas start once a release is promoted: gigafactory serve promote ${spec.name}\n`);
    });

  serve.command('promote')
    .description('Roll a checkpoint that passed its release gate out to a deployment, optionally as a canary first')
    .argument('<deployment>', 'deployment name')
    .option('--checkpoint <dir>', 'the promoted checkpoint (default: the model\'s last one to pass `serve gate`)')
    .option('--canary <share>', 'first serve this traffic share (1%-99%) on new replicas; all traffic once it meets its thresholds, else roll back')
    .option('--hold <seconds>', 'with --canary: how long it must meet its thresholds', '60')
    .option('--max-error-rate <fraction>', 'with --canary: highest error rate', '0.01')
    .option('--max-p99-ms <ms>', 'with --canary: highest latency p99 (request to last byte)', '5000')
    .option('--min-requests <n>', 'with --canary: requests it must serve before it can pass', '20')
    .option('--canary-eval <threshold>', 'with --canary: lowest pass rate of an eval suite, asked of the canary replicas (e.g. facts>=0.8; repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--canary-suites <gate.yaml>', 'with --canary-eval: take the suites from this gate file (default: the checkpoint\'s gate)')
    .option('--data-dir <dir>', dataDirHelp)
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ checkpoint?: string; canary?: string; hold: string; maxErrorRate: string; maxP99Ms: string; minRequests: string; canaryEval: string[]; canarySuites?: string; dataDir?: string }>();
      const share = o.canary === undefined ? undefined : parseCanaryPercent(o.canary, '--canary');
      const evals = Object.fromEntries(o.canaryEval.map((t) => parseCanaryEval(t, '--canary-eval')));
      if (share === undefined && (o.canaryEval.length > 0 || o.canarySuites !== undefined)) {
        throw new InputError({ field: o.canaryEval.length > 0 ? '--canary-eval' : '--canary-suites', value: o.canaryEval[0] ?? o.canarySuites, expected: 'with --canary as well: eval thresholds judge a canary (--canary 10% --canary-eval facts>=0.8)' });
      }
      if (o.canarySuites !== undefined && o.canaryEval.length === 0) throw new InputError({ field: '--canary-suites', value: o.canarySuites, expected: 'with --canary-eval SUITE>=SCORE naming the suites to hold the canary to' });
      const suites = o.canarySuites === undefined ? undefined : loadGateSpec(o.canarySuites).suites;
      if (suites !== undefined && suites.length === 0) throw new InputError({ field: '--canary-suites', value: o.canarySuites, expected: 'a gate YAML file that declares suites: (examples/tiny-chat/gate.yaml)' });
      const control = new ControlClient(findServer(o.dataDir));
      const { deployment } = await control.call<{ deployment: DeploymentJson }>('GET', `/v1/deployments/${encodeURIComponent(name)}`);
      const checkpoint = o.checkpoint !== undefined ? resolve(o.checkpoint) : await servedCheckpoint(control, deployment.model);
      if (checkpoint === undefined && deployment.spec.replica_command.some((w) => w.includes('{checkpoint}'))) {
        throw new InputError({ field: '--checkpoint', expected: `a checkpoint that passed its gate; none of ${deployment.model} has (run gigafactory serve gate first)` });
      }
      const num = (field: string, v: string) => { const n = Number(v); if (!Number.isFinite(n) || n <= 0) throw new InputError({ field, value: v, expected: 'a positive number' }); return n; };
      const body = {
        ...(checkpoint !== undefined ? { checkpoint } : {}),
        ...(share !== undefined ? { canary_percent: share, hold_seconds: num('--hold', o.hold), max_error_rate: Number(o.maxErrorRate), max_p99_ms: num('--max-p99-ms', o.maxP99Ms), min_requests: Math.ceil(num('--min-requests', o.minRequests)) } : {}),
        ...(Object.keys(evals).length > 0 ? { canary_eval: evals } : {}),
        ...(suites !== undefined ? { eval_suites: suites } : {}),
      };
      const r = await control.call<{ stable: { id: string } | null; canary: { id: string; sharePercent: number } | null }>('POST', `/v1/deployments/${encodeURIComponent(name)}/releases`, body);
      process.stdout.write(r.canary ? `canary ${r.canary.id} of ${name} takes ${r.canary.sharePercent}% of the traffic; watch it with gigafactory serve releases --deployment ${name}\n` : `release ${r.stable?.id} of ${name} promoted; replicas roll over to it\n`);
    });

  serve.command('undeploy')
    .description('Delete a deployment and stop its replicas (its release history stays)')
    .argument('<deployment>', 'deployment name')
    .option('--data-dir <dir>', dataDirHelp)
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ dataDir?: string }>();
      const r = await new ControlClient(findServer(o.dataDir)).call<{ replicas_stopped: number }>('DELETE', `/v1/deployments/${encodeURIComponent(name)}`);
      process.stdout.write(`deleted deployment ${name}; stopping ${r.replicas_stopped} replica(s)\n`);
    });

  serve.command('status')
    .description('Show a deployment: releases, load, replicas (endpoint, ready), replicas that never became healthy with their log tail')
    .argument('<deployment>', 'deployment name')
    .option('--json', 'print as JSON')
    .option('--data-dir <dir>', dataDirHelp)
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ dataDir?: string; json?: boolean }>();
      const { deployment } = await new ControlClient(findServer(o.dataDir)).call<{ deployment: DeploymentJson }>('GET', `/v1/deployments/${encodeURIComponent(name)}`);
      process.stdout.write(o.json ? `${JSON.stringify(deployment, null, 2)}\n` : `${formatDeployment(deployment)}\n`);
    });
}
