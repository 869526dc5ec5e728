// Build or rent, answered by the twin: owned when the owned fleet meets the deadline (cheaper), rent when it cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLEET_PRESETS, homogeneousFleet, OCI_H100_POOL } from '../fleet/presets.ts';
import { buildOrRent } from './build-or-rent.ts';
import { DEFAULT_FAILURE_MODEL } from './failures.ts';

const input = (deadlineDays: number) => ({
  modelId: 'llama3-70b', tokens: 1.5e12, deadlineDays, fleet: homogeneousFleet('h100', 1024),
  pool: OCI_H100_POOL, poolFleet: FLEET_PRESETS['oci-h100']!, failures: DEFAULT_FAILURE_MODEL, seed: 1,
});

test('plan fleet: the owned fleet when it meets the deadline, since it costs least', () => {
  const a = buildOrRent(input(60));
  const owned = a.options.find((o) => o.name === 'owned')!;
  assert.ok(owned.meetsDeadline, `owned takes ${owned.days} days`);
  assert.equal(a.choice, 'owned', a.why);
  assert.ok(a.options.every((o) => o.name === 'owned' || o.costUsd > owned.costUsd), 'renting costs more');
  assert.deepEqual(a.options.map((o) => o.name), ['owned', 'owned+rented', 'rented']);
  const both = a.options.find((o) => o.name === 'owned+rented')!;
  assert.equal(both.leadTimeDays, OCI_H100_POOL.leadTimeHours / 24, 'rented capacity waits for its lead time');
  assert.ok(owned.goodput > 0.5 && owned.goodput < 1 && owned.interruptions > 0, 'the twin ran with failures');
});

test('plan fleet: rents when the owned fleet cannot meet the deadline', () => {
  const owned = buildOrRent(input(60)).options.find((o) => o.name === 'owned')!;
  const a = buildOrRent(input(Math.floor(owned.days * 0.6)));
  assert.ok(!a.options.find((o) => o.name === 'owned')!.meetsDeadline);
  assert.ok(a.choice === 'owned+rented' || a.choice === 'rented', `${a.choice}: ${a.why}`);
});

test('plan fleet: a deadline no option meets has no choice and says how long the fastest needs', () => {
  const a = buildOrRent(input(1));
  assert.equal(a.choice, undefined);
  assert.match(a.why, /no option meets 1 days: the fastest, .* needs [0-9.]+ days/);
});
