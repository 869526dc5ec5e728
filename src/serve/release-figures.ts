/**
 * What a gateway measured per release over a recent window: requests, errors and latency
 * p99 (request start to last byte, per attempt). The control plane judges a canary on them.
 */
export interface WindowFigures { readonly requests: number; readonly errors: number; readonly p99_ms: number }

/** Latency samples kept per release; older ones fall out first (bounded memory under any load). */
const MAX_SAMPLES = 5000;

export class ReleaseFiguresWindow {
  private readonly samples = new Map<string, { t: number; ms: number; ok: boolean }[]>();
  /** Requests and errors per second of the window: exact at any rate, where the latency samples are capped. */
  private readonly perSecond = new Map<string, { sec: number; requests: number; errors: number }[]>();

  constructor(private readonly nowMs: () => number = () => Date.now(), private readonly windowMs = 60_000) {}

  record(release: string, ok: boolean, elapsedMs: number): void {
    let list = this.samples.get(release);
    if (!list) { list = []; this.samples.set(release, list); }
    const t = this.nowMs();
    list.push({ t, ms: elapsedMs, ok });
    if (list.length > MAX_SAMPLES) list.splice(0, list.length - MAX_SAMPLES);
    let counts = this.perSecond.get(release);
    if (!counts) { counts = []; this.perSecond.set(release, counts); }
    const sec = Math.floor(t / 1000);
    const last = counts[counts.length - 1];
    if (last !== undefined && last.sec === sec) { last.requests++; if (!ok) last.errors++; } else counts.push({ sec, requests: 1, errors: ok ? 0 : 1 });
  }

  snapshot(): Record<string, WindowFigures> {
    const since = this.nowMs() - this.windowMs;
    const out: Record<string, WindowFigures> = {};
    for (const [release, list] of this.samples) {
      const first = list.findIndex((s) => s.t >= since);
      if (first < 0) { this.samples.delete(release); this.perSecond.delete(release); continue; }
      if (first > 0) list.splice(0, first);
      const ms = list.map((s) => s.ms).sort((a, b) => a - b);
      const counts = this.perSecond.get(release) ?? [];
      const kept = counts.findIndex((c) => c.sec >= Math.floor(since / 1000));
      if (kept > 0) counts.splice(0, kept);
      const requests = counts.reduce((a, c) => a + c.requests, 0);
      const errors = counts.reduce((a, c) => a + c.errors, 0);
      out[release] = { requests, errors, p99_ms: ms[Math.min(ms.length - 1, Math.ceil(0.99 * ms.length) - 1)]! };
    }
    return out;
  }
}
