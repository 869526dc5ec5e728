/**
 * Discrete-event kernel (after SimPy's core): a binary heap of events keyed (time, priority,
 * seq). `seq` is a global insertion counter, so events at the same time and priority run in the
 * order they were scheduled and a run is deterministic. An event fires at most once; cancelling
 * marks it dead and the heap drops it when it surfaces (lazy deletion, O(1) cancel).
 */

/** Same-time ordering: lower runs first. */
export const URGENT = 0;
export const NORMAL = 1;
/** After everything else at that instant (the scheduling cycle). */
export const LATE = 2;

export interface SimEvent {
  readonly timeSeconds: number;
  readonly priority: number;
  readonly seq: number;
  readonly action: () => void;
  cancelled: boolean;
  fired: boolean;
}

export class Kernel {
  private heap: SimEvent[] = [];
  private seq = 0;
  private nowSeconds = 0;
  /** Events run so far. */
  processed = 0;

  get now(): number { return this.nowSeconds; }
  get pending(): number { return this.heap.length; }

  /** Schedules `action` at now + delay. A negative or NaN delay is a bug in the model. */
  schedule(delaySeconds: number, action: () => void, priority = NORMAL): SimEvent {
    if (!(delaySeconds >= 0)) throw new Error(`event scheduled with delay ${delaySeconds} s at t=${this.nowSeconds}`);
    return this.at(this.nowSeconds + delaySeconds, action, priority);
  }

  /** Schedules `action` at an absolute time not before now. */
  at(timeSeconds: number, action: () => void, priority = NORMAL): SimEvent {
    if (!(timeSeconds >= this.nowSeconds)) throw new Error(`event scheduled in the past: ${timeSeconds} < ${this.nowSeconds}`);
    const e: SimEvent = { timeSeconds, priority, seq: this.seq++, action, cancelled: false, fired: false };
    this.push(e);
    return e;
  }

  /** Cancels a pending event; cancelling a fired or cancelled event does nothing. */
  cancel(e: SimEvent | undefined): void { if (e && !e.fired) e.cancelled = true; }

  /** Time of the next live event (cancelled ones at the top are dropped), or Infinity when none is left. */
  peekSeconds(): number {
    for (;;) {
      const top = this.heap[0];
      if (!top) return Infinity;
      if (!top.cancelled) return top.timeSeconds;
      this.pop();
    }
  }

  /** Runs the next live event; false when none is left or the next is after `untilSeconds`. */
  step(untilSeconds = Infinity): boolean {
    for (;;) {
      const top = this.heap[0];
      if (!top) return false;
      if (top.cancelled) { this.pop(); continue; }
      if (top.timeSeconds > untilSeconds) return false;
      this.pop();
      this.nowSeconds = top.timeSeconds;
      top.fired = true;
      this.processed++;
      top.action();
      return true;
    }
  }

  /** Runs events up to `untilSeconds` and leaves the clock there. */
  run(untilSeconds: number, onProgress?: (nowSeconds: number) => void, progressEvery = 4096): void {
    let n = 0;
    while (this.step(untilSeconds)) {
      if (onProgress && ++n % progressEvery === 0) onProgress(this.nowSeconds);
    }
    if (untilSeconds > this.nowSeconds && untilSeconds !== Infinity) this.nowSeconds = untilSeconds;
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.timeSeconds < b.timeSeconds || (a.timeSeconds === b.timeSeconds && (a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq)));
  }

  private push(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1; const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
