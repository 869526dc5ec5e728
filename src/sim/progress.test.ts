import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastCheckpointAt, wallSecondsFor, workAt } from './progress.ts';

const seg = { segStartSeconds: 100, intervalSeconds: 60, saveSeconds: 5 };

test('workAt: saved work advances one interval per completed save; partial work is at risk', () => {
  const cases: { t: number; saved: number; done: number }[] = [
    { t: 50, saved: 0, done: 0 },
    { t: 130, saved: 0, done: 30 },
    { t: 162, saved: 0, done: 60 }, // saving: the 60 s are not safe until the save ends
    { t: 165, saved: 60, done: 60 },
    { t: 100 + 3 * 65 + 10, saved: 180, done: 190 },
  ];
  for (const c of cases) {
    const w = workAt(seg, c.t);
    assert.equal(w.savedSeconds, c.saved, `t=${c.t}`);
    assert.equal(w.doneSeconds, c.done, `t=${c.t}`);
  }
  assert.equal(workAt({ ...seg, intervalSeconds: Infinity }, 130).savedSeconds, 0, 'no checkpoints: nothing saved');
});

test('wallSecondsFor: inverse of workAt at the finish', () => {
  for (const work of [1, 59, 60, 61, 600, 1234.5]) {
    const wall = wallSecondsFor(seg, work);
    assert.ok(Math.abs(workAt(seg, seg.segStartSeconds + wall).doneSeconds - work) < 1e-9, `work ${work}`);
  }
});

test('lastCheckpointAt: the end of the last completed save (the segment start before one), as workAt says', () => {
  assert.equal(lastCheckpointAt(seg, 50), 100, 'before the segment: its start');
  assert.equal(lastCheckpointAt(seg, 164), 100, 'during the first save: not yet');
  assert.equal(lastCheckpointAt(seg, 165), 165, 'the first save done');
  assert.equal(lastCheckpointAt({ ...seg, intervalSeconds: Infinity }, 1000), 100, 'no checkpoints: the segment start');
  for (let t = 0; t < 600; t += 7.5) assert.equal(lastCheckpointAt(seg, t), workAt(seg, t).lastCheckpointSeconds, `t=${t}`);
});
