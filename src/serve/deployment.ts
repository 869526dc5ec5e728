/**
 * A serve deployment: a model served by replicas the control plane owns. Each replica is a
 * gang job (kind serve) of `nodes_per_replica` nodes and `gpus_per_replica` GPUs on any
 * executor; the plane sizes the set with the autoscaler the simulator's services use
 * (src/sched/autoscale.ts) on the load gateways report, and rolls releases out through a
 * canary. This file: the spec (validated at the edge) and the pure decision of one tick.
 *
 * Replica contract: the command gets `{port}` (also $GF_PORT), `{checkpoint}` (the release's
 * checkpoint), `{model}` and `{release}`; it serves the OpenAI API on that port on the node of
 * rank 0 and answers GET /health with 200 once ready. Its endpoint is what rank 0 writes to
 * $GF_ENDPOINT_FILE (http://HOST:PORT; needed where node names are not addresses), else
 * http://NODE:PORT with NODE rank 0's node.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../lib/errors.ts';
import { desiredReplicas } from '../sched/autoscale.ts';
import type { EvalSuite } from './eval-suites.ts';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/, 'a name of 1-48 letters, digits, "_" or "-"');
const word = z.string().min(1).max(4096);

export const deploymentSpecSchema = z.object({
  name,
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a model id of letters, digits, ".", "_" or "-"'),
  gpus_per_replica: z.number().int().min(0).max(16 * 12_500),
  nodes_per_replica: z.number().int().min(1).max(12_500).default(1),
  ranks_per_node: z.number().int().min(1).max(64).default(1),
  min_replicas: z.number().int().min(0).max(100_000).default(1),
  max_replicas: z.number().int().min(1).max(100_000).default(1),
  /** Output tokens/s one replica sustains at its latency target (`plan serve`, or measured). */
  replica_capacity_tps: z.number().positive().max(1e9).default(100),
  /** Requests one replica serves at once; beyond that they count as queued. */
  slots_per_replica: z.number().int().min(1).max(1_000_000).default(1),
  replica_command: z.array(word).min(1).max(256),
  workdir: z.string().min(1).max(4096).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(4096)).default({}),
  port_base: z.number().int().min(1024).max(65_000).default(18_300),
  priority: z.number().int().min(0).max(1000).default(500),
  /** A replica not healthy this long after it started is reported with its log tail and replaced. */
  startup_timeout_seconds: z.number().positive().max(86_400).default(600),
}).strict()
  .refine((d) => d.min_replicas <= d.max_replicas, { message: 'min_replicas must be <= max_replicas', path: ['min_replicas'] })
  .refine((d) => d.gpus_per_replica % d.nodes_per_replica === 0, { message: 'gpus_per_replica must divide evenly over nodes_per_replica (gang of equal nodes)', path: ['gpus_per_replica'] });

export type DeploymentSpec = z.output<typeof deploymentSpecSchema>;

export interface Release {
  /** 8 hex digits of the checkpoint path, or "weights" when the command loads its own. */
  readonly id: string;
  readonly checkpoint?: string;
  readonly promotedSeconds: number;
}

export interface CanaryThresholds {
  readonly maxErrorRate: number;
  readonly maxP99Ms: number;
  /** Requests the canary must serve before it can pass. */
  readonly minRequests: number;
  /** Time the canary must meet its thresholds before it takes all traffic. */
  readonly holdSeconds: number;
  /** Eval suites the canary replicas must score at least this on (pass rate 0-1), by suite name. */
  readonly minEvalScores?: Readonly<Record<string, number>>;
}

export interface Canary extends Release {
  readonly sharePercent: number;
  readonly startedSeconds: number;
  readonly thresholds: CanaryThresholds;
  /** The suites named in thresholds.minEvalScores (from the checkpoint's gate, or given). */
  readonly evalSuites?: readonly EvalSuite[];
}

/** The stored document of a deployment (control/store/deployment-table.ts keeps it). */
export interface DeploymentDoc {
  readonly spec: DeploymentSpec;
  readonly stable?: Release;
  readonly canary?: Canary;
}

const issuesOf = (e: z.ZodError, input: unknown) => e.issues.map((i) => ({
  field: i.path.join('.') || '(deployment)',
  value: i.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), input),
  expected: i.code === 'unrecognized_keys' ? `no such field (${i.keys.join(', ')}); known: ${Object.keys(deploymentSpecSchema.innerType().innerType().shape).join(', ')}` : i.message,
}));

export function parseDeploymentSpec(input: unknown, file?: string): DeploymentSpec {
  const r = deploymentSpecSchema.safeParse(input);
  if (!r.success) throw new InputError(issuesOf(r.error, input), file);
  return r.data;
}

/** `10%` or `10` -> 10; only 1-99 (a canary takes some traffic, never all). */
export function parseCanaryPercent(text: string | number, field = 'canary'): number {
  const m = typeof text === 'number' ? [String(text), String(text)] : /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!(n >= 1 && n <= 99)) throw new InputError({ field, value: text, expected: 'a traffic share from 1% to 99% (e.g. 10%)' });
  return n;
}

/**
 * `SUITE>=SCORE` (a canary eval threshold, e.g. `facts>=0.8`) -> [suite, score]; the score is
 * the suite's pass rate from 0 to 1 (or a percentage, `facts>=80%`).
 */
export function parseCanaryEval(text: string, field = '--canary-eval'): [string, number] {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]{0,63})\s*>=\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const score = m ? Number(m[2]) / (m[3] ? 100 : 1) : Number.NaN;
  if (!m || !(score >= 0 && score <= 1)) {
    throw new InputError({ field, value: text, expected: 'SUITE>=SCORE, a suite of the gate and its lowest pass rate from 0 to 1 (e.g. facts>=0.8)' });
  }
  return [m[1]!, score];
}

export const releaseId = (checkpoint: string | undefined): string => (checkpoint === undefined ? 'weights' : createHash('sha256').update(checkpoint).digest('hex').slice(0, 8));

/** Replica job names: deploy.<deployment>.<slot>.<release>. */
export const replicaJobName = (deployment: string, slot: number, release: string) => `deploy.${deployment}.${slot}.${release}`;
const JOB_NAME = /^deploy\.([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-f]{8}|weights)$/;
export function parseReplicaJobName(jobName: string): { deployment: string; slot: number; release: string } | undefined {
  const m = JOB_NAME.exec(jobName);
  return m ? { deployment: m[1]!, slot: Number(m[2]), release: m[3]! } : undefined;
}

/** One replica job as the tick sees it. */
export interface ReplicaView {
  readonly jobId: string;
  readonly slot: number;
  readonly release: string;
  readonly state: 'queued' | 'running';
  /** Seconds since the attempt started (running only). */
  readonly runningSeconds?: number;
  readonly ready: boolean;
  readonly draining: boolean;
}

/** Per-release figures the gateways measured over their recent window. */
export interface ReleaseFigures { readonly requests: number; readonly errors: number; readonly p99Ms: number }

export interface TickInput {
  readonly doc: DeploymentDoc;
  readonly replicas: readonly ReplicaView[];
  readonly outputTokensPerSecond: number;
  readonly requestsInFlight: number;
  readonly figures: Readonly<Record<string, ReleaseFigures>>;
  /** The canary's eval scores (suite -> pass rate) once its replicas were evaluated. */
  readonly canaryEvalScores?: Readonly<Record<string, number>>;
  readonly nowSeconds: number;
}

export interface TickDecision {
  readonly desired: number;
  /** Replica count wanted per release id. */
  readonly wanted: Readonly<Record<string, number>>;
  readonly submit: readonly { readonly slot: number; readonly release: string }[];
  /** Replicas to take out of rotation now (the plane cancels them once drained). */
  readonly drain: readonly string[];
  /** Replicas that never became healthy: report with their log tail, then replace. */
  readonly unhealthy: readonly string[];
  readonly canary?: { readonly verdict: 'pass' | 'fail'; readonly reason: string; readonly figures: ReleaseFigures };
}

/** How long a canary short of traffic may wait before it is rolled back, in hold periods. */
const CANARY_PATIENCE_HOLDS = 3;

function judgeCanary(c: Canary, f: ReleaseFigures | undefined, evals: Readonly<Record<string, number>> | undefined, nowSeconds: number): TickDecision['canary'] {
  const figures = f ?? { requests: 0, errors: 0, p99Ms: 0 };
  const t = c.thresholds;
  const age = nowSeconds - c.startedSeconds;
  const wantedEvals = Object.entries(t.minEvalScores ?? {});
  // An eval score below its minimum fails the canary as soon as it is known.
  for (const [suite, min] of wantedEvals) {
    const score = evals?.[suite];
    if (score !== undefined && score < min) return { verdict: 'fail', reason: `eval ${suite} ${score.toFixed(2)} < ${min}`, figures };
  }
  const evaluated = wantedEvals.every(([suite]) => evals?.[suite] !== undefined);
  if (!evaluated && age >= CANARY_PATIENCE_HOLDS * t.holdSeconds) {
    return { verdict: 'fail', reason: `eval suites not scored on the canary replicas in ${age.toFixed(0)} s (${wantedEvals.filter(([s]) => evals?.[s] === undefined).map(([s]) => s).join(', ')})`, figures };
  }
  if (figures.requests >= t.minRequests) {
    const errorRate = figures.errors / figures.requests;
    if (errorRate > t.maxErrorRate) return { verdict: 'fail', reason: `error rate ${(100 * errorRate).toFixed(1)}% > ${(100 * t.maxErrorRate).toFixed(1)}%`, figures };
    if (figures.p99Ms > t.maxP99Ms) return { verdict: 'fail', reason: `latency p99 ${figures.p99Ms.toFixed(0)} ms > ${t.maxP99Ms} ms`, figures };
    if (age >= t.holdSeconds && evaluated) {
      const scored = wantedEvals.map(([suite, min]) => `, eval ${suite} ${evals![suite]!.toFixed(2)} >= ${min}`).join('');
      return { verdict: 'pass', reason: `met its thresholds for ${t.holdSeconds} s (${figures.requests} requests, p99 ${figures.p99Ms.toFixed(0)} ms${scored})`, figures };
    }
    return undefined;
  }
  if (age >= CANARY_PATIENCE_HOLDS * t.holdSeconds) return { verdict: 'fail', reason: `only ${figures.requests} request(s) in ${age.toFixed(0)} s (needs ${t.minRequests} to judge)`, figures };
  return undefined;
}

/**
 * One reconcile tick of a deployment, pure: how many replicas (autoscaler), how many of each
 * release (the canary's share on its own replicas), what to start, drain and replace, and the
 * canary's verdict. Old releases drain only once the wanted ones have replicas ready.
 */
export function decideTick(i: TickInput): TickDecision {
  const { spec, stable, canary } = i.doc;
  const live = i.replicas.filter((r) => !r.draining);
  const slots = spec.slots_per_replica * Math.max(1, live.filter((r) => r.ready).length);
  const desired = desiredReplicas({
    currentReplicas: Math.max(live.length, spec.min_replicas), minReplicas: spec.min_replicas, maxReplicas: spec.max_replicas,
    queueDepth: Math.max(0, i.requestsInFlight - slots), outputTokensPerSecond: i.outputTokensPerSecond, capacityTokensPerSecondPerReplica: spec.replica_capacity_tps,
  });
  const stableId = stable?.id ?? 'weights';
  const wanted: Record<string, number> = {};
  if (canary) {
    const canaryCount = Math.max(1, Math.round((desired * canary.sharePercent) / 100));
    wanted[canary.id] = canaryCount;
    wanted[stableId] = Math.max(desired > 0 ? 1 : 0, desired - canaryCount);
  } else if (stable || spec.replica_command.every((w) => !w.includes('{checkpoint}'))) {
    wanted[stableId] = desired;
  }
  const unhealthy = live.filter((r) => r.state === 'running' && !r.ready && (r.runningSeconds ?? 0) > spec.startup_timeout_seconds).map((r) => r.jobId);
  const healthyLive = live.filter((r) => !unhealthy.includes(r.jobId));
  const submit: { slot: number; release: string }[] = [];
  const drain: string[] = [...unhealthy];
  const usedSlots = new Set(i.replicas.map((r) => r.slot));
  let nextSlot = 0;
  const freeSlot = () => { while (usedSlots.has(nextSlot)) nextSlot++; usedSlots.add(nextSlot); return nextSlot; };
  for (const [release, count] of Object.entries(wanted)) {
    const mine = healthyLive.filter((r) => r.release === release);
    for (let n = mine.length; n < count; n++) submit.push({ slot: freeSlot(), release });
    // Surplus: queued first, then the newest (highest slot).
    const surplus = mine.slice().sort((a, b) => (a.state === b.state ? b.slot - a.slot : a.state === 'queued' ? -1 : 1)).slice(0, Math.max(0, mine.length - count));
    drain.push(...surplus.map((r) => r.jobId));
  }
  // Other releases (rolled back, superseded) drain once every wanted release has its replicas ready.
  const readyOfWanted = Object.keys(wanted).every((rel) => healthyLive.filter((r) => r.release === rel && r.ready).length >= Math.min(1, wanted[rel]!));
  for (const r of healthyLive) {
    if (wanted[r.release] === undefined && (readyOfWanted || r.state === 'queued')) drain.push(r.jobId);
  }
  const verdict = canary ? judgeCanary(canary, i.figures[canary.id], i.canaryEvalScores, i.nowSeconds) : undefined;
  return { desired, wanted, submit, drain, unhealthy, ...(verdict ? { canary: verdict } : {}) };
}
