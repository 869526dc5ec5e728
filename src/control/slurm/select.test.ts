import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executorFromFlags } from './select.ts';
import { InputError } from '../../lib/errors.ts';
import { SlurmUnavailableError } from './slurm-cli.ts';

test('the local executor needs nothing from Slurm', async () => {
  assert.equal(await executorFromFlags({}), undefined);
  assert.equal(await executorFromFlags({ executor: 'local' }), undefined);
});

test('bad flag values name the flag, the value and the choices', async () => {
  await assert.rejects(executorFromFlags({ executor: 'kubernetes' }), (e: unknown) => e instanceof InputError && /--executor.*kubernetes.*local, slurm/.test(e.message));
  await assert.rejects(executorFromFlags({ executor: 'slurm', slurmPlacement: 'random' }), (e: unknown) => e instanceof InputError && /--slurm-placement/.test(e.message));
});

test('--executor slurm without a reachable cluster says what to point at', async () => {
  await assert.rejects(executorFromFlags({ executor: 'slurm', slurmConf: '/nonexistent/slurm.conf' }), (e: unknown) => e instanceof SlurmUnavailableError && /not found/.test(e.message));
});
