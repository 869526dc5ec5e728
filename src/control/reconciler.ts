/**
 * The reconciler: the live driver of the scheduler core (one scheduler, two clocks; this is
 * the wall clock). Each tick:
 * 1. Stop running jobs whose cancel was requested.
 * 2. Snapshot the store: queued jobs and running jobs -> a ClusterView.
 * 3. `scheduler.schedule(view, queue, now)`.
 * 4. Preempt: stop the victim's gang, requeue it (no restart counted).
 * 5. Start: open the attempt in the store, then launch the gang; a launch error fails the attempt.
 * Executor events (exit, failure) end attempts; the store requeues from checkpoint or finishes.
 * All store changes go through one serial queue, so events and ticks never interleave.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ClusterTopology } from '../fleet/types.ts';
import { outcomeOfExit } from '../sched/lifecycle/index.ts';
import type { RunningJob, SchedJob, Scheduler, TenantQuota } from '../sched/types.ts';
import type { Executor, ExecutorEvent } from './executor.ts';
import type { ControlMetrics } from './metrics.ts';
import type { JobRecord, Store } from './store/types.ts';

export interface ReconcilerOptions {
  readonly store: Store;
  readonly executor: Executor;
  readonly scheduler: Scheduler;
  readonly topology: ClusterTopology;
  /** Where per-job logs and default checkpoints live: `<dataDir>/jobs/<id>/`. */
  readonly dataDir: string;
  /** Wall clock, seconds. Injected so tests can drive it. */
  readonly nowSeconds?: () => number;
  /** How often to check for work (default 500 ms). */
  readonly tickMs?: number;
  /** Least time between the end of one tick and the start of the next (default 100 ms). */
  readonly minTickGapMs?: number;
  /** Tick at least this often even when nothing changed (default 5,000 ms). */
  readonly idleTickMs?: number;
  readonly quotas?: readonly TenantQuota[];
  /** Called with a one-line message for each decision and event (the server logs them). */
  readonly log?: (line: string) => void;
  /** Prometheus metrics (cycle time, attempts ended). */
  readonly metrics?: ControlMetrics;
}

export const jobDir = (dataDir: string, jobId: string) => join(dataDir, 'jobs', jobId);
export const attemptLogDir = (dataDir: string, jobId: string, attempt: number) => join(jobDir(dataDir, jobId), `attempt-${attempt}`);
export function checkpointDirOf(dataDir: string, job: Pick<JobRecord, 'id' | 'spec'>): string {
  const dir = job.spec.checkpoint_dir;
  if (dir === undefined) return join(jobDir(dataDir, job.id), 'checkpoints');
  return isAbsolute(dir) ? dir : resolve(job.spec.workdir ?? process.cwd(), dir);
}

/** Newest modification time (seconds) of anything in a checkpoint dir, or undefined. */
function lastCheckpointSeconds(dir: string): number | undefined {
  let newest: number | undefined;
  try {
    for (const name of readdirSync(dir)) {
      const t = statSync(join(dir, name)).mtimeMs / 1000;
      if (newest === undefined || t > newest) newest = t;
    }
  } catch { /* no checkpoint yet */ }
  return newest;
}

const toSched = (j: JobRecord): SchedJob => ({
  id: j.id, tenant: j.tenant, priority: j.spec.priority, kind: j.spec.kind, nodes: j.spec.nodes,
  gpusPerNode: j.spec.gpus_per_node, submitSeconds: j.submitSeconds, preemptible: j.spec.preemptible,
  ...(j.spec.estimated_runtime_seconds !== undefined ? { estimatedRuntimeSeconds: j.spec.estimated_runtime_seconds } : {}),
});

export class Reconciler {
  private readonly o: ReconcilerOptions;
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private dirty = true;
  private lastTickEndMs = 0;
  /** Last scheduling-cycle time, for metrics and the bench. */
  lastCycleMs = 0;

  constructor(o: ReconcilerOptions) {
    this.o = o;
    this.now = o.nowSeconds ?? (() => Date.now() / 1000);
    o.executor.onEvent((e) => { void this.serial(() => this.onEvent(e)); });
  }

  /** Runs `fn` after every earlier store change; errors are logged, never thrown upward. */
  private serial<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const p = this.chain.then(fn).catch((err: unknown) => { this.o.log?.(`reconciler error: ${(err as Error).stack ?? String(err)}`); return undefined; });
    this.chain = p;
    return p;
  }

  /** Re-adopts running jobs after a restart (else requeues them), then ticks periodically. */
  async start(): Promise<void> {
    await this.serial(() => this.adoptAll());
    this.timer = setInterval(() => this.periodic(), this.o.tickMs ?? 500);
    this.timer.unref();
    this.kick();
  }

  /**
   * Asks for a tick soon (after a submit, cancel or exit). Ticks never overlap and start at
   * least `minTickGapMs` apart, so a burst of submissions costs a few cycles, not one each.
   */
  kick(): void {
    this.dirty = true;
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, this.lastTickEndMs + (this.o.minTickGapMs ?? 100) - Date.now());
    const run = () => {
      void this.serial(async () => {
        this.pending = false;
        this.dirty = false;
        await this.tick();
      }).finally(() => { this.lastTickEndMs = Date.now(); });
    };
    if (wait === 0) run();
    else setTimeout(run, wait).unref();
  }

  /** The periodic tick: only when something changed, or every `idleTickMs` (time-based policies). */
  private periodic(): void {
    if (this.dirty || Date.now() - this.lastTickEndMs >= (this.o.idleTickMs ?? 5000)) this.kick();
  }

  /** Waits for every queued store change (tests, shutdown). */
  async idle(): Promise<void> {
    await this.chain;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }

  private async adoptAll(): Promise<void> {
    for (const j of await this.o.store.listJobs({ states: ['running'], order: 'id' })) {
      const ok = j.handle !== undefined && (await this.o.executor.adopt(j.id, j.attempt, j.handle));
      if (ok) { this.o.log?.(`${j.id}: re-adopted attempt ${j.attempt}`); continue; }
      // Whatever is left of the attempt must not run on beside its replacement.
      await this.o.executor.stop(j.id, j.attempt, 'lost in a control-plane restart');
      await this.o.store.endAttempt(j.id, j.attempt, { outcome: 'lost', reason: 'processes gone after a control-plane restart', nowSeconds: this.now(), lostSeconds: this.lostSeconds(j) });
      this.o.log?.(`${j.id}: attempt ${j.attempt} lost in the restart; requeued`);
    }
  }

  private lostSeconds(j: JobRecord): number {
    const now = this.now();
    const start = j.startSeconds ?? now;
    const ckpt = lastCheckpointSeconds(checkpointDirOf(this.o.dataDir, j));
    return Math.max(0, now - Math.max(start, ckpt ?? start));
  }

  /** One reconcile cycle (numbered phases in the file comment). */
  async tick(): Promise<void> {
    const end = this.o.metrics?.cycleSeconds.startTimer();
    try { await this.cycle(); } finally { end?.(); }
  }

  private async cycle(): Promise<void> {
    const { store, executor, scheduler, topology } = this.o;
    // 1. Cancels.
    const running = await store.listJobs({ states: ['running'], order: 'id' });
    for (const j of running.filter((r) => r.cancelRequested)) {
      await executor.stop(j.id, j.attempt, 'cancelled');
      await store.endAttempt(j.id, j.attempt, { outcome: 'cancelled', reason: 'cancelled by user', nowSeconds: this.now(), lostSeconds: this.lostSeconds(j) });
      this.o.metrics?.attemptsEnded.inc({ outcome: 'cancelled' });
      this.o.log?.(`${j.id}: cancelled`);
    }
    // 2. Snapshot.
    const queued = await store.listJobs({ states: ['queued'], order: 'id' });
    if (queued.length === 0) return;
    const live = running.filter((r) => !r.cancelRequested);
    const byId = new Map([...queued, ...live].map((j) => [j.id, j]));
    const view = {
      topology, nodeUp: (i: number) => executor.nodeUp?.(topology.nodes[i]?.name ?? '') ?? true, quotas: this.o.quotas ?? [],
      running: live.map((j): RunningJob => ({ ...toSched(j), nodeIndices: j.nodeIndices, startSeconds: j.startSeconds ?? 0 })),
    };
    // 3. Decide.
    const t0 = performance.now();
    const decisions = scheduler.schedule(view, queued.map(toSched), this.now());
    this.lastCycleMs = performance.now() - t0;
    // 4. Preempt first: their nodes are what the starts below use.
    for (const d of decisions) {
      if (d.kind !== 'preempt') continue;
      const v = byId.get(d.jobId);
      if (!v || v.state !== 'running') continue;
      await executor.stop(v.id, v.attempt, `preempted for ${d.forJobId}`);
      await store.endAttempt(v.id, v.attempt, { outcome: 'preempted', reason: `preempted (${d.reason}) for ${d.forJobId}`, nowSeconds: this.now(), lostSeconds: this.lostSeconds(v) });
      this.o.metrics?.attemptsEnded.inc({ outcome: 'preempted' });
      this.o.log?.(`${v.id}: preempted for ${d.forJobId}`);
    }
    // 5. Start.
    for (const d of decisions) {
      if (d.kind !== 'start') continue;
      const q = byId.get(d.jobId);
      if (!q || q.state !== 'queued') continue;
      const j = await store.startAttempt(q.id, d.nodeIndices, this.now());
      try {
        const handle = await executor.launch({
          jobId: j.id, attempt: j.attempt, name: j.spec.name, command: j.spec.command, workdir: j.spec.workdir ?? process.cwd(),
          env: j.spec.env, nodes: j.spec.nodes, ranksPerNode: j.spec.ranks_per_node, gpusPerNode: j.spec.gpus_per_node,
          checkpointDir: checkpointDirOf(this.o.dataDir, j), nodeNames: d.nodeIndices.map((i) => topology.nodes[i]?.name ?? `node-${i}`),
          logDir: attemptLogDir(this.o.dataDir, j.id, j.attempt),
          ...(j.spec.heartbeat_timeout_seconds !== undefined ? { heartbeatTimeoutSeconds: j.spec.heartbeat_timeout_seconds } : {}),
        });
        await store.setHandle(j.id, j.attempt, handle);
        this.o.log?.(`${j.id}: attempt ${j.attempt} started on ${d.nodeIndices.length} node(s)`);
      } catch (err) {
        await store.endAttempt(j.id, j.attempt, { outcome: 'failed', reason: `launch failed: ${(err as Error).message}`, nowSeconds: this.now(), lostSeconds: 0 });
      }
    }
  }

  private async onEvent(e: ExecutorEvent): Promise<void> {
    if (e.type !== 'exited' && e.type !== 'failed') return;
    const j = await this.o.store.getJob(e.jobId);
    if (!j || j.state !== 'running' || j.attempt !== e.attempt) return;
    const outcome = outcomeOfExit(e);
    const next = await this.o.store.endAttempt(j.id, j.attempt, {
      outcome, reason: e.reason, nowSeconds: this.now(), lostSeconds: outcome === 'succeeded' ? 0 : this.lostSeconds(j),
      ...(e.type === 'exited' ? { exitCode: e.exitCode } : {}),
    });
    this.o.metrics?.attemptsEnded.inc({ outcome });
    this.o.log?.(`${j.id}: attempt ${j.attempt} ended (${e.reason}); job ${next.state}`);
    this.kick();
  }
}
