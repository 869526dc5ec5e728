/**
 * Measured load per model for the autoscaler: requests in flight and output tokens per second
 * over a sliding window of one-second buckets. Clock injected (milliseconds).
 */
export class LoadMeter {
  private readonly perModel = new Map<string, { inflight: number; buckets: Map<number, number> }>();

  constructor(private readonly nowMs: () => number, private readonly windowSeconds = 10) {}

  private of(model: string) {
    let m = this.perModel.get(model);
    if (!m) { m = { inflight: 0, buckets: new Map() }; this.perModel.set(model, m); }
    return m;
  }

  requestStarted(model: string): void { this.of(model).inflight++; }
  requestFinished(model: string): void { this.of(model).inflight--; }

  tokensServed(model: string, tokens: number): void {
    const m = this.of(model);
    const second = Math.floor(this.nowMs() / 1000);
    const had = m.buckets.get(second);
    m.buckets.set(second, (had ?? 0) + tokens);
    // Old buckets are dropped when a new second starts (snapshot() ignores them anyway).
    if (had === undefined) for (const k of m.buckets.keys()) if (k <= second - this.windowSeconds) m.buckets.delete(k);
  }

  /** Requests in flight and output tokens/s over the last window. */
  snapshot(model: string): { requestsInFlight: number; outputTokensPerSecond: number } {
    const m = this.of(model);
    const second = Math.floor(this.nowMs() / 1000);
    let tokens = 0;
    for (const [k, v] of m.buckets) if (k > second - this.windowSeconds) tokens += v;
    return { requestsInFlight: m.inflight, outputTokensPerSecond: tokens / this.windowSeconds };
  }
}
