import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TenantLimiter } from './rate-limit.ts';

test('token limits: refill over time, refund unused reservations, admit an oversized request from a full bucket', () => {
  let now = 0;
  const lim = new TenantLimiter(() => ({ tokensPerMinute: 1000 }), () => now);
  assert.equal(lim.admit('a', 600), 0);
  assert.ok(lim.admit('a', 600) > 0, 'over the budget');
  lim.settle('a', 600, 100, 100); // used 200 of the 600 reserved: 400 back
  assert.equal(lim.admit('a', 600), 0);
  now += 60_000;
  assert.equal(lim.admit('a', 5000), 0, 'larger than the budget, bucket full: runs');
  assert.ok(lim.admit('a', 1) > 0, 'and leaves the bucket in debt');
  assert.equal(lim.admit('b', 1), 0, 'tenants are independent');
  assert.equal(lim.usage.get('a')!.rejected, 2);
});
