/**
 * Plan versus actual. The progress contract: rank 0 of a job appends one line per step (or every
 * few steps) to the file named by GF_PROGRESS_FILE:
 *
 *     step=N tokens=T [time=UNIX_SECONDS]
 *
 * N is the optimizer step, T the tokens trained so far by all ranks together (both cumulative,
 * continuing across restarts), time when the step ended (absent: the plane stamps the line when
 * it reads it). From these the plane measures step time, tokens/s per GPU and MFU, and compares
 * them with the job's plan. Pure: no I/O (progress-watch.ts reads the file).
 */
import type { JobPlan } from './job-plan.ts';

export interface ProgressSample { readonly step: number; readonly tokens: number; readonly timeSeconds: number }

/** How much slower than planned (step time over planned) counts as a straggler: the 20%. */
export const SLOW_FACTOR = 1.2;
/** Samples the measurement spans: the most recent ones, so it tracks the job's current speed. */
export const WINDOW_SAMPLES = 50;

const LINE = /^\s*step=([0-9]+)\s+tokens=([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)(?:\s+time=([0-9]+(?:\.[0-9]+)?))?\s*$/;

/** Parses complete lines; a malformed line is skipped (counted), never fatal: tenant output must not break the plane. */
export function parseProgress(text: string, stampSeconds: number): { samples: ProgressSample[]; malformed: number } {
  const samples: ProgressSample[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m) { malformed++; continue; }
    samples.push({ step: Number(m[1]), tokens: Number(m[2]), timeSeconds: m[3] !== undefined ? Number(m[3]) : stampSeconds });
  }
  return { samples, malformed };
}

export interface Actual {
  readonly step: number;
  readonly tokens: number;
  readonly stepSeconds: number;
  readonly tokensPerSecond: number;
  /** Per GPU of the gang; null for a job without GPUs. */
  readonly tokensPerSecondPerGpu: number | null;
  /** Model FLOPs (the plan's count) over peak; null without a plan. */
  readonly mfu: number | null;
  /** How much slower than planned (1.3 = 30% slower): planned over measured tokens/s per GPU (step time without GPUs); null without a plan. */
  readonly slowdown: number | null;
  readonly slow: boolean;
  readonly samples: number;
}

/**
 * Measures the most recent `WINDOW_SAMPLES` samples at or after `sinceSeconds` (the current
 * attempt's start). Undefined until two samples with distinct steps and times exist.
 */
export function measure(all: readonly ProgressSample[], gpus: number, plan: JobPlan | undefined, sinceSeconds = 0): Actual | undefined {
  const s = all.filter((x) => x.timeSeconds >= sinceSeconds).slice(-WINDOW_SAMPLES);
  if (s.length < 2) return undefined;
  const a = s[0]!, b = s[s.length - 1]!;
  const dt = b.timeSeconds - a.timeSeconds, dSteps = b.step - a.step, dTokens = b.tokens - a.tokens;
  if (!(dt > 0) || dSteps <= 0) return undefined;
  const tokensPerSecond = dTokens / dt;
  const perGpu = gpus > 0 ? tokensPerSecond / gpus : null;
  const stepSeconds = dt / dSteps;
  const mfu = plan && perGpu !== null ? (perGpu * plan.modelFlopsPerToken) / plan.peakFlopsPerSecondPerGpu : null;
  const slowdown = !plan ? null : perGpu !== null && perGpu > 0 ? plan.tokensPerSecondPerGpu / perGpu : stepSeconds / plan.stepSeconds;
  return { step: b.step, tokens: b.tokens, stepSeconds, tokensPerSecond, tokensPerSecondPerGpu: perGpu, mfu, slowdown, slow: slowdown !== null && slowdown > SLOW_FACTOR, samples: s.length };
}
