/**
 * Prometheus metrics of the chat gateway, served at its GET /metrics: requests by model, tenant
 * and HTTP code, tokens by kind (prompt, completion), request and time-to-first-token latency,
 * and replicas by state. `track(res)` is called once per chat request and observes its
 * finish; the proxy calls `firstByte()` when a streamed answer's first bytes go out.
 * Labels come only from served model names and known tenants, never from raw request text.
 */
import { filterMetricsForTenant } from '../control/api/metrics-filter.ts';
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Replica } from './pool.ts';

/** Per-request labels, filled in as the gateway learns them (a request may fail before). */
export interface TrackedRequest {
  model: string;
  tenant: string;
  tokens(promptTokens: number, completionTokens: number): void;
  /** The first bytes of a successful answer went to the client (time to first token). */
  firstByte(): void;
}

const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'model' | 'tenant' | 'code'>;
  private readonly tokensTotal: Counter<'model' | 'tenant' | 'kind'>;
  private readonly requestSeconds: Histogram<'model' | 'tenant'>;
  private readonly ttftSeconds: Histogram<'model' | 'tenant'>;

  constructor(replicas: () => readonly Replica[], private readonly nowMs: () => number = () => performance.now()) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'gigafactory_gateway_requests_total', help: 'Chat completion requests answered, by model, tenant and HTTP status code', labelNames: ['model', 'tenant', 'code'], registers });
    this.tokensTotal = new Counter({ name: 'gigafactory_gateway_tokens_total', help: 'Tokens processed, by kind: prompt or completion', labelNames: ['model', 'tenant', 'kind'], registers });
    this.requestSeconds = new Histogram({ name: 'gigafactory_gateway_request_seconds', help: 'Seconds from request to the end of the response', labelNames: ['model', 'tenant'], buckets: LATENCY_BUCKETS_SECONDS, registers });
    this.ttftSeconds = new Histogram({ name: 'gigafactory_gateway_ttft_seconds', help: 'Seconds from request to the first byte of a successful response (first token when streaming)', labelNames: ['model', 'tenant'], buckets: LATENCY_BUCKETS_SECONDS, registers });
    new Gauge({
      name: 'gigafactory_gateway_replicas', help: 'Replicas by model and state: healthy, unhealthy, draining', labelNames: ['model', 'state'], registers,
      collect() {
        this.reset();
        for (const r of replicas()) this.inc({ model: r.model, state: r.draining ? 'draining' : r.healthy ? 'healthy' : 'unhealthy' });
      },
    });
  }

  /** Starts observing one chat request's response. */
  track(res: ServerResponse): TrackedRequest {
    const t = new Tracked(this, this.nowMs());
    res.once('close', () => t.closed(res));
    return t;
  }

  /** @internal (Tracked) */
  observeTtft(model: string, tenant: string, seconds: number): void { this.ttftSeconds.observe({ model, tenant }, seconds); }

  /** @internal (Tracked) */
  observeEnd(model: string, tenant: string, seconds: number, code: string): void {
    this.requestSeconds.observe({ model, tenant }, seconds);
    this.requests.inc({ model, tenant, code });
  }

  /** @internal (Tracked) */
  countTokens(model: string, tenant: string, prompt: number, completion: number): void {
    this.tokensTotal.inc({ model, tenant, kind: 'prompt' }, prompt);
    this.tokensTotal.inc({ model, tenant, kind: 'completion' }, completion);
  }

  /** @internal */
  now(): number { return this.nowMs(); }

  /** GET /metrics */
  /** Serves the exposition; with `tenant`, only that tenant's series (and the families they belong to). */
  async serve(res: ServerResponse, tenant?: string): Promise<void> {
    const all = await this.registry.metrics();
    const body = tenant === undefined ? all : filterMetricsForTenant(all, tenant);
    res.writeHead(200, { 'content-type': this.registry.contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

/** One chat request's labels and timing (one object per request, rather than a patched res.write). */
class Tracked implements TrackedRequest {
  model = 'unknown';
  tenant = 'unknown';
  private first = false;

  constructor(private readonly m: GatewayMetrics, private readonly t0: number) {}

  tokens(prompt: number, completion: number): void { this.m.countTokens(this.model, this.tenant, prompt, completion); }

  firstByte(): void {
    if (this.first) return;
    this.first = true;
    this.m.observeTtft(this.model, this.tenant, (this.m.now() - this.t0) / 1000);
  }

  closed(res: ServerResponse): void {
    const seconds = (this.m.now() - this.t0) / 1000;
    // A non-streamed answer is written once, by end(): its first byte is its end.
    if (!this.first && res.statusCode < 400) this.m.observeTtft(this.model, this.tenant, seconds);
    this.m.observeEnd(this.model, this.tenant, seconds, String(res.writableFinished ? res.statusCode : 499));
  }
}
