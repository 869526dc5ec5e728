// Driver conformance: each scenario of ./scenarios.ts through the simulator (Engine, kernel
// clock) and through the live plane (Reconciler + SQLite store + fake executor, simulated
// provider, virtual clock); the decision logs (starts, preemptions, provisions, releases) and the
// job state-transition logs (with each attempt's outcome) must be identical. The drivers are in
// ./drivers.ts. Each scenario also asserts, on the simulator's logs, that it shows what it is
// there for, so a change that makes both drivers skip it does not pass unnoticed.
// CONFORMANCE_PRINT=1 prints both logs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byTime, runLivePlane, runSimulator, type Logs } from './drivers.ts';
import { FAILURE_SPARE_PREEMPT_CANCEL, RENT_RELEASE, SCENARIOS, SHARING, type Scenario } from './scenarios.ts';

/** What each scenario must show in the simulator's logs. */
const SHOWS = new Map<Scenario, (sim: Logs) => void>([
  [FAILURE_SPARE_PREEMPT_CANCEL, (sim) => {
    assert.ok(sim.decisions.includes('700 preempt job-1 for job-3'), `the checkpoint decides the victim: ${sim.decisions.join('; ')}`);
    assert.ok(sim.transitions.includes('300 job-2 queued (node-lost)') && sim.transitions.includes('300 job-2 running'), 'the spare swap restarts job-2 at once');
    assert.ok(sim.transitions.some((t) => t.endsWith('job-4 cancelled')) && sim.transitions.some((t) => t.endsWith('job-2 cancelled')), 'both cancels happen');
  }],
  [RENT_RELEASE, (sim) => {
    const d = sim.decisions;
    assert.ok(d.includes('1000 preempt job-2 for job-4'), `a preemption requeues job-2 at t=1000: ${d.join('; ')}`);
    const provisions = d.filter((x) => x.includes(' provision '));
    assert.deepEqual(provisions, ['1700 provision 2 of burst (queue waited past the threshold)'], 'one request, once job-2 has waited 600 s since its requeue (not since its submit)');
    assert.ok(d.includes('2600 start job-5 [4,5]') && d.includes('2600 start job-6 [6]'), 'the rented nodes join after the 15-minute lead time and jobs run on them, owned node 4 first');
    assert.ok(d.includes('3300 start job-7 [4,5]') && !d.some((x) => x.startsWith('3300 preempt')), 'one placement pass over owned and idle rented nodes: no preemption');
    assert.ok(d.some((x) => x.includes(' release [6] of burst')) && d.some((x) => x.includes(' release [5] of burst')), 'idle rented nodes are released');
  }],
  [SHARING, (sim) => {
    const atZero = sim.decisions.filter((d) => d.startsWith('0 start'));
    assert.equal(atZero.length, 8, `eight one-GPU jobs start at once: ${sim.decisions.join('; ')}`);
    assert.equal(new Set(atZero.map((d) => d.split(' ')[3])).size, 1, 'all on one node');
    assert.equal(sim.transitions.filter((t) => t.startsWith('300 ') && t.endsWith('queued (node-lost)')).length, 8, 'the node loss interrupts every job on it');
    assert.ok(sim.transitions.includes('500 job-8 cancelled'), 'the queued job-8 is cancelled');
    assert.ok(sim.transitions.some((t) => t.endsWith('job-11 succeeded')), 'the whole-node job runs in the end');
  }],
]);

for (const scenario of SCENARIOS) {
  test(`conformance (${scenario.name}): the simulator and the live plane make the same decisions and the same state transitions`, async () => {
    const sim = runSimulator(scenario);
    const shows = SHOWS.get(scenario);
    assert.ok(shows, `scenario "${scenario.name}" has no SHOWS entry saying what it must show`);
    shows(sim);
    const live = await runLivePlane(scenario, sim);
    if (process.env['CONFORMANCE_PRINT']) console.log(JSON.stringify({ scenario: scenario.name, sim, live }, null, 1));
    assert.deepEqual(live.decisions, sim.decisions);
    assert.deepEqual(byTime(live.transitions), byTime(sim.transitions));
  });
}
