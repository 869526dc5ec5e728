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
