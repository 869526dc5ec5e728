// tiny-chat through the real control plane: 2 PyTorch ranks (gloo, CPU); rank 1 is SIGKILLed
// after a checkpoint; the job must resume from it (step count continues, loss keeps falling)
// rather than start over, then chat.py answers from the final checkpoint. Skipped when
// /usr/bin/python3 cannot import torch (apt-get install -y python3-torch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '../../src/control/api/auth.ts';
import { killRank, PYTHON, readableCopy, TINY_CHAT_DIR, torchAvailable } from '../../src/control/demo.ts';
import { attemptLogDir, checkpointDirOf } from '../../src/control/layout.ts';
import { checkpointDoneFile } from '../../src/control/checkpoint-report.ts';
import { startControlPlane } from '../../src/control/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TINY = ['--dim', '32', '--layers', '1', '--context', '32', '--batch', '8', '--log-every', '5'];

function losses(log: string): { step: number; loss: number }[] {
  return [...log.matchAll(/^step (\d+) loss ([0-9.]+)/gm)].map((m) => ({ step: Number(m[1]), loss: Number(m[2]) }));
}

test('tiny-chat: a rank killed midway; the job resumes from its checkpoint and keeps learning', { skip: !torchAvailable() && 'python3-torch not installed', timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-tinychat-'));
  // Ranks run as the tenant's own Unix user (as root): give them a copy they can read, as the
  // demo does, wherever the checkout lies (a private home folder included).
  const src = readableCopy(TINY_CHAT_DIR);
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100, allowPaths: [src] });
  try {
    await cp.store.addToken(hashToken('t'), { tenant: 'lab', admin: false }, 0);
    const res = await fetch(`${cp.url}/v1/jobs`, {
      method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'tiny-chat', ranks_per_node: 2, max_restarts: 2, workdir: src, command: [PYTHON, 'train.py', '--steps', '40', '--ckpt-every', '10', ...TINY] }),
    });
    assert.equal(res.status, 201);
    const id = ((await res.json()) as { job: { id: string } }).job.id;
    const log1 = join(attemptLogDir(dir, { id, tenant: 'lab' }, 1), 'rank-0.log');
    const deadline = Date.now() + 150_000;
    while (!(existsSync(log1) && /checkpoint saved at step 10/.test(readFileSync(log1, 'utf8')))) {
      assert.ok(Date.now() < deadline, 'no checkpoint within 150 s');
      assert.ok(((await cp.store.getJob(id))?.attempt ?? 0) <= 1, 'attempt 1 ended before the kill');
      await sleep(100);
    }
    await killRank(cp.store, id, 1);
    let job = await cp.store.getJob(id);
    while (job && !['succeeded', 'failed', 'cancelled'].includes(job.state)) {
      assert.ok(Date.now() < deadline + 60_000, `job still ${job.state}`);
      await sleep(200);
      job = await cp.store.getJob(id);
    }
    assert.equal(job?.state, 'succeeded', job?.reason);
    const attempts = await cp.store.listAttempts(id);
    assert.deepEqual(attempts.map((a) => a.outcome), ['failed', 'succeeded']);
    assert.match(attempts[0]?.reason ?? '', /rank 1/);

    const first = losses(readFileSync(log1, 'utf8'));
    const log2 = readFileSync(join(attemptLogDir(dir, { id, tenant: 'lab' }, 2), 'rank-0.log'), 'utf8');
    const resumedAt = Number(/resumed from step (\d+)/.exec(log2)?.[1] ?? 0);
    assert.ok(resumedAt >= 10, `attempt 2 should resume from a checkpoint, got: ${log2.split('\n')[0]}`);
    const second = losses(log2);
    assert.ok(second.length > 0 && second[0]!.step > resumedAt, 'the step count continues after the resume');
    assert.equal(second.at(-1)?.step, 40);
    // Resumed, not restarted: attempt 2 starts near where attempt 1 got to, well below an untrained model, and ends lower still.
    assert.ok(second[0]!.loss < first[0]!.loss, `attempt 2 first loss ${second[0]!.loss} vs attempt 1 first ${first[0]!.loss}`);
    assert.ok(second.at(-1)!.loss < first[0]!.loss, 'loss keeps falling');
    assert.equal(readFileSync(checkpointDoneFile(dir, { id, tenant: 'lab' }), 'utf8').trim(), '40', 'rank 0 reported its last checkpoint');
    // Progress contract: rank 0 reported step=N tokens=T (2 ranks x 8 sequences x 32 tokens a step); the plane measured it.
    const detail = await (await fetch(`${cp.url}/v1/jobs/${id}`, { headers: { authorization: 'Bearer t' } })).json() as { actual: { step: number; tokens: number; stepSeconds: number } | null };
    assert.equal(detail.actual?.step, 40, JSON.stringify(detail.actual));
    assert.equal(detail.actual?.tokens, 40 * 2 * 8 * 32);
    assert.ok(detail.actual.stepSeconds > 0);

    const chat = spawnSync(PYTHON, [join(TINY_CHAT_DIR, 'chat.py'), join(checkpointDirOf(dir, job!), 'ckpt.pt'), '--prompt', 'hello'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(chat.status, 0, chat.stderr);
    assert.match(chat.stdout, /^User: hello\nBot: /);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  }
});
