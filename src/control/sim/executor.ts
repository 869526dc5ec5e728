/**
 * SimExecutor: the simulator's executor. It starts no process: each attempt is a simulated gang
 * on simulated nodes of a fleet, so the real control plane (API, store, reconciler, scheduler)
 * can drive a 12,500-node fleet on one machine:
 * `gigafactory up --executor sim --sim-fleet colossus-100k`. The cluster runs on a real-time
 * subclass of the simulator's event kernel (src/sim/realtime-kernel.ts, as SimPy's
 * RealtimeEnvironment), `speed` simulated seconds per wall second, and hosts the simulator's own
 * failure process (src/sim/failure-process.ts: the same model and seeded draws as
 * `gigafactory sim`): failures strike the fleet's nodes as a Poisson process per node at the
 * catalog rate (Llama 3: 3.79 per 1,000 node-days), their category drawn from the Llama 3 mix;
 * a hardware failure takes the node out for a lognormal repair (`nodeUp` is false meanwhile, so
 * the scheduler skips it) and the attempts on it end `failed` with `nodeLost`, as NODE_FAIL
 * does on Slurm; a software one ends them `failed` and leaves the node up. Planned maintenance
 * is not simulated here. What a rank "runs" is read from the job's environment:
 *   GF_SIM_SECONDS  simulated seconds the ranks run (default `defaultSeconds`; `inf`: until stopped)
 *   GF_SIM_EXIT     exit code at the end: `CODE` for every rank, or `RANK:CODE` for one rank
 * The first 8 ranks' logs (`<logDir>/rank-R.log`) get a line at start and at end, so
 * `gigafactory logs` works. A FAKE for processes, named so: nothing runs, no GPU is used, checkpoints are not written.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FAILURE_CATEGORIES, type FailureCategory, type FailureCategoryId } from '../../catalog/reliability.ts';
import { FailureProcess, type FailureTarget } from '../../sim/failure-process.ts';
import { DEFAULT_FAILURE_MODEL, failureRng } from '../../sim/failures.ts';
import type { SimEvent } from '../../sim/kernel.ts';
import { RealtimeKernel, type WallClock } from '../../sim/realtime-kernel.ts';
import type { Executor, ExecutorEvent, LaunchSpec } from '../executor.ts';
import { NODE_WALL_CLOCK } from './node-wall-clock.ts';

export interface SimClusterOptions {
  /** Simulated seconds per wall second (default 1). */
  readonly speed?: number;
  /** Unexpected failures per 1,000 node-days (default: the simulator's catalog rate; 0 switches failures off). */
  readonly failuresPer1000NodeDays?: number;
  /** Seed of the failure draws, as `gigafactory sim --seed` (default 1). */
  readonly seed?: number;
  /** Simulated seconds an attempt runs when its job sets no GF_SIM_SECONDS. */
  readonly defaultSeconds?: number;
  /** The fleet's node names in topology order: the nodes that fail (none given: no failures). */
  readonly nodes?: readonly string[];
  /** The wall clock the cluster follows (default: Node's; tests pass a fake one). */
  readonly clock?: WallClock;
}

interface SimAttempt {
  readonly key: string;
  readonly spec: LaunchSpec;
  /** The nodes it runs on: the scheduler's choice, else simulated ones of its own. */
  readonly nodes: readonly string[];
  /** Its end (exit) on the kernel; none when it runs until stopped. */
  end?: SimEvent;
  /** The executor that launched or adopted it: the one its events go to. */
  owner?: SimExecutor;
}

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
 * The simulated cluster: attempts and node health, on a real-time kernel. It outlives any one
 * executor, as real processes outlive a control plane, so a second executor can re-adopt a
 * running attempt. It is the failure process's target: the process decides when, where and
 * what fails and how long a repair takes; the cluster ends the attempts on a failed node.
 */
export class SimCluster implements FailureTarget {
  readonly speed: number;
  readonly defaultSeconds: number;
  readonly kernel: RealtimeKernel;
  readonly nodeCount: number;
  readonly attempts = new Map<string, SimAttempt>();
  private readonly nodeNames: readonly string[];
  private readonly nodeIndex = new Map<string, number>();
  /** 1 while a node is in repair. */
  private readonly down: Uint8Array;
  private readonly failures: FailureProcess;
  /** Running attempts by node name, so a node failure finds its gangs without a scan. */
  private readonly onNode = new Map<string, Set<SimAttempt>>();

  constructor(o: SimClusterOptions = {}) {
    this.speed = o.speed ?? 1;
    if (!(this.speed > 0)) throw new Error(`speed must be positive, got ${this.speed}`);
    this.defaultSeconds = o.defaultSeconds ?? 3600;
    this.nodeNames = o.nodes ?? [];
    this.nodeNames.forEach((n, i) => this.nodeIndex.set(n, i));
    this.nodeCount = this.nodeNames.length;
    this.down = new Uint8Array(this.nodeCount);
    this.kernel = new RealtimeKernel(o.clock ?? NODE_WALL_CLOCK, { speed: this.speed });
    const model = { ...DEFAULT_FAILURE_MODEL, ...(o.failuresPer1000NodeDays !== undefined ? { failuresPer1000NodeDays: o.failuresPer1000NodeDays } : {}) };
    this.failures = new FailureProcess(this, model, failureRng(o.seed ?? 1));
    this.kernel.start();
    this.failures.start();
  }

  nodeUp(name: string): boolean {
    const i = this.nodeIndex.get(name);
    return i === undefined || this.down[i] === 0;
  }

  /** FailureTarget: whether fleet node `node` (an index) is up. */
  isUp(node: number): boolean { return this.down[node] === 0; }
  takeDown(node: number): void { this.down[node] = 1; }
  bringUp(node: number): void { this.down[node] = 0; }

  /** FailureTarget: every attempt on the node ends `failed` (with the node lost when it went down). */
  interrupt(node: number, category: FailureCategory, nodeLost: boolean): void {
    const name = this.nodeNames[node]!;
    for (const a of [...(this.onNode.get(name) ?? [])]) {
      this.end(a, nodeLost
        ? { type: 'failed', reason: `node ${name} lost: ${category.name} (simulated)`, nodeLost: name }
        : { type: 'failed', reason: `${category.name} on node ${name} (simulated)` });
    }
  }

  launch(spec: LaunchSpec, owner: SimExecutor): string {
    const program = simProgram(spec.env, this.defaultSeconds);
    const key = keyOf(spec.jobId, spec.attempt);
    if (this.attempts.has(key)) throw new Error(`${key} is already running`);
    this.kernel.sync();
    const nodes = spec.nodeNames.length > 0 ? spec.nodeNames : Array.from({ length: spec.nodes }, (_, i) => `sim-${i}`);
    const down = nodes.find((n) => !this.nodeUp(n));
    if (down !== undefined) throw new Error(`node ${down} is down (in repair)`);
    const a: SimAttempt = { key, spec, nodes, owner };
    this.attempts.set(key, a);
    for (const n of nodes) { let set = this.onNode.get(n); if (!set) this.onNode.set(n, (set = new Set())); set.add(a); }
    const ranks = spec.nodes * spec.ranksPerNode;
    this.log(spec, ranks, (r) => `rank ${r}/${ranks} simulated on ${nodes[Math.floor(r / spec.ranksPerNode)] ?? nodes[0]}: ${Number.isFinite(program.seconds) ? `${program.seconds} s` : 'until stopped'} at ${this.speed}x`);
    if (Number.isFinite(program.seconds)) {
      a.end = this.kernel.schedule(program.seconds, () => this.end(a, program.exitCode === 0
        ? { type: 'exited', exitCode: 0, reason: `all ${ranks} ranks exited 0` }
        : { type: 'exited', exitCode: program.exitCode, reason: `rank ${program.rank ?? 0} exited with code ${program.exitCode}` }));
    }
    return JSON.stringify({ sim: key });
  }

  /**
   * A node of the fleet fails now (`category` from the failure catalog, e.g. `gpu`, `nccl-timeout`),
   * through the failure process: a hardware failure keeps it down for a drawn repair time; the
   * attempts on it end `failed`. A node already down does not fail again.
   */
  failNode(name: string, category: FailureCategory | FailureCategoryId = 'gpu'): void {
    const c = typeof category === 'string' ? FAILURE_CATEGORIES.find((x) => x.id === category) : category;
    if (c === undefined) throw new Error(`unknown failure category "${String(category)}"; known: ${FAILURE_CATEGORIES.map((x) => x.id).join(', ')}`);
    const node = this.nodeIndex.get(name);
    if (node === undefined) throw new Error(`unknown node "${name}": the simulated fleet has ${this.nodeCount} nodes${this.nodeCount > 0 ? ` (${this.nodeNames.slice(0, 3).join(', ')}${this.nodeCount > 3 ? ', ...' : ''})` : ''}`);
    this.kernel.sync();
    this.failures.strike(node, c);
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
    this.kernel.cancel(a.end);
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

  /** Stops delivering events; the simulated attempts go on (another executor may adopt them). */
  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.cluster.attempts.values()) if (a.owner === this) a.owner = undefined;
  }
}
