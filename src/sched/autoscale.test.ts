import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredReplicas } from './autoscale.ts';

const base = { currentReplicas: 4, minReplicas: 1, maxReplicas: 10, queueDepth: 0, capacityTokensPerSecondPerReplica: 1000, targetUtilization: 0.5 };

test('desiredReplicas: demand over capacity x target, clamped, with hysteresis', () => {
  const cases: { name: string; over: Partial<typeof base> & { outputTokensPerSecond: number }; want: (n: number) => boolean }[] = [
    { name: 'scale up to demand', over: { outputTokensPerSecond: 3000 }, want: (n) => n === 6 },
    { name: 'clamped to max', over: { outputTokensPerSecond: 1e9 }, want: (n) => n === 10 },
    { name: 'clamped to min at zero demand', over: { outputTokensPerSecond: 0 }, want: (n) => n === 1 },
    { name: 'steady when demand matches', over: { outputTokensPerSecond: 2000 }, want: (n) => n === 4 },
    { name: 'no flapping just below a step', over: { outputTokensPerSecond: 1990 }, want: (n) => n === 4 },
    { name: 'scale down when clearly lower', over: { outputTokensPerSecond: 1000 }, want: (n) => n < 4 },
    { name: 'a backlog never scales down', over: { outputTokensPerSecond: 100, queueDepth: 5 }, want: (n) => n >= 5 },
    { name: 'bad capacity keeps current', over: { outputTokensPerSecond: 100, capacityTokensPerSecondPerReplica: 0 }, want: (n) => n === 4 },
  ];
  for (const c of cases) {
    const n = desiredReplicas({ ...base, ...c.over });
    assert.ok(c.want(n), `${c.name}: got ${n}`);
  }
});

// Each case below guards one behaviour a mutant of autoscale.ts showed unguarded.
test('desiredReplicas: the default target is 0.7; targets above 1 count as 1; a backlog of zero adds nothing', () => {
  const noTarget = { currentReplicas: 4, minReplicas: 1, maxReplicas: 10, queueDepth: 0, capacityTokensPerSecondPerReplica: 1000 };
  assert.equal(desiredReplicas({ ...noTarget, outputTokensPerSecond: 7000 }), 10, 'default 0.7: 7000 / 700 = 10');
  assert.equal(desiredReplicas({ ...noTarget, outputTokensPerSecond: 4200 }), 6, 'default 0.7: ceil(4200 / 700) = 6');
  assert.equal(desiredReplicas({ ...base, targetUtilization: 2, outputTokensPerSecond: 6000 }), 6, 'a target of 2 is capped at 1: 6000 / 1000');
  assert.equal(desiredReplicas({ ...base, targetUtilization: 0.5, outputTokensPerSecond: 6000 }), 10, '0.5 is used as given: 6000 / 500 = 12, clamped to 10');
  assert.equal(desiredReplicas({ ...base, queueDepth: 0, outputTokensPerSecond: 2000 }), 4, 'no backlog: stays at 4, not 5');
  assert.equal(desiredReplicas({ ...base, queueDepth: 1, outputTokensPerSecond: 2000 }), 5, 'a backlog of one: one more');
});

test('desiredReplicas: invalid inputs keep the current count, clamped to [min, max]', () => {
  const keep = (over: Partial<Parameters<typeof desiredReplicas>[0]>): number => desiredReplicas({ ...base, outputTokensPerSecond: 100, ...over });
  assert.equal(keep({ capacityTokensPerSecondPerReplica: -5 }), 4, 'negative capacity');
  assert.equal(keep({ capacityTokensPerSecondPerReplica: Number.NaN }), 4, 'NaN capacity');
  assert.equal(keep({ targetUtilization: 0 }), 4, 'target 0');
  assert.equal(keep({ targetUtilization: -1 }), 4, 'negative target');
  assert.equal(keep({ outputTokensPerSecond: Number.NaN }), 4, 'NaN demand');
  assert.equal(keep({ outputTokensPerSecond: Infinity }), 4, 'infinite demand');
  assert.equal(keep({ capacityTokensPerSecondPerReplica: 0, currentReplicas: 20 }), 10, 'current above max: max');
  assert.equal(keep({ capacityTokensPerSecondPerReplica: 0, currentReplicas: 0, minReplicas: 2 }), 2, 'current below min: min');
});

test('desiredReplicas: negative demand counts as none; scale-down lands on the hysteresis count, not below', () => {
  assert.equal(desiredReplicas({ ...base, minReplicas: 0, outputTokensPerSecond: -500 }), 0, 'negative demand: zero replicas');
  assert.equal(desiredReplicas({ ...base, currentReplicas: 1, minReplicas: 0, outputTokensPerSecond: -500 }), 0);
  // 4 -> 1000 tok/s at 500 each wants 2; with 10% slack (450 each) ceil(1000 / 450) = 3.
  assert.equal(desiredReplicas({ ...base, outputTokensPerSecond: 1000 }), 3);
  // 8 -> 2700 wants 6; with slack ceil(2700 / 450) = 6 exactly.
  assert.equal(desiredReplicas({ ...base, currentReplicas: 8, outputTokensPerSecond: 2700 }), 6);
  // Scale-up ignores the slack: 3 -> 2300 wants ceil(2300 / 500) = 5, not ceil(2300 / 450) = 6.
  assert.equal(desiredReplicas({ ...base, currentReplicas: 3, outputTokensPerSecond: 2300 }), 5);
});
