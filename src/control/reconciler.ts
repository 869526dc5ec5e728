/**
 * The reconciler: the live driver of the scheduler core and the job lifecycle (one lifecycle,
 * two clocks; this is the wall clock). It decides in a loop and binds off it, as the Kubernetes
 * scheduler's "assume, then bind" does:
 *
 *   decide (serial)                         bind (async, one per decision)
 *   1. snapshot: store + assumed effects    preempt/cancel: executor.stop -> commit end
 *   2. scheduler.schedule(view, queue)      start: wait for the stops of its victims ->
 *   3. assume: mark each decision's job        commit start (durable intent) -> launch ->
 *      in flight, its nodes taken              commit handle (or end as failed)
 *
 * A job with an effect in flight is seen by the next cycle as it will be (a starting job holds
 * its nodes, a stopping one has given them up, and a start placed on them waits for its stop),
 * so a slow stop never blocks scheduling, and no node runs two gangs at once. Every store change (commits of effects,
 * executor events, the cycle's snapshot) runs on one serial chain, so a snapshot never sees
 * half of a change. The state machine itself is the lifecycle's (src/sched/lifecycle), run by
 * the store.
 */
import { statSync } from 'node:fs';
import type { ClusterTopology } from '../fleet/types.ts';
import { chooseRecovery, nearestSpare, outcomeOfExit, rentWaitReasons, type AttemptOutcome } from '../sched/lifecycle/index.ts';
import type { Decision, PendingReason, RunningJob, SchedJob, Scheduler, TenantQuota } from '../sched/types.ts';
import { checkpointDoneFile, newestMtimeSeconds } from './checkpoint-report.ts';
import type { Executor, ExecutorEvent } from './executor.ts';
import type { ControlMetrics } from './metrics.ts';
import type { LiveRenting } from './renting.ts';
import { JobStateError, type JobRecord, type Store } from './store/types.ts';
import { attemptLogDir, checkpointDirOf, progressFile } from './layout.ts';
import { clusterSecondsOf, wallSecondsOf } from './cluster-time.ts';
import type { PendingBoard } from './pending-board.ts';

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
  /** Called with each decision of each cycle, in order (the conformance suite compares them). */
  readonly onDecision?: (d: Decision, nowSeconds: number) => void;
  /** Prometheus metrics (cycle time, attempts ended). */
  readonly metrics?: ControlMetrics;
  /** Called after each decision cycle with its duration, ms (snapshot, schedule, assume; the bench). */
  readonly onCycle?: (ms: number) => void;
  /** Virtual-clock tests: no timers, a cycle runs only on `tick()` / `decideNow()`. */
  readonly manualTicks?: boolean;
  /** Hot spares: nodes kept free so a gang that loses a node restarts on one at once (default 0). */
  readonly spares?: number;
  /** Only gangs of at least this many GPUs get a spare (default 0: any gang). */
  readonly spareMinGpus?: number;
  /** Renting from a pool through a provider (absent: owned nodes only). */
  readonly renting?: LiveRenting;
  /** Filled each cycle with why every queued job waits (the API shows it). */
  readonly pending?: PendingBoard;
  /**
   * Cluster seconds per wall second (`up --executor sim --sim-speed`; default 1): a job's runtime
   * estimate is in the cluster's seconds, the scheduler's clock (`nowSeconds`) is wall time.
   */
  readonly clusterSpeed?: number;
}

/** The scheduler's view of a job, its runtime estimate in the plane's (wall) seconds. */
const toSched = (j: JobRecord, clusterSpeed = 1): SchedJob => ({
  id: j.id, tenant: j.tenant, priority: j.spec.priority, kind: j.spec.kind, nodes: j.spec.nodes,
  gpusPerNode: j.spec.gpus_per_node, submitSeconds: j.submitSeconds, preemptible: j.spec.preemptible,
  ...(j.spec.estimated_runtime_seconds !== undefined ? { estimatedRuntimeSeconds: wallSecondsOf(j.spec.estimated_runtime_seconds, clusterSpeed) } : {}),
  ...(j.spec.gpu_type !== undefined ? { gpuType: j.spec.gpu_type } : {}),
});

/** An effect decided and not yet committed: the job's assumed nodes, and the effect's promise. */
interface InFlight {
  readonly kind: 'start' | 'stop';
  readonly nodeIndices: readonly number[];
  /** A start's GPUs per node (jobs sharing nodes). */
  readonly gpuIndices?: readonly (readonly number[])[];
  readonly done: Promise<void>;
}

export class Reconciler {
  private readonly o: ReconcilerOptions;
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private dirty = true;
  private lastTickEndMs = 0;
  /** Effects in flight by job id (at most one per job). */
  private readonly inFlight = new Map<string, InFlight>();
  /** Last checkpoint each running job reported, seconds (GF_CHECKPOINT_DONE_FILE's mtime). */
  private readonly checkpoints = new Map<string, number>();
  /** When each requeued job (by id) re-entered the queue, for the rent policy: its attempt then, and the time. */
  private readonly requeuedAt = new Map<string, { attempt: number; seconds: number }>();
  /** Hot spare nodes now held aside (up, free, out of ordinary placement). */
  private readonly spares = new Set<number>();
  /** Lost nodes (under a gang, or spares) not yet back up. */
  private readonly inRepair = new Set<number>();
  private sparesFilled = false;
  /** GPUs each running job holds per node (nodes are shared by jobs), mirrored in the store. */
  private readonly gpus = new Map<string, number[][]>();
  /** Nodes an operator drained or downed (by index), as of the last cycle. */
  private held = new Set<number>();
  /** Spare swaps so far. */
  spareSwaps = 0;
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
    if (this.o.manualTicks) return;
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
    if (this.pending || this.o.manualTicks) return;
    this.pending = true;
    const wait = Math.max(0, this.lastTickEndMs + (this.o.minTickGapMs ?? 100) - Date.now());
    const run = () => {
      void this.serial(async () => {
        this.pending = false;
        this.dirty = false;
        await this.decide();
      }).finally(() => { this.lastTickEndMs = Date.now(); });
    };
    if (wait === 0) run();
    else setTimeout(run, wait).unref();
  }

  /** The periodic tick: only when something changed, or every `idleTickMs` (time-based policies). */
  private periodic(): void {
    if (this.dirty || Date.now() - this.lastTickEndMs >= (this.o.idleTickMs ?? 5000)) this.kick();
  }

  /** Waits for every queued store change and every effect in flight (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      await this.chain;
      if (this.inFlight.size === 0) { await this.chain; if (this.inFlight.size === 0) return; }
      await Promise.all([...this.inFlight.values()].map((f) => f.done));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }

  private async adoptAll(): Promise<void> {
    for (const [id, g] of await this.o.store.listRunningJobGpus()) this.gpus.set(id, g);
    for (const j of await this.o.store.listJobs({ states: ['running'], order: 'id' })) {
      if (this.o.executor.recover) { await this.recoverOne(j); continue; }
      const ok = j.handle !== undefined && (await this.o.executor.adopt(j.id, j.attempt, j.handle));
      if (ok) { this.o.log?.(`${j.id}: re-adopted attempt ${j.attempt}`); continue; }
      // Whatever is left of the attempt must not run on beside its replacement.
      await this.o.executor.stop(j.id, j.attempt, 'lost in a control-plane restart');
      await this.o.store.endAttempt(j.id, j.attempt, { outcome: 'lost', reason: 'processes gone after a control-plane restart', nowSeconds: this.now(), lostSeconds: this.lostSeconds(j) });
      this.o.log?.(`${j.id}: attempt ${j.attempt} lost in the restart; requeued`);
    }
  }

  /**
   * The attempt's fate from its durable record (opened in the store before launch): a finished
   * one ends with its real exit code, a live one is re-adopted, one that never started or was
   * lost with the plane is requeued without counting a restart.
   */
  private async recoverOne(j: JobRecord): Promise<void> {
    const r = await this.o.executor.recover!({ jobId: j.id, attempt: j.attempt, ...(j.handle !== undefined ? { handle: j.handle } : {}), logDir: attemptLogDir(this.o.dataDir, j, j.attempt), ranks: j.spec.nodes * j.spec.ranks_per_node });
    if (r.state === 'running') { this.o.log?.(`${j.id}: re-adopted attempt ${j.attempt}`); return; }
    if (r.state === 'finished') { await this.onEvent({ type: 'exited', jobId: j.id, attempt: j.attempt, exitCode: r.exitCode, reason: r.reason, ...(r.endSeconds !== undefined ? { atSeconds: r.endSeconds } : {}) }); return; }
    await this.o.store.endAttempt(j.id, j.attempt, { outcome: 'lost', reason: r.reason, nowSeconds: this.now(), lostSeconds: r.state === 'never-started' ? 0 : this.lostSeconds(j) });
    this.gpus.delete(j.id);
    this.o.log?.(`${j.id}: attempt ${j.attempt} ${r.state} at the restart (${r.reason}); requeued`);
  }

  /**
   * The job's last reported checkpoint within its current attempt, seconds, or undefined: the
   * mtime of GF_CHECKPOINT_DONE_FILE, else the newest file in its checkpoint dir (jobs that
   * do not report). Read only when asked (preemption, the end of an attempt).
   */
  private lastCheckpointSeconds(j: JobRecord): number | undefined {
    const start = j.startSeconds ?? this.now();
    let t: number | undefined;
    try { t = statSync(checkpointDoneFile(this.o.dataDir, j)).mtimeMs / 1000; } catch { t = newestMtimeSeconds(checkpointDirOf(this.o.dataDir, j)); }
    if (t !== undefined) this.checkpoints.set(j.id, t);
    return t !== undefined && t > start ? t : undefined;
  }

  /** Work lost since the attempt's last checkpoint, in cluster seconds (./cluster-time.ts). */
  private lostSeconds(j: JobRecord, now = this.now()): number {
    return clusterSecondsOf(Math.max(0, now - (this.lastCheckpointSeconds(j) ?? j.startSeconds ?? now)), this.o.clusterSpeed);
  }

  /** One cycle, then every effect it started (tests, the bench). */
  async tick(): Promise<void> {
    await this.decideNow();
    await this.idle();
  }

  /** One decision cycle only; its effects may still be in flight when this resolves. */
  async decideNow(): Promise<void> {
    await this.serial(() => this.decide());
  }

  /** The decision cycle (numbered phases in the file comment); effects run off it. */
  private async decide(): Promise<void> {
    const end = this.o.metrics?.cycleSeconds.startTimer();
    const t0 = performance.now();
    try { await this.cycle(); } finally { end?.(); this.o.onCycle?.(performance.now() - t0); }
  }

  private async cycle(): Promise<void> {
    const { store } = this.o;
    // 1. Snapshot, with assumed effects applied: cancels to stop, the queue, who holds which nodes.
    const running = await store.listJobs({ states: ['running'], order: 'id' });
    for (const j of running) if (j.cancelRequested && !this.inFlight.has(j.id)) this.stopAttempt(j, 'cancelled', 'cancelled by user');
    // 1b. Nodes an operator took out: drained ones get no new work, down ones stop theirs (requeued, not counted).
    const states = await store.listNodeStates();
    const byName = new Map(this.o.topology.nodes.map((n) => [n.name, n.index]));
    this.held = new Set(states.map((n) => byName.get(n.name)).filter((i): i is number => i !== undefined));
    const down = new Map(states.filter((n) => n.state === 'down').map((n) => [n.name, n]));
    for (const j of running) {
      if (j.cancelRequested || this.inFlight.has(j.id)) continue;
      const d = j.nodeIndices.map((i) => down.get(this.o.topology.nodes[i]?.name ?? '')).find((n) => n !== undefined);
      // As a failed node (Slurm's NODE_FAIL): requeued without counting, and recovered at once on a hot spare.
      if (d) this.stopAttempt(j, 'node-lost', `node ${d.name} set down: ${d.reason}`, d.name);
    }
    const queuedAll = await store.listJobs({ states: ['queued'], order: 'id' });
    const starting = queuedAll.filter((q) => this.inFlight.get(q.id)?.kind === 'start');
    const queued = queuedAll.filter((q) => !this.inFlight.has(q.id));
    this.keepSpares(running);
    const now = this.now();
    const { decisions, pending } = queued.length === 0 ? { decisions: [], pending: new Map<string, PendingReason>() } : this.schedule(queued, running, starting, now);
    // 3. Assume: each decision's effect runs off the loop; preempts come first so starts can wait for them.
    const byId = new Map([...queued, ...running].map((j) => [j.id, j]));
    const started = new Set<string>();
    for (const d of decisions) {
      this.o.onDecision?.(d, now);
      if (d.kind === 'preempt') {
        const v = byId.get(d.jobId);
        if (v?.state === 'running' && !this.inFlight.has(v.id)) this.stopAttempt(v, 'preempted', `preempted (${d.reason}) for ${d.forJobId}`);
      } else if (d.kind === 'start') {
        const q = byId.get(d.jobId);
        if (q?.state === 'queued' && !this.inFlight.has(q.id)) { this.startAttempt(q, d.nodeIndices, d.gpuIndices); started.add(q.id); }
      }
    }
    // 4. Rent or give back (the lifecycle's rent policy; the provider acts off the loop).
    if (this.o.renting) {
      const held = new Set<number>();
      for (const j of running) for (const n of j.nodeIndices) held.add(n);
      for (const f of this.inFlight.values()) for (const n of f.nodeIndices) held.add(n);
      const waiting: { queuedSinceSeconds: number; nodes: number }[] = [];
      for (const q of queued) if (!started.has(q.id)) waiting.push({ queuedSinceSeconds: await this.queuedSince(q), nodes: q.spec.nodes });
      if (this.requeuedAt.size > queued.length) { const ids = new Set(queued.map((q) => q.id)); for (const id of this.requeuedAt.keys()) if (!ids.has(id)) this.requeuedAt.delete(id); }
      for (const d of this.o.renting.decide(waiting, held)) this.o.onDecision?.(d, now);
    }
    // 5. Why each job left queued waits: the cycle's reasons, then the rented nodes on the way
    // (those asked for just now included) handed out in the scheduler's order.
    if (pending) this.o.pending?.replace(this.o.renting ? rentWaitReasons(pending, (id) => byId.get(id)?.spec.nodes ?? Infinity, this.o.renting.waiting()) : pending);
  }

  /**
   * The scheduler's decisions for this cycle: one pass over every node in service, rented ones
   * that have joined included, as the simulator does (placement itself puts owned nodes before
   * rented ones, cheaper pools first), with why each job left queued waits when the scheduler
   * explains (undefined when it does not).
   */
  private schedule(queued: readonly JobRecord[], running: readonly JobRecord[], starting: readonly JobRecord[], now: number): { decisions: Decision[]; pending: ReadonlyMap<string, PendingReason> | undefined } {
    const { scheduler, topology } = this.o;
    // lastCheckpointSeconds is a getter: a file is read only for the jobs preemption weighs.
    const runView = (j: JobRecord, nodeIndices: readonly number[], startSeconds: number, preemptible: boolean, gpuIndices: readonly (readonly number[])[] | undefined = this.gpus.get(j.id)): RunningJob => {
      const self = this; // eslint-disable-line @typescript-eslint/no-this-alias
      return {
        ...toSched(j, this.o.clusterSpeed), nodeIndices, startSeconds, preemptible, ...(gpuIndices ? { gpuIndices } : {}),
        get lastCheckpointSeconds(): number | undefined { return self.lastCheckpointSeconds(j); },
      };
    };
    const view = {
      topology, quotas: this.o.quotas ?? [], spareNodes: [...this.spares], shareNodes: true,
      nodeUp: (i: number) => this.nodeUp(i),
      running: [
        // A job being stopped (cancel, preemption) is assumed gone: a start placed on its nodes
        // waits for the stop (startAttempt), as the simulator frees them at once.
        ...running.filter((j) => this.inFlight.get(j.id)?.kind !== 'stop')
          .map((j) => runView(j, j.nodeIndices, j.startSeconds ?? 0, j.spec.preemptible && !this.inFlight.has(j.id) && !j.cancelRequested)),
        ...starting.map((j) => runView(j, this.inFlight.get(j.id)!.nodeIndices, now, false, this.inFlight.get(j.id)!.gpuIndices)),
      ],
    };
    const t0 = performance.now();
    const queue = queued.map((j) => toSched(j, this.o.clusterSpeed));
    // With why each job left queued waits, when the scheduler explains (the API shows it).
    const explained = scheduler.scheduleExplained?.(view, queue, now);
    const decisions = explained?.decisions ?? scheduler.schedule(view, queue, now);
    this.lastCycleMs = performance.now() - t0;
    return { decisions, pending: explained?.pending };
  }

  /**
   * When a queued job last entered the queue, as the simulator counts its wait: its submit, or
   * the end of its last attempt (a requeue). Read from the store once per attempt, so a restart
   * of the plane keeps it.
   */
  private async queuedSince(j: JobRecord): Promise<number> {
    if (j.attempt === 0) return j.submitSeconds;
    const known = this.requeuedAt.get(j.id);
    if (known?.attempt === j.attempt) return known.seconds;
    const last = (await this.o.store.listAttempts(j.id)).find((a) => a.attempt === j.attempt);
    const seconds = last?.endSeconds ?? j.submitSeconds;
    this.requeuedAt.set(j.id, { attempt: j.attempt, seconds });
    return seconds;
  }

  private nodeUp(i: number): boolean {
    return !this.held.has(i) && (this.o.renting?.isUp(i) ?? true) && (this.o.executor.nodeUp?.(this.o.topology.nodes[i]?.name ?? '') ?? true);
  }

  /**
   * Keeps hot spares aside, by the simulator's rule: the pool is filled once from the free,
   * healthy nodes with the highest indexes (ordinary placement fills from the lowest); a spare
   * that goes down leaves it; a lost node, once repaired, rejoins it while it is short (else it
   * is free again). So a swap shrinks the pool until a repair, and never takes free capacity.
   */
  private keepSpares(running: readonly JobRecord[]): void {
    const target = this.o.spares ?? 0;
    if (target === 0) return;
    for (const s of this.spares) if (!this.nodeUp(s)) { this.spares.delete(s); this.inRepair.add(s); }
    const held = new Set<number>();
    for (const j of running) for (const n of j.nodeIndices) held.add(n);
    for (const f of this.inFlight.values()) for (const n of f.nodeIndices) held.add(n);
    for (const n of this.inRepair) {
      if (!this.nodeUp(n)) continue;
      this.inRepair.delete(n);
      if (this.spares.size < target && !held.has(n)) this.spares.add(n);
    }
    if (this.sparesFilled) return;
    this.sparesFilled = true;
    for (let i = this.o.topology.nodes.length - 1; i >= 0 && this.spares.size < target; i--) {
      if (!held.has(i) && !this.spares.has(i) && this.nodeUp(i) && !this.o.renting?.isRented(i)) this.spares.add(i);
    }
  }

  /** Hot spare nodes held aside now, ascending. */
  get spareNodes(): number[] { return [...this.spares].sort((a, b) => a - b); }

  /** Registers an effect for `jobId`; it leaves the in-flight set when done, and asks for a tick. */
  /** `then`: run on the serial chain once the effect is no longer in flight (before the next cycle). */
  private track(jobId: string, kind: InFlight['kind'], nodeIndices: readonly number[], run: () => Promise<void>, gpuIndices?: readonly (readonly number[])[], then?: () => Promise<void>): void {
    const done = run()
      .catch((err: unknown) => { this.o.log?.(`${jobId}: ${kind} effect failed: ${(err as Error).message}`); })
      .finally(() => { this.inFlight.delete(jobId); if (then) void this.serial(then); this.kick(); });
    this.inFlight.set(jobId, { kind, nodeIndices, done, ...(gpuIndices ? { gpuIndices } : {}) });
  }

  /**
   * Bind a stop: the executor stops the gang, then the end of the attempt is committed.
   * `lostNode`: the stop is for a node taken down under the gang; once stopped, the gang gets the
   * lifecycle's recovery (a hot spare at once), as a failed node's does.
   */
  private stopAttempt(j: JobRecord, outcome: AttemptOutcome, reason: string, lostNode?: string): void {
    let recover: (() => Promise<void>) | undefined;
    this.track(j.id, 'stop', j.nodeIndices, async () => {
      await this.o.executor.stop(j.id, j.attempt, reason);
      await this.serial(async () => {
        const next = await this.o.store.endAttempt(j.id, j.attempt, { outcome, reason, nowSeconds: this.now(), lostSeconds: this.lostSeconds(j) });
        const gpus = this.gpus.get(j.id);
        this.gpus.delete(j.id);
        this.o.metrics?.attemptsEnded.inc({ outcome });
        this.o.log?.(`${j.id}: attempt ${j.attempt} ${outcome}; job ${next.state}`);
        if (lostNode !== undefined && next.state === 'queued') recover = () => this.recover(next, j.nodeIndices, lostNode, gpus);
      });
    }, undefined, async () => { await recover?.(); });
  }

  /**
   * Bind a start: wait for the stops of jobs on its nodes (the victims), commit the attempt
   * (the durable intent, before any process starts), launch, then commit the handle.
   */
  private startAttempt(q: JobRecord, nodeIndices: readonly number[], gpuIndices?: readonly (readonly number[])[]): void {
    const mine = new Set(nodeIndices);
    const victims = [...this.inFlight.values()].filter((f) => f.kind === 'stop' && f.nodeIndices.some((n) => mine.has(n))).map((f) => f.done);
    const { topology } = this.o;
    this.track(q.id, 'start', nodeIndices, async () => {
      await Promise.all(victims);
      const j = await this.serial(() => this.o.store.startAttempt(q.id, nodeIndices, this.now())
        .catch((err: unknown) => { if (err instanceof JobStateError) return undefined; throw err; }));
      if (!j) return; // cancelled meanwhile: the store refused the start
      if (gpuIndices) { this.gpus.set(j.id, gpuIndices.map((g) => [...g])); await this.serial(() => this.o.store.setJobGpus(j.id, j.attempt, gpuIndices)); }
      try {
        const handle = await this.o.executor.launch({
          jobId: j.id, attempt: j.attempt, name: j.spec.name, tenant: j.tenant, command: j.spec.command, workdir: j.spec.workdir ?? process.cwd(),
          env: { ...j.spec.env, GF_CHECKPOINT_DONE_FILE: checkpointDoneFile(this.o.dataDir, j), GF_PROGRESS_FILE: progressFile(this.o.dataDir, j) },
          nodes: j.spec.nodes, ranksPerNode: j.spec.ranks_per_node, gpusPerNode: j.spec.gpus_per_node,
          checkpointDir: checkpointDirOf(this.o.dataDir, j), nodeNames: nodeIndices.map((i) => topology.nodes[i]?.name ?? `node-${i}`),
          logDir: attemptLogDir(this.o.dataDir, j, j.attempt), ...(gpuIndices ? { gpuIndices } : {}),
          ...(j.spec.heartbeat_timeout_seconds !== undefined ? { heartbeatTimeoutSeconds: j.spec.heartbeat_timeout_seconds } : {}),
        });
        await this.serial(() => this.o.store.setHandle(j.id, j.attempt, handle));
        this.o.log?.(`${j.id}: attempt ${j.attempt} started on ${nodeIndices.length} node(s)`);
      } catch (err) {
        await this.serial(() => this.o.store.endAttempt(j.id, j.attempt, { outcome: 'failed', reason: `launch failed: ${(err as Error).message}`, nowSeconds: this.now(), lostSeconds: 0 }));
      }
    }, gpuIndices);
  }

  private async onEvent(e: ExecutorEvent): Promise<void> {
    if (e.type !== 'exited' && e.type !== 'failed') return;
    const j = await this.o.store.getJob(e.jobId);
    if (!j || j.state !== 'running' || j.attempt !== e.attempt) return;
    const outcome = outcomeOfExit(e);
    // An attempt that ended while no plane watched ends when its exit record says (within its run), not now.
    const at = e.type === 'exited' && e.atSeconds !== undefined ? Math.max(j.startSeconds ?? 0, Math.min(e.atSeconds, this.now())) : this.now();
    const next = await this.o.store.endAttempt(j.id, j.attempt, {
      outcome, reason: e.reason, nowSeconds: at, lostSeconds: outcome === 'succeeded' ? 0 : this.lostSeconds(j, at),
      ...(e.type === 'exited' ? { exitCode: e.exitCode } : {}),
    });
    this.checkpoints.delete(j.id);
    const gpus = this.gpus.get(j.id);
    this.gpus.delete(j.id);
    this.o.metrics?.attemptsEnded.inc({ outcome });
    this.o.log?.(`${j.id}: attempt ${j.attempt} ended (${e.reason}); job ${next.state}`);
    // A preempted gang's nodes went to other work: it waits in the queue, no restart in place.
    if (outcome !== 'succeeded' && outcome !== 'preempted' && next.state === 'queued') await this.recover(next, j.nodeIndices, e.type === 'failed' ? e.nodeLost : undefined, gpus);
    this.kick();
  }

  /**
   * The lifecycle's recovery choice for a gang whose attempt failed (the simulator's failure
   * process makes the same one): a lost node is swapped for a spare and the gang restarts at
   * once; a fault that left the nodes usable restarts it in place at once; else it waits in the queue.
   */
  private async recover(j: JobRecord, nodeIndices: readonly number[], lostName: string | undefined, gpus: readonly (readonly number[])[] | undefined): Promise<void> {
    const { topology } = this.o;
    const lost = lostName === undefined ? undefined : nodeIndices.find((n) => topology.nodes[n]?.name === lostName);
    if (lostName !== undefined && lost === undefined) return;
    if (lost !== undefined) this.inRepair.add(lost);
    const rec = chooseRecovery({
      nodeLost: lost !== undefined, gpus: j.spec.nodes * j.spec.gpus_per_node, spareMinGpus: this.o.spareMinGpus ?? 0, mode: 'gang',
      nearestSpare: () => nearestSpare(topology, this.spares, lost!),
    });
    if (rec.action === 'requeue' || nodeIndices.length === 0) return;
    // In place, or on a spare: a node an operator took out since is no place to restart on.
    if (nodeIndices.some((n) => n !== lost && this.held.has(n))) return;
    let nodes = nodeIndices;
    let message = 'restarting at once in place';
    if (rec.action === 'spare-swap') {
      this.spares.delete(rec.spare);
      this.spareSwaps++;
      nodes = nodeIndices.map((n) => (n === lost ? rec.spare : n));
      message = `node ${lostName} lost; restarting at once on spare ${topology.nodes[rec.spare]?.name ?? rec.spare}`;
    }
    await this.o.store.addEvent({ jobId: j.id, seconds: this.now(), type: rec.action, message });
    this.o.log?.(`${j.id}: ${message}`);
    this.startAttempt(j, nodes, gpus);
  }

  /** The last checkpoint a running job reported (seconds), as last read; undefined if none yet. */
  reportedCheckpointSeconds(jobId: string): number | undefined {
    return this.checkpoints.get(jobId);
  }

}
