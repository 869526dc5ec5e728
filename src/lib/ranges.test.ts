import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRanges } from './ranges.ts';

test('formatRanges: runs of consecutive integers collapse to a-b, in order', () => {
  assert.equal(formatRanges([0]), '0');
  assert.equal(formatRanges([3, 0, 1, 2, 7, 10, 9]), '0-3,7,9-10');
  assert.equal(formatRanges(Array.from({ length: 1024 }, (_, i) => i)), '0-1023');
  assert.equal(formatRanges([]), '');
  assert.equal(formatRanges([2, 1, 2, 5]), '1-2,5', 'duplicates dropped');
  assert.equal(formatRanges([7, 8, 10], (n) => String(n).padStart(3, '0')), '007-008,010');
});
