/**
 * The control plane's side of serve deployments (./deployment.ts): it owns each deployment's
 * replica jobs and runs its autoscaler and canary, so scaling goes on whichever gateways come
 * and go. Each tick, per deployment: list its replica jobs, probe running ones (GET /health on
 * rank 0's node), add up the load the gateways reported, decide (pure `decideTick`), then
 * submit, drain and cancel jobs and record release steps in the store.
 */
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { ClusterTopology } from '../fleet/types.ts';
import { ImpossibleError, InputError, UnknownNameError } from '../lib/errors.ts';
import { checkAdmissible } from '../control/cluster.ts';
import { parseJobSpec, type JobSpec } from '../control/job-spec.ts';
import { attemptLogDir, tenantDir } from '../control/layout.ts';
import type { DeploymentRow, ReleaseEventRow } from '../control/store/deployment-table.ts';
import type { JobRecord, Store } from '../control/store/types.ts';
import {
  decideTick, parseReplicaJobName, releaseId, replicaJobName,
  type Canary, type CanaryThresholds, type DeploymentDoc, type DeploymentSpec, type ReleaseFigures, type ReplicaView,
} from './deployment.ts';
import { answersFromEndpoint } from './eval-endpoint.ts';
import { scoreSuites, type EvalSuite } from './eval-suites.ts';
import { GateBook } from './gate-book.ts';

/** What one gateway reports about one deployment (POST /v1/deployments/NAME/load). */
export interface LoadReport {
  readonly gateway: string;
  readonly outputTokensPerSecond: number;
  readonly requestsInFlight: number;
  readonly releases: Readonly<Record<string, ReleaseFigures>>;
}

export interface ControllerOptions {
  readonly store: Store;
  readonly topology: ClusterTopology;
  readonly dataDir: string;
  /** Kick the reconciler after a submit or cancel. */
  readonly onChange?: () => void;
  readonly log?: (line: string) => void;
  readonly tickMs?: number;
  readonly nowSeconds?: () => number;
  /** A gateway's report counts this long (it reports every second or so). */
  readonly reportTtlSeconds?: number;
  /** A replica taken out of rotation is cancelled after this (gateways stop routing to it first). */
  readonly drainSeconds?: number;
}

export interface ReplicaStatus extends ReplicaView {
  readonly url?: string;
  readonly node?: string;
}

export interface UnhealthyReport { readonly jobId: string; readonly seconds: number; readonly reason: string; readonly logTail: string }

/** A canary's eval on its replicas: in flight, done (suite -> pass rate), or failed to run (retried after a pause). */
type CanaryEval = { state: 'running' } | { state: 'done'; scores: Record<string, number> } | { state: 'error'; seconds: number };
/** Wait before asking the canary replicas again after an eval could not run. */
const EVAL_RETRY_SECONDS = 5;
/** Longest answer a canary eval asks for (the gate's default max_answer_chars). */
const EVAL_MAX_TOKENS = 120;

const DEFAULT_THRESHOLDS: CanaryThresholds = { maxErrorRate: 0.01, maxP99Ms: 5000, minRequests: 20, holdSeconds: 60 };

/** Rank 0's node address: this machine for local nodes, else the node's host name. */
const nodeAddress = (topology: ClusterTopology, index: number | undefined) => {
  const n = index === undefined ? undefined : topology.nodes[index];
  return n === undefined ? undefined : n.pool === 'local' ? '127.0.0.1' : n.name;
};

function tail(file: string, bytes = 2000): string {
  try {
    const size = statSync(file).size;
    const n = Math.min(bytes, size);
    const buf = Buffer.alloc(n);
    const fd = openSync(file, 'r');
    try { readSync(fd, buf, 0, n, size - n); } finally { closeSync(fd); }
    return buf.toString('utf8');
  } catch { return '(no log)'; }
}

const canaryEvalKey = (name: string, c: Canary) => `${name}\u0000${c.id}\u0000${c.startedSeconds}`;

/**
 * The suites a canary is evaluated on: those named in its thresholds, found in `suites` (given
 * with the promotion, else the checkpoint's gate). An unknown suite is an input error.
 */
function canaryEvalSuites(minScores: Readonly<Record<string, number>> | undefined, suites: readonly EvalSuite[] | undefined, given: boolean): EvalSuite[] | undefined {
  const names = Object.keys(minScores ?? {});
  if (names.length === 0) return undefined;
  const known = suites ?? [];
  const from = given ? 'the eval suites given with the promotion (eval_suites)' : 'the checkpoint\'s release gate';
  for (const n of names) {
    if (!known.some((s) => s.name === n)) {
      throw new InputError({
        field: 'canary_eval', value: n,
        expected: known.length > 0 ? `a suite of ${from}: ${known.map((s) => s.name).join(', ')}` : `a suite of ${from}, which declares none; give the suites with --canary-suites GATE.yaml (eval_suites)`,
      });
    }
  }
  return known.filter((s) => names.includes(s.name));
}

export class DeploymentController {
  private readonly o: ControllerOptions;
  private readonly now: () => number;
  private readonly reports = new Map<string, Map<string, { seconds: number; report: LoadReport }>>();
  private readonly draining = new Map<string, number>();
  private readonly unhealthy = new Map<string, UnhealthyReport[]>();
  private readonly lastView = new Map<string, ReplicaStatus[]>();
  /** Canary evals by deployment, release and start (a canary promoted again is evaluated again). */
  private readonly canaryEvals = new Map<string, CanaryEval>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy: Promise<void> | undefined;
  /** Release-gate results (in the store); a promotion takes a checkpoint that passed its gate. */
  readonly gates: GateBook;

  constructor(o: ControllerOptions) {
    this.o = o;
    this.now = o.nowSeconds ?? (() => Date.now() / 1000);
    this.gates = new GateBook(o.store.deployments, o.dataDir, o.log);
  }

  start(): void {
    this.timer = setInterval(() => { void this.tickSafe(); }, this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
  }

  private async tickSafe(): Promise<void> {
    if (this.busy) return;
    this.busy = this.tick().catch((e: unknown) => this.o.log?.(`deployments: ${(e as Error).message}`)).finally(() => { this.busy = undefined; });
    await this.busy;
  }

  /** The replica job spec for one slot of a release (validated like any submitted job). */
  private replicaJob(name: string, tenant: string, spec: DeploymentSpec, slot: number, release: string, checkpoint: string | undefined): JobSpec {
    const port = spec.port_base + slot;
    const fill = (w: string) => w.replace(/\{port\}/g, String(port)).replace(/\{model\}/g, spec.model).replace(/\{release\}/g, release).replace(/\{checkpoint\}/g, checkpoint ?? '');
    return parseJobSpec({
      name: replicaJobName(name, slot, release), kind: 'serve', priority: spec.priority, preemptible: false,
      nodes: spec.nodes_per_replica, ranks_per_node: spec.ranks_per_node, gpus_per_node: spec.gpus_per_replica / spec.nodes_per_replica,
      command: spec.replica_command.map(fill), ...(spec.workdir ? { workdir: spec.workdir } : {}), max_restarts: 3,
      env: { PYTHONUNBUFFERED: '1', ...spec.env, GF_PORT: String(port), GF_DEPLOYMENT: name, GF_RELEASE: release, GF_ENDPOINT_FILE: this.endpointFile(tenant, name, slot, release) },
    });
  }

  /**
   * Where rank 0 may write its endpoint (http://HOST:PORT) when its node's name is not an
   * address: in the tenant's area, which the replica's Unix user owns (a plane run as root
   * runs it as the tenant's user, who may not write anywhere else in the data dir).
   */
  private endpointFile(tenant: string, name: string, slot: number, release: string): string {
    return join(tenantDir(this.o.dataDir, tenant), `deploy.${name}.slot-${slot}.${release}.endpoint`);
  }

  /** The replica's endpoint: what it wrote to GF_ENDPOINT_FILE during this attempt, else rank 0's node and its port. */
  private endpointOf(name: string, spec: DeploymentSpec, job: JobRecord, slot: number, release: string): string | undefined {
    if (job.state !== 'running') return undefined;
    const file = this.endpointFile(job.tenant, name, slot, release);
    try {
      // The tenant's user owns the folder: a link it planted there is not followed.
      const st = lstatSync(file);
      if (st.isFile() && st.mtimeMs / 1000 >= (job.startSeconds ?? 0) - 1) {
        const url = readFileSync(file, 'utf8').trim();
        if (/^https?:\/\/[^\s/]+$/.test(url)) return url;
      }
    } catch { /* not written: the node address */ }
    const addr = nodeAddress(this.o.topology, job.nodeIndices[0]);
    return addr === undefined ? undefined : `http://${addr}:${spec.port_base + slot}`;
  }

  /** Validates a deployment against the fleet and stores it (keeping its releases when it exists). */
  async put(spec: DeploymentSpec, tenant: string): Promise<DeploymentRow> {
    // Replicas run on the executor's nodes: a workdir missing here would fail every attempt (as for POST /v1/jobs).
    if (spec.workdir !== undefined && !(isAbsolute(spec.workdir) && existsSync(spec.workdir))) {
      throw new InputError({ field: 'workdir', value: spec.workdir, expected: 'an absolute path to an existing directory on the control plane\'s machine' });
    }
    const one = this.replicaJob(spec.name, tenant, spec, 0, 'weights', '/checkpoint');
    checkAdmissible(one, this.o.topology);
    const nodes = this.o.topology.nodes.length;
    const gpus = this.o.topology.nodes.reduce((s, n) => s + n.gpus, 0);
    for (const [field, count] of [['min_replicas', spec.min_replicas], ['max_replicas', spec.max_replicas]] as const) {
      if (count * spec.nodes_per_replica > nodes) throw new ImpossibleError(`${field}: ${count} replicas x ${spec.nodes_per_replica} node(s) is larger than the fleet (${nodes} node(s))`, `lower ${field}, or add nodes`);
      if (count * spec.gpus_per_replica > gpus) throw new ImpossibleError(`${field}: ${count} replicas x ${spec.gpus_per_replica} GPU(s) is larger than the fleet (${gpus} GPU(s))`, `lower ${field} or gpus_per_replica`);
    }
    const old = await this.o.store.deployments.get(spec.name);
    const doc: DeploymentDoc = { ...(old ? (old.doc as unknown as DeploymentDoc) : {}), spec };
    const row = await this.o.store.deployments.put(spec.name, tenant, doc as unknown as Record<string, unknown>, this.now());
    if (!old) await this.event(spec.name, 'created', { min_replicas: spec.min_replicas, max_replicas: spec.max_replicas, gpus_per_replica: spec.gpus_per_replica, nodes_per_replica: spec.nodes_per_replica });
    return row;
  }

  async get(name: string): Promise<DeploymentRow> {
    const row = await this.o.store.deployments.get(name);
    if (!row) throw new UnknownNameError('deployment', name, (await this.o.store.deployments.list()).map((d) => d.name));
    return row;
  }

  /**
   * Promotes a checkpoint that passed its release gate. Without a canary (or with nothing
   * served yet) it becomes the stable release and replaces the old one replica by replica;
   * with one it first takes `sharePercent` of the traffic on its own replicas.
   */
  async promote(name: string, checkpoint: string | undefined, canary?: { sharePercent: number; thresholds?: Partial<CanaryThresholds>; evalSuites?: readonly EvalSuite[] }): Promise<DeploymentDoc> {
    const row = await this.get(name);
    const doc = row.doc as unknown as DeploymentDoc;
    let gateSuites: readonly EvalSuite[] | undefined;
    if (checkpoint !== undefined) {
      const gates = await this.gates.history(doc.spec.model, row.tenant);
      const gate = gates.findLast((g) => g.passed && g.checkpoint === checkpoint);
      if (!gate) {
        throw new UnknownNameError(`release of ${doc.spec.model} (a checkpoint that passed its gate)`, checkpoint, gates.filter((g) => g.passed).map((g) => g.checkpoint).slice(-5));
      }
      gateSuites = gate.suites;
    }
    const evalSuites = canary ? canaryEvalSuites(canary.thresholds?.minEvalScores, canary.evalSuites ?? gateSuites, canary.evalSuites !== undefined) : undefined;
    if (doc.canary) throw new ImpossibleError(`deployment ${name} already has a canary (${doc.canary.id}) in progress`, 'wait for it to pass or roll back (gigafactory serve releases)');
    const id = releaseId(checkpoint);
    const now = this.now();
    const release = { id, ...(checkpoint !== undefined ? { checkpoint } : {}), promotedSeconds: now };
    let next: DeploymentDoc;
    if (canary && doc.stable && doc.stable.id !== id) {
      const c: Canary = { ...release, sharePercent: canary.sharePercent, startedSeconds: now, thresholds: { ...DEFAULT_THRESHOLDS, ...canary.thresholds }, ...(evalSuites ? { evalSuites } : {}) };
      next = { ...doc, canary: c };
      await this.event(name, 'canary-started', { release: id, checkpoint: checkpoint ?? null, share_percent: c.sharePercent, thresholds: c.thresholds, previous: doc.stable.id });
    } else {
      next = { ...doc, stable: release };
      await this.event(name, 'promoted', { release: id, checkpoint: checkpoint ?? null, previous: doc.stable?.id ?? null });
    }
    await this.o.store.deployments.put(name, row.tenant, next as unknown as Record<string, unknown>, now);
    return next;
  }

  report(name: string, r: LoadReport): void {
    let m = this.reports.get(name);
    if (!m) { m = new Map(); this.reports.set(name, m); }
    m.set(r.gateway, { seconds: this.now(), report: r });
  }

  /** Load and per-release figures summed over the gateways heard from recently. */
  load(name: string): { gateways: number; outputTokensPerSecond: number; requestsInFlight: number; figures: Record<string, ReleaseFigures> } {
    const ttl = this.o.reportTtlSeconds ?? 10;
    const fresh = [...(this.reports.get(name)?.values() ?? [])].filter((x) => this.now() - x.seconds <= ttl).map((x) => x.report);
    const figures: Record<string, ReleaseFigures> = {};
    for (const r of fresh) {
      for (const [rel, f] of Object.entries(r.releases)) {
        const prev = figures[rel] ?? { requests: 0, errors: 0, p99Ms: 0 };
        // p99 across gateways: the worst one (conservative; each gateway saw a share of the traffic).
        figures[rel] = { requests: prev.requests + f.requests, errors: prev.errors + f.errors, p99Ms: Math.max(prev.p99Ms, f.p99Ms) };
      }
    }
    return { gateways: fresh.length, outputTokensPerSecond: fresh.reduce((s, r) => s + r.outputTokensPerSecond, 0), requestsInFlight: fresh.reduce((s, r) => s + r.requestsInFlight, 0), figures };
  }

  /** Replicas as of the last tick (url, readiness, draining), and recent unhealthy reports. */
  replicas(name: string): { replicas: ReplicaStatus[]; unhealthy: UnhealthyReport[] } {
    return { replicas: this.lastView.get(name) ?? [], unhealthy: this.unhealthy.get(name) ?? [] };
  }

  private async event(deployment: string, step: string, doc: Record<string, unknown>): Promise<void> {
    await this.o.store.deployments.addReleaseEvent({ deployment, seconds: this.now(), step, doc });
    this.o.log?.(`deployment ${deployment}: ${step} ${JSON.stringify(doc)}`);
  }

  private async probe(url: string): Promise<boolean> {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.ok;
    } catch { return false; }
  }

  /** One tick over every deployment. */
  async tick(): Promise<void> {
    const rows = await this.o.store.deployments.list();
    if (rows.length === 0) return;
    const active = await this.o.store.listJobs({ states: ['queued', 'running'], order: 'id' });
    const byDeployment = new Map<string, { job: JobRecord; slot: number; release: string }[]>();
    for (const job of active) {
      const p = parseReplicaJobName(job.spec.name);
      if (!p || job.spec.kind !== 'serve') continue;
      const list = byDeployment.get(p.deployment) ?? [];
      list.push({ job, slot: p.slot, release: p.release });
      byDeployment.set(p.deployment, list);
    }
    for (const row of rows) await this.tickOne(row, byDeployment.get(row.name) ?? []);
  }

  private async tickOne(row: DeploymentRow, jobs: { job: JobRecord; slot: number; release: string }[]): Promise<void> {
    const doc = row.doc as unknown as DeploymentDoc;
    const spec = doc.spec;
    const now = this.now();
    const views: ReplicaStatus[] = await Promise.all(jobs.map(async ({ job, slot, release }) => {
      const url = this.endpointOf(row.name, spec, job, slot, release);
      const ready = url !== undefined && await this.probe(url);
      return {
        jobId: job.id, slot, release, state: job.state as 'queued' | 'running', ready, draining: this.draining.has(job.id),
        ...(job.startSeconds !== undefined && job.state === 'running' ? { runningSeconds: now - job.startSeconds } : {}),
        ...(url ? { url, node: this.o.topology.nodes[job.nodeIndices[0]!]?.name ?? '' } : {}),
      };
    }));
    const load = this.load(row.name);
    const canaryEvalScores = doc.canary ? this.canaryEval(row.name, spec, doc.canary, views, now) : undefined;
    const d = decideTick({ doc, replicas: views, outputTokensPerSecond: load.outputTokensPerSecond, requestsInFlight: load.requestsInFlight, figures: load.figures, nowSeconds: now, ...(canaryEvalScores ? { canaryEvalScores } : {}) });
    let changed = false;
    for (const s of d.submit) {
      const checkpoint = s.release === doc.canary?.id ? doc.canary.checkpoint : doc.stable?.checkpoint;
      const { job } = await this.o.store.submitJob({ tenant: row.tenant, spec: this.replicaJob(row.name, row.tenant, spec, s.slot, s.release, checkpoint), submitSeconds: now });
      this.o.log?.(`deployment ${row.name}: replica ${job.id} (slot ${s.slot}, release ${s.release}) submitted; desired ${d.desired}, load ${load.outputTokensPerSecond.toFixed(1)} tok/s from ${load.gateways} gateway(s)`);
      changed = true;
    }
    for (const id of d.unhealthy) {
      const j = jobs.find((x) => x.job.id === id)!.job;
      const report = { jobId: id, seconds: now, reason: `replica ${id} not healthy ${spec.startup_timeout_seconds} s after it started`, logTail: tail(join(attemptLogDir(this.o.dataDir, j, j.attempt), 'rank-0.log')) };
      this.unhealthy.set(row.name, [...(this.unhealthy.get(row.name) ?? []), report].slice(-10));
      await this.o.store.addEvent({ jobId: id, seconds: now, type: 'unhealthy', message: `${report.reason}; log tail:\n${report.logTail}` });
      this.o.log?.(`deployment ${row.name}: ${report.reason}; its log ends:\n${report.logTail}`);
    }
    for (const id of d.drain) if (!this.draining.has(id)) this.draining.set(id, now);
    for (const [id, since] of this.draining) {
      const v = views.find((x) => x.jobId === id);
      if (!v) { this.draining.delete(id); continue; }
      if (v.state === 'queued' || d.unhealthy.includes(id) || now - since >= (this.o.drainSeconds ?? 10)) {
        await this.o.store.requestCancel(id, now);
        this.draining.delete(id);
        this.o.log?.(`deployment ${row.name}: replica ${id} (release ${v.release}) stopped`);
        changed = true;
      }
    }
    this.lastView.set(row.name, views.map((v) => ({ ...v, draining: this.draining.has(v.jobId) })));
    if (d.canary && doc.canary) {
      const round = (f: ReleaseFigures) => ({ requests: f.requests, errors: f.errors, p99_ms: Math.round(f.p99Ms) });
      const stableFigures = load.figures[doc.stable?.id ?? ''];
      const figures = { ...round(d.canary.figures), stable: stableFigures ? round(stableFigures) : null, ...(canaryEvalScores ? { evals: canaryEvalScores } : {}) };
      this.canaryEvals.delete(canaryEvalKey(row.name, doc.canary));
      let next: DeploymentDoc;
      if (d.canary.verdict === 'pass') {
        next = { spec, stable: { id: doc.canary.id, ...(doc.canary.checkpoint !== undefined ? { checkpoint: doc.canary.checkpoint } : {}), promotedSeconds: now } };
        await this.event(row.name, 'canary-passed', { release: doc.canary.id, reason: d.canary.reason, ...figures });
      } else {
        next = { spec, ...(doc.stable ? { stable: doc.stable } : {}) };
        await this.event(row.name, 'rolled-back', { release: doc.canary.id, back_to: doc.stable?.id ?? null, reason: d.canary.reason, ...figures });
      }
      await this.o.store.deployments.put(row.name, row.tenant, next as unknown as Record<string, unknown>, now);
    }
    if (changed) this.o.onChange?.();
  }

  /**
   * The canary's eval scores once known. The first time a canary replica is ready, its suites
   * are asked of it (greedy answers, as the gate asks) in the background and scored; the
   * result is a release step (`canary-evaluated`). An eval that could not run is retried.
   */
  private canaryEval(name: string, spec: DeploymentSpec, c: Canary, views: readonly ReplicaStatus[], now: number): Record<string, number> | undefined {
    const wanted = c.thresholds.minEvalScores ?? {};
    if (Object.keys(wanted).length === 0 || !c.evalSuites) return undefined;
    const key = canaryEvalKey(name, c);
    const e = this.canaryEvals.get(key);
    if (e?.state === 'done') return e.scores;
    if (e?.state === 'running' || (e?.state === 'error' && now - e.seconds < EVAL_RETRY_SECONDS)) return undefined;
    const replica = views.find((v) => v.release === c.id && v.ready && !v.draining && v.url !== undefined);
    if (!replica) return undefined;
    const suites = c.evalSuites;
    this.canaryEvals.set(key, { state: 'running' });
    const prompts = [...new Set(suites.flatMap((s) => s.items.map((i) => i.prompt)))];
    void answersFromEndpoint({ url: replica.url!, model: spec.model, maxTokens: EVAL_MAX_TOKENS, timeoutMs: 30_000 }, prompts)
      .then(async (answers) => {
        const results = scoreSuites(suites, answers);
        const scores = Object.fromEntries(results.map((r) => [r.name, r.passRate]));
        await this.event(name, 'canary-evaluated', {
          release: c.id, replica: replica.jobId, evals: scores, min_evals: wanted,
          failed: results.flatMap((r) => r.items.filter((i) => !i.pass).map((i) => ({ suite: r.name, prompt: i.prompt, answer: i.answer, why: i.why ?? null }))).slice(0, 20),
        });
        if (this.canaryEvals.has(key)) this.canaryEvals.set(key, { state: 'done', scores });
      })
      .catch((err: unknown) => {
        this.o.log?.(`deployment ${name}: canary ${c.id} eval on ${replica.url} could not run (${(err as Error).message.split('\n')[0]}); retrying in ${EVAL_RETRY_SECONDS} s`);
        if (this.canaryEvals.has(key)) this.canaryEvals.set(key, { state: 'error', seconds: this.now() });
      });
    return undefined;
  }

  list(): Promise<DeploymentRow[]> {
    return this.o.store.deployments.list();
  }

  releaseEvents(name: string): Promise<ReleaseEventRow[]> {
    return this.o.store.deployments.releaseEvents(name);
  }

  /** Deletes a deployment and stops its replicas. */
  async remove(name: string): Promise<number> {
    const row = await this.get(name);
    const jobs = (await this.o.store.listJobs({ states: ['queued', 'running'] })).filter((j) => parseReplicaJobName(j.spec.name)?.deployment === name);
    await this.o.store.deployments.remove(name);
    for (const j of jobs) await this.o.store.requestCancel(j.id, this.now());
    // Its replicas' endpoint files go too (a later deployment of that name starts afresh).
    const area = tenantDir(this.o.dataDir, row.tenant);
    let files: string[] = [];
    try { files = readdirSync(area); } catch { /* no area: no replica ever ran */ }
    for (const f of files) if (f.startsWith(`deploy.${name}.slot-`) && f.endsWith('.endpoint')) rmSync(join(area, f), { force: true });
    await this.event(name, 'deleted', { replicas_stopped: jobs.length });
    this.o.onChange?.();
    return jobs.length;
  }
}
