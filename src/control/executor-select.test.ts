import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { InputError } from '../lib/errors.ts';
import { executorFromFlags } from './executor-select.ts';
import { SimExecutor } from './sim/executor.ts';
import { SlurmUnavailableError } from './slurm/slurm-cli.ts';

test('the local executor needs nothing from Slurm', async () => {
  assert.equal(await executorFromFlags({}), undefined);
  assert.equal(await executorFromFlags({ executor: 'local' }), undefined);
});

test('bad flag values name the flag, the value and the choices', async () => {
  await assert.rejects(executorFromFlags({ executor: 'kubernetes' }), (e: unknown) => e instanceof InputError && /--executor.*kubernetes.*local, slurm, sim/.test(e.message));
  await assert.rejects(executorFromFlags({ executor: 'slurm', slurmPlacement: 'random' }), (e: unknown) => e instanceof InputError && /--slurm-placement/.test(e.message));
});

test('--executor slurm without a reachable cluster says what to point at', async () => {
  await assert.rejects(executorFromFlags({ executor: 'slurm', slurmConf: '/nonexistent/slurm.conf' }), (e: unknown) => e instanceof SlurmUnavailableError && /not found/.test(e.message));
});

test('--executor sim simulates the nodes of a fleet; missing fleet and bad numbers name the flag', async () => {
  const sim = await executorFromFlags({ executor: 'sim', simFleet: FLEET_PRESETS['h100-16k']!, simSpeed: '60', simFailureRate: '0' });
  assert.ok(sim);
  assert.equal(sim.executor.name, 'sim');
  assert.equal(sim.topology.nodes.length, 2048);
  assert.equal((sim.executor as SimExecutor).cluster.nodeCount, 2048, 'the failure process strikes the fleet\'s nodes');
  await sim.executor.close();
  await assert.rejects(executorFromFlags({ executor: 'sim' }), (e: unknown) => e instanceof InputError && /--sim-fleet/.test(e.message));
  await assert.rejects(executorFromFlags({ executor: 'sim', simFleet: FLEET_PRESETS['h100-16k']!, simSpeed: '0' }), (e: unknown) => e instanceof InputError && /--sim-speed.*"?0"?.*> 0/.test(e.message));
  await assert.rejects(executorFromFlags({ executor: 'sim', simFleet: FLEET_PRESETS['h100-16k']!, simFailureRate: 'often' }), (e: unknown) => e instanceof InputError && /--sim-failure-rate/.test(e.message));
});
