/**
 * The dashboard's short memory of the fleet over time: one sample every few seconds (GPUs in
 * use, nodes down, jobs queued and running, serving replicas), the last hour kept in a ring.
 * Prometheus keeps the long history; this is what the Fleet and Serving charts draw.
 */
export interface FleetSample {
  readonly t: number;
  readonly gpus: number;
  readonly gpusInUse: number;
  readonly nodesDown: number;
  readonly queued: number;
  readonly running: number;
  readonly replicas: number;
  /** Output tokens/s of all serve deployments, as their gateways last reported it. */
  readonly outputTokensPerSecond: number;
}

export class Sampler {
  private readonly ring: FleetSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly take: () => Promise<FleetSample>, private readonly keep = 720) {}

  start(everyMs: number): void {
    void this.sample();
    this.timer = setInterval(() => { void this.sample(); }, everyMs);
    this.timer.unref();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  async sample(): Promise<void> {
    try {
      this.ring.push(await this.take());
      if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
    } catch { /* the store is closing; the next sample will tell */ }
  }

  samples(): readonly FleetSample[] { return this.ring; }
}
