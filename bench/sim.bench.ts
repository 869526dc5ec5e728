// Simulator benchmark: the grok mix on colossus-100k for 30 days (wall time, peak RSS, events/s)
// and a scaling table at 1,000, 10,000 and 100,000 GPUs. Prints one JSON object.
import { performance } from 'node:perf_hooks';
import { FLEET_PRESETS, homogeneousFleet } from '../src/fleet/presets.ts';
import { buildTopology } from '../src/fleet/topology.ts';
import type { FleetSpec } from '../src/fleet/types.ts';
import { Rng } from '../src/lib/rng.ts';
import { DEFAULT_FAILURE_MODEL, DEFAULT_SIM, grokWorkload, simulate, sparesNeeded, twinSizing } from '../src/sim/index.ts';

const days = 30;

function runGrok(fleet: FleetSpec) {
  const topology = buildTopology(fleet);
  const nodes = topology.nodes.length;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const workload = grokWorkload(nodes, days, new Rng(1), { reservedNodes: sparesNeeded(DEFAULT_FAILURE_MODEL, nodes, days * 86_400), sizing: twinSizing(fleet) });
  const r = simulate(topology, workload, {
    days, seed: 1, policy: DEFAULT_SIM.policy, checkpointMinutes: 'auto', failures: DEFAULT_FAILURE_MODEL,
    spares: 'auto', spareMinGpus: DEFAULT_SIM.spareMinGpus, cycleSeconds: DEFAULT_SIM.cycleSeconds,
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    // CPU seconds too: on a shared machine wall time includes waiting for a core.
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(3),
    gpus: r.gpus, jobs: workload.jobs.length, events: r.events, schedulingCycles: r.schedulingCycles, wallSeconds: +wallSeconds.toFixed(3),
    eventsPerSecond: Math.round(r.events / wallSeconds), microsecondsPerEvent: +((wallSeconds * 1e6) / r.events).toFixed(1),
    utilizationAllocated: +r.utilization.allocated.toFixed(4), utilizationProductive: +r.utilization.productive.toFixed(4),
    unexpectedInterruptions: r.interruptions.unexpected, pretrainEttr: +(r.training.find((t) => t.id === 'pretrain')?.ettr ?? 0).toFixed(4),
  };
}

const scaling = [homogeneousFleet('h100', 1_000), homogeneousFleet('h100', 10_000)].map(runGrok);
(globalThis as { gc?: () => void }).gc?.();
const main = runGrok(FLEET_PRESETS['colossus-100k']!);
scaling.push(main);
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify({
  workload: 'grok', fleet: 'colossus-100k', days,
  wallSeconds: main.wallSeconds, cpuSeconds: main.cpuSeconds, peakRssMiB: Math.round(peakRssBytes / 2 ** 20), eventsPerSecond: main.eventsPerSecond, events: main.events,
  targets: { wallSeconds: 10, peakRssMiB: 2048 },
  scaling,
}) + '\n');
