import type { WallClock } from './realtime-kernel.ts';

/**
 * A FAKE wall clock for tests, named so: time moves only when `advance` is called, and the
 * timers due on the way fire at their due time, in due order (ties: the order they were set).
 */
export class FakeWallClock implements WallClock {
  private ms = 0;
  private seq = 0;
  private readonly timers = new Map<number, { readonly dueMs: number; readonly fire: () => void }>();

  nowMs(): number { return this.ms; }

  setTimer(delayMs: number, fire: () => void): number {
    this.timers.set(++this.seq, { dueMs: this.ms + Math.max(0, delayMs), fire });
    return this.seq;
  }

  clearTimer(timer: unknown): void { this.timers.delete(timer as number); }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number { return this.timers.size; }

  /** The process is busy for `ms`: time moves on and no timer fires (until the next `advance`). */
  stall(ms: number): void { this.ms += ms; }

  /** Moves the clock `ms` forward, firing each timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.ms + ms;
    for (;;) {
      let id = -1;
      let due = Infinity;
      for (const [k, t] of this.timers) if (t.dueMs < due) { due = t.dueMs; id = k; }
      if (due > end) break;
      const t = this.timers.get(id)!;
      this.timers.delete(id);
      this.ms = Math.max(this.ms, due);
      t.fire();
    }
    this.ms = end;
  }
}
