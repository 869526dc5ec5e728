import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RELIABILITY_DEFAULTS, youngIntervalSeconds } from '../catalog/reliability.ts';
import { goodput } from './goodput.ts';

test('MTBF of a job is the per-node rate times its nodes: Llama 3 scale gives ~3.1 h', () => {
  const g = goodput(16_384, 8);
  const hand = 24 / ((RELIABILITY_DEFAULTS.unexpectedFailuresPer1000NodeDays / 1000) * 2048); // 54 d x 24 h / 419
  assert.ok(Math.abs(g.mtbfHours / hand - 1) < 1e-9);
  assert.ok(Math.abs(g.mtbfHours - (54 * 24) / 419) < 1e-9);
});

test('the checkpoint interval is Daly\'s optimum, close to Young\'s sqrt(2 delta M) when delta << M', () => {
  const g = goodput(16_384, 8);
  const young = youngIntervalSeconds(g.checkpointSeconds, g.mtbfHours * 3600) / 60;
  assert.ok(Math.abs(g.youngIntervalMinutes - young) < 1e-9);
  assert.ok(Math.abs(g.checkpointIntervalMinutes / young - 1) < 0.05);
});

test('goodput falls as the job grows (more failures, slower restarts)', () => {
  const lost = [1_024, 16_384, 100_000].map((n) => goodput(n, 8).lostFraction);
  assert.ok(lost[0]! < lost[1]! && lost[1]! < lost[2]!, lost.join(' < '));
  assert.ok(lost[0]! > 0 && lost[2]! < 1);
});
