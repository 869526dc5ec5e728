// A gateway's per-release figures over its window: requests and errors counted exactly at any
// rate (latency p99 from a bounded sample), and nothing once the window has passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReleaseFiguresWindow } from './release-figures.ts';

test('requests and errors are exact past the latency sample cap; p99 from the latest samples; the window forgets', () => {
  let nowMs = 1_000_000;
  const w = new ReleaseFiguresWindow(() => nowMs, 60_000);
  // 12,000 requests over 30 s (400 req/s), one in 100 failed, latency 10 ms then 50 ms for the last 1,000.
  for (let i = 0; i < 12_000; i++) {
    nowMs = 1_000_000 + Math.floor(i * 2.5);
    w.record('r1', i % 100 !== 0, i >= 11_000 ? 50 : 10);
  }
  const f = w.snapshot()['r1']!;
  assert.equal(f.requests, 12_000);
  assert.equal(f.errors, 120);
  assert.equal(f.p99_ms, 50);
  nowMs += 61_000;
  assert.deepEqual(w.snapshot(), {});
});
