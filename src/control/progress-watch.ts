/**
 * The edge of plan versus actual: reads each running job's progress file (contract in progress.ts)
 * as it grows, measures it against the job's plan, and records a `slow` event once per attempt when
 * a job runs more than 20% below its plan: how stragglers and bad nodes show up.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { measure, parseProgress, SLOW_FACTOR, type Actual, type ProgressSample } from './progress.ts';
import { progressFile } from './reconciler.ts';
import type { JobRecord, Store } from './store/types.ts';

/** Bytes read per poll and samples kept per job: a runaway writer costs bounded memory. */
const MAX_READ_BYTES = 1 << 20;
const MAX_SAMPLES = 2_000;

interface FileState { offset: number; partial: string; samples: ProgressSample[] }

export class ProgressTracker {
  private readonly files = new Map<string, FileState>();
  private readonly warned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: { store: Store; dataDir: string; nowSeconds?: () => number; log?: (line: string) => void }) {}

  private now(): number { return this.o.nowSeconds?.() ?? Date.now() / 1000; }

  /** Reads what the job's rank 0 appended since the last call; returns every sample kept. */
  samples(jobId: string): readonly ProgressSample[] {
    let st = this.files.get(jobId);
    if (!st) this.files.set(jobId, (st = { offset: 0, partial: '', samples: [] }));
    const file = progressFile(this.o.dataDir, jobId);
    let size: number;
    try { size = statSync(file).size; } catch { return st.samples; }
    if (size < st.offset) { st.offset = 0; st.partial = ''; st.samples = []; }
    const n = Math.min(MAX_READ_BYTES, size - st.offset);
    if (n <= 0) return st.samples;
    const buf = Buffer.alloc(n);
    const fd = openSync(file, 'r');
    try { readSync(fd, buf, 0, n, st.offset); } finally { closeSync(fd); }
    st.offset += n;
    const text = st.partial + buf.toString('utf8');
    const cut = text.lastIndexOf('\n');
    st.partial = text.slice(cut + 1);
    st.samples.push(...parseProgress(text.slice(0, cut + 1), this.now()).samples);
    if (st.samples.length > MAX_SAMPLES) st.samples.splice(0, st.samples.length - MAX_SAMPLES);
    return st.samples;
  }

  /** The job's measured speed in its current attempt (beside its plan), or undefined before two samples. */
  actual(j: JobRecord): Actual | undefined {
    const gpus = j.spec.plan?.gpus ?? j.spec.nodes * j.spec.gpus_per_node;
    return measure(this.samples(j.id), gpus, j.spec.plan, j.state === 'running' ? (j.startSeconds ?? 0) : 0);
  }

  /** One pass over the running jobs: a planned job more than 20% slower than its plan gets one `slow` event per attempt. */
  async check(): Promise<void> {
    const running = await this.o.store.listJobs({ states: ['running'], order: 'id' });
    // Forget jobs that stopped running (bounded memory); a later read starts over from the file.
    const ids = new Set(running.map((j) => j.id));
    for (const id of [...this.files.keys()]) if (!ids.has(id)) this.files.delete(id);
    for (const j of running) {
      // Only planned jobs have a plan to be slow against: others cost no file read here.
      const key = `${j.id}#${j.attempt}`;
      if (!j.spec.plan || this.warned.has(key)) continue;
      const a = this.actual(j);
      if (!a?.slow) continue;
      this.warned.add(key);
      const p = j.spec.plan;
      const message = `attempt ${j.attempt} runs ${((a.slowdown! - 1) * 100).toFixed(0)}% slower than planned (more than ${((SLOW_FACTOR - 1) * 100).toFixed(0)}%): `
        + `${a.tokensPerSecondPerGpu?.toFixed(1) ?? '?'} tokens/s/GPU vs ${p.tokensPerSecondPerGpu.toFixed(1)} planned, step ${a.stepSeconds.toFixed(3)} s vs ${p.stepSeconds.toFixed(3)} s; look for a straggler or a bad node`;
      await this.o.store.addEvent({ jobId: j.id, seconds: this.now(), type: 'slow', message });
      this.o.log?.(`${j.id}: ${message}`);
    }
  }

  start(everyMs = 2000): void {
    this.timer = setInterval(() => { this.check().catch((e: unknown) => this.o.log?.(`progress check: ${(e as Error).message}`)); }, everyMs);
    this.timer.unref();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }
}
