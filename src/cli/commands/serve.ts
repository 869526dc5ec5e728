import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ControlClient, findServer, resolveDataDir } from '../../control/client.ts';
import { InputError } from '../../lib/errors.ts';
import { Gateway } from '../../serve/gateway.ts';
import { loadGateSpec } from '../../serve/gate.ts';
import { DEFAULT_PYTHON, TINY_CHAT_DIR, runGate } from '../../serve/gate-run.ts';
import { ROUTING_POLICIES, type Replica, type ReplicaInput, type RoutingPolicy } from '../../serve/pool.ts';
import { DeploymentFollower } from '../../serve/deployment-follower.ts';
import { ReleaseFiguresWindow } from '../../serve/release-figures.ts';
import { registerDeploy } from './serve-deploy.ts';
import type { TenantLimits } from '../../serve/rate-limit.ts';
import { formatGateRecord, formatRolloutSteps, formatServed } from '../../serve/release-report.ts';
import { gateHistory, recordGate, servedCheckpoint } from '../../serve/gate-client.ts';
import type { ServedModel } from '../../serve/releases.ts';
import { ServeService, listServeJobs } from '../../serve/service.ts';

interface ServeOptions {
  port: string; host: string; replica: string[]; model: string; routing: string;
  rpm?: string; tpm?: string; apiKey: string[]; requireApiKey?: boolean; healthIntervalMs: string;
  service?: boolean; minReplicas: string; maxReplicas: string; replicaCapacityTps: string; replicaCommand?: string; dataDir?: string;
  deployment?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const DATA_DIR_HELP = 'data directory (default $GIGAFACTORY_DATA_DIR or ./.gigafactory)';
const DEFAULT_REPLICA_COMMAND = [DEFAULT_PYTHON, 'server.py', '{checkpoint}', '--port', '{port}', '--model', '{model}'];

/** `URL` or `MODEL=URL` -> replica (MODEL defaults to --model). */
export function parseReplicaArg(arg: string, defaultModel: string): ReplicaInput {
  const eq = arg.indexOf('=');
  const [model, url] = eq > 0 && !arg.slice(0, eq).includes('/') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [defaultModel, arg];
  let parsed: URL;
  try { parsed = new URL(url); } catch { throw new InputError({ field: '--replica', value: arg, expected: 'http://HOST:PORT or MODEL=http://HOST:PORT' }); }
  if (parsed.protocol !== 'http:') throw new InputError({ field: '--replica', value: arg, expected: 'an http:// URL of an OpenAI-compatible server' });
  return { model, url: `${parsed.protocol}//${parsed.host}` };
}

function num(field: string, v: string, min: number, integer = false): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new InputError({ field, value: v, expected: `${integer ? 'an integer' : 'a number'} >= ${min}` });
  return n;
}

/** Splits a command line on spaces, keeping "quoted words" together. */
const words = (s: string) => (s.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"|"$/g, ''));

/** Registers `serve` (the gateway, optionally managing replicas as serve jobs), `serve gate` and `serve releases`. */
export function register(program: Command): void {
  const serve = program.command('serve')
    .description('Start the OpenAI-compatible chat gateway (POST /v1/chat/completions, GET /v1/models) in front of model replicas')
    .option('--port <n>', 'port to listen on', '8000')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--replica <url>', 'a replica: http://HOST:PORT or MODEL=http://HOST:PORT (repeatable)', collect, [])
    .option('--model <name>', 'model name (replicas given without one, and the --service model)', 'tiny-chat')
    .option('--routing <policy>', `routing: ${ROUTING_POLICIES.join(', ')}`, 'least-tokens')
    .option('--rpm <n>', 'requests per minute per tenant')
    .option('--tpm <n>', 'tokens (prompt + completion) per minute per tenant')
    .option('--api-key <key=tenant>', 'map an API key to a tenant (repeatable)', collect, [])
    .option('--require-api-key', 'reject requests without a known API key (401)')
    .option('--health-interval-ms <n>', 'replica health-check period', '1000')
    .option('--service', 'run the model\'s replicas as serve jobs of the control plane (gigafactory up), autoscaled, on its promoted checkpoint')
    .option('--min-replicas <n>', 'with --service: fewest replicas', '1')
    .option('--max-replicas <n>', 'with --service: most replicas', '4')
    .option('--replica-capacity-tps <n>', 'with --service: output tokens/s one replica sustains (plan serve gives it for real models)', '100')
    .option('--replica-command <cmd>', 'with --service: replica command with {port} {checkpoint} {model} (default: examples/tiny-chat/server.py)')
    .option('--deployment <name>', 'front a control-plane deployment (gigafactory serve deploy): replicas and release shares come from the plane, load goes back to it')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (o: ServeOptions) => {
      const port = num('--port', o.port, 0, true);
      if (port > 65535) throw new InputError({ field: '--port', value: o.port, expected: 'a port 0..65535' });
      if (!ROUTING_POLICIES.includes(o.routing as RoutingPolicy)) throw new InputError({ field: '--routing', value: o.routing, expected: ROUTING_POLICIES.join(' or ') });
      if (o.replica.length === 0 && !o.service && o.deployment === undefined) throw new InputError({ field: '--replica', expected: 'at least one replica URL (e.g. --replica http://127.0.0.1:8001 from examples/tiny-chat/server.py), --deployment NAME, or --service' });
      const apiKeys: Record<string, string> = {};
      for (const kv of o.apiKey) {
        const [key, tenant] = kv.split('=');
        if (!key || !tenant) throw new InputError({ field: '--api-key', value: kv, expected: 'KEY=TENANT' });
        apiKeys[key] = tenant;
      }
      const limits: TenantLimits = {
        ...(o.rpm !== undefined ? { requestsPerMinute: num('--rpm', o.rpm, 1) } : {}),
        ...(o.tpm !== undefined ? { tokensPerMinute: num('--tpm', o.tpm, 1) } : {}),
      };
      const figures = new ReleaseFiguresWindow();
      const gw = new Gateway({
        replicas: o.replica.map((r) => parseReplicaArg(r, o.model)), routing: o.routing as RoutingPolicy, tenantLimits: { '*': limits }, apiKeys,
        requireApiKey: o.requireApiKey === true, healthCheckIntervalMs: num('--health-interval-ms', o.healthIntervalMs, 50),
        ...(o.deployment !== undefined ? { onAttempt: (r: Replica, ok: boolean, ms: number) => { if (r.release) figures.record(r.release, ok, ms); } } : {}),
      });
      const follower = o.deployment === undefined ? undefined : new DeploymentFollower({
        control: new ControlClient(findServer(o.dataDir)), gateway: gw, deployment: o.deployment, figures, log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
      });
      if (follower) await follower.tick();
      let service: ServeService | undefined;
      if (o.service) {
        const min = num('--min-replicas', o.minReplicas, 0, true);
        const max = num('--max-replicas', o.maxReplicas, Math.max(1, min), true);
        const control = new ControlClient(findServer(o.dataDir));
        if (await servedCheckpoint(control, o.model) === undefined) process.stderr.write(`warning: no promoted checkpoint for ${o.model} yet; replicas start after \`gigafactory serve gate\` passes\n`);
        service = new ServeService({
          control, gateway: gw, model: o.model, minReplicas: min, maxReplicas: max,
          capacityTokensPerSecondPerReplica: num('--replica-capacity-tps', o.replicaCapacityTps, 0.001),
          replicaCommand: o.replicaCommand ? words(o.replicaCommand) : DEFAULT_REPLICA_COMMAND, workdir: TINY_CHAT_DIR,
          checkpoint: () => servedCheckpoint(control, o.model), log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
        });
      }
      await gw.checkHealth();
      const bound = await gw.listen(port, o.host);
      service?.start(1000);
      follower?.start(1000);
      process.stdout.write(`gateway listening on http://${o.host}:${bound} (routing ${o.routing}${o.service ? `; serving ${o.model} as control-plane serve jobs, ${o.minReplicas}-${o.maxReplicas} replicas` : ''}${follower ? `; fronting deployment ${o.deployment} (${follower.model})` : ''})\n`);
      for (const r of gw.pool.all()) process.stdout.write(`  replica ${r.model} ${r.url} ${r.healthy ? 'healthy' : `unhealthy: ${r.reason}`}\n`);
      await new Promise<void>((done) => {
        const stop = () => { service?.stop(); follower?.stop(); void gw.close().then(done); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  registerDeploy(serve, DATA_DIR_HELP);

  serve.command('gate')
    .description('Release gate: evaluate a checkpoint against a gate YAML; promote it to the served model only if every threshold passes')
    .argument('<gate.yaml>', 'gate spec: model, held_out, thresholds (max_held_out_loss, min_prompt_pass_rate), prompts, suites (factuality, refusal)')
    .requiredOption('--checkpoint <dir>', 'checkpoint to evaluate (a training job\'s checkpoint dir or ckpt.pt)')
    .option('--local', 'run the evaluation here instead of as an eval job of the control plane')
    .option('--eval-command <cmd>', 'evaluation command with {checkpoint} {spec} {out} (default: examples/tiny-chat/server.py --eval)')
    .option('--endpoint <url>', 'ask this OpenAI-compatible server (serving the checkpoint) for the answers instead of running an eval command')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (file: string, _o: unknown, cmd: Command) => {
      // --data-dir is also an option of `serve`: take it from whichever level parsed it.
      const o = cmd.optsWithGlobals<{ checkpoint: string; local?: boolean; evalCommand?: string; endpoint?: string; dataDir?: string }>();
      const spec = loadGateSpec(file);
      if (o.endpoint !== undefined && !/^http:\/\/[^/\s]+\/?$/.test(o.endpoint)) throw new InputError({ field: '--endpoint', value: o.endpoint, expected: 'http://HOST:PORT of an OpenAI-compatible server' });
      const dataDir = resolveDataDir(o.dataDir);
      // The result goes to the control plane's store: find it before evaluating anything.
      const control = new ControlClient(findServer(o.dataDir));
      let served: ServedModel | undefined;
      const rec = await runGate({
        spec, checkpoint: resolve(o.checkpoint), record: async (r) => { served = await recordGate(control, r); }, workDir: resolve(dataDir, 'serving', spec.model, 'evals'), snapshotDir: resolve(dataDir, 'serving', spec.model, 'checkpoints'),
        ...(o.evalCommand ? { evalCommand: words(o.evalCommand) } : {}),
        ...(o.endpoint ? { endpoint: { url: o.endpoint } } : o.local ? {} : { control, dataDir }),
        log: (l) => process.stderr.write(`${l}\n`),
      });
      process.stdout.write(`${formatGateRecord(rec)}\n${formatServed(spec.model, served)}${rec.passed ? '' : ' (unchanged: the gate failed)'}\n`);
      if (!rec.passed) process.exitCode = 1;
    });

  serve.command('releases')
    .description('Show the served (promoted) checkpoint of a model and its release-gate history with scores; with --deployment, its rollout steps (canary, promotion, rollback) and their figures')
    .argument('[model]', 'model id', 'tiny-chat')
    .option('--deployment <name>', 'the rollout history of this control-plane deployment (kept in the store)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--json', 'print as JSON')
    .action(async (model: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ dataDir?: string; json?: boolean; deployment?: string }>();
      if (o.deployment !== undefined) {
        const r = await new ControlClient(findServer(o.dataDir)).call<{ events: Record<string, unknown>[] }>('GET', `/v1/deployments/${encodeURIComponent(o.deployment)}/releases`);
        process.stdout.write(o.json ? `${JSON.stringify(r.events, null, 2)}\n` : `${formatRolloutSteps(o.deployment, r.events)}\n`);
        return;
      }
      const { served, gates: history } = await gateHistory(new ControlClient(findServer(o.dataDir)), model);
      if (o.json) { process.stdout.write(JSON.stringify({ served, gates: history }, null, 2) + '\n'); return; }
      process.stdout.write(`${formatServed(model, served ?? undefined)}\n${history.length === 0 ? 'no gate results yet\n' : `${history.map(formatGateRecord).join('\n')}\n`}`);
    });

  serve.command('stop')
    .description('Stop a model\'s replicas: cancel its serve jobs (stop `serve --service` first, or it starts new ones)')
    .argument('[model]', 'model id', 'tiny-chat')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (model: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ dataDir?: string }>();
      const control = new ControlClient(findServer(o.dataDir));
      const jobs = await listServeJobs(control, model);
      for (const j of jobs) await control.call('POST', `/v1/jobs/${j.id}/cancel`);
      process.stdout.write(jobs.length === 0 ? `no replicas of ${model} running\n` : `cancelled ${jobs.length} replica job(s) of ${model}: ${jobs.map((j) => j.id).join(', ')}\n`);
    });
}
