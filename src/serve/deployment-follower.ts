/**
 * A gateway fronting a control-plane deployment: every tick it reads the replica set and the
 * release shares (GET /v1/deployments/NAME) and reports its load and per-release figures
 * (POST /v1/deployments/NAME/load). It decides nothing: the plane scales and rolls out, so
 * several gateways can front one deployment and any of them may restart.
 */
import { hostname } from 'node:os';
import type { ControlClient } from '../control/client.ts';
import type { Gateway } from './gateway.ts';
import { ReleaseFiguresWindow } from './release-figures.ts';

interface DeploymentView {
  deployment: {
    model: string;
    shares: Record<string, number>;
    replicas: { job_id: string; release: string; url: string | null; ready: boolean; draining: boolean }[];
  };
}

export interface FollowerOptions {
  readonly control: ControlClient;
  readonly gateway: Gateway;
  readonly deployment: string;
  readonly figures: ReleaseFiguresWindow;
  /** Names this gateway in its reports (default host:pid). */
  readonly gatewayId?: string;
  readonly log?: (line: string) => void;
}

export class DeploymentFollower {
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  private lastError = '';
  model: string | undefined;

  constructor(private readonly o: FollowerOptions) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => { void this.tickSafe(); }, intervalMs);
    this.timer.unref();
    void this.tickSafe();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tickSafe(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try { await this.tick(); this.lastError = ''; } catch (e) {
      // The plane may be restarting: keep serving the replicas known, say so once.
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.o.log?.(`deployment ${this.o.deployment}: ${msg}`);
      this.lastError = msg;
    } finally { this.busy = false; }
  }

  async tick(): Promise<void> {
    const o = this.o;
    const path = `/v1/deployments/${encodeURIComponent(o.deployment)}`;
    const { deployment: d } = await o.control.call<DeploymentView>('GET', path);
    this.model = d.model;
    const pool = o.gateway.pool;
    const listed = d.replicas.filter((r) => r.url !== null);
    pool.setModelReplicas(d.model, listed.map((r) => ({ url: r.url!, model: d.model, id: r.job_id, release: r.release, healthy: r.ready })));
    for (const r of pool.replicasOf(d.model)) {
      const v = listed.find((x) => x.job_id === r.id)!;
      r.draining = v.draining;
      // The plane probed it within the last tick: its word is the freshest.
      r.healthy = v.ready;
      r.reason = v.ready ? '' : 'not ready (control-plane health probe)';
    }
    pool.setShares(d.model, Object.entries(d.shares).map(([release, percent]) => ({ release, percent })));
    const load = o.gateway.meter.snapshot(d.model);
    await o.control.call('POST', `${path}/load`, {
      gateway: o.gatewayId ?? `${hostname()}:${process.pid}`, output_tokens_per_second: load.outputTokensPerSecond,
      requests_in_flight: load.requestsInFlight, releases: o.figures.snapshot(),
    });
  }
}
