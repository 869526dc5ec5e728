/**
 * Real-time kernel (after SimPy's RealtimeEnvironment, rt.py): the event heap of `Kernel`,
 * driven by a wall clock. An event at simulated time t fires once the wall clock reaches
 * startWall + (t - startSim) / speed, where `speed` is simulated seconds per wall second
 * (SimPy's `factor` is its inverse). Model code does not change: it schedules on the kernel
 * exactly as in `gigafactory sim`, and events keep the (time, priority, seq) order.
 *
 * The kernel stays pure: the wall clock and its one timer are injected (`WallClock`); the Node
 * implementation is at the edge (src/control/sim/node-wall-clock.ts), a fake one for tests in
 * realtime-kernel-fake-clock.ts.
 *
 * Lateness: when the process is busy, an event fires after its wall time, still at its own
 * simulated time and in heap order, so the model stays deterministic and only wall time slips.
 * `worstLagMs` records the largest slip. With `strict` (SimPy's strict mode), a slip over
 * `maxLagWallSeconds` is an error: the kernel stops and the error goes to `onError`.
 */
import { Kernel, type SimEvent } from './kernel.ts';

/** The wall clock a RealtimeKernel follows, with one-shot timers. */
export interface WallClock {
  /** Wall time in milliseconds; never goes back. */
  nowMs(): number;
  /** Calls `fire` once, `delayMs` from now (however long the delay); returns a handle for clearTimer. */
  setTimer(delayMs: number, fire: () => void): unknown;
  /** Cancels a timer; a fired or cleared one is ignored. */
  clearTimer(timer: unknown): void;
}

export interface RealtimeOptions {
  /** Simulated seconds per wall second (> 0). */
  readonly speed: number;
  /** Fail when an event fires more than `maxLagWallSeconds` after its wall time (default false). */
  readonly strict?: boolean;
  /** With `strict`: the largest slip allowed, in wall seconds (default 1). */
  readonly maxLagWallSeconds?: number;
  /**
   * Gets what an event (or strict lateness) throws while the wall timer runs the kernel; the
   * kernel has stopped by then. Without it the error is thrown out of the timer callback.
   */
  readonly onError?: (error: unknown) => void;
}

/** Strict mode: an event fired later than allowed after its wall time. */
export class RealtimeLagError extends Error {
  constructor(readonly eventSeconds: number, readonly lagMs: number) {
    super(`real-time kernel is ${Math.round(lagMs)} ms behind the wall clock at the event of t=${eventSeconds} s (strict mode): lower the speed or allow more lag`);
    this.name = 'RealtimeLagError';
  }
}

export class RealtimeKernel extends Kernel {
  readonly speed: number;
  /** Largest slip so far between an event's wall time and when it fired (ms). */
  worstLagMs = 0;
  private readonly strict: boolean;
  private readonly maxLagMs: number;
  private readonly onError: ((error: unknown) => void) | undefined;
  private anchorWallMs = 0;
  private anchorSeconds = 0;
  private running = false;
  /** Inside a step (an event's action) or the timer's run: no re-arming until it ends. */
  private busy = 0;
  private timer: unknown;
  private armedForSeconds = Infinity;

  constructor(private readonly clock: WallClock, o: RealtimeOptions) {
    super();
    if (!(o.speed > 0) || !Number.isFinite(o.speed)) throw new Error(`speed must be a positive number of simulated seconds per wall second, got ${o.speed}`);
    const lag = o.maxLagWallSeconds ?? 1;
    if (!(lag >= 0)) throw new Error(`maxLagWallSeconds must be >= 0, got ${lag}`);
    this.speed = o.speed;
    this.strict = o.strict ?? false;
    this.maxLagMs = lag * 1000;
    this.onError = o.onError;
  }

  /** Whether the kernel follows the wall clock now. */
  get started(): boolean { return this.running; }

  /** Starts following the wall clock from the current simulated time. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchorWallMs = this.clock.nowMs();
    this.anchorSeconds = this.now;
    this.arm();
  }

  /** Stops following the wall clock (a pause): pending events stay, and start() resumes from the current simulated time. */
  stop(): void {
    this.running = false;
    this.disarm();
  }

  /** The simulated time the wall clock has reached (`now` while stopped). */
  wallSeconds(): number {
    return this.running ? this.anchorSeconds + ((this.clock.nowMs() - this.anchorWallMs) * this.speed) / 1000 : this.now;
  }

  /**
   * Catches up with the wall clock: runs every event due by now, then moves `now` to the wall's
   * simulated time. Call it before scheduling from outside an event (a request, a launch), so
   * delays count from the wall's now. Inside an event it does nothing: `now` is that event's time.
   */
  sync(): void {
    if (!this.running || this.busy > 0) return;
    this.run(Math.max(this.now, this.wallSeconds()));
    this.arm();
  }

  override at(timeSeconds: number, action: () => void, priority?: number): SimEvent {
    const e = super.at(timeSeconds, action, priority);
    if (timeSeconds < this.armedForSeconds) this.arm();
    return e;
  }

  override cancel(e: SimEvent | undefined): void {
    super.cancel(e);
    if (e !== undefined && e.timeSeconds === this.armedForSeconds) this.arm();
  }

  /** As Kernel.step, recording how late the event fires by the wall clock (and refusing too late in strict mode). */
  override step(untilSeconds = Infinity): boolean {
    if (this.running) {
      const t = this.peekSeconds();
      if (t <= untilSeconds) {
        const lagMs = this.clock.nowMs() - this.dueMs(t);
        if (lagMs > this.worstLagMs) this.worstLagMs = lagMs;
        if (this.strict && lagMs > this.maxLagMs) throw new RealtimeLagError(t, lagMs);
      }
    }
    this.busy++;
    try { return super.step(untilSeconds); } finally { this.busy--; }
  }

  /** Wall time (ms) at which simulated time t is due. */
  private dueMs(t: number): number {
    return this.anchorWallMs + ((t - this.anchorSeconds) * 1000) / this.speed;
  }

  /** Keeps one timer armed for the next live event, if the kernel runs and is not inside a step. */
  private arm(): void {
    if (!this.running || this.busy > 0) return;
    const next = this.peekSeconds();
    if (next === this.armedForSeconds) return;
    this.disarm();
    if (next === Infinity) return;
    this.armedForSeconds = next;
    this.timer = this.clock.setTimer(Math.max(0, Math.ceil(this.dueMs(next) - this.clock.nowMs())), () => this.fire(next));
  }

  private disarm(): void {
    if (this.armedForSeconds !== Infinity) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.armedForSeconds = Infinity;
  }

  /** The timer: runs what is due (`target` at least: the timer never fires early, whatever float rounding says), then re-arms. */
  private fire(target: number): void {
    this.timer = undefined;
    this.armedForSeconds = Infinity;
    if (!this.running) return;
    this.busy++;
    try {
      this.run(Math.max(this.now, this.wallSeconds(), target));
    } catch (error) {
      this.stop();
      if (!this.onError) throw error;
      this.onError(error);
      return;
    } finally {
      this.busy--;
    }
    this.arm();
  }
}
