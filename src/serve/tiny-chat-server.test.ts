import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Gateway } from './gateway.ts';

const PY = '/usr/bin/python3';
const EXAMPLE = join(import.meta.dirname, '../../examples/tiny-chat');
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { timeout: 30_000 }).status === 0;

/** Starts examples/tiny-chat/server.py on a free port; resolves with its URL. */
function startServer(ckpt: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(PY, [join(EXAMPLE, 'server.py'), ckpt, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server.py did not start in 60 s')), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      const m = /on (http:\/\/[\d.]+:\d+)/.exec(d.toString());
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1]! }); }
    });
    proc.once('exit', (c) => { clearTimeout(timer); reject(new Error(`server.py exited ${c}`)); });
  });
}

test('tiny-chat server.py (real PyTorch on CPU) answers through the gateway with the openai client', { skip: !hasTorch && 'python3-torch not installed', timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-serve-'));
  const procs: ChildProcess[] = [];
  let gw: Gateway | undefined;
  try {
    const train = spawnSync(PY, [join(EXAMPLE, 'train.py'), '--steps', '3', '--ckpt-every', '3'], { env: { ...process.env, GF_CHECKPOINT_DIR: dir }, timeout: 120_000, encoding: 'utf8' });
    assert.equal(train.status, 0, train.stderr);
    const servers = await Promise.all([startServer(dir), startServer(dir)]);
    procs.push(...servers.map((s) => s.proc));
    gw = new Gateway({ replicas: servers.map((s) => ({ url: s.url, model: 'tiny-chat' })), healthCheckIntervalMs: 0 });
    const port = await gw.listen(0);
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
    const r = await client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 20 });
    assert.equal(typeof r.choices[0]!.message.content, 'string');
    assert.ok((r.usage?.completion_tokens ?? 0) <= 20);
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, stream: true });
    let chunks = 0;
    for await (const c of stream) if (c.choices[0]?.delta?.content) chunks++;
    assert.ok(chunks <= 10);
    // OpenAI endings, done by the replica: a reply cut by max_tokens says "length" (seeded sampling
    // repeats the answer), a stop sequence ends it just before, and include_usage adds a usage chunk.
    const ask = { model: 'tiny-chat', messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 30, seed: 7 };
    const full = await client.chat.completions.create(ask);
    const text = full.choices[0]!.message.content ?? '';
    if (full.usage?.completion_tokens === 30) assert.equal(full.choices[0]!.finish_reason, 'length');
    else assert.equal(full.choices[0]!.finish_reason, 'stop');
    if (text.length >= 6) {
      const stopAt = text.slice(3, 5);
      const cut = await client.chat.completions.create({ ...ask, stop: [stopAt] });
      assert.equal(cut.choices[0]!.message.content, text.slice(0, text.indexOf(stopAt)).trimEnd());
      assert.equal(cut.choices[0]!.finish_reason, 'stop');
    }
    const withUsage = await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
    let usage: unknown;
    for await (const c of withUsage) if (c.usage) usage = c.usage;
    assert.equal((usage as { completion_tokens: number }).completion_tokens, full.usage?.completion_tokens);
    // One replica down: requests still succeed on the other.
    servers[0]!.proc.kill('SIGKILL');
    await new Promise((ok) => servers[0]!.proc.once('exit', ok));
    for (let i = 0; i < 3; i++) {
      const again = await client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 });
      assert.equal(typeof again.choices[0]!.message.content, 'string');
    }
  } finally {
    await gw?.close();
    for (const p of procs) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
