import type { FailureCategory } from '../catalog/reliability.ts';
import type { ClusterTopology } from '../fleet/types.ts';
import { Rng } from '../lib/rng.ts';
import { createScheduler } from '../sched/index.ts';
import { FreeIndex } from '../sched/free-index.ts';
import { TenantUsage, type AttemptOutcome } from '../sched/lifecycle/index.ts';
import { domainSpread } from '../sched/placement.ts';
import type { Decision, RunningJob, SchedJob, Scheduler } from '../sched/types.ts';
import { failureRng, restartFor } from './failures.ts';
import { chooseRecovery, nearestSpare } from '../sched/lifecycle/index.ts';
import { FailureProcess, type FailureTarget } from './failure-process.ts';
import { checkpointIntervalSeconds } from './checkpoint.ts';
import { JobState } from './job-state.ts';
import { IndexedList } from './indexed-list.ts';
import { Kernel, LATE } from './kernel.ts';
import { wallSecondsFor, workAt } from './progress.ts';
import type { SimOptions, Workload, WorkloadJob } from './types.ts';

/** How a segment ends: what work is kept. */
type StopKind = 'unexpected' | 'preempt' | 'planned' | 'clean';

/**
 * The fleet simulator: drives the scheduler core with simulated time over a workload, with node
 * failures, repairs, hot spares, checkpoint/restart, and (via hooks) services and renting.
 * Pure and deterministic for a seed. State lives in typed arrays indexed by node and in one
 * JobState per job; no loop over nodes x jobs on any event path.
 */
export class Engine implements FailureTarget {
  readonly kernel = new Kernel();
  readonly topology: ClusterTopology;
  readonly options: SimOptions;
  readonly horizonSeconds: number;
  readonly scheduler: Scheduler;
  readonly free: FreeIndex;
  /** 1 when the node is up and provisioned. */
  readonly nodeUp: Uint8Array;
  /** Index into `jobs` of the job holding the node, or -1. */
  readonly nodeJob: Int32Array;
  /** Since when a free node has been idle (for giving rented nodes back). */
  readonly idleSince: Float64Array;
  readonly spares = new Set<number>();
  spareTarget = 0;
  readonly jobs: JobState[] = [];
  readonly byId = new Map<string, number>();
  readonly pending = new Map<string, JobState>();
  readonly running = new Set<JobState>();
  /** GPUs held per tenant (kept in step with `running`, passed to the scheduler). */
  readonly usage = new TenantUsage();
  readonly rngFailures: Rng;
  readonly rngWork: Rng;
  private readonly failureProcess: FailureProcess;
  readonly quotas: Workload['quotas'];
  interruptionsByCategory = new Map<string, number>();
  unexpected = 0;
  planned = 0;
  preemptions = 0;
  /** Preemptions per plug-in that asked for them (preempt/priority, preempt/reclaim). */
  readonly preemptionsByReason = new Map<string, number>();
  spareSwaps = 0;
  cycles = 0;
  /** Observers for the driver conformance suite: each decision, each job state change. */
  onDecision: ((d: Decision, nowSeconds: number) => void) | undefined;
  onTransition: ((jobId: string, to: 'queued' | 'running' | 'succeeded' | 'cancelled', nowSeconds: number, outcome?: AttemptOutcome) => void) | undefined;
  /** Hooks run after each scheduling cycle (renting). */
  readonly afterCycle: (() => void)[] = [];
  private cycleEvent = false;
  private lastCycleSeconds = -Infinity;
  /** What the scheduler gets each cycle, kept in step with `pending` and `running` in O(1) per change. */
  private readonly queueList = new IndexedList<JobState, SchedJob>();
  private readonly runningList = new IndexedList<JobState, RunningJob>();

  constructor(topology: ClusterTopology, workload: Workload, options: SimOptions) {
    this.topology = topology;
    this.options = options;
    this.horizonSeconds = options.days * 86_400;
    this.scheduler = createScheduler(options.policy);
    this.quotas = workload.quotas;
    const n = topology.nodes.length;
    this.nodeUp = new Uint8Array(n);
    this.nodeJob = new Int32Array(n).fill(-1);
    this.idleSince = new Float64Array(n);
    this.free = FreeIndex.empty(topology);
    for (const node of topology.nodes) if (!node.rented) { this.nodeUp[node.index] = 1; this.free.release(node.index); }
    this.rngFailures = failureRng(options.seed);
    this.rngWork = new Rng(options.seed * 2 + 2);
    this.failureProcess = new FailureProcess(this, options.failures, this.rngFailures);
  }

  get now(): number { return this.kernel.now; }

  /** Holds nodes aside as hot spares (taken out of the free pool). */
  addSpares(nodes: readonly number[]): void {
    for (const s of nodes) { this.spares.add(s); this.free.take(s); }
    this.spareTarget = this.spares.size;
  }

  /** Registers a job; it arrives at its submit time (via `submitAt`). */
  addJob(spec: WorkloadJob): JobState {
    const j = new JobState(spec);
    this.byId.set(spec.id, this.jobs.length);
    this.jobs.push(j);
    const gangs = spec.recovery === 'replica' && spec.replicaNodes ? Math.max(1, Math.floor(spec.nodes / spec.replicaNodes)) : 1;
    j.replicas = gangs;
    j.saveSeconds = spec.checkpoints ? this.options.failures.checkpointSaveSeconds : 0;
    j.intervalSeconds = spec.checkpoints ? checkpointIntervalSeconds(this.options, this.options.failures, spec.recovery === 'replica' ? spec.nodes / gangs : spec.nodes) : Infinity;
    return j;
  }

  /** Puts a job in the queue now (`outcome`: how its last attempt ended, for the transition log). */
  enqueue(j: JobState, outcome?: AttemptOutcome): void {
    j.status = 'queued';
    j.queuedSinceSeconds = this.now;
    this.pending.set(j.spec.id, j);
    this.queueList.add(j, j.spec);
    this.onTransition?.(j.spec.id, 'queued', this.now, outcome);
    this.markDirty();
  }

  /** Asks for a scheduling cycle, at most one per `cycleSeconds`, after all events at that time. */
  markDirty(): void {
    if (this.cycleEvent) return;
    this.cycleEvent = true;
    this.kernel.at(Math.max(this.now, this.lastCycleSeconds + this.options.cycleSeconds), () => this.cycle(), LATE);
  }

  /** Removes a queued job from the queue without starting it (a cancelled service replica). */
  dequeue(j: JobState): void {
    this.pending.delete(j.spec.id);
    this.queueList.delete(j);
  }

  private cycle(): void {
    this.cycleEvent = false;
    this.lastCycleSeconds = this.now;
    if (this.pending.size > 0) {
      this.cycles++;
      const queue: readonly SchedJob[] = this.queueList.items;
      const view = { topology: this.topology, nodeUp: (i: number) => this.nodeUp[i] === 1, running: this.runningList.items, quotas: this.quotas, freeIndex: this.free, usageGpusByTenant: this.usage.byTenant };
      const decisions = this.scheduler.schedule(view, queue, this.now);
      for (const d of decisions) { this.onDecision?.(d, this.now); this.apply(d); }
    }
    for (const hook of this.afterCycle) hook();
  }

  private apply(d: Decision): void {
    if (d.kind === 'start') {
      const j = this.jobs[this.byId.get(d.jobId)!]!;
      if (j.status !== 'queued') throw new Error(`scheduler started ${d.jobId} in state ${j.status}`);
      this.start(j, d.nodeIndices);
    } else if (d.kind === 'preempt') {
      const j = this.jobs[this.byId.get(d.jobId)!]!;
      if (j.status !== 'running') throw new Error(`scheduler preempted ${d.jobId} in state ${j.status}`);
      this.preemptions++;
      this.preemptionsByReason.set(d.reason, (this.preemptionsByReason.get(d.reason) ?? 0) + 1);
      j.preemptions++;
      this.stop(j, 'preempt');
      this.enqueue(j, 'preempted');
    }
  }

  start(j: JobState, nodeIndices: readonly number[]): void {
    const idx = this.byId.get(j.spec.id)!;
    for (const n of nodeIndices) {
      if (!this.free.isFree(n)) throw new Error(`scheduler placed ${j.spec.id} on busy node ${n}`);
      this.free.take(n);
      this.nodeJob[n] = idx;
    }
    this.dequeue(j);
    j.nodes = [...nodeIndices];
    j.status = 'running';
    this.onTransition?.(j.spec.id, 'running', this.now);
    j.missingReplicas = 0;
    if (j.firstStartSeconds === undefined) { j.firstStartSeconds = this.now; j.firstQueueSeconds = this.now - j.spec.submitSeconds; j.spread = domainSpread(this.topology, j.nodes); }
    const resumed = j.savedSeconds > 0 || j.restarts > 0 || j.preemptions > 0;
    j.allocStartSeconds = this.now;
    this.running.add(j);
    this.runningList.add(j, j.makeRunView(() => this.now));
    this.usage.add(j.spec.tenant, j.gpus);
    this.beginSegment(j, resumed ? this.recoverySeconds(j, j.gpus) - this.options.failures.detectionSeconds : 0);
  }

  /** Detection + restart + checkpoint load for a gang of `gpus`. */
  recoverySeconds(j: JobState, gpus: number): number {
    const f = this.options.failures;
    return f.detectionSeconds + restartFor(f, gpus) + (j.spec.checkpoints || j.spec.kind === 'serve' ? f.checkpointLoadSeconds : 0);
  }

  /** Starts productive work after `delaySeconds` and schedules the finish. */
  beginSegment(j: JobState, delaySeconds: number): void {
    j.segStartSeconds = this.now + delaySeconds;
    j.integratedToSeconds = j.segStartSeconds;
    this.scheduleFinish(j);
  }

  scheduleFinish(j: JobState): void {
    this.kernel.cancel(j.finishEvent);
    j.finishEvent = undefined;
    const remaining = j.spec.workSeconds - j.savedSeconds;
    if (!Number.isFinite(remaining)) return;
    let at: number;
    if (j.spec.recovery === 'replica' && j.replicas > 1) {
      const rate = this.replicaRate(j);
      if (rate <= 0) return;
      at = Math.max(this.now, j.integratedToSeconds) + remaining / rate;
    } else {
      at = j.segStartSeconds + wallSecondsFor(j, remaining);
    }
    if (at <= this.horizonSeconds) j.finishEvent = this.kernel.at(Math.max(at, this.now), () => this.finish(j));
  }

  private finish(j: JobState): void {
    this.stop(j, 'clean');
    j.savedSeconds = j.spec.workSeconds;
    j.status = 'done';
    j.endSeconds = this.now;
    this.onTransition?.(j.spec.id, 'succeeded', this.now);
    this.markDirty();
  }

  /** Replica mode: productive speed, the share of replicas in, less checkpoint stalls. */
  replicaRate(j: JobState): number {
    const eff = Number.isFinite(j.intervalSeconds) ? j.intervalSeconds / (j.intervalSeconds + j.saveSeconds) : 1;
    return ((j.replicas - j.missingReplicas) / j.replicas) * eff;
  }

  /** Replica mode: credits work since the last integration at the current rate. */
  integrate(j: JobState): void {
    const from = Math.max(j.integratedToSeconds, j.segStartSeconds);
    if (this.now > from) {
      const add = Math.min((this.now - from) * this.replicaRate(j), j.spec.workSeconds - j.savedSeconds);
      j.savedSeconds += add;
      j.productiveGpuSeconds += add * j.gpus;
    }
    j.integratedToSeconds = Math.max(this.now, j.integratedToSeconds);
  }

  /** Ends the current segment: keeps saved work (or all done work for a clean stop), frees nothing. */
  settle(j: JobState, kind: StopKind): void {
    if (j.spec.recovery === 'replica' && j.replicas > 1) { this.integrate(j); return; }
    const w = workAt(j, this.now);
    if (j.spec.kind === 'serve') { j.productiveGpuSeconds += w.doneSeconds * j.gpus; return; }
    const keep = kind === 'clean' || kind === 'planned' ? w.doneSeconds : w.savedSeconds;
    const add = Math.min(keep, j.spec.workSeconds - j.savedSeconds);
    j.savedSeconds += add;
    j.productiveGpuSeconds += add * j.gpus;
    j.segStartSeconds = Infinity;
  }

  /** Stops a running job and frees its nodes. */
  stop(j: JobState, kind: StopKind): void {
    this.settle(j, kind);
    this.kernel.cancel(j.finishEvent);
    j.finishEvent = undefined;
    j.allocatedGpuSeconds += (this.now - j.allocStartSeconds) * j.gpus;
    for (const n of j.nodes) {
      this.nodeJob[n] = -1;
      if (this.nodeUp[n] === 1 && !this.spares.has(n)) { this.free.release(n); this.idleSince[n] = this.now; }
    }
    j.nodes = [];
    j.status = 'queued';
    this.running.delete(j);
    this.runningList.delete(j);
    j.runView = undefined;
    this.usage.remove(j.spec.tenant, j.gpus);
    this.markDirty();
  }

  /** A user's cancel: a queued job leaves the queue, a running one stops (keeping the work done). */
  cancel(j: JobState): void {
    if (j.status === 'queued') this.dequeue(j);
    else if (j.status === 'running') this.stop(j, 'clean');
    else return;
    j.status = 'cancelled';
    j.endSeconds = this.now;
    this.onTransition?.(j.spec.id, 'cancelled', this.now);
  }

  /** Ends the simulation: running jobs keep the work they have done. */
  close(): void {
    for (const j of [...this.running]) {
      this.settle(j, 'clean');
      j.allocatedGpuSeconds += (this.now - j.allocStartSeconds) * j.gpus;
    }
  }

  /** Starts the failure and planned-maintenance processes (failure-process.ts). */
  startFailures(): void { this.failureProcess.start(); }

  /** A failure of `category` on `node` (failure-process.ts). */
  failNode(node: number, category: FailureCategory): void { this.failureProcess.strike(node, category); }

  // FailureTarget: what the failure process does to the fleet.

  get nodeCount(): number { return this.topology.nodes.length; }

  isUp(node: number): boolean { return this.nodeUp[node] === 1; }

  takeDown(node: number): void {
    this.nodeUp[node] = 0;
    this.free.take(node);
    this.spares.delete(node); // a spare failed: the pool shrinks until repair
  }

  bringUp(node: number): void {
    this.nodeUp[node] = 1;
    const ji = this.nodeJob[node]!;
    if (ji >= 0) {
      // Replica mode kept the node; its replica restarts on it now.
      const j = this.jobs[ji]!;
      this.kernel.schedule(this.recoverySeconds(j, j.gpus / j.replicas) - this.options.failures.detectionSeconds, () => this.rejoin(j));
      return;
    }
    if (this.spares.size < this.spareTarget && !this.topology.nodes[node]!.rented) this.spares.add(node);
    else { this.free.release(node); this.idleSince[node] = this.now; }
    this.markDirty();
  }

  interrupt(node: number, category: FailureCategory, nodeLost: boolean): void {
    const ji = this.nodeJob[node]!;
    if (ji < 0) { if (nodeLost) this.markDirty(); return; }
    const j = this.jobs[ji]!;
    this.unexpected++;
    j.interruptions++;
    this.interruptionsByCategory.set(category.id, (this.interruptionsByCategory.get(category.id) ?? 0) + 1);
    this.recover(j, node, nodeLost);
  }

  /** Recovery of the job on a failed node: spare swap, restart in place, replica outage, or requeue. */
  private recover(j: JobState, node: number, nodeLost: boolean): void {
    const replica = j.spec.recovery === 'replica' && j.replicas > 1;
    const rec = chooseRecovery({
      nodeLost, gpus: j.gpus, spareMinGpus: this.options.spareMinGpus, mode: replica ? 'replica' : 'gang',
      nearestSpare: () => nearestSpare(this.topology, this.spares, node),
    });
    if (rec.action === 'spare-swap') {
      const spare = rec.spare;
      this.spares.delete(spare);
      this.spareSwaps++;
      const idx = this.byId.get(j.spec.id)!;
      j.nodes[j.nodes.indexOf(node)] = spare;
      this.nodeJob[node] = -1;
      this.nodeJob[spare] = idx;
    }
    if (replica) {
      this.integrate(j);
      j.missingReplicas++;
      j.restarts++;
      this.scheduleFinish(j);
      // A replica rejoins after recovery, once it has a healthy node again (spare or repair).
      if (rec.action !== 'requeue') this.kernel.schedule(this.recoverySeconds(j, j.gpus / j.replicas), () => this.rejoin(j));
      return;
    }
    j.restarts++;
    if (rec.action !== 'requeue') {
      // The attempt ends and the next starts at once (on the spare, or in place): as the live plane logs it.
      this.onTransition?.(j.spec.id, 'queued', this.now, nodeLost ? 'node-lost' : 'failed');
      this.onTransition?.(j.spec.id, 'running', this.now);
      this.settle(j, 'unexpected');
      this.beginSegment(j, this.recoverySeconds(j, j.gpus));
      return;
    }
    // The node is gone and no spare: the gang stops now and is requeued once the failure is
    // detected (restart and reload are paid when it starts again).
    this.stop(j, 'unexpected');
    this.kernel.schedule(this.options.failures.detectionSeconds, () => { if (j.status === 'queued' && !this.pending.has(j.spec.id)) this.enqueue(j, 'node-lost'); });
  }

  private rejoin(j: JobState): void {
    if (j.status !== 'running' || j.missingReplicas === 0) return;
    this.integrate(j);
    j.missingReplicas--;
    this.scheduleFinish(j);
  }

  /** Planned maintenance (firmware, kernel): the largest training job checkpoints, then restarts. */
  plannedMaintenance(): void {
    let target: JobState | undefined;
    for (const j of this.running) if (j.spec.checkpoints && (!target || j.gpus > target.gpus)) target = j;
    if (!target || this.now < target.segStartSeconds) return;
    this.planned++;
    const restartSeconds = this.recoverySeconds(target, target.gpus) - this.options.failures.detectionSeconds;
    if (target.spec.recovery === 'replica' && target.replicas > 1) {
      this.integrate(target);
      target.segStartSeconds = this.now + restartSeconds;
      target.integratedToSeconds = target.segStartSeconds;
      this.scheduleFinish(target);
      return;
    }
    this.settle(target, 'planned');
    this.beginSegment(target, restartSeconds);
  }
}
