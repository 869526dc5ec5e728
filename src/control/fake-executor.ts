/**
 * FakeExecutor: a "NULL" executor (tinygrad's NULL=1 idea) that starts no process and reports
 * every attempt as exited 0 after `runMs` (never, when `runMs` is Infinity: the test ends it
 * with `exit` or `fail`). For tests and benches of the control plane's own paths (API, store,
 * reconciler) where running real ranks is not the point. Never the default.
 */
import type { Executor, ExecutorEvent, LaunchSpec } from './executor.ts';

export class FakeExecutor implements Executor {
  readonly name = 'fake';
  private readonly listeners: ((e: ExecutorEvent) => void)[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  readonly launched: LaunchSpec[] = [];
  /** Every stop asked for, in order. */
  readonly stopped: { jobId: string; attempt: number; reason: string }[] = [];
  /** While set, each stop waits for it (a slow stop: SIGTERM grace, a hung node). */
  stopGate: Promise<void> | undefined;
  /** Called at each launch before it returns (tests check what is durable by then). */
  onLaunch: ((spec: LaunchSpec) => Promise<void> | void) | undefined;

  /** Nodes the fake cluster reports down (`nodeUp` false): set by tests, as a lost node stays out. */
  readonly down = new Set<string>();

  constructor(private readonly runMs = 0) {}

  nodeUp(name: string): boolean { return !this.down.has(name); }

  onEvent(l: (e: ExecutorEvent) => void): void { this.listeners.push(l); }

  private emit(e: ExecutorEvent): void { for (const l of this.listeners) l(e); }

  async launch(spec: LaunchSpec): Promise<string> {
    this.launched.push(spec);
    await this.onLaunch?.(spec);
    const key = `${spec.jobId}#${spec.attempt}`;
    if (Number.isFinite(this.runMs)) {
      const t = setTimeout(() => {
        this.timers.delete(key);
        this.emit({ type: 'exited', jobId: spec.jobId, attempt: spec.attempt, exitCode: 0, reason: 'fake executor: done' });
      }, this.runMs);
      t.unref();
      this.timers.set(key, t);
    }
    return JSON.stringify({ fake: key });
  }

  /** Ends an attempt as if every rank exited (0) or the first failing one with `exitCode`. */
  exit(jobId: string, attempt: number, exitCode: number, reason = `fake executor: exit ${exitCode}`): void {
    this.emit({ type: 'exited', jobId, attempt, exitCode, reason });
  }

  /** Ends an attempt as lost to the infrastructure (`nodeLost`: the node that went down). */
  fail(jobId: string, attempt: number, reason: string, nodeLost?: string): void {
    this.emit({ type: 'failed', jobId, attempt, reason, ...(nodeLost !== undefined ? { nodeLost } : {}) });
  }

  /** Ends an attempt as preempted by the executor's own scheduler (as Slurm's PREEMPTED). */
  preempt(jobId: string, attempt: number, reason = 'fake executor: preempted'): void {
    this.emit({ type: 'failed', jobId, attempt, reason, preempted: true });
  }

  async stop(jobId: string, attempt: number, reason = ''): Promise<void> {
    this.stopped.push({ jobId, attempt, reason });
    const key = `${jobId}#${attempt}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    await this.stopGate;
  }

  async adopt(): Promise<boolean> { return false; }

  async close(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
