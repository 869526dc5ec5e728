import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError, badRequest, sendError } from './errors.ts';
import { FastFront, type ChatHeaders, type ClientResponse, type FastResponse } from './fast-front.ts';
import { forward, type AttemptResult, type ProxyOptions } from './proxy.ts';
import { UpstreamPool } from './upstream-client.ts';
import { ReplicaPool, type Replica, type ReplicaInput, type RoutingPolicy } from './pool.ts';
import { parseChatRequest, type ChatRequest } from './request.ts';
import { TenantLimiter, type TenantLimits } from './rate-limit.ts';
import { checkReplicas } from './health.ts';
import { LoadMeter } from './load-meter.ts';
import { GatewayMetrics, type TrackedRequest } from './gateway-metrics.ts';
import { uploadTimeouts } from '../lib/http-timeouts.ts';
import { TENANT_PATTERN } from '../control/api/auth.ts';

export interface GatewayOptions {
  readonly replicas?: readonly ReplicaInput[];
  readonly routing?: RoutingPolicy;
  /** Completion budget assumed when a request gives no max_tokens (routing and rate limits). */
  readonly defaultMaxTokens?: number;
  readonly maxBodyBytes?: number;
  /** Limits per tenant; key '*' applies to tenants not listed. */
  readonly tenantLimits?: Readonly<Record<string, TenantLimits>>;
  /** API key -> tenant. With requireApiKey, other keys get 401. */
  readonly apiKeys?: Readonly<Record<string, string>>;
  readonly requireApiKey?: boolean;
  readonly healthCheckIntervalMs?: number;
  readonly healthPath?: string;
  readonly firstByteTimeoutMs?: number;
  /** Replicas tried per request before giving up (retries happen only before the first token). */
  readonly maxAttempts?: number;
  readonly upstreamApiKey?: string;
  readonly nowMs?: () => number;
  /** Window over which output tokens/s is measured for the autoscaler, seconds. */
  readonly loadWindowSeconds?: number;
  /** Called after each attempt on a replica (per-release canary figures). */
  readonly onAttempt?: (replica: Replica, ok: boolean, elapsedMs: number) => void;
  /** Longest a client may take to send one request (default 30 s); slower uploads get 408. */
  readonly requestTimeoutMs?: number;
}

/**
 * The OpenAI-compatible chat gateway: POST /v1/chat/completions (streaming and not),
 * GET /v1/models, GET /health, GET /v1/gateway/stats. Plain node:http (no framework) keeps
 * the added latency small; every failure is an OpenAI-style error object, never a crash.
 */
export class Gateway {
  readonly pool: ReplicaPool;
  readonly limiter: TenantLimiter;
  readonly meter: LoadMeter;
  readonly server: http.Server;
  readonly metrics = new GatewayMetrics(() => this.pool.all());
  /** Health checks (node:http). */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 10_000, noDelay: true } as http.AgentOptions);
  /** Chat requests to the replicas: keep-alive connections, up to 512 per replica. */
  private readonly upstream = new UpstreamPool(512);
  private readonly o: Required<Omit<GatewayOptions, 'replicas' | 'tenantLimits' | 'apiKeys' | 'upstreamApiKey' | 'loadWindowSeconds' | 'onAttempt' | 'requestTimeoutMs'>> & GatewayOptions;
  private healthTimer: ReturnType<typeof setInterval> | undefined;
  /** How attempts reach the replicas (the same for every request). */
  private readonly proxy: ProxyOptions;
  /** Whether API keys were given (decides how a request's tenant is found). */
  private readonly keyed: boolean;
  /** Serves plain chat requests itself; hands other connections to `server`. */
  readonly front: FastFront;

  constructor(options: GatewayOptions = {}) {
    this.o = {
      routing: 'least-tokens', defaultMaxTokens: 256, maxBodyBytes: 1 << 20, requireApiKey: false, healthCheckIntervalMs: 2000,
      healthPath: '/v1/models', firstByteTimeoutMs: 60_000, maxAttempts: 3, nowMs: () => Date.now(), ...options,
    };
    this.keyed = Object.keys(options.apiKeys ?? {}).length > 0;
    this.proxy = { upstream: this.upstream, firstByteTimeoutMs: this.o.firstByteTimeoutMs, ...(options.upstreamApiKey ? { upstreamApiKey: options.upstreamApiKey } : {}) };
    this.pool = new ReplicaPool(options.replicas ?? []);
    const limits = options.tenantLimits ?? {};
    this.limiter = new TenantLimiter((t) => limits[t] ?? limits['*'] ?? NO_LIMITS, this.o.nowMs);
    this.meter = new LoadMeter(this.o.nowMs, options.loadWindowSeconds ?? 10);
    this.server = http.createServer({ noDelay: true, ...uploadTimeouts(options.requestTimeoutMs) }, (req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.front = new FastFront(this.server, { maxBodyBytes: this.o.maxBodyBytes, keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS, onChat: (headers, body, res) => this.fastChat(headers, body, res) });
    this.server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
      const status = e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`); else socket.destroy();
    });
  }

  /** Listens (127.0.0.1 by default) and starts health checks; resolves with the bound port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((ok, fail) => { this.server.once('error', fail); this.server.listen(port, host, () => { this.server.off('error', fail); ok(); }); });
    if (this.o.healthCheckIntervalMs > 0) {
      this.healthTimer = setInterval(() => { void this.checkHealth(); }, this.o.healthCheckIntervalMs);
      this.healthTimer.unref();
    }
    return (this.server.address() as AddressInfo).port;
  }

  /** One round of health checks over every replica. */
  checkHealth(): Promise<void> {
    return checkReplicas(this.pool.all(), this.o.healthPath, Math.min(2000, this.o.healthCheckIntervalMs || 2000), this.agent);
  }

  async close(): Promise<void> {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.front.closeAll();
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
    this.agent.destroy();
    this.upstream.destroy();
  }

  stats(): Record<string, unknown> {
    return {
      routing: this.o.routing,
      models: this.pool.models().map((m) => ({ model: m, ...this.meter.snapshot(m), inflight: this.pool.replicasOf(m).reduce((s, r) => s + r.inflight, 0) })),
      replicas: this.pool.all().map((r) => ({ ...r })),
      tenants: Object.fromEntries(this.limiter.usage),
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const fail = (e: unknown) => failed(res, e);
    if (req.method === 'POST' && path === '/v1/chat/completions') { this.nodeChat(req, res, this.metrics.track(res)).catch(fail); return; }
    const route = `${req.method} ${path}`;
    try {
      if (route === 'GET /metrics') { this.serveMetrics(req, res).catch(fail); return; }
      if (route === 'GET /v1/models') { json(res, 200, { object: 'list', data: this.pool.models().map((id) => ({ id, object: 'model', created: this.pool.createdSeconds(id), owned_by: 'gigafactory' })) }); return; }
      if (route === 'GET /health') { const healthy = this.pool.all().filter((r) => r.healthy).length; json(res, 200, { status: 'ok', healthyReplicas: healthy, replicas: this.pool.all().length }); return; }
      if (route === 'GET /v1/gateway/stats') { json(res, 200, this.stats()); return; }
      const known = ['/v1/chat/completions', '/v1/models', '/health', '/v1/gateway/stats', '/metrics'].includes(path ?? '');
      throw new GatewayError(known ? 405 : 404, 'invalid_request_error', known ? `${req.method} is not allowed on ${path}` : `no route ${req.method} ${path}; the gateway serves POST /v1/chat/completions and GET /v1/models`, { code: known ? 'method_not_allowed' : 'unknown_url' });
    } catch (e) {
      fail(e);
    }
  }

  /**
   * The tenant a request is charged to. With API keys configured it comes from the key alone
   * (X-Tenant is ignored, so no caller can spend or dodge another tenant's limits); a request
   * without a key is `anonymous` (401 with requireApiKey), one with an unknown key is 401.
   * Without keys the gateway is open and X-Tenant is only a label.
   */
  /**
   * /metrics as the control plane serves it: where the gateway has API keys, a key is needed
   * and a tenant's key sees only its own series (a key of tenant `admin` sees all, e.g. for
   * Prometheus); a gateway without keys is open, and so are its metrics.
   */
  private async serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.keyed) { await this.metrics.serve(res); return; }
    const tenant = this.tenantOf(req.headers);
    if (tenant === 'anonymous') {
      throw new GatewayError(401, 'invalid_request_error', 'missing API key; this gateway has API keys, so /metrics needs one (Authorization: Bearer <key>; a key of tenant admin sees every tenant)', { code: 'invalid_api_key' });
    }
    await this.metrics.serve(res, tenant === 'admin' ? undefined : tenant);
  }

  private tenantOf(headers: ChatHeaders): string {
    const auth = headers.authorization;
    const key = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    const keys = this.o.apiKeys ?? {};
    const keyed = this.keyed;
    const mapped = key !== undefined && Object.hasOwn(keys, key) ? keys[key] : undefined;
    if (mapped !== undefined) return mapped;
    if (this.o.requireApiKey || (keyed && key !== undefined)) {
      throw new GatewayError(401, 'invalid_request_error', `${key === undefined ? 'missing' : 'unknown'} API key; send Authorization: Bearer <key> with a key the gateway was given (--api-key KEY=TENANT)`, { code: 'invalid_api_key' });
    }
    if (keyed) return 'anonymous';
    const header = headers['x-tenant'];
    if (typeof header === 'string' && header !== '') {
      if (!TENANT_PATTERN.test(header)) throw badRequest(`x-tenant: got ${JSON.stringify(header.slice(0, 80))}; expected a tenant name of 1-63 lowercase letters, digits or "-"`, 'x-tenant');
      return header;
    }
    return key ? `key:${key.slice(0, 8)}` : 'anonymous';
  }

  /** A chat request on a connection node:http serves: the tenant (401 before the body is read), then the body. */
  private async nodeChat(req: IncomingMessage, res: ServerResponse, tracked: TrackedRequest): Promise<void> {
    const tenant = this.tenantOf(req.headers);
    tracked.tenant = tenant;
    const raw = await readBody(req, this.o.maxBodyBytes);
    if (raw === null) return; // client went away mid-body
    await this.chat(tenant, raw, res, tracked);
  }

  /** A chat request the fast front read whole. */
  private fastChat(headers: ChatHeaders, raw: Buffer, res: FastResponse): void {
    const tracked = this.metrics.track(res);
    let tenant: string;
    try { tenant = this.tenantOf(headers); } catch (e) { failed(res, e); return; }
    tracked.tenant = tenant;
    this.chat(tenant, raw, res, tracked).catch((e: unknown) => failed(res, e));
  }

  private async chat(tenant: string, raw: Buffer, res: ClientResponse, tracked: TrackedRequest): Promise<void> {
    let chat: ChatRequest;
    try {
      chat = parseChatRequest(raw, this.o.defaultMaxTokens, 512);
    } catch (e) {
      // A bad field of a request for a served model counts under that model; other names stay
      // "unknown" so that request text never grows the label set.
      if (e instanceof GatewayError && e.requestModel !== undefined && this.pool.serves(e.requestModel)) tracked.model = e.requestModel;
      throw e;
    }
    if (!this.pool.serves(chat.model)) {
      const served = this.pool.models();
      throw new GatewayError(404, 'not_found_error', `model "${chat.model}" is not served here; served models: ${served.join(', ') || '(none)'}`, { param: 'model', code: 'model_not_found' });
    }
    tracked.model = chat.model;
    const reserved = chat.promptTokensEstimate + chat.maxTokens;
    const wait = this.limiter.admit(tenant, reserved);
    if (wait > 0) {
      throw new GatewayError(429, 'rate_limit_error', `tenant "${tenant}" is over its rate limit; retry in ${Math.ceil(wait)} s`, { code: 'rate_limit_exceeded', headers: { 'retry-after': String(Math.ceil(wait)) } });
    }
    // Allocated only when an attempt fails (most requests succeed on their first replica).
    let tried: Set<string> | undefined;
    let failures: string[] | undefined;
    this.meter.requestStarted(chat.model);
    try {
      for (let attempt = 0; attempt < this.o.maxAttempts; attempt++) {
        const replica = this.pool.pick(chat.model, this.o.routing, chat.prefix, tried ?? NONE_TRIED);
        if (!replica) break;
        replica.outstandingTokens += reserved;
        replica.inflight++;
        const startedMs = this.o.onAttempt ? performance.now() : 0;
        let r: AttemptResult;
        try { r = await forward(replica, chat, raw, res, this.proxy, tracked); } finally { replica.outstandingTokens -= reserved; replica.inflight--; }
        this.o.onAttempt?.(replica, r.kind === 'done' || r.kind === 'client-gone', performance.now() - startedMs);
        if (r.kind === 'retry') {
          replica.failures++;
          if (r.replicaDown) { replica.healthy = false; replica.reason = `request failed: ${r.reason}`; }
          (tried ??= new Set()).add(replica.id);
          (failures ??= []).push(`${replica.url}: ${r.reason}`);
          continue;
        }
        replica.served++;
        const prompt = r.kind === 'done' && r.promptTokens !== undefined ? r.promptTokens : chat.promptTokensEstimate;
        this.limiter.settle(tenant, reserved, prompt, r.completionTokens);
        this.meter.tokensServed(chat.model, r.completionTokens);
        tracked.tokens(prompt, r.completionTokens);
        return;
      }
      this.limiter.settle(tenant, reserved, 0, 0);
      const reason = failures ? `all attempts failed: ${failures.join('; ')}` : this.pool.unavailableReason(chat.model);
      throw new GatewayError(503, 'service_unavailable', reason, { code: 'no_healthy_replica' });
    } finally {
      this.meter.requestFinished(chat.model);
    }
  }
}

const NO_LIMITS: TenantLimits = {};
const NONE_TRIED: ReadonlySet<string> = new Set();
/** Idle keep-alive connections from clients close after this long. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;

/** Answers a failed request with its OpenAI-style error (500 for anything unexpected). */
function failed(res: ClientResponse, e: unknown): void {
  sendError(res, e instanceof GatewayError ? e : new GatewayError(500, 'server_error', `gateway error: ${(e as Error)?.message ?? e}`));
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads a request body up to `limit` bytes; null if the client aborts (a truncated body). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit && !done) {
        done = true;
        reject(new GatewayError(413, 'invalid_request_error', `request body: got more than ${limit} bytes; expected at most ${limit} bytes (the gateway's body limit)`, { code: 'request_too_large' }));
        req.resume();
        return;
      }
      if (!done) chunks.push(c);
    });
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks)); } });
    req.on('close', () => { if (!done) { done = true; resolve(null); } });
  });
}

export { badRequest };
