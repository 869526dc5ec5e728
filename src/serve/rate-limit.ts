/**
 * Per-tenant limits (token buckets refilled continuously) and usage counters. The clock is
 * injected (milliseconds) so tests can drive it.
 */
export interface TenantLimits {
  /** Requests per minute; absent: unlimited. */
  readonly requestsPerMinute?: number;
  /** Prompt + completion tokens per minute; absent: unlimited. */
  readonly tokensPerMinute?: number;
}

export interface TenantUsage {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  rejected: number;
}

interface Bucket { tokens: number; updatedMs: number }

export class TenantLimiter {
  private readonly requestBuckets = new Map<string, Bucket>();
  private readonly tokenBuckets = new Map<string, Bucket>();
  readonly usage = new Map<string, TenantUsage>();

  constructor(
    private readonly limitsFor: (tenant: string) => TenantLimits,
    private readonly nowMs: () => number,
  ) {}

  private take(map: Map<string, Bucket>, tenant: string, perMinute: number, amount: number): number {
    const now = this.nowMs();
    const b = map.get(tenant) ?? { tokens: perMinute, updatedMs: now };
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.updatedMs) / 60_000) * perMinute);
    b.updatedMs = now;
    map.set(tenant, b);
    // A request larger than the whole budget runs when the bucket is full and leaves it in debt.
    const need = Math.min(amount, perMinute);
    if (b.tokens >= need) { b.tokens -= amount; return 0; }
    return Math.min(60, ((need - b.tokens) / perMinute) * 60);
  }

  private usageOf(tenant: string): TenantUsage {
    let u = this.usage.get(tenant);
    if (!u) { u = { requests: 0, promptTokens: 0, completionTokens: 0, rejected: 0 }; this.usage.set(tenant, u); }
    return u;
  }

  /**
   * Admits a request reserving `tokens` (prompt estimate + completion budget). Returns 0 when
   * admitted, or the seconds to wait (Retry-After) when over a limit.
   */
  admit(tenant: string, tokens: number): number {
    const limits = this.limitsFor(tenant);
    if (limits.requestsPerMinute !== undefined) {
      const wait = this.take(this.requestBuckets, tenant, limits.requestsPerMinute, 1);
      if (wait > 0) { this.usageOf(tenant).rejected++; return wait; }
    }
    if (limits.tokensPerMinute !== undefined) {
      const wait = this.take(this.tokenBuckets, tenant, limits.tokensPerMinute, tokens);
      if (wait > 0) {
        this.usageOf(tenant).rejected++;
        // Give the request slot back: the request did not run.
        const rb = this.requestBuckets.get(tenant);
        if (rb && limits.requestsPerMinute !== undefined) rb.tokens = Math.min(limits.requestsPerMinute, rb.tokens + 1);
        return wait;
      }
    }
    this.usageOf(tenant).requests++;
    return 0;
  }

  /** Records what a finished request used and refunds the unused part of its reservation. */
  settle(tenant: string, reservedTokens: number, promptTokens: number, completionTokens: number): void {
    const u = this.usageOf(tenant);
    u.promptTokens += promptTokens;
    u.completionTokens += completionTokens;
    const limits = this.limitsFor(tenant);
    const b = this.tokenBuckets.get(tenant);
    if (b && limits.tokensPerMinute !== undefined) {
      b.tokens = Math.min(limits.tokensPerMinute, b.tokens + Math.max(0, reservedTokens - promptTokens - completionTokens));
    }
  }
}
