import type { FailureCategory } from '../catalog/reliability.ts';
import type { ClusterTopology } from '../fleet/types.ts';
import { Rng } from '../lib/rng.ts';
import { createScheduler } from '../sched/index.ts';
import { chooseRecovery, nearestSpare, TenantUsage, type AttemptOutcome } from '../sched/lifecycle/index.ts';
import { domainSpread } from '../sched/placement.ts';
import type { Decision, RunningJob, SchedJob, Scheduler } from '../sched/types.ts';
import { checkpointIntervalSeconds } from './checkpoint.ts';
import { FailureProcess, type FailureTarget } from './failure-process.ts';
import { failureRng, restartFor } from './failures.ts';
import { IndexedList } from './indexed-list.ts';
import { JobState, type JobView } from './job-state.ts';
import { Kernel, LATE } from './kernel.ts';
import { NodeBook, type NodeCounts } from './nodes.ts';
import { wallSecondsFor, workAt } from './progress.ts';
import type { SimOptions, Workload, WorkloadJob } from './types.ts';

/** How a segment ends: what work is kept. */
type StopKind = 'unexpected' | 'preempt' | 'planned' | 'clean';

/** A job state change, as the driver conformance suite logs it. */
export type TransitionObserver = (jobId: string, to: 'queued' | 'running' | 'succeeded' | 'cancelled', nowSeconds: number, outcome?: AttemptOutcome) => void;

/** What the simulator holds at one instant: a sampler reads this at any time. */
export interface EngineCounts {
  readonly nowSeconds: number;
  readonly runningJobs: number;
  readonly pendingJobs: number;
  readonly nodes: NodeCounts;
  /** GPUs held by running jobs. */
  readonly allocatedGpus: number;
  /** GPUs of running jobs past their restart and load (replica jobs: of the replicas in). */
  readonly productiveGpus: number;
  readonly unexpectedInterruptions: number;
  readonly plannedInterruptions: number;
  readonly preemptions: number;
  readonly spareSwaps: number;
}

/** Optional collaborators of an engine (tests and the conformance suite). */
export interface EngineDeps {
  /** The scheduler to drive (default: `createScheduler(options.policy)`). */
  readonly scheduler?: Scheduler;
}

/**
 * The fleet simulator: drives the scheduler core with simulated time over a workload, with node
 * failures (failure-process.ts, through the FailureTarget methods below), repairs, hot spares,
 * checkpoint/restart, and (via hooks) services and renting. Pure and deterministic for a seed.
 * Its state is private: other modules change it only through the methods here, and read it
 * through read-only views (`jobs`, `counts`, `nodeCounts`, the counters). Node state (up, in
 * repair, spare, rented, which jobs hold which GPUs) lives in a NodeBook; jobs in one JobState
 * each; no loop over nodes x jobs on any event path.
 */
export class Engine implements FailureTarget {
  readonly kernel = new Kernel();
  readonly topology: ClusterTopology;
  readonly options: SimOptions;
  readonly horizonSeconds: number;
  /** Observers for the driver conformance suite: each decision, each job state change. */
  onDecision: ((d: Decision, nowSeconds: number) => void) | undefined;
  onTransition: TransitionObserver | undefined;
  readonly #scheduler: Scheduler;
  readonly #nodes: NodeBook;
  readonly #jobs: JobState[] = [];
  readonly #byId = new Map<string, number>();
  readonly #pending = new Map<string, JobState>();
  readonly #running = new Set<JobState>();
  /** GPUs held per tenant (kept in step with `running`, passed to the scheduler). */
  readonly #usage = new TenantUsage();
  #allocatedGpus = 0;
  readonly #rngFailures: Rng;
  readonly #failureProcess: FailureProcess;
  readonly #quotas: Workload['quotas'];
  readonly #interruptionsByCategory = new Map<string, number>();
  #unexpected = 0;
  #planned = 0;
  #preemptions = 0;
  /** Preemptions per plug-in that asked for them (preempt/priority, preempt/reclaim). */
  readonly #preemptionsByReason = new Map<string, number>();
  #spareSwaps = 0;
  #cycles = 0;
  /** Observer for the driver conformance suite: called as each cycle begins, before the scheduler runs. */
  onCycle: ((nowSeconds: number) => void) | undefined;
  /** Hooks run after each scheduling cycle (renting). */
  readonly #afterCycle: (() => void)[] = [];
  #cycleEvent = false;
  #lastCycleSeconds = -Infinity;
  /** What the scheduler gets each cycle, kept in step with `pending` and `running` in O(1) per change. */
  readonly #queueList = new IndexedList<JobState, SchedJob>();
  readonly #runningList = new IndexedList<JobState, RunningJob>();

  constructor(topology: ClusterTopology, workload: Workload, options: SimOptions, deps: EngineDeps = {}) {
    this.topology = topology;
    this.options = options;
    this.horizonSeconds = options.days * 86_400;
    this.#scheduler = deps.scheduler ?? createScheduler(options.policy);
    this.#quotas = workload.quotas;
    this.#nodes = new NodeBook(topology);
    this.#rngFailures = failureRng(options.seed);
    this.#failureProcess = new FailureProcess(this, options.failures, this.#rngFailures);
  }

  // Read-only views.

  get now(): number { return this.kernel.now; }
  /** Every job registered so far, in registration order. */
  get jobs(): readonly JobView[] { return this.#jobs; }
  /** Queued jobs, in the order they were queued. */
  get pendingJobs(): Iterable<JobView> { return this.#pending.values(); }
  get pendingCount(): number { return this.#pending.size; }
  get runningJobs(): Iterable<JobView> { return this.#running; }
  get runningCount(): number { return this.#running.size; }
  get nodeCounts(): NodeCounts { return this.#nodes.counts; }
  get allocatedGpus(): number { return this.#allocatedGpus; }
  /** Hot spares held now. */
  get spares(): ReadonlySet<number> { return this.#nodes.spares; }
  /** Nodes that can fail: indices 0 .. nodeCount - 1. */
  get nodeCount(): number { return this.#nodes.count; }
  isUp(node: number): boolean { return this.#nodes.isUp(node); }
  /** Wholly free: up, in service, no GPU held. */
  isFree(node: number): boolean { return this.#nodes.isFree(node); }
  idleSinceSeconds(node: number): number { return this.#nodes.idleSinceSeconds(node); }
  /** The jobs holding a node now (several when sub-node jobs share it). */
  jobsOn(node: number): readonly JobView[] { return this.#nodes.jobsOn(node).map((i) => this.#jobs[i]!); }
  get unexpected(): number { return this.#unexpected; }
  get planned(): number { return this.#planned; }
  get preemptions(): number { return this.#preemptions; }
  get preemptionsByReason(): ReadonlyMap<string, number> { return this.#preemptionsByReason; }
  /** Jobs interrupted so far per failure category id. */
  get interruptionsByCategory(): ReadonlyMap<string, number> { return this.#interruptionsByCategory; }
  get spareSwaps(): number { return this.#spareSwaps; }
  /** Scheduling cycles run with a non-empty queue. */
  get cycles(): number { return this.#cycles; }

  /** GPUs of running jobs doing productive work now: past restart and checkpoint load (O(running jobs)). */
  productiveGpus(): number {
    let gpus = 0;
    for (const j of this.#running) {
      if (this.now < j.segStartSeconds) continue;
      gpus += j.spec.recovery === 'replica' && j.replicas > 1 ? (j.gpus * (j.replicas - j.missingReplicas)) / j.replicas : j.gpus;
    }
    return gpus;
  }

  /** The running jobs as the scheduler sees them (read-only; the conformance suite reads checkpoints). */
  get runningView(): readonly RunningJob[] { return this.#runningList.items; }

  /** Everything a time-series sampler reads, at the current simulated time. */
  get counts(): EngineCounts {
    return {
      nowSeconds: this.now, runningJobs: this.#running.size, pendingJobs: this.#pending.size, nodes: this.#nodes.counts,
      allocatedGpus: this.#allocatedGpus, productiveGpus: this.productiveGpus(), unexpectedInterruptions: this.#unexpected,
      plannedInterruptions: this.#planned, preemptions: this.#preemptions, spareSwaps: this.#spareSwaps,
    };
  }

  // Commands.

  /** Holds nodes aside as hot spares (taken out of the free pool). */
  addSpares(nodes: readonly number[]): void { this.#nodes.addSpares(nodes); }

  /** Runs `hook` after each scheduling cycle (renting). */
  addAfterCycle(hook: () => void): void { this.#afterCycle.push(hook); }

  /** Registers a job; it arrives when `enqueue`d. */
  addJob(spec: WorkloadJob): JobView {
    if (this.#byId.has(spec.id)) throw new Error(`job ${spec.id} registered twice`);
    const j = new JobState(spec, this.#jobs.length);
    this.#byId.set(spec.id, j.index);
    this.#jobs.push(j);
    const gangs = spec.recovery === 'replica' && spec.replicaNodes ? Math.max(1, Math.floor(spec.nodes / spec.replicaNodes)) : 1;
    j.replicas = gangs;
    j.saveSeconds = spec.checkpoints ? this.options.failures.checkpointSaveSeconds : 0;
    j.intervalSeconds = spec.checkpoints ? checkpointIntervalSeconds(this.options, this.options.failures, spec.recovery === 'replica' ? spec.nodes / gangs : spec.nodes) : Infinity;
    return j;
  }

  /** Puts a registered job in the queue now. */
  enqueue(job: JobView): void { this.#enqueue(this.#own(job)); }

  /** A user's cancel: a queued job leaves the queue, a running one stops (keeping the work done). */
  cancel(job: JobView): void {
    const j = this.#own(job);
    if (j.status === 'queued') this.#dequeue(j);
    else if (j.status === 'running') this.#stop(j, 'clean');
    else return;
    j.status = 'cancelled';
    j.endSeconds = this.now;
    this.onTransition?.(j.spec.id, 'cancelled', this.now);
  }

  /** A service scales down: a queued replica is cancelled, a running one stops cleanly and is done. */
  retire(job: JobView): void {
    const j = this.#own(job);
    if (j.status === 'queued') { this.#dequeue(j); j.status = 'cancelled'; j.endSeconds = this.now; }
    else if (j.status === 'running') { this.#stop(j, 'clean'); j.status = 'done'; j.endSeconds = this.now; }
  }

  /** A rented node arrives (rent.ts): up and free from now. */
  provisionRented(node: number): void {
    this.#nodes.provision(node, this.now);
    this.markDirty();
  }

  /** A rented node is given back (rent.ts): out of service. */
  releaseRented(node: number): void { this.#nodes.unprovision(node); }

  /** Asks for a scheduling cycle, at most one per `cycleSeconds`, after all events at that time. */
  markDirty(): void {
    if (this.#cycleEvent) return;
    this.#cycleEvent = true;
    this.kernel.at(Math.max(this.now, this.#lastCycleSeconds + this.options.cycleSeconds), () => this.#cycle(), LATE);
  }

  /** Ends the simulation: running jobs keep the work they have done. */
  close(): void {
    for (const j of [...this.#running]) {
      this.#settle(j, 'clean');
      j.allocatedGpuSeconds += (this.now - j.allocStartSeconds) * j.gpus;
    }
  }

  /** Starts the failure and planned-maintenance processes (failure-process.ts). */
  startFailures(): void { this.#failureProcess.start(); }

  /** A failure of `category` on `node` now (failure-process.ts). */
  failNode(node: number, category: FailureCategory): void { this.#failureProcess.strike(node, category); }

  // FailureTarget: what a failure does to the fleet and its jobs (failure-process.ts calls these).

  takeDown(node: number): void { this.#nodes.takeDown(node); }

  bringUp(node: number): void {
    const held = this.#nodes.bringUp(node, this.now);
    if (held.length === 0) { this.markDirty(); return; }
    // Replica mode kept the node; its replica restarts on it now.
    for (const ji of held) {
      const j = this.#jobs[ji]!;
      this.kernel.schedule(this.#recoverySeconds(j, j.gpus / j.replicas) - this.options.failures.detectionSeconds, () => this.#rejoin(j));
    }
  }

  /** Every job on `node` is interrupted (jobs sharing a node all are). */
  interrupt(node: number, category: FailureCategory, nodeLost: boolean): void {
    const held = this.#nodes.jobsOn(node);
    if (held.length === 0) { if (nodeLost) this.markDirty(); return; }
    for (const ji of held) {
      const j = this.#jobs[ji]!;
      this.#unexpected++;
      j.interruptions++;
      this.#interruptionsByCategory.set(category.id, (this.#interruptionsByCategory.get(category.id) ?? 0) + 1);
      this.#recover(j, node, nodeLost);
    }
  }

  /** Planned maintenance (firmware, kernel): the largest training job checkpoints, then restarts. */
  plannedMaintenance(): void {
    let target: JobState | undefined;
    for (const j of this.#running) if (j.spec.checkpoints && (!target || j.gpus > target.gpus)) target = j;
    if (!target || this.now < target.segStartSeconds) return;
    this.#planned++;
    const restartSeconds = this.#recoverySeconds(target, target.gpus) - this.options.failures.detectionSeconds;
    if (target.spec.recovery === 'replica' && target.replicas > 1) {
      this.#integrate(target);
      target.segStartSeconds = this.now + restartSeconds;
      target.integratedToSeconds = target.segStartSeconds;
      this.#scheduleFinish(target);
      return;
    }
    this.#settle(target, 'planned');
    this.#beginSegment(target, restartSeconds);
  }

  // Internals.

  /** The engine's own state of a job handed out as a view (throws for a job of another engine). */
  #own(job: JobView): JobState {
    const j = this.#jobs[job.index];
    if (j === undefined || j !== job) throw new Error(`job ${job.spec.id} is not registered with this engine`);
    return j;
  }

  /** Puts a job in the queue now (`outcome`: how its last attempt ended, for the transition log). */
  #enqueue(j: JobState, outcome?: AttemptOutcome): void {
    j.status = 'queued';
    j.queuedSinceSeconds = this.now;
    this.#pending.set(j.spec.id, j);
    this.#queueList.add(j, j.spec);
    this.onTransition?.(j.spec.id, 'queued', this.now, outcome);
    this.markDirty();
  }

  #dequeue(j: JobState): void {
    this.#pending.delete(j.spec.id);
    this.#queueList.delete(j);
  }

  #cycle(): void {
    this.#cycleEvent = false;
    this.#lastCycleSeconds = this.now;
    this.onCycle?.(this.now);
    if (this.#pending.size > 0) {
      this.#cycles++;
      const queue: readonly SchedJob[] = this.#queueList.items;
      // Sub-node jobs share nodes (Slurm's gres semantics), as in the live plane: a start names its GPUs.
      const view = {
        topology: this.topology, nodeUp: (i: number) => this.#nodes.isUp(i), running: this.#runningList.items, quotas: this.#quotas,
        freeIndex: this.#nodes.freeIndex, usageGpusByTenant: this.#usage.byTenant, shareNodes: true,
      };
      const decisions = this.#scheduler.schedule(view, queue, this.now);
      for (const d of decisions) { this.onDecision?.(d, this.now); this.#apply(d); }
    }
    for (const hook of this.#afterCycle) hook();
  }

  #apply(d: Decision): void {
    if (d.kind === 'start') {
      const j = this.#jobs[this.#byId.get(d.jobId)!]!;
      if (j.status !== 'queued') throw new Error(`scheduler started ${d.jobId} in state ${j.status}`);
      this.#start(j, d.nodeIndices, d.gpuIndices);
    } else if (d.kind === 'preempt') {
      const j = this.#jobs[this.#byId.get(d.jobId)!]!;
      if (j.status !== 'running') throw new Error(`scheduler preempted ${d.jobId} in state ${j.status}`);
      this.#preemptions++;
      this.#preemptionsByReason.set(d.reason, (this.#preemptionsByReason.get(d.reason) ?? 0) + 1);
      j.preemptions++;
      this.#stop(j, 'preempt');
      this.#enqueue(j, 'preempted');
    }
  }

  /** Per node the GPUs a start holds; undefined when it holds whole nodes (the common case, kept cheap). */
  #partialGpus(nodeIndices: readonly number[], gpuIndices: readonly (readonly number[])[] | undefined): number[][] | undefined {
    if (gpuIndices === undefined) return undefined;
    const nodes = this.topology.nodes;
    let whole = true;
    for (let i = 0; i < nodeIndices.length && whole; i++) whole = (gpuIndices[i]?.length ?? Infinity) >= nodes[nodeIndices[i]!]!.gpus;
    return whole ? undefined : gpuIndices.map((g) => [...g]);
  }

  #start(j: JobState, nodeIndices: readonly number[], gpuIndices: readonly (readonly number[])[] | undefined): void {
    const idx = j.index;
    const gpus = this.#partialGpus(nodeIndices, gpuIndices);
    for (let i = 0; i < nodeIndices.length; i++) {
      const n = nodeIndices[i]!;
      const g = gpus?.[i];
      if (g === undefined ? !this.#nodes.isFree(n) : g.length > this.#nodes.freeIndex.freeGpus(n)) throw new Error(`scheduler placed ${j.spec.id} on busy node ${n}`);
      this.#nodes.attach(n, idx, g);
    }
    this.#dequeue(j);
    j.nodes = [...nodeIndices];
    j.gpuIndices = gpus;
    j.status = 'running';
    this.onTransition?.(j.spec.id, 'running', this.now);
    j.missingReplicas = 0;
    if (j.firstStartSeconds === undefined) { j.firstStartSeconds = this.now; j.firstQueueSeconds = this.now - j.spec.submitSeconds; j.spread = domainSpread(this.topology, j.nodes); }
    const resumed = j.savedSeconds > 0 || j.restarts > 0 || j.preemptions > 0;
    j.allocStartSeconds = this.now;
    this.#running.add(j);
    this.#runningList.add(j, j.makeRunView(() => this.now));
    this.#usage.add(j.spec.tenant, j.gpus);
    this.#allocatedGpus += j.gpus;
    this.#beginSegment(j, resumed ? this.#recoverySeconds(j, j.gpus) - this.options.failures.detectionSeconds : 0);
  }

  /** Detection + restart + checkpoint load for a gang of `gpus`. */
  #recoverySeconds(j: JobState, gpus: number): number {
    const f = this.options.failures;
    return f.detectionSeconds + restartFor(f, gpus) + (j.spec.checkpoints || j.spec.kind === 'serve' ? f.checkpointLoadSeconds : 0);
  }

  /** Starts productive work after `delaySeconds` and schedules the finish. */
  #beginSegment(j: JobState, delaySeconds: number): void {
    j.segStartSeconds = this.now + delaySeconds;
    j.integratedToSeconds = j.segStartSeconds;
    this.#scheduleFinish(j);
  }

  #scheduleFinish(j: JobState): void {
    this.kernel.cancel(j.finishEvent);
    j.finishEvent = undefined;
    const remaining = j.spec.workSeconds - j.savedSeconds;
    if (!Number.isFinite(remaining)) return;
    let at: number;
    if (j.spec.recovery === 'replica' && j.replicas > 1) {
      const rate = this.#replicaRate(j);
      if (rate <= 0) return;
      at = Math.max(this.now, j.integratedToSeconds) + remaining / rate;
    } else {
      at = j.segStartSeconds + wallSecondsFor(j, remaining);
    }
    if (at <= this.horizonSeconds) j.finishEvent = this.kernel.at(Math.max(at, this.now), () => this.#finish(j));
  }

  #finish(j: JobState): void {
    this.#stop(j, 'clean');
    j.savedSeconds = j.spec.workSeconds;
    j.status = 'done';
    j.endSeconds = this.now;
    this.onTransition?.(j.spec.id, 'succeeded', this.now);
    this.markDirty();
  }

  /** Replica mode: productive speed, the share of replicas in, less checkpoint stalls. */
  #replicaRate(j: JobState): number {
    const eff = Number.isFinite(j.intervalSeconds) ? j.intervalSeconds / (j.intervalSeconds + j.saveSeconds) : 1;
    return ((j.replicas - j.missingReplicas) / j.replicas) * eff;
  }

  /** Replica mode: credits work since the last integration at the current rate. */
  #integrate(j: JobState): void {
    const from = Math.max(j.integratedToSeconds, j.segStartSeconds);
    if (this.now > from) {
      const add = Math.min((this.now - from) * this.#replicaRate(j), j.spec.workSeconds - j.savedSeconds);
      j.savedSeconds += add;
      j.productiveGpuSeconds += add * j.gpus;
    }
    j.integratedToSeconds = Math.max(this.now, j.integratedToSeconds);
  }

  /** Ends the current segment: keeps saved work (or all done work for a clean stop), frees nothing. */
  #settle(j: JobState, kind: StopKind): void {
    if (j.spec.recovery === 'replica' && j.replicas > 1) { this.#integrate(j); return; }
    const w = workAt(j, this.now);
    if (j.spec.kind === 'serve') { j.productiveGpuSeconds += w.doneSeconds * j.gpus; return; }
    const keep = kind === 'clean' || kind === 'planned' ? w.doneSeconds : w.savedSeconds;
    const add = Math.min(keep, j.spec.workSeconds - j.savedSeconds);
    j.savedSeconds += add;
    j.productiveGpuSeconds += add * j.gpus;
    j.segStartSeconds = Infinity;
  }

  /** Stops a running job and frees its GPUs. */
  #stop(j: JobState, kind: StopKind): void {
    this.#settle(j, kind);
    this.kernel.cancel(j.finishEvent);
    j.finishEvent = undefined;
    j.allocatedGpuSeconds += (this.now - j.allocStartSeconds) * j.gpus;
    for (const n of j.nodes) this.#nodes.detach(n, j.index, this.now);
    j.nodes = [];
    j.gpuIndices = undefined;
    j.status = 'queued';
    this.#running.delete(j);
    this.#runningList.delete(j);
    j.runView = undefined;
    this.#usage.remove(j.spec.tenant, j.gpus);
    this.#allocatedGpus -= j.gpus;
    this.markDirty();
  }

  /** Recovery of the job on a failed node: spare swap, restart in place, replica outage, or requeue. */
  #recover(j: JobState, node: number, nodeLost: boolean): void {
    const replica = j.spec.recovery === 'replica' && j.replicas > 1;
    const rec = chooseRecovery({
      nodeLost, gpus: j.gpus, spareMinGpus: this.options.spareMinGpus, mode: replica ? 'replica' : 'gang',
      nearestSpare: () => nearestSpare(this.topology, this.#nodes.spares, node),
    });
    if (rec.action === 'spare-swap') {
      this.#spareSwaps++;
      this.#nodes.swapToSpare(j.index, node, rec.spare);
      j.nodes[j.nodes.indexOf(node)] = rec.spare;
    }
    if (replica) {
      this.#integrate(j);
      j.missingReplicas++;
      j.restarts++;
      this.#scheduleFinish(j);
      // A replica rejoins after recovery, once it has a healthy node again (spare or repair).
      if (rec.action !== 'requeue') this.kernel.schedule(this.#recoverySeconds(j, j.gpus / j.replicas), () => this.#rejoin(j));
      return;
    }
    j.restarts++;
    if (rec.action !== 'requeue') {
      // The attempt ends and the next starts at once (on the spare, or in place): as the live plane logs it.
      this.onTransition?.(j.spec.id, 'queued', this.now, nodeLost ? 'node-lost' : 'failed');
      this.onTransition?.(j.spec.id, 'running', this.now);
      this.#settle(j, 'unexpected');
      this.#beginSegment(j, this.#recoverySeconds(j, j.gpus));
      return;
    }
    // The node is gone and no spare: the gang stops now and is requeued once the failure is
    // detected (restart and reload are paid when it starts again).
    this.#stop(j, 'unexpected');
    this.kernel.schedule(this.options.failures.detectionSeconds, () => { if (j.status === 'queued' && !this.#pending.has(j.spec.id)) this.#enqueue(j, 'node-lost'); });
  }

  #rejoin(j: JobState): void {
    if (j.status !== 'running' || j.missingReplicas === 0) return;
    this.#integrate(j);
    j.missingReplicas--;
    this.#scheduleFinish(j);
  }
}
