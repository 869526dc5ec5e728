import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressHostlist, expandHostlist } from './hostlist.ts';

const cases: Record<string, { names: string[]; expr: string }> = {
  'one range': { names: ['gf-n0', 'gf-n1', 'gf-n2', 'gf-n3'], expr: 'gf-n[0-3]' },
  'gaps and singles': { names: ['n1', 'n2', 'n5', 'n7', 'n8'], expr: 'n[1-2,5,7-8]' },
  'zero padded': { names: ['h100-0007', 'h100-0008', 'h100-0010'], expr: 'h100-[0007-0008,0010]' },
  'two prefixes': { names: ['a1', 'a2', 'b9'], expr: 'a[1-2],b9' },
  'no digits': { names: ['login'], expr: 'login' },
  'crossing a power of ten': { names: ['n8', 'n9', 'n10', 'n11'], expr: 'n[8-11]' },
};

for (const [name, c] of Object.entries(cases)) {
  test(`hostlist ${name}: compresses and expands back`, () => {
    assert.equal(compressHostlist(c.names), c.expr);
    assert.deepEqual(expandHostlist(c.expr).sort(), [...c.names].sort());
  });
}

test('hostlist expands Slurm\'s own node lists with suffixes and several groups', () => {
  assert.deepEqual(expandHostlist('r[1-2]n[01-02],x'), ['r1n01', 'r1n02', 'r2n01', 'r2n02', 'x']);
});

test('hostlist round-trips 12,500 names into a short expression', () => {
  const names = Array.from({ length: 12_500 }, (_, i) => `node${i}`);
  const expr = compressHostlist(names);
  assert.ok(expr.length < 30, expr);
  assert.equal(expandHostlist(expr).length, names.length);
});
