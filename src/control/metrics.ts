/**
 * Prometheus metrics of the control plane, served at GET /metrics (text exposition format).
 * One registry per control plane (not prom-client's global one) so several can live in one
 * process (tests). Gauges are computed from the store and the node view at scrape time (a
 * few queries, cheap at 10,000 jobs); counters and histograms observe the store's attempt
 * transitions as they happen (`observeStore`), whichever driver makes them. Families that
 * belong to a tenant carry a `tenant` label, so a tenant's scrape can be filtered to its own.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterTopology } from '../fleet/types.ts';
import { jobEttr } from './ettr.ts';
import { deriveNodeStatus, summarizeNodes, type NodeStatus } from './node-status.ts';
import { JOB_STATES, type AttemptOutcome, type JobRecord, type Store } from './store/types.ts';

/** A pool's rented capacity (the shape of GET /v1/pools' rows). */
export interface PoolStatus {
  readonly name: string;
  readonly kind: 'owned' | 'rented';
  readonly nodes: number;
  readonly provisionedNodes?: number;
  readonly pricePerGpuHourUsd?: number;
  readonly rentedGpuHours?: number;
  readonly costUsd?: number;
}

export interface ControlMetricsSources {
  readonly topology?: ClusterTopology;
  /** Whether the executor's cluster reports a node usable (absent: all are). */
  readonly nodeUp?: (name: string) => boolean;
  /** Node rows from the lifecycle, when it tracks states itself (else derived: ./node-status.ts). */
  readonly nodes?: () => Promise<readonly NodeStatus[]> | readonly NodeStatus[];
  /** Pools with their rented nodes and cost (else: rented nodes of the topology, no cost). */
  readonly pools?: () => Promise<readonly PoolStatus[]> | readonly PoolStatus[];
  /** Cluster seconds per wall second (default 1), for ETTR. */
  readonly clusterSpeed?: number;
}


/**
 * Why an attempt ended, as a small fixed set (a label must not carry free text): read from the
 * outcome and the reason the executors and the reconciler write.
 */
export function attemptCause(outcome: AttemptOutcome, reason: string): string {
  if (outcome === 'succeeded') return 'completed';
  if (outcome === 'cancelled') return 'user';
  if (outcome === 'preempted') return 'preemption';
  if (outcome === 'lost') return 'control_plane_restart';
  if (outcome === 'node-lost') return 'node_lost';
  if (/^launch failed/.test(reason)) return 'launch';
  if (/node \S+ lost|NODE_FAIL/.test(reason)) return 'node_lost';
  if (/heartbeat timeout/.test(reason)) return 'hang';
  if (/\(simulated\)$/.test(reason)) return 'infrastructure';
  if (/exited with code|FAILED/.test(reason)) return 'exit_code';
  return 'other';
}

/** Derived node rows and rented pools, shared with the dashboard so both count alike. */
export async function nodeRows(store: Store, s: ControlMetricsSources): Promise<readonly NodeStatus[]> {
  if (s.nodes) return s.nodes();
  if (!s.topology) return [];
  const running = await store.listJobs({ states: ['running'], order: 'id' });
  return deriveNodeStatus(s.topology, running, s.nodeUp ?? (() => true));
}

export async function poolRows(s: ControlMetricsSources): Promise<readonly PoolStatus[]> {
  if (s.pools) return s.pools();
  const byPool = new Map<string, { rented: boolean; nodes: number }>();
  for (const n of s.topology?.nodes ?? []) {
    const p = byPool.get(n.pool) ?? { rented: n.rented, nodes: 0 };
    p.nodes++;
    byPool.set(n.pool, p);
  }
  return [...byPool].map(([name, p]) => ({ name, kind: p.rented ? 'rented' : 'owned', nodes: p.nodes }));
}

export class ControlMetrics {
  readonly registry = new Registry();
  readonly cycleSeconds: Histogram;
  readonly attemptsEnded: Counter<'outcome'>;
  readonly attempts: Counter<'outcome' | 'cause' | 'tenant'>;
  readonly queueWaitSeconds: Histogram<'tenant'>;
  readonly submitted: Counter;
  /** When each job's last attempt ended (this process), to time the wait before its next start. */
  private readonly requeuedAt = new Map<string, number>();
  /** Attempts already counted, so an idempotent repeat of endAttempt is not counted twice. */
  private readonly ended = new Set<string>();

  constructor(readonly store: Store, readonly sources: ControlMetricsSources = {}) {
    const registers = [this.registry];
    this.cycleSeconds = new Histogram({
      name: 'gigafactory_scheduling_cycle_seconds', help: 'Reconciler tick: store snapshot + scheduler.schedule + decisions',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
    });
    this.attemptsEnded = new Counter({ name: 'gigafactory_attempts_ended_total', help: 'Job attempts ended, by outcome', labelNames: ['outcome'], registers });
    this.attempts = new Counter({ name: 'gigafactory_attempts_total', help: 'Job attempts ended, by outcome and cause (completed, user, preemption, node_lost, hang, exit_code, infrastructure, launch, control_plane_restart, other)', labelNames: ['outcome', 'cause', 'tenant'], registers });
    this.queueWaitSeconds = new Histogram({
      name: 'gigafactory_queue_wait_seconds', help: 'Seconds a job waited in the queue before an attempt started (since submit, or since its previous attempt ended)',
      labelNames: ['tenant'], buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 7 * 86_400], registers,
    });
    this.submitted = new Counter({ name: 'gigafactory_jobs_submitted_total', help: 'Jobs accepted by POST /v1/jobs', registers });
    new Gauge({
      name: 'gigafactory_jobs', help: 'Jobs in the store by state and tenant', labelNames: ['state', 'tenant'], registers,
      async collect() {
        this.reset();
        for (const s of JOB_STATES) this.set({ state: s, tenant: 'admin' }, 0);
        const counts = new Map<string, number>();
        for (const j of await store.listJobs({ order: 'id' })) counts.set(`${j.state}\n${j.tenant}`, (counts.get(`${j.state}\n${j.tenant}`) ?? 0) + 1);
        for (const [k, n] of counts) { const [state, tenant] = k.split('\n'); this.set({ state: state!, tenant: tenant! }, n); }
      },
    });
    // One node view per scrape, shared by both gauges: the first collect computes it.
    let view: Promise<ReturnType<typeof summarizeNodes>> | undefined;
    const summary = () => (view ??= nodeRows(store, sources).then(summarizeNodes).finally(() => setImmediate(() => { view = undefined; })));
    new Gauge({
      name: 'gigafactory_nodes', help: 'Nodes by state (up, down, draining, spare, rented, repair)', labelNames: ['state'], registers,
      async collect() { this.reset(); for (const [k, v] of (await summary()).nodesByState) this.set({ state: k }, v); },
    });
    new Gauge({
      name: 'gigafactory_gpus', help: 'GPUs by state: in_use, idle (on usable nodes), down', labelNames: ['state'], registers,
      async collect() { this.reset(); for (const [k, v] of (await summary()).gpusByState) this.set({ state: k }, v); },
    });
    new Gauge({
      name: 'gigafactory_job_ettr', help: 'Effective training time ratio of each running training job: kept work / wall time since its first start', labelNames: ['job', 'tenant'], registers,
      async collect() {
        this.reset();
        const now = Date.now() / 1000;
        const train = (await store.listJobs({ states: ['running'], order: 'id' })).filter((j) => j.spec.kind === 'train');
        const attempts = await store.listAttemptsOf(train.map((j) => j.id));
        for (const j of train) {
          const e = jobEttr(attempts.get(j.id) ?? [], now, sources.clusterSpeed).ettr;
          if (e !== undefined) this.set({ job: j.id, tenant: j.tenant }, e);
        }
      },
    });
    new Gauge({
      name: 'gigafactory_rented_nodes', help: 'Nodes rented now in each rented pool (joined, not yet given back)', labelNames: ['pool'], registers,
      async collect() { this.reset(); for (const p of await poolRows(sources)) if (p.kind === 'rented') this.set({ pool: p.name }, p.provisionedNodes ?? p.nodes); },
    });
    // A total the lifecycle accumulates; exposed as a counter whose value is read at scrape.
    new Counter({
      name: 'gigafactory_rented_cost_usd_total', help: 'US dollars spent on each rented pool so far', labelNames: ['pool'], registers,
      async collect() { this.reset(); for (const p of await poolRows(sources)) if (p.kind === 'rented') this.inc({ pool: p.name }, p.costUsd ?? 0); },
    });
    this.observeStore();
  }

  /**
   * Counts attempt starts (queue wait) and ends (outcome, cause) as the store records them, by
   * wrapping this store object's two transition methods.
   */
  private observeStore(): void {
    const store = this.store;
    const start = store.startAttempt.bind(store);
    const end = store.endAttempt.bind(store);
    store.startAttempt = async (jobId, nodeIndices, nowSeconds) => {
      const j = await start(jobId, nodeIndices, nowSeconds);
      const since = j.attempt === 1 ? j.submitSeconds : this.requeuedAt.get(j.id);
      this.requeuedAt.delete(j.id);
      if (since !== undefined) this.queueWaitSeconds.observe({ tenant: j.tenant }, Math.max(0, nowSeconds - since));
      return j;
    };
    store.endAttempt = async (jobId, attempt, input) => {
      const j: JobRecord = await end(jobId, attempt, input);
      const key = `${jobId}#${attempt}`;
      if (!this.ended.has(key) && j.attempt === attempt) {
        if (this.ended.size >= 100_000) this.ended.clear(); // repeats come right after the first end
        this.ended.add(key);
        this.attempts.inc({ outcome: input.outcome, cause: attemptCause(input.outcome, input.reason), tenant: j.tenant });
        if (j.state === 'queued') this.requeuedAt.set(j.id, input.nowSeconds);
      }
      return j;
    };
  }
}
