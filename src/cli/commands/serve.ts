import type { Command } from 'commander';
import { InputError } from '../../lib/errors.ts';
import { Gateway } from '../../serve/gateway.ts';
import { ROUTING_POLICIES, type ReplicaInput, type RoutingPolicy } from '../../serve/pool.ts';
import type { TenantLimits } from '../../serve/rate-limit.ts';

interface ServeOptions {
  port: string; host: string; replica: string[]; model: string; routing: string;
  rpm?: string; tpm?: string; apiKey: string[]; requireApiKey?: boolean; healthIntervalMs: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `URL` or `MODEL=URL` -> replica (MODEL defaults to --model). */
export function parseReplicaArg(arg: string, defaultModel: string): ReplicaInput {
  const eq = arg.indexOf('=');
  const [model, url] = eq > 0 && !arg.slice(0, eq).includes('/') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [defaultModel, arg];
  let parsed: URL;
  try { parsed = new URL(url); } catch { throw new InputError({ field: '--replica', value: arg, expected: 'http://HOST:PORT or MODEL=http://HOST:PORT' }); }
  if (parsed.protocol !== 'http:') throw new InputError({ field: '--replica', value: arg, expected: 'an http:// URL of an OpenAI-compatible server' });
  return { model, url: `${parsed.protocol}//${parsed.host}` };
}

function positive(field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InputError({ field, value: v, expected: 'a number > 0' });
  return n;
}

/** Registers `serve`: the OpenAI-compatible chat gateway in front of model replicas. */
export function register(program: Command): void {
  program.command('serve')
    .description('Start the OpenAI-compatible chat gateway (POST /v1/chat/completions, GET /v1/models) in front of model replicas')
    .option('--port <n>', 'port to listen on', '8000')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--replica <url>', 'a replica: http://HOST:PORT or MODEL=http://HOST:PORT (repeatable)', collect, [])
    .option('--model <name>', 'model name for replicas given without one', 'tiny-chat')
    .option('--routing <policy>', `routing: ${ROUTING_POLICIES.join(', ')}`, 'least-tokens')
    .option('--rpm <n>', 'requests per minute per tenant')
    .option('--tpm <n>', 'tokens (prompt + completion) per minute per tenant')
    .option('--api-key <key=tenant>', 'map an API key to a tenant (repeatable)', collect, [])
    .option('--require-api-key', 'reject requests without a known API key (401)')
    .option('--health-interval-ms <n>', 'replica health-check period', '2000')
    .action(async (o: ServeOptions) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError({ field: '--port', value: o.port, expected: 'a port 0..65535' });
      if (!ROUTING_POLICIES.includes(o.routing as RoutingPolicy)) throw new InputError({ field: '--routing', value: o.routing, expected: ROUTING_POLICIES.join(' or ') });
      if (o.replica.length === 0) throw new InputError({ field: '--replica', expected: 'at least one replica URL, e.g. --replica http://127.0.0.1:8001 (start one with examples/tiny-chat/server.py)' });
      const replicas = o.replica.map((r) => parseReplicaArg(r, o.model));
      const apiKeys: Record<string, string> = {};
      for (const kv of o.apiKey) {
        const [key, tenant] = kv.split('=');
        if (!key || !tenant) throw new InputError({ field: '--api-key', value: kv, expected: 'KEY=TENANT' });
        apiKeys[key] = tenant;
      }
      const limits: TenantLimits = {
        ...(o.rpm !== undefined ? { requestsPerMinute: positive('--rpm', o.rpm)! } : {}),
        ...(o.tpm !== undefined ? { tokensPerMinute: positive('--tpm', o.tpm)! } : {}),
      };
      const gw = new Gateway({
        replicas, routing: o.routing as RoutingPolicy, tenantLimits: { '*': limits }, apiKeys,
        requireApiKey: o.requireApiKey === true, healthCheckIntervalMs: positive('--health-interval-ms', o.healthIntervalMs)!,
      });
      await gw.checkHealth();
      const bound = await gw.listen(port, o.host);
      process.stdout.write(`gateway listening on http://${o.host}:${bound} (models: ${gw.pool.models().join(', ')}; routing ${o.routing})\n`);
      for (const r of gw.pool.all()) process.stdout.write(`  replica ${r.model} ${r.url} ${r.healthy ? 'healthy' : `unhealthy: ${r.reason}`}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => { void gw.close().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
