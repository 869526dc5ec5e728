/**
 * The wall clock that `--executor sim` runs its real-time kernel on (src/sim/realtime-kernel.ts):
 * Node's monotonic clock and timers. Timers are unref'd: a simulated cluster alone does not keep
 * the process alive (the control plane's server does).
 */
import type { WallClock } from '../../sim/realtime-kernel.ts';

/** Node timers hold at most 2^31-1 ms (24.8 days): longer delays are re-armed until due. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface NodeTimer { timeout?: NodeJS.Timeout }

export const NODE_WALL_CLOCK: WallClock = {
  nowMs: () => performance.now(),
  setTimer(delayMs: number, fire: () => void): NodeTimer {
    const timer: NodeTimer = {};
    const dueMs = performance.now() + delayMs;
    const arm = (ms: number): void => {
      timer.timeout = setTimeout(() => {
        const leftMs = dueMs - performance.now();
        if (leftMs > 1) arm(leftMs); else fire();
      }, Math.min(MAX_TIMER_MS, ms));
      timer.timeout.unref();
    };
    arm(delayMs);
    return timer;
  },
  clearTimer(timer: unknown): void { clearTimeout((timer as NodeTimer | undefined)?.timeout); },
};
