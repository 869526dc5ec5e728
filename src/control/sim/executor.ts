/**
 * SimExecutor: the simulator's executor. It starts no process: each attempt is a simulated gang
 * on simulated nodes of a fleet, run in wall time sped up `speed` times, so the real control
 * plane (API, store, reconciler, scheduler) can drive a 12,500-node fleet on one machine:
 * `gigafactory up --executor sim --sim-fleet colossus-100k`. What is simulated comes from the
 * simulator (src/sim/failures.ts): failures strike the nodes of running attempts as a Poisson
 * process per node at the catalog rate (Llama 3: 3.79 per 1,000 node-days; idle nodes do not
 * fail here, unlike in `gigafactory sim`), their category drawn from the Llama 3 mix;
 * a hardware failure takes the node out for a lognormal repair (`nodeUp` is false meanwhile, so
 * the scheduler skips it), and the attempt ends `failed` with `nodeLost`, as NODE_FAIL does on
 * Slurm. What a rank "runs" is read from the job's environment:
 *   GF_SIM_SECONDS  simulated seconds the ranks run (default `defaultSeconds`; `inf`: until stopped)
 *   GF_SIM_EXIT     exit code at the end: `CODE` for every rank, or `RANK:CODE` for one rank
 * The first 8 ranks' logs (`<logDir>/rank-R.log`) get a line at start and at end, so
 * `gigafactory logs` works. A FAKE for processes, named so: nothing runs, no GPU is used, checkpoints are not written.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FAILURE_CATEGORIES, type FailureCategory, type FailureCategoryId } from '../../catalog/reliability.ts';
import { Rng } from '../../lib/rng.ts';
import { DEFAULT_FAILURE_MODEL, drawCategory, drawRepairSeconds, isHardware, nodeFailureRatePerSecond, type FailureModel } from '../../sim/failures.ts';
import type { Executor, ExecutorEvent, LaunchSpec } from '../executor.ts';

export interface SimClusterOptions {
  /** Simulated seconds per wall second (default 1). */
  readonly speed?: number;
  /** Unexpected failures per 1,000 node-days (default: the simulator's catalog rate; 0 switches failures off). */
  readonly failuresPer1000NodeDays?: number;
  readonly seed?: number;
  /** Simulated seconds an attempt runs when its job sets no GF_SIM_SECONDS. */
  readonly defaultSeconds?: number;
}

interface SimAttempt {
  readonly key: string;
  readonly spec: LaunchSpec;
  /** The nodes it runs on: the scheduler's choice, else simulated ones of its own. */
  readonly nodes: readonly string[];
  timer?: NodeJS.Timeout;
  /** The executor that launched or adopted it: the one its events go to. */
  owner?: SimExecutor;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Ranks that get a log file: a 100,000-rank simulated gang would otherwise write 100,000 files per event. */
const LOGGED_RANKS = 8;
const keyOf = (jobId: string, attempt: number) => `${jobId}#${attempt}`;

/** How an attempt ends, from its environment: simulated seconds and exit code (and which rank). */
export function simProgram(env: Readonly<Record<string, string>>, defaultSeconds: number): { seconds: number; exitCode: number; rank?: number } {
  const rawSeconds = env['GF_SIM_SECONDS'];
  const seconds = rawSeconds === undefined ? defaultSeconds : rawSeconds === 'inf' ? Infinity : Number(rawSeconds);
  if (!(seconds >= 0)) throw new Error(`GF_SIM_SECONDS: "${rawSeconds}" is not a number of seconds (or inf)`);
  const exit = env['GF_SIM_EXIT'];
  if (exit === undefined) return { seconds, exitCode: 0 };
  const m = /^(?:([0-9]+):)?([0-9]+)$/.exec(exit);
  if (!m) throw new Error(`GF_SIM_EXIT: "${exit}" is not CODE or RANK:CODE`);
  return { seconds, exitCode: Number(m[2]), ...(m[1] !== undefined ? { rank: Number(m[1]) } : {}) };
}

/**
 * The simulated cluster: attempts and node health. It outlives any one executor, as real
 * processes outlive a control plane, so a second executor can re-adopt a running attempt.
 */
export class SimCluster {
  readonly speed: number;
  readonly defaultSeconds: number;
  private readonly model: FailureModel;
  private readonly rng: Rng;
  readonly attempts = new Map<string, SimAttempt>();
  /** Running attempts by node name, so a node failure finds its gangs without a scan. */
  private readonly onNode = new Map<string, Set<SimAttempt>>();
  /** Wall time (ms) until which a node is in repair. */
  private readonly downUntilMs = new Map<string, number>();

  constructor(o: SimClusterOptions = {}) {
    this.speed = o.speed ?? 1;
    if (!(this.speed > 0)) throw new Error(`speed must be positive, got ${this.speed}`);
    this.defaultSeconds = o.defaultSeconds ?? 3600;
    this.model = { ...DEFAULT_FAILURE_MODEL, ...(o.failuresPer1000NodeDays !== undefined ? { failuresPer1000NodeDays: o.failuresPer1000NodeDays } : {}) };
    this.rng = new Rng(o.seed ?? 1);
  }

  nodeUp(name: string): boolean {
    const until = this.downUntilMs.get(name);
    if (until === undefined) return true;
    if (Date.now() >= until) { this.downUntilMs.delete(name); return true; }
    return false;
  }

  /** When a node in repair comes back, seconds since the epoch (undefined: not in repair). */
  repairUntilSeconds(name: string): number | undefined {
    return this.nodeUp(name) ? undefined : this.downUntilMs.get(name)! / 1000;
  }

  launch(spec: LaunchSpec, owner: SimExecutor): string {
    const program = simProgram(spec.env, this.defaultSeconds);
    const key = keyOf(spec.jobId, spec.attempt);
    if (this.attempts.has(key)) throw new Error(`${key} is already running`);
    const nodes = spec.nodeNames.length > 0 ? spec.nodeNames : Array.from({ length: spec.nodes }, (_, i) => `sim-${i}`);
    const down = nodes.find((n) => !this.nodeUp(n));
    if (down !== undefined) throw new Error(`node ${down} is down (in repair)`);
    const a: SimAttempt = { key, spec, nodes, owner };
    this.attempts.set(key, a);
    for (const n of nodes) { let set = this.onNode.get(n); if (!set) this.onNode.set(n, (set = new Set())); set.add(a); }
    const ranks = spec.nodes * spec.ranksPerNode;
    this.log(spec, ranks, (r) => `rank ${r}/${ranks} simulated on ${nodes[Math.floor(r / spec.ranksPerNode)] ?? nodes[0]}: ${Number.isFinite(program.seconds) ? `${program.seconds} s` : 'until stopped'} at ${this.speed}x`);
    // The first failure among the attempt's nodes: exponential at nodes x the per-node rate.
    const rate = nodes.length * nodeFailureRatePerSecond(this.model);
    const failAt = rate > 0 ? this.rng.exponential(1 / rate) : Infinity;
    const endAt = Math.min(program.seconds, failAt);
    if (Number.isFinite(endAt)) {
      const dueWallMs = Date.now() + (endAt / this.speed) * 1000;
      const fire = () => {
        // Node timers hold at most 2^31-1 ms (24.8 days): re-arm until the simulated end is due.
        if (Date.now() < dueWallMs) { a.timer = setTimeout(fire, Math.min(MAX_TIMER_MS, dueWallMs - Date.now())); return; }
        if (failAt < program.seconds) this.failNode(nodes[this.rng.int(0, nodes.length - 1)]!, drawCategory(this.rng));
        else this.end(a, program.exitCode === 0 ? { type: 'exited', exitCode: 0, reason: `all ${ranks} ranks exited 0` }
          : { type: 'exited', exitCode: program.exitCode, reason: `rank ${program.rank ?? 0} exited with code ${program.exitCode}` });
      };
      a.timer = setTimeout(fire, Math.min(MAX_TIMER_MS, dueWallMs - Date.now()));
    }
    return JSON.stringify({ sim: key });
  }

  /**
   * A node fails now (`category` from the failure catalog, e.g. `gpu`, `nccl-timeout`): every attempt on
   * it ends `failed` with the node lost; a hardware failure keeps the node down for a drawn repair time.
   */
  failNode(name: string, category: FailureCategory | FailureCategoryId = 'gpu'): void {
    const c = typeof category === 'string' ? FAILURE_CATEGORIES.find((x) => x.id === category) : category;
    if (c === undefined) throw new Error(`unknown failure category "${String(category)}"; known: ${FAILURE_CATEGORIES.map((x) => x.id).join(', ')}`);
    if (isHardware(c)) this.downUntilMs.set(name, Date.now() + (drawRepairSeconds(this.model, this.rng) / this.speed) * 1000);
    for (const a of [...(this.onNode.get(name) ?? [])]) {
      // A software failure (a bug, an NCCL timeout) kills the gang but leaves the node usable.
      this.end(a, isHardware(c)
        ? { type: 'failed', reason: `node ${name} lost: ${c.name} (simulated)`, nodeLost: name }
        : { type: 'failed', reason: `${c.name} on node ${name} (simulated)` });
    }
  }

  stop(jobId: string, attempt: number): void {
    const a = this.attempts.get(keyOf(jobId, attempt));
    if (!a) return;
    this.forget(a);
    this.log(a.spec, a.spec.nodes * a.spec.ranksPerNode, (r) => `rank ${r}: stopped`);
  }

  private end(a: SimAttempt, e: { type: 'exited'; exitCode: number; reason: string } | { type: 'failed'; reason: string; nodeLost?: string }): void {
    if (this.attempts.get(a.key) !== a) return;
    this.forget(a);
    this.log(a.spec, a.spec.nodes * a.spec.ranksPerNode, () => e.reason);
    a.owner?.emit({ ...e, jobId: a.spec.jobId, attempt: a.spec.attempt });
  }

  private forget(a: SimAttempt): void {
    clearTimeout(a.timer);
    this.attempts.delete(a.key);
    for (const n of a.nodes) {
      const set = this.onNode.get(n);
      set?.delete(a);
      if (set?.size === 0) this.onNode.delete(n);
    }
  }

  private log(spec: LaunchSpec, ranks: number, line: (rank: number) => string): void {
    try {
      mkdirSync(spec.logDir, { recursive: true });
      for (let r = 0; r < Math.min(ranks, LOGGED_RANKS); r++) appendFileSync(join(spec.logDir, `rank-${r}.log`), `${line(r)}\n`);
    } catch { /* logs are best effort: the attempt's outcome does not depend on them */ }
  }
}

export class SimExecutor implements Executor {
  readonly name = 'sim';
  private readonly listeners: ((e: ExecutorEvent) => void)[] = [];
  private closed = false;

  constructor(readonly cluster: SimCluster = new SimCluster()) {}

  onEvent(l: (e: ExecutorEvent) => void): void { this.listeners.push(l); }

  /** Delivers an event of an attempt this executor owns (called by the cluster). */
  emit(e: ExecutorEvent): void {
    if (this.closed) return;
    for (const l of this.listeners) l(e);
  }

  async launch(spec: LaunchSpec): Promise<string> {
    const handle = this.cluster.launch(spec, this);
    // Every rank is "launched" at once: running goes out after launch() resolves, as for real executors.
    queueMicrotask(() => this.emit({ type: 'running', jobId: spec.jobId, attempt: spec.attempt, handle }));
    return handle;
  }

  async stop(jobId: string, attempt: number): Promise<void> { this.cluster.stop(jobId, attempt); }

  async adopt(jobId: string, attempt: number, handle: string): Promise<boolean> {
    const a = this.cluster.attempts.get(keyOf(jobId, attempt));
    if (!a || handle !== JSON.stringify({ sim: a.key })) return false;
    a.owner = this;
    return true;
  }

  nodeUp(name: string): boolean { return this.cluster.nodeUp(name); }

  nodeRepairUntil(name: string): number | undefined { return this.cluster.repairUntilSeconds(name); }

  /** Stops delivering events; the simulated attempts go on (another executor may adopt them). */
  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.cluster.attempts.values()) if (a.owner === this) a.owner = undefined;
  }
}
