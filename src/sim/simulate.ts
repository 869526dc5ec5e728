import type { ClusterTopology } from '../fleet/types.ts';
import { ImpossibleError } from '../lib/errors.ts';
import { Engine } from './engine.ts';
import { sparesNeeded } from './failures.ts';
import { buildReport, type SimReport } from './report.ts';
import { runRenting } from './rent.ts';
import { runService } from './services.ts';
import { engineTimelineSource } from './timeline-engine.ts';
import { TimelineSampler, watchKernel } from './timeline.ts';
import { withAddedNodes } from './topology-extra.ts';
import type { RejectedJob, SimOptions, Workload, WorkloadJob } from './types.ts';

/**
 * Runs one simulation: the fleet `topology` (owned nodes, plus the rent pool's nodes marked
 * `rented` when `options.rent` is set) under `workload` for `options.days`. Pure: the same
 * inputs and seed give the same report (except `wallSeconds`, which the edge fills in).
 */
export function simulate(topology: ClusterTopology, workload: Workload, options: SimOptions): SimReport {
  const horizonSeconds = options.days * 86_400;
  const owned = topology.nodes.filter((n) => !n.rented);
  if (owned.length === 0 && !options.rent) throw new ImpossibleError('the fleet has no owned nodes', 'pick a fleet with halls, or pass --rent-pool');
  const gpusPerNode = Math.max(0, ...topology.nodes.map((n) => n.gpus));
  if (gpusPerNode === 0) throw new ImpossibleError('the fleet has no GPU nodes', 'pick a GPU fleet (colossus-100k, h100-16k) or a fleet file with GPU halls');
  const capacityNodes = topology.nodes.length;
  // 1. Reject what can never run.
  const rejected: RejectedJob[] = [...workload.rejected];
  const jobs: WorkloadJob[] = [];
  for (const j of workload.jobs) {
    if (j.gpusPerNode > gpusPerNode) rejected.push({ id: j.id, reason: `needs ${j.gpusPerNode} GPUs per node; nodes have ${gpusPerNode}` });
    else if (j.nodes > capacityNodes) rejected.push({ id: j.id, reason: `needs ${j.nodes * j.gpusPerNode} GPUs; the fleet has ${capacityNodes * gpusPerNode}` });
    else jobs.push(j);
  }
  if (jobs.length === 0 && workload.jobs.length > 0 && workload.services.length === 0) {
    throw new ImpossibleError(`no job of workload ${workload.name} can run on this fleet: ${rejected[rejected.length - 1]!.reason}`,
      `use a larger fleet (e.g. --fleet colossus-100k) or a smaller workload`);
  }
  // 2. Hot spares for the largest jobs: carved from the fleet where it has room, else added beyond it.
  const largest = jobs.reduce((a, j) => Math.max(a, j.nodes), 0);
  const needSpares = largest * gpusPerNode >= options.spareMinGpus;
  const spareTarget = !needSpares ? 0 : options.spares === 'auto' ? sparesNeeded(options.failures, owned.length, horizonSeconds) : options.spares;
  const room = Math.max(0, owned.length - largest);
  const carved = Math.min(room, spareTarget);
  const added = spareTarget - carved;
  const topo = withAddedNodes(topology, added, 'spares');
  const engine = new Engine(topo, { ...workload, jobs }, options);
  const carvedNodes = owned.slice(owned.length - carved).map((n) => n.index);
  const addedNodes = topo.nodes.slice(topology.nodes.length).map((n) => n.index);
  engine.addSpares([...carvedNodes, ...addedNodes]);
  // 3. Arrivals, one event at a time in submit order.
  const states = jobs.map((j) => engine.addJob(j));
  const order = states.map((_, i) => i).sort((a, b) => jobs[a]!.submitSeconds - jobs[b]!.submitSeconds || a - b);
  let next = 0;
  const arrive = (): void => {
    while (next < order.length && jobs[order[next]!]!.submitSeconds <= engine.now) engine.enqueue(states[order[next++]!]!);
    if (next < order.length) {
      const t = jobs[order[next]!]!.submitSeconds;
      if (t <= horizonSeconds) engine.kernel.at(t, arrive);
    }
  };
  engine.kernel.at(0, arrive);
  // 4. Services, renting, failures.
  const services = workload.services.map((s) => runService(engine, s));
  const rent = options.rent ? runRenting(engine, options.rent) : undefined;
  engine.startFailures();
  // 5. Run, sampled lazily for the timeline (timeline.ts).
  const ownedGpus = owned.length * gpusPerNode;
  const sampler = new TimelineSampler(engineTimelineSource(engine, ownedGpus), horizonSeconds);
  watchKernel(engine.kernel, sampler);
  engine.kernel.run(horizonSeconds, options.onProgress);
  const timeline = sampler.finish();
  engine.close();
  rent?.finish();
  return buildReport({
    engine, workload, options, rejected, services, rent: rent?.stats,
    spares: { target: spareTarget, carvedFromFleet: carved, addedBeyondFleet: added, swaps: engine.spareSwaps },
    ownedGpus, timeline,
  });
}
