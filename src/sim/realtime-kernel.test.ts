import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATE, URGENT } from './kernel.ts';
import { RealtimeKernel, RealtimeLagError } from './realtime-kernel.ts';
import { FakeWallClock } from './realtime-kernel-fake-clock.ts';

/** A started kernel at `speed` on a fake clock, and a log of [simulated s, wall ms, label]. */
function setup(speed: number, o: { strict?: boolean; maxLagWallSeconds?: number; onError?: (e: unknown) => void } = {}) {
  const clock = new FakeWallClock();
  const k = new RealtimeKernel(clock, { speed, ...o });
  const log: [number, number, string][] = [];
  const at = (label: string) => () => log.push([k.now, clock.nowMs(), label]);
  k.start();
  return { clock, k, log, at };
}

test('realtime kernel: an event fires when the wall clock reaches its time divided by the speed', () => {
  const { clock, k, log, at } = setup(10);
  k.schedule(5, at('a'));
  k.schedule(20, at('b'));
  clock.advance(499);
  assert.deepEqual(log, [], 'not before its wall time');
  clock.advance(1);
  assert.deepEqual(log, [[5, 500, 'a']]);
  clock.advance(1500);
  assert.deepEqual(log, [[5, 500, 'a'], [20, 2000, 'b']]);
  assert.equal(clock.pendingTimers, 0, 'no timer left once the heap is empty');
});

test('realtime kernel: events at one time keep the kernel order (time, priority, scheduling order)', () => {
  const { clock, k, log, at } = setup(1);
  k.schedule(2, at('t2'));
  k.schedule(1, at('late'), LATE);
  k.schedule(1, at('a'));
  k.schedule(1, at('b'));
  k.schedule(1, at('urgent'), URGENT);
  clock.advance(5000);
  assert.deepEqual(log.map((l) => l[2]), ['urgent', 'a', 'b', 'late', 't2']);
});

test('realtime kernel: scheduling while running re-arms for an earlier event, and sync() counts delays from the wall clock', () => {
  const { clock, k, log, at } = setup(2);
  k.schedule(100, at('far'));
  // From an event: relative to the event's own time (t=1), even if it fires late.
  k.schedule(1, () => { at('first')(); k.schedule(1, at('chained')); });
  clock.advance(500);
  assert.deepEqual(log, [[1, 500, 'first']]);
  clock.advance(500);
  assert.deepEqual(log.at(-1), [2, 1000, 'chained']);
  // From outside, 3 wall seconds in (t=6 by the wall): sync() first, then 4 s from there.
  clock.advance(2000);
  k.sync();
  assert.equal(k.now, 6);
  k.schedule(4, at('outside'));
  clock.advance(1999);
  assert.equal(log.length, 2);
  clock.advance(1);
  assert.deepEqual(log.at(-1), [10, 5000, 'outside']);
  clock.advance(45_000);
  assert.deepEqual(log.at(-1), [100, 50_000, 'far']);
});

test('realtime kernel: a cancelled event never fires and its timer moves to the next event', () => {
  const { clock, k, log, at } = setup(1);
  const e = k.schedule(1, at('cancelled'));
  k.schedule(3, at('kept'));
  k.cancel(e);
  clock.advance(10_000);
  assert.deepEqual(log, [[3, 3000, 'kept']]);
  const only = k.schedule(1, at('gone'));
  k.cancel(only);
  assert.equal(clock.pendingTimers, 0, 'nothing armed for a heap of cancelled events');
  clock.advance(5000);
  assert.equal(log.length, 1);
});

test('realtime kernel: stop() pauses (nothing fires, no timer), start() resumes from the simulated time it stopped at', () => {
  const { clock, k, log, at } = setup(1);
  k.schedule(2, at('a'));
  clock.advance(1000);
  k.sync();
  k.stop();
  assert.equal(clock.pendingTimers, 0);
  clock.advance(60_000);
  assert.deepEqual(log, []);
  assert.equal(k.wallSeconds(), 1, 'simulated time does not move while stopped');
  k.start();
  clock.advance(999);
  assert.deepEqual(log, []);
  clock.advance(1);
  assert.deepEqual(log, [[2, 62_000, 'a']]);
});

test('realtime kernel: late events still fire at their own simulated times, in order; the slip is recorded', () => {
  const { clock, k, log, at } = setup(1);
  // sync() inside an event does nothing: the event's time is `now`, later events wait their turn.
  k.schedule(1, () => { k.sync(); at('a')(); });
  k.schedule(2, () => { at('b')(); k.schedule(1, at('c')); });
  // The process was busy: the wall clock jumps 10 s before the timer callback runs.
  clock.stall(10_000);
  clock.advance(0);
  assert.deepEqual(log, [[1, 10_000, 'a'], [2, 10_000, 'b'], [3, 10_000, 'c']]);
  assert.equal(k.worstLagMs, 9000);
  assert.equal(k.now, 10, 'then now catches up with the wall clock');
});

test('realtime kernel: strict mode stops and reports an event fired later than allowed', () => {
  const errors: unknown[] = [];
  const { clock, k, log, at } = setup(1, { strict: true, maxLagWallSeconds: 0.5, onError: (e) => errors.push(e) });
  k.schedule(1, at('on time'));
  k.schedule(2, at('too late'));
  clock.advance(1000);
  clock.stall(1600);
  clock.advance(0);
  assert.deepEqual(log.map((l) => l[2]), ['on time']);
  assert.ok(errors[0] instanceof RealtimeLagError, String(errors[0]));
  assert.match(String(errors[0]), /600 ms behind the wall clock at the event of t=2 s/);
  assert.equal(k.started, false);
  assert.equal(k.pending, 1, 'the late event is kept, not dropped');
});

test('realtime kernel: a speed that is not a positive number is refused, naming it', () => {
  for (const speed of [0, -1, Number.NaN, Infinity]) assert.throws(() => new RealtimeKernel(new FakeWallClock(), { speed }), /speed must be a positive number/);
});
