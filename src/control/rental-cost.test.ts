import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poolBills } from './rental-cost.ts';
import type { RentalRow } from './store/rental-table.ts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);
const live = (node: string, launchedSeconds: number, state: RentalRow['state'] = 'running'): RentalRow => ({ node, pool: 'oci', provider: 'oracle', instanceId: 'x', state, launchedSeconds, pricePerHourUsd: 80 });
const released = (node: string, launchedSeconds: number, releasedSeconds: number) => ({ node, pool: 'oci', provider: 'oracle', instanceId: 'x', launchedSeconds, releasedSeconds, gpus: 8, pricePerHourUsd: 80 });

test('pool bills by hand: each rental billed launch to release (or now), at least the minimum term, at its stored price', () => {
  // Minimum term 2 h, 8 GPUs at $10/GPU-hour ($80/node-hour).
  const [b] = poolBills({
    live: [live('n2', 10_000), live('n3', 19_000, 'launching')],       // n2: 2.5 h so far; n3: no instance yet, nothing
    released: [released('n0', 0, 1800), released('n1', 0, 3 * 3600)], // n0: 0.5 h billed as 2 h; n1: 3 h
    gpusOf: () => 8, pools: [{ name: 'oci', minimumHours: 2 }], nowSeconds: 19_000,
  });
  close(b!.gpuHours, (2 + 3 + 2.5) * 8);
  close(b!.costUsd, (2 + 3 + 2.5) * 80);
});

test('pool bills: a live rental younger than the minimum term already owes the whole term; --since counts the billed span after it', () => {
  const i = { live: [live('n0', 0)], released: [released('n1', 0, 7200)], gpusOf: () => 8, pools: [{ name: 'oci', minimumHours: 2 }, { name: 'idle', minimumHours: 0 }] };
  const now = poolBills({ ...i, nowSeconds: 600 });
  close(now[0]!.costUsd, 2 * 80 + 2 * 80);
  assert.deepEqual(now[1], { pool: 'idle', gpuHours: 0, costUsd: 0 });
  close(poolBills({ ...i, nowSeconds: 600, sinceSeconds: 3600 })[0]!.costUsd, 1 * 80 + 1 * 80);
});
