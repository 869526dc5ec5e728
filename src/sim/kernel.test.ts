import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kernel, LATE, URGENT } from './kernel.ts';

test('kernel: orders by time, then priority, then scheduling order', () => {
  const k = new Kernel();
  const log: string[] = [];
  k.schedule(5, () => log.push('t5'));
  k.schedule(1, () => log.push('t1-late'), LATE);
  k.schedule(1, () => log.push('t1-a'));
  k.schedule(1, () => log.push('t1-b'));
  k.schedule(1, () => log.push('t1-urgent'), URGENT);
  k.run(10);
  assert.deepEqual(log, ['t1-urgent', 't1-a', 't1-b', 't1-late', 't5']);
  assert.equal(k.now, 10);
});

test('kernel: cancelled events never fire; a fired event fires once', () => {
  const k = new Kernel();
  let n = 0;
  const e = k.schedule(1, () => n++);
  const c = k.schedule(2, () => { n += 100; });
  k.cancel(c);
  assert.equal(k.peekSeconds(), 1);
  k.run(5);
  k.cancel(e);
  k.run(10);
  assert.equal(n, 1);
  assert.equal(k.processed, 1);
  k.cancel(k.schedule(1, () => undefined));
  assert.equal(k.peekSeconds(), Infinity, 'a cancelled event is not next');
});

test('kernel: events scheduled from events; until bound respected; past is refused', () => {
  const k = new Kernel();
  const times: number[] = [];
  const tick = (): void => { times.push(k.now); if (k.now < 100) k.schedule(10, tick); };
  k.schedule(0, tick);
  k.run(35);
  assert.deepEqual(times, [0, 10, 20, 30]);
  assert.throws(() => k.at(1, () => undefined));
  assert.throws(() => k.schedule(Number.NaN, () => undefined));
});

test('kernel: heap stays ordered under many random insertions', () => {
  const k = new Kernel();
  let x = 12345;
  const out: number[] = [];
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const t = x % 1000;
    k.schedule(t, () => out.push(t));
  }
  k.run(Infinity);
  for (let i = 1; i < out.length; i++) assert.ok(out[i - 1]! <= out[i]!);
  assert.equal(out.length, 5000);
});
