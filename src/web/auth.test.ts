// Dashboard login codes: one use each, a day's life, and a reason for every refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginCodes } from './auth.ts';

test('a login code works once; a used, unknown or expired one is refused with the reason, and an expired one is replaced', () => {
  let nowMs = 0;
  const codes = new LoginCodes(() => nowMs, 24 * 3600_000);
  const first = codes.current();
  assert.deepEqual(codes.redeem(first), { ok: true });
  const second = codes.current();
  assert.notEqual(second, first);
  const used = codes.redeem(first);
  assert.ok(!used.ok && /already used/.test(used.reason), JSON.stringify(used));
  const unknown = codes.redeem('not-a-code');
  assert.ok(!unknown.ok && /unknown login code/.test(unknown.reason), JSON.stringify(unknown));
  nowMs = 24 * 3600_000 + 1;
  const expired = codes.redeem(second);
  assert.ok(!expired.ok && /expired \(a code lasts 24 hours unused\).*dashboard-url/.test(expired.reason) && expired.renewed === true, JSON.stringify(expired));
  // The replacement works (it is what <data-dir>/dashboard-url then holds).
  assert.notEqual(codes.current(), second);
  assert.deepEqual(codes.redeem(codes.current()), { ok: true });
});
