/**
 * A served model as control-plane `serve` jobs: one job per replica, named
 * `serve.<model>.<port>.<release>`, so the replica set survives a gateway restart (it is
 * rediscovered from the job list). Each tick:
 * 1. List the model's serve jobs (queued + running); running ones become gateway replicas.
 * 2. Measure load at the gateway: output tokens/s and requests beyond the replicas' slots.
 * 3. desiredReplicas (src/sched/autoscale.ts, the policy the simulator also uses) sizes the set.
 * 4. Scale up by submitting jobs on free ports; scale down by draining, then cancelling, the newest.
 * 5. Rolling release: replicas of an older promoted checkpoint are replaced once enough
 *    replicas of the current one run.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { ControlClient } from '../control/client.ts';
import { desiredReplicas } from '../sched/autoscale.ts';
import type { Gateway } from './gateway.ts';

export interface ServeServiceOptions {
  readonly control: ControlClient;
  readonly gateway: Gateway;
  readonly model: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Output tokens/s one replica sustains at its latency target (from `plan serve`, or measured). */
  readonly capacityTokensPerSecondPerReplica: number;
  /** Requests one replica serves at once; beyond that they count as queued. */
  readonly slotsPerReplica?: number;
  readonly targetUtilization?: number;
  /** Replica command with {port}, {checkpoint} and {model} placeholders. */
  readonly replicaCommand: readonly string[];
  readonly workdir: string;
  /** The promoted checkpoint now (read each tick, so a promotion rolls out); undefined: none yet. */
  readonly checkpoint: () => string | undefined | Promise<string | undefined>;
  readonly portBase?: number;
  readonly host?: string;
  readonly drainTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

interface JobJson { id: string; name: string; state: string }
export interface ServeJob { readonly id: string; readonly port: number; readonly release: string; readonly state: string }

/** True when nothing listens on 127.0.0.1:port (a replica can bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = net.createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
  });
}

export const releaseTag = (checkpoint: string) => createHash('sha256').update(checkpoint).digest('hex').slice(0, 8);
const NAME = /^serve\.([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-f]{8})$/;

/** A model's replica jobs (queued or running) on a control plane, by port. */
export async function listServeJobs(control: ControlClient, model: string): Promise<ServeJob[]> {
  const out: ServeJob[] = [];
  for (const state of ['running', 'queued']) {
    const { jobs } = await control.call<{ jobs: JobJson[] }>('GET', `/v1/jobs?state=${state}&limit=10000`);
    for (const j of jobs) {
      const m = NAME.exec(j.name);
      if (m && m[1] === model) out.push({ id: j.id, port: Number(m[2]), release: m[3]!, state });
    }
  }
  return out.sort((a, b) => a.port - b.port);
}

export class ServeService {
  private readonly o: ServeServiceOptions;
  private readonly draining = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  /** Submission times: a replica command that keeps failing must not churn jobs without end. */
  private submits: number[] = [];
  lastDesired = 0;

  constructor(o: ServeServiceOptions) {
    this.o = o;
  }

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
    try { await this.tick(); } catch (e) { this.o.log?.(`serve ${this.o.model}: ${(e as Error).message}`); } finally { this.busy = false; }
  }

  /** The model's replica jobs, queued or running. */
  jobs(): Promise<ServeJob[]> {
    return listServeJobs(this.o.control, this.o.model);
  }

  private url(port: number): string {
    return `http://${this.o.host ?? '127.0.0.1'}:${port}`;
  }

  /** One reconcile step (numbered in the file comment). */
  async tick(): Promise<void> {
    const o = this.o;
    // 1. Replica set from the control plane.
    const jobs = (await this.jobs()).filter((j) => !this.draining.has(j.id) || j.state === 'running');
    const running = jobs.filter((j) => j.state === 'running');
    const pool = o.gateway.pool;
    const before = new Map(pool.replicasOf(o.model).map((r) => [r.url, r]));
    pool.setModelReplicas(o.model, running.map((j) => ({ url: this.url(j.port), model: o.model, id: `${o.model}@${this.url(j.port)}`, healthy: before.get(this.url(j.port))?.healthy ?? false })));
    for (const r of pool.replicasOf(o.model)) r.draining = [...this.draining.keys()].some((id) => running.find((j) => j.id === id && this.url(j.port) === r.url));
    // 2. Load.
    const load = o.gateway.meter.snapshot(o.model);
    const slots = (o.slotsPerReplica ?? 1) * Math.max(1, running.length);
    const queueDepth = Math.max(0, load.requestsInFlight - slots);
    // 3. Size.
    const checkpoint = await o.checkpoint();
    if (checkpoint === undefined) { o.log?.(`serve ${o.model}: no promoted checkpoint yet (pass a release gate first)`); return; }
    const release = releaseTag(checkpoint);
    const live = jobs.filter((j) => !this.draining.has(j.id));
    const current = live.filter((j) => j.release === release);
    const desired = desiredReplicas({
      currentReplicas: Math.max(current.length, o.minReplicas), minReplicas: o.minReplicas, maxReplicas: o.maxReplicas, queueDepth,
      outputTokensPerSecond: load.outputTokensPerSecond, capacityTokensPerSecondPerReplica: o.capacityTokensPerSecondPerReplica,
      ...(o.targetUtilization !== undefined ? { targetUtilization: o.targetUtilization } : {}),
    });
    this.lastDesired = desired;
    // 4. Scale.
    const used = new Set(jobs.map((j) => j.port));
    const now = Date.now();
    this.submits = this.submits.filter((t) => now - t < 60_000);
    const budget = 3 * o.maxReplicas - this.submits.length;
    if (current.length < desired && budget <= 0) o.log?.(`serve ${o.model}: ${this.submits.length} replicas submitted in the last minute; waiting (do they fail? see gigafactory jobs)`);
    for (let n = current.length; n < Math.min(desired, current.length + Math.max(0, budget)); n++) {
      let port = o.portBase ?? 18300;
      while (used.has(port) || !(await portFree(port))) { used.add(port); port++; }
      used.add(port);
      this.submits.push(now);
      const command = o.replicaCommand.map((w) => w.replace(/\{port\}/g, String(port)).replace(/\{checkpoint\}/g, checkpoint).replace(/\{model\}/g, o.model));
      const { job } = await o.control.call<{ job: JobJson }>('POST', '/v1/jobs', {
        name: `serve.${o.model}.${port}.${release}`, kind: 'serve', command, workdir: o.workdir, nodes: 1, ranks_per_node: 1, gpus_per_node: 0,
        preemptible: false, max_restarts: 5, env: { PYTHONUNBUFFERED: '1' },
      });
      o.log?.(`serve ${o.model}: replica ${job.id} on port ${port} submitted (desired ${desired}, load ${load.outputTokensPerSecond.toFixed(1)} tok/s, queue ${queueDepth})`);
    }
    // 5. Retire: old releases once the current one covers the desired count, then the surplus (queued first, newest first).
    const currentRunning = current.filter((j) => j.state === 'running').length;
    const old = live.filter((j) => j.release !== release);
    const retire = [
      ...(currentRunning >= Math.min(desired, current.length) && currentRunning > 0 ? old : []),
      ...current.slice().sort((a, b) => (a.state === b.state ? b.port - a.port : a.state === 'queued' ? -1 : 1)).slice(0, Math.max(0, current.length - desired)),
    ];
    for (const j of retire) { this.draining.set(j.id, Date.now()); o.log?.(`serve ${o.model}: draining replica ${j.id} (port ${j.port})`); }
    // Cancel drained replicas: no request in flight, or the drain timed out.
    for (const [id, since] of this.draining) {
      const j = jobs.find((x) => x.id === id);
      if (!j) { this.draining.delete(id); continue; }
      const r = pool.replicasOf(o.model).find((x) => x.url === this.url(j.port));
      if (r) r.draining = true;
      if (!r || r.inflight === 0 || Date.now() - since > (o.drainTimeoutMs ?? 30_000)) {
        await o.control.call('POST', `/v1/jobs/${id}/cancel`);
        this.draining.delete(id);
        o.log?.(`serve ${o.model}: replica ${id} stopped`);
      }
    }
  }
}
