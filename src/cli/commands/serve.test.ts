import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReplicaArg } from './serve.ts';

const run = (...args: string[]) => spawnSync('./gigafactory', args, { encoding: 'utf8', timeout: 60_000 });

test('serve: bad flags exit 2 naming the flag, no stack trace', () => {
  for (const [args, flag] of [[['serve'], '--replica'], [['serve', '--replica', 'ftp://x'], '--replica'], [['serve', '--replica', 'http://127.0.0.1:1', '--routing', 'random'], '--routing']] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, new RegExp(flag));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('serve releases on a fresh data dir: nothing promoted, empty history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-releases-'));
  try {
    const r = run('serve', 'releases', 'tiny-chat', '--data-dir', dir, '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { served: null, gates: [] });
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('replica arguments: URL or MODEL=URL', () => {
  assert.deepEqual(parseReplicaArg('http://127.0.0.1:8001/', 'tiny-chat'), { model: 'tiny-chat', url: 'http://127.0.0.1:8001' });
  assert.deepEqual(parseReplicaArg('grok=http://10.0.0.2:8000', 'tiny-chat'), { model: 'grok', url: 'http://10.0.0.2:8000' });
});
