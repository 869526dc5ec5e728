import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../control/store/sqlite.ts';
import { GateBook } from './gate-book.ts';
import type { GateRecord } from './releases.ts';

const rec = (checkpoint: string, passed: boolean, time: string): GateRecord => ({ model: 'tiny-chat', checkpoint, time, passed, decision: { passed, checks: [] }, scores: { held_out_loss: passed ? 1.2 : 2.5 } });

test('gate results live in the store: per tenant, served = last pass, kept by a plane that takes over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-gatebook-'));
  try {
    let store = new SqliteStore(join(dir, 'gf.db'));
    const book = new GateBook(store.deployments, dir);
    assert.equal(await book.served('tiny-chat'), undefined);
    await book.record(rec('/c/a', true, '2026-12-01T00:00:00Z'), 't1');
    const after = await book.record(rec('/c/b', false, '2026-12-01T00:01:00Z'), 't1');
    assert.equal(after?.checkpoint, '/c/a', 'a failed gate leaves the served checkpoint as it was');
    await book.record(rec('/c/other', true, '2026-12-01T00:02:00Z'), 't2');
    assert.deepEqual((await book.history('tiny-chat', 't1')).map((g) => g.checkpoint), ['/c/a', '/c/b'], 'a tenant sees its own results');
    assert.equal((await book.served('tiny-chat', 't2'))?.checkpoint, '/c/other');
    assert.equal((await book.history('tiny-chat')).length, 3, 'an admin sees all');
    await store.close();
    // Another plane on the same store (a restart, a failover) has every result.
    store = new SqliteStore(join(dir, 'gf.db'));
    assert.deepEqual((await new GateBook(store.deployments, dir).history('tiny-chat', 't1')).map((g) => [g.checkpoint, g.passed]), [['/c/a', true], ['/c/b', false]]);
    await store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('results an older version kept in data-dir files are imported once, for every tenant; nothing is lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-gatebook-'));
  try {
    const models = join(dir, 'serving', 'tiny-chat');
    mkdirSync(models, { recursive: true });
    const lines = [JSON.stringify(rec('/old/a', true, '2026-11-01T00:00:00Z')), JSON.stringify(rec('/old/b', false, '2026-11-02T00:00:00Z')), '{"model":"tiny-chat","checkp'];
    writeFileSync(join(models, 'gates.jsonl'), lines.join('\n'));
    writeFileSync(join(models, 'served.json'), JSON.stringify({ model: 'tiny-chat', checkpoint: '/old/a' }));
    let store = new SqliteStore(join(dir, 'gf.db'));
    const book = new GateBook(store.deployments, dir);
    assert.deepEqual((await book.history('tiny-chat', 'anyone')).map((g) => g.checkpoint), ['/old/a', '/old/b'], 'the torn last line is skipped');
    assert.equal((await book.served('tiny-chat', 'anyone'))?.checkpoint, '/old/a');
    assert.ok(!existsSync(join(models, 'gates.jsonl')) && existsSync(join(models, 'gates.jsonl.imported')) && existsSync(join(models, 'served.json.imported')), 'the files are kept, renamed');
    assert.equal(readFileSync(join(models, 'gates.jsonl.imported'), 'utf8'), lines.join('\n'));
    await book.record(rec('/new/c', true, '2026-12-01T00:00:00Z'), 't1');
    await store.close();
    // A file put back (or another plane's copy) is not imported over results the store has.
    writeFileSync(join(models, 'gates.jsonl'), lines.join('\n'));
    store = new SqliteStore(join(dir, 'gf.db'));
    assert.deepEqual((await new GateBook(store.deployments, dir).history('tiny-chat', 't1')).map((g) => g.checkpoint), ['/old/a', '/old/b', '/new/c']);
    await store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
