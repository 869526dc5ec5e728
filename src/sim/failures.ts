import { FAILURE_CATEGORIES, RELIABILITY_DEFAULTS, restartSeconds, type FailureCategory } from '../catalog/reliability.ts';
import { Rng } from '../lib/rng.ts';

/**
 * The failure and recovery model (reliability.md sec. 3): unexpected failures arrive as a
 * Poisson process per node at `failuresPer1000NodeDays`; each failure's category is drawn from
 * the Llama 3 Table 5 counts. Hardware categories (GPU, HBM, network, host) take the node out
 * for a lognormal repair; software categories (bug, NCCL timeout) only restart the job in place.
 */
export interface FailureModel {
  readonly failuresPer1000NodeDays: number;
  readonly plannedInterruptionsPerDay: number;
  readonly detectionSeconds: number;
  /** Fixed restart time, or undefined for R(N) = 50 s + 0.009 s x N_GPU. */
  readonly restartSecondsOverride?: number;
  readonly checkpointLoadSeconds: number;
  readonly checkpointSaveSeconds: number;
  readonly repairMedianSeconds: number;
  readonly repairLogSigma: number;
  /**
   * Lemon nodes (reliability.md 3.2): this share of nodes draws `lemonRateFactor` times its share
   * of failures; the fleet-wide arrival rate stays `failuresPer1000NodeDays`. Lemons spend more
   * time in repair, where they cannot fail again, so fewer jobs are interrupted. 0: nodes alike.
   */
  readonly lemonFraction?: number;
  readonly lemonRateFactor?: number;
}

/** AIReSim's illustrative default (reliability.md 3.2): lemons fail 5x as often. */
export const DEFAULT_LEMON_RATE_FACTOR = 5;

export const DEFAULT_FAILURE_MODEL: FailureModel = {
  failuresPer1000NodeDays: RELIABILITY_DEFAULTS.unexpectedFailuresPer1000NodeDays,
  plannedInterruptionsPerDay: RELIABILITY_DEFAULTS.plannedInterruptionsPerDay,
  detectionSeconds: RELIABILITY_DEFAULTS.detectionSeconds,
  checkpointLoadSeconds: RELIABILITY_DEFAULTS.checkpointLoadSeconds,
  checkpointSaveSeconds: RELIABILITY_DEFAULTS.checkpointBlockingSeconds,
  repairMedianSeconds: RELIABILITY_DEFAULTS.repairMedianSeconds,
  repairLogSigma: RELIABILITY_DEFAULTS.repairLogSigma,
};

/** The random stream failures are drawn from in a run with `seed` (`gigafactory sim` and `up --executor sim` alike). */
export const failureRng = (seed: number): Rng => new Rng(seed * 2 + 1);

/** Failures per node per second. */
export const nodeFailureRatePerSecond = (m: FailureModel): number => m.failuresPer1000NodeDays / 1000 / 86_400;

export const isHardware = (c: FailureCategory): boolean => c.component !== 'software';

/** Share of failures that take a node out for repair (Llama 3 counts: 358 of 419). */
export const hardwareShare = (): number => {
  const total = FAILURE_CATEGORIES.reduce((a, c) => a + c.llama3Count, 0);
  return FAILURE_CATEGORIES.filter(isHardware).reduce((a, c) => a + c.llama3Count, 0) / total;
};

const CUMULATIVE = (() => {
  const total = FAILURE_CATEGORIES.reduce((a, c) => a + c.llama3Count, 0);
  let acc = 0;
  return FAILURE_CATEGORIES.map((c) => (acc += c.llama3Count / total));
})();

/** Draws a failure category in proportion to its Llama 3 count. */
export function drawCategory(rng: Rng): FailureCategory {
  const u = rng.next();
  for (let i = 0; i < CUMULATIVE.length; i++) if (u < CUMULATIVE[i]!) return FAILURE_CATEGORIES[i]!;
  return FAILURE_CATEGORIES[FAILURE_CATEGORIES.length - 1]!;
}

export function drawRepairSeconds(m: FailureModel, rng: Rng): number {
  return rng.logNormal(m.repairMedianSeconds, m.repairLogSigma);
}

/** Restart (re-initialisation) time of a gang of `gpus` GPUs, without detection or checkpoint load. */
export function restartFor(m: FailureModel, gpus: number): number {
  return m.restartSecondsOverride ?? restartSeconds(gpus);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Hot spares needed so a node is on hand for a failure with 99% probability over a horizon:
 * nodes in repair form an M/G/infinity queue, so at time T their number is Poisson with mean
 * lambda x integral_0^T P(repair > u) du (lambda = hardware failures per second on `nodes`).
 * Returns the 99th percentile of that Poisson count (normal approximation with continuity).
 */
export function sparesNeeded(m: FailureModel, nodes: number, horizonSeconds: number): number {
  const lambda = nodes * nodeFailureRatePerSecond(m) * hardwareShare();
  const steps = 400;
  const mu = Math.log(m.repairMedianSeconds);
  let integral = 0;
  for (let i = 0; i < steps; i++) {
    const u = ((i + 0.5) / steps) * horizonSeconds;
    integral += (1 - normalCdf((Math.log(u) - mu) / m.repairLogSigma)) * (horizonSeconds / steps);
  }
  const mean = lambda * integral;
  return Math.ceil(mean + 2.326 * Math.sqrt(mean) + 0.5);
}

/**
 * Picks the node of the next failure: uniform, or with lemons weighted by their rate factor.
 * Node i is a lemon when frac(i x golden ratio) < fraction: spread evenly across leaves, and
 * the same nodes for every seed.
 */
export function makeNodePicker(m: FailureModel, nodes: number, rng: Rng): () => number {
  const fraction = m.lemonFraction ?? 0;
  if (!(fraction > 0) || nodes === 0) return () => rng.int(0, nodes - 1);
  const factor = m.lemonRateFactor ?? DEFAULT_LEMON_RATE_FACTOR;
  const lemons: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < nodes; i++) ((i * 0.6180339887498949) % 1 < fraction ? lemons : others).push(i);
  if (lemons.length === 0 || others.length === 0) return () => rng.int(0, nodes - 1);
  const lemonShare = (lemons.length * factor) / (lemons.length * factor + others.length);
  return () => (rng.next() < lemonShare ? rng.pick(lemons) : rng.pick(others));
}
