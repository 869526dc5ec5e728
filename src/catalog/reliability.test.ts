import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_CATEGORIES, LLAMA3_SNAPSHOT, RELIABILITY_DEFAULTS, dalyIntervalSeconds, dalyEttr, youngIntervalSeconds } from './reliability.ts';

test('category counts sum to the 419 unexpected interruptions of Llama 3', () => {
  assert.equal(FAILURE_CATEGORIES.reduce((s, c) => s + c.llama3Count, 0), LLAMA3_SNAPSHOT.unexpectedInterruptions);
});

test('default rate is 3.79 per 1,000 node-days', () => {
  assert.ok(Math.abs(RELIABILITY_DEFAULTS.unexpectedFailuresPer1000NodeDays - 3.79) < 0.01);
});

// Daly 2006 worked examples (reliability.md row 112): delta = 5 min.
const daly = [
  { mtbfMinutes: 24 * 60, want: 117 },
  { mtbfMinutes: 6 * 60, want: 57 },
  { mtbfMinutes: 15, want: 9.1 },
];
for (const c of daly) {
  test(`Daly interval for M=${c.mtbfMinutes} min, delta=5 min is about ${c.want} min`, () => {
    const got = dalyIntervalSeconds(5 * 60, c.mtbfMinutes * 60) / 60;
    assert.ok(Math.abs(got - c.want) / c.want < 0.03, `got ${got.toFixed(1)} min`);
  });
}

test('Young interval is sqrt(2 delta M) and ETTR falls as the interval departs from the optimum', () => {
  assert.equal(youngIntervalSeconds(8, 100), 40);
  const m = 3 * 3600; const d = 6; const r = 600;
  const best = dalyIntervalSeconds(d, m);
  assert.ok(dalyEttr(best, d, r, m) > dalyEttr(best * 4, d, r, m));
  assert.ok(dalyEttr(best, d, r, m) > dalyEttr(best / 4, d, r, m));
});
