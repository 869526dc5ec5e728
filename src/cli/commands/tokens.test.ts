// `gigafactory token create --expires | list | revoke` and `gigafactory audit` against a running plane (in-process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeExecutor } from '../../control/fake-executor.ts';
import { startControlPlane } from '../../control/server.ts';
import { runCli } from '../../../test/helpers/run-cli.ts';

const cli = runCli;

test('token create --expires, token list, token revoke, audit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-tokens-cli-'));
  const cp = await startControlPlane({ dataDir: dir, port: 0, executor: new FakeExecutor(10) });
  const env = process.env.GIGAFACTORY_TOKEN;
  delete process.env.GIGAFACTORY_TOKEN;
  try {
    const d = ['--data-dir', dir];
    const created = await cli(['token', 'create', '--tenant', 'lab', '--expires', '30d', ...d]);
    assert.equal(created.code, 0, created.err);
    const id = /token ([0-9a-f]{16}) for tenant lab, expires \d{4}-/.exec(created.err)?.[1];
    assert.ok(id, created.err);
    const list = await cli(['token', 'list', ...d]);
    assert.match(list.out, /^ID\s+TENANT\s+ADMIN\s+CREATED\s+EXPIRES\s+STATE/);
    assert.match(list.out, new RegExp(`${id}\\s+lab\\s+no\\s+\\S+\\s+\\d{4}-\\S+\\s+active`));
    assert.ok(!list.out.includes(created.out.trim()), 'the token itself is never listed');
    const revoked = await cli(['token', 'revoke', id!, ...d]);
    assert.match(revoked.out, new RegExp(`token ${id} \\(tenant lab\\) revoked at`));
    const audit = await cli(['audit', ...d]);
    assert.match(audit.out, new RegExp(`admin\\s+[0-9a-f]{16}\\s+token\\.revoke\\s+${id}`));
    assert.match(audit.out, new RegExp(`token\\.create\\s+${id}\\s+tenant lab, expires`));
    const bad = await cli(['token', 'create', '--tenant', 'lab', '--expires', 'soon', ...d]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--expires: got "soon"; expected a duration like 30d/);
    const badId = await cli(['token', 'revoke', 'xyz', ...d]);
    assert.equal(badId.code, 2);
    assert.match(badId.err, /ID: got "xyz"; expected a token id of 16 hex digits/);
  } finally {
    if (env !== undefined) process.env.GIGAFACTORY_TOKEN = env;
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
