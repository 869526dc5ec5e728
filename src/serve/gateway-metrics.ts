/**
 * Prometheus metrics of the chat gateway, served at its GET /metrics: requests by model, tenant
 * and HTTP code, tokens by kind (prompt, completion), request and time-to-first-token latency,
 * and replicas by state. `track(res)` is called once per chat request and observes its
 * finish; the proxy calls `firstByte()` when a streamed answer's first bytes go out.
 * Labels come only from served model names and known tenants, never from raw request text.
 */
import { filterMetricsForTenant } from '../control/api/metrics-filter.ts';
import type { ServerResponse } from 'node:http';
import type { ClientResponse } from './fast-front.ts';
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
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

/** A latency histogram's figures for one series: counts per bucket (not cumulative), sum, count. */
class Buckets {
  readonly counts = new Float64Array(LATENCY_BUCKETS_SECONDS.length);
  sum = 0;
  count = 0;
  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[i]!) i++;
    if (i < this.counts.length) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * One (model, tenant)'s figures as plain numbers: a request updates them without building a
 * label string or hashing a label object (prom-client's observe/inc do both, five times per
 * request). They reach prom-client's text format only when /metrics is scraped.
 */
class Series {
  readonly labels: { readonly model: string; readonly tenant: string };
  /** Requests answered, by HTTP status code. */
  readonly codes = new Map<number, number>();
  /** Whether tokens were counted (only then has it a tokens series, possibly of 0). */
  counted = false;
  promptTokens = 0;
  completionTokens = 0;
  readonly request = new Buckets();
  readonly ttft = new Buckets();
  constructor(model: string, tenant: string) { this.labels = { model, tenant }; }
}

/** A histogram family over Series, in the shape prom-client's Registry prints (as its Histogram). */
class SeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(readonly name: string, readonly help: string, private readonly series: () => Iterable<Series>, private readonly pick: (s: Series) => Buckets) {}
  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; sharedLabels?: object; value: number; metricName: string }[] } {
    const values = [];
    for (const s of this.series()) {
      const b = this.pick(s);
      if (b.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
        cumulative += b.counts[i]!;
        values.push({ labels: { le: LATENCY_BUCKETS_SECONDS[i]! }, sharedLabels: s.labels, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: b.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: s.labels, value: b.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: b.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  reset(): void { /* figures live in the Series */ }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  /** model -> tenant -> figures. */
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(replicas: () => readonly Replica[], private readonly nowMs: () => number = () => performance.now()) {
    const registers = [this.registry];
    const all = () => this.allSeries();
    new Counter({
      name: 'gigafactory_gateway_requests_total', help: 'Chat completion requests answered, by model, tenant and HTTP status code', labelNames: ['model', 'tenant', 'code'], registers,
      collect() {
        this.reset();
        for (const s of all()) for (const [code, n] of s.codes) this.inc({ model: s.labels.model, tenant: s.labels.tenant, code: String(code) }, n);
      },
    });
    new Counter({
      name: 'gigafactory_gateway_tokens_total', help: 'Tokens processed, by kind: prompt or completion', labelNames: ['model', 'tenant', 'kind'], registers,
      collect() {
        this.reset();
        for (const s of all()) {
          if (!s.counted) continue;
          this.inc({ model: s.labels.model, tenant: s.labels.tenant, kind: 'prompt' }, s.promptTokens);
          this.inc({ model: s.labels.model, tenant: s.labels.tenant, kind: 'completion' }, s.completionTokens);
        }
      },
    });
    this.registry.registerMetric(new SeriesHistogram('gigafactory_gateway_request_seconds', 'Seconds from request to the end of the response', all, (s) => s.request) as unknown as Metric);
    this.registry.registerMetric(new SeriesHistogram('gigafactory_gateway_ttft_seconds', 'Seconds from request to the first byte of a successful response (first token when streaming)', all, (s) => s.ttft) as unknown as Metric);
    new Gauge({
      name: 'gigafactory_gateway_replicas', help: 'Replicas by model and state: healthy, unhealthy, draining', labelNames: ['model', 'state'], registers,
      collect() {
        this.reset();
        for (const r of replicas()) this.inc({ model: r.model, state: r.draining ? 'draining' : r.healthy ? 'healthy' : 'unhealthy' });
      },
    });
  }

  private *allSeries(): Iterable<Series> {
    for (const byTenant of this.series.values()) yield* byTenant.values();
  }

  /** @internal (Tracked) The figures of one (model, tenant), made on first use. */
  of(model: string, tenant: string): Series {
    let byTenant = this.series.get(model);
    if (!byTenant) { byTenant = new Map(); this.series.set(model, byTenant); }
    let s = byTenant.get(tenant);
    if (!s) { s = new Series(model, tenant); byTenant.set(tenant, s); }
    return s;
  }

  /** Starts observing one chat request's response. */
  track(res: ClientResponse): TrackedRequest {
    const t = new Tracked(this, this.nowMs());
    res.once('close', () => t.closed(res));
    return t;
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
  /** The series of (model, tenant) as last looked up: labels are set once, early, so one lookup serves the rest. */
  private s: Series | undefined;

  constructor(private readonly m: GatewayMetrics, private readonly t0: number) {}

  private series(): Series {
    const s = this.s;
    if (s && s.labels.model === this.model && s.labels.tenant === this.tenant) return s;
    return (this.s = this.m.of(this.model, this.tenant));
  }

  tokens(prompt: number, completion: number): void {
    const s = this.series();
    s.counted = true;
    s.promptTokens += prompt;
    s.completionTokens += completion;
  }

  firstByte(): void {
    if (this.first) return;
    this.first = true;
    this.series().ttft.observe((this.m.now() - this.t0) / 1000);
  }

  closed(res: ClientResponse): void {
    const seconds = (this.m.now() - this.t0) / 1000;
    const s = this.series();
    // A non-streamed answer is written once, by end(): its first byte is its end.
    if (!this.first && res.statusCode < 400) s.ttft.observe(seconds);
    s.request.observe(seconds);
    const code = res.writableFinished ? res.statusCode : 499;
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
  }
}
