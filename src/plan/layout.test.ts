import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../lib/errors.ts';
import { formatLayout, parseLayout, type Layout } from './layout.ts';

test('parses the issue example and formats it back', () => {
  const p = parseLayout('tp=8,pp=16,vpp=4,dp=64,cp=1,ep=1,mbs=1,zero=1,sp=on,recompute=selective');
  assert.deepEqual(p, { tp: 8, pp: 16, vpp: 4, dp: 64, cp: 1, ep: 1, mbs: 1, zero: 1, sp: true, recompute: 'selective' });
  assert.equal(formatLayout({ ...p, tpOverlap: true } as Layout), 'tp=8,pp=16,vpp=4,dp=64,cp=1,ep=1,mbs=1,zero=1,sp=on,recompute=selective');
});

test('a partial layout leaves the other keys out', () => {
  assert.deepEqual(parseLayout('tp=4, recompute=full'), { tp: 4, recompute: 'full' });
});

const cases: { name: string; text: string; field: RegExp }[] = [
  { name: 'unknown key', text: 'tq=8', field: /tq/ },
  { name: 'not a number', text: 'tp=eight', field: /tp/ },
  { name: 'zero stage out of range', text: 'zero=4', field: /zero/ },
  { name: 'bad recompute', text: 'recompute=some', field: /recompute/ },
  { name: 'bad sp', text: 'sp=maybe', field: /sp/ },
];
for (const c of cases) {
  test(`bad --layout (${c.name}) is an InputError naming the key`, () => {
    assert.throws(() => parseLayout(c.text), (e: unknown) => e instanceof InputError && c.field.test(e.message) && /expected/.test(e.message));
  });
}
