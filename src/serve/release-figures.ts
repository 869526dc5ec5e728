/**
 * What a gateway measured per release over a recent window: requests, errors and latency
 * p99 (request start to last byte, per attempt). The control plane judges a canary on them.
 */
export interface WindowFigures { readonly requests: number; readonly errors: number; readonly p99_ms: number }

/** Samples kept per release; older ones fall out first (bounded memory under any load). */
const MAX_SAMPLES = 5000;

export class ReleaseFiguresWindow {
  private readonly samples = new Map<string, { t: number; ms: number; ok: boolean }[]>();

  constructor(private readonly nowMs: () => number = () => Date.now(), private readonly windowMs = 60_000) {}

  record(release: string, ok: boolean, elapsedMs: number): void {
    let list = this.samples.get(release);
    if (!list) { list = []; this.samples.set(release, list); }
    list.push({ t: this.nowMs(), ms: elapsedMs, ok });
    if (list.length > MAX_SAMPLES) list.splice(0, list.length - MAX_SAMPLES);
  }

  snapshot(): Record<string, WindowFigures> {
    const since = this.nowMs() - this.windowMs;
    const out: Record<string, WindowFigures> = {};
    for (const [release, list] of this.samples) {
      const first = list.findIndex((s) => s.t >= since);
      if (first < 0) { this.samples.delete(release); continue; }
      if (first > 0) list.splice(0, first);
      const ms = list.map((s) => s.ms).sort((a, b) => a - b);
      out[release] = { requests: list.length, errors: list.filter((s) => !s.ok).length, p99_ms: ms[Math.min(ms.length - 1, Math.ceil(0.99 * ms.length) - 1)]! };
    }
    return out;
  }
}
