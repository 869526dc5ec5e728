import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const launcher = resolve(import.meta.dirname, '../../../gigafactory');
const run = (...args: string[]) => spawnSync(launcher, ['plan', 'fleet', ...args], { encoding: 'utf8', timeout: 60_000 });

test('plan fleet compares owned, owned+rented and rented in the twin and names the answer', () => {
  const r = run('--model', 'llama3-70b', '--tokens', '1.5T', '--deadline-days', '10', '--fleet', 'h100-16k', '--json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout) as { choice: string; options: { name: string; days: number; costUsd: number; energyMWh: number; goodput: number; leadTimeDays: number }[] };
  assert.deepEqual(a.options.map((o) => o.name), ['owned', 'owned+rented', 'rented']);
  assert.equal(a.choice, 'owned');
  for (const o of a.options) assert.ok(o.days > 0 && o.costUsd > 0 && o.energyMWh > 0 && o.goodput > 0);
});

test('plan fleet: a deadline no option meets exits 2, saying why and what would work', () => {
  const r = run('--model', 'llama3-70b', '--tokens', '1.5T', '--deadline-days', '0.5', '--fleet', 'h100-16k');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--deadline-days 0.5: no option meets 0.5 days: the fastest, .* needs [0-9.]+ days\n {2}hint: a deadline of at least \d+ days, fewer --tokens, or about [0-9,]+ GPUs/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

test('plan fleet: bad input names the flag; an unknown model lists the known ones', () => {
  const m = run('--model', 'gpt-9', '--tokens', '1T', '--deadline-days', '30');
  assert.equal(m.status, 2);
  assert.match(m.stderr, /unknown model "gpt-9"; known: .*grok-1/);
  const d = run('--model', 'grok-1', '--tokens', '1T', '--deadline-days', 'soon');
  assert.equal(d.status, 2);
  assert.match(d.stderr, /--deadline-days: got "soon"/);
});
