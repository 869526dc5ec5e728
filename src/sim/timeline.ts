/**
 * The simulator's timeline: the fleet's state sampled at fixed points of simulated time, at most
 * `MAX_TIMELINE_SAMPLES` over a run, for the time-series charts of `sim --html` and the
 * `timeline` of `sim --json`. Lazy: no event of its own; the kernel calls it only when the clock
 * is about to pass the next sample point (`Kernel.onAdvance`), so a run costs one comparison per
 * event plus one read of the model per sample. It reads the model through `TimelineSource` only.
 */
import type { Kernel } from './kernel.ts';

/** Node counts by state; a node is in exactly one of them (rented nodes not rented now in none). */
export interface NodeCounts {
  /** Usable and in service (busy or idle), hot spares excluded. */
  readonly up: number;
  /** Unusable for a reason other than a repair (none in the simulator today). */
  readonly down: number;
  /** Failed and being repaired (the failure model's repair time). */
  readonly repair: number;
  /** Usable, held aside as hot spares. */
  readonly spare: number;
}

/** What the sampler reads from the model at a sample point. */
export interface TimelineSource {
  runningJobs(): number;
  pendingJobs(): number;
  nodes(): NodeCounts;
  /** GPUs of the owned fleet plus those of rented nodes rented now. */
  gpusCapacity(): number;
  /** GPUs held by running jobs. */
  gpusAllocated(): number;
  /** Held GPUs doing useful work at `nowSeconds`: not restarting, reloading, or in a missing replica. */
  gpusProductive(nowSeconds: number): number;
  rentedNodes(): number;
  /** Unexpected interruptions so far, by failure category (cumulative). */
  interruptionsByCategory(): ReadonlyMap<string, number>;
}

/** The samples, one array per quantity (column-wise: compact JSON, and what uPlot draws). */
export interface Timeline {
  readonly intervalSeconds: number;
  /** Sample times, simulated seconds: 0, interval, 2 x interval, ... up to the horizon. */
  readonly tSeconds: number[];
  readonly runningJobs: number[];
  readonly pendingJobs: number[];
  readonly nodesUp: number[];
  readonly nodesDown: number[];
  readonly nodesRepair: number[];
  readonly nodesSpare: number[];
  readonly gpusCapacity: number[];
  readonly gpusAllocated: number[];
  readonly gpusProductive: number[];
  readonly rentedNodes: number[];
  /** Cumulative unexpected interruptions per failure category that occurred (zeros before the first). */
  readonly interruptionsByCategory: Record<string, number[]>;
}

export const MAX_TIMELINE_SAMPLES = 2000;
/** Sample intervals: each divides a day or is a whole number of days, so days end on a sample. */
const STEPS_SECONDS = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 14_400, 21_600, 43_200, 86_400];

/** The shortest listed interval that keeps `horizonSeconds` within `maxSamples` samples (0 counted). */
export function sampleIntervalSeconds(horizonSeconds: number, maxSamples = MAX_TIMELINE_SAMPLES): number {
  if (!(horizonSeconds > 0) || !(maxSamples >= 2)) throw new Error(`timeline: horizon ${horizonSeconds} s, at most ${maxSamples} samples`);
  const least = horizonSeconds / (maxSamples - 1);
  const step = STEPS_SECONDS.find((s) => s >= least);
  return step ?? Math.ceil(least / 86_400) * 86_400;
}

/**
 * Takes a sample at each point k x interval (k = 0, 1, ...) up to the horizon. A sample is the
 * state just before the events at that instant (the state that held since the previous event).
 */
export class TimelineSampler {
  readonly intervalSeconds: number;
  private nextSeconds = 0;
  private readonly t: Timeline;

  constructor(private readonly source: TimelineSource, private readonly horizonSeconds: number, maxSamples = MAX_TIMELINE_SAMPLES) {
    this.intervalSeconds = sampleIntervalSeconds(horizonSeconds, maxSamples);
    this.t = {
      intervalSeconds: this.intervalSeconds, tSeconds: [], runningJobs: [], pendingJobs: [], nodesUp: [], nodesDown: [], nodesRepair: [], nodesSpare: [],
      gpusCapacity: [], gpusAllocated: [], gpusProductive: [], rentedNodes: [], interruptionsByCategory: {},
    };
  }

  /** The time of the next sample (Infinity once the horizon is sampled). */
  get nextSampleSeconds(): number { return this.nextSeconds; }

  /** Samples every point up to and including `toSeconds` with the state as it is now. */
  advanceTo(toSeconds: number): void {
    const end = Math.min(toSeconds, this.horizonSeconds);
    while (this.nextSeconds <= end) {
      this.take(this.nextSeconds);
      const k = this.t.tSeconds.length;
      this.nextSeconds = k * this.intervalSeconds <= this.horizonSeconds ? k * this.intervalSeconds : Infinity;
    }
  }

  /** Samples what is left up to the horizon (the state at the end) and returns the timeline. */
  finish(): Timeline {
    this.advanceTo(this.horizonSeconds);
    return this.t;
  }

  private take(atSeconds: number): void {
    const s = this.source;
    const t = this.t;
    const nodes = s.nodes();
    t.tSeconds.push(atSeconds);
    t.runningJobs.push(s.runningJobs());
    t.pendingJobs.push(s.pendingJobs());
    t.nodesUp.push(nodes.up);
    t.nodesDown.push(nodes.down);
    t.nodesRepair.push(nodes.repair);
    t.nodesSpare.push(nodes.spare);
    t.gpusCapacity.push(s.gpusCapacity());
    t.gpusAllocated.push(s.gpusAllocated());
    t.gpusProductive.push(Math.round(s.gpusProductive(atSeconds) * 10) / 10);
    t.rentedNodes.push(s.rentedNodes());
    const counts = s.interruptionsByCategory();
    const before = t.tSeconds.length - 1;
    for (const category of counts.keys()) t.interruptionsByCategory[category] ??= new Array<number>(before).fill(0);
    for (const [category, column] of Object.entries(t.interruptionsByCategory)) column.push(counts.get(category) ?? 0);
  }
}

/** Samples a kernel's run lazily: the kernel calls the sampler as its clock passes each sample point. */
export function watchKernel(kernel: Kernel, sampler: TimelineSampler): void {
  kernel.watchSeconds = sampler.nextSampleSeconds;
  kernel.onAdvance = (toSeconds) => {
    sampler.advanceTo(toSeconds);
    kernel.watchSeconds = sampler.nextSampleSeconds;
  };
}
