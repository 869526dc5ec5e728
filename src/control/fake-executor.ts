/**
 * FakeExecutor: a "NULL" executor (tinygrad's NULL=1 idea) that starts no process and reports
 * every attempt as exited 0 after `runMs`. For tests and benches of the control plane's own
 * paths (API, store, reconciler) where running real ranks is not the point. Never the default.
 */
import type { Executor, ExecutorEvent, LaunchSpec } from './executor.ts';

export class FakeExecutor implements Executor {
  readonly name = 'fake';
  private readonly listeners: ((e: ExecutorEvent) => void)[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  readonly launched: LaunchSpec[] = [];

  constructor(private readonly runMs = 0) {}

  onEvent(l: (e: ExecutorEvent) => void): void { this.listeners.push(l); }

  async launch(spec: LaunchSpec): Promise<string> {
    this.launched.push(spec);
    const key = `${spec.jobId}#${spec.attempt}`;
    const t = setTimeout(() => {
      this.timers.delete(key);
      for (const l of this.listeners) l({ type: 'exited', jobId: spec.jobId, attempt: spec.attempt, exitCode: 0, reason: 'fake executor: done' });
    }, this.runMs);
    t.unref();
    this.timers.set(key, t);
    return JSON.stringify({ fake: key });
  }

  async stop(jobId: string, attempt: number): Promise<void> {
    const key = `${jobId}#${attempt}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  async adopt(): Promise<boolean> { return false; }

  async close(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
