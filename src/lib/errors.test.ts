// User errors name what was given and what is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnknownNameError } from './errors.ts';

test('an unknown name lists the known ones, or says there are none', () => {
  assert.equal(new UnknownNameError('deployment', 'x', ['a', 'b']).message, 'unknown deployment "x"; known: a, b');
  assert.equal(new UnknownNameError('release of tiny-chat', '/c', []).message, 'unknown release of tiny-chat "/c"; known: none');
});
