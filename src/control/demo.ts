/**
 * `gigafactory demo`: the control plane end to end in one command that stops by itself.
 * 1. Start a control plane (fresh temp data dir unless given).
 * 2. Submit examples/tiny-chat/job.yaml (real PyTorch, 2 data-parallel ranks on CPU).
 * 3. Follow rank 0's log; after the first checkpoint, SIGKILL rank 1 so the gang is stopped,
 *    requeued and resumed from the checkpoint (the step count continues).
 * 4. Chat with the trained checkpoint, print the attempts, stop the control plane.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImpossibleError } from '../lib/errors.ts';
import { hashToken, newToken } from './api/auth.ts';
import { parseJobSpecYaml } from './job-spec.ts';
import { checkpointDirOf } from './layout.ts';
import { startControlPlane } from './server.ts';
import type { Store } from './store/types.ts';
import { isTerminal } from '../sched/lifecycle/state-machine.ts';

export const TINY_CHAT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/tiny-chat');
export const PYTHON = '/usr/bin/python3';

/** True when Debian's python3-torch is importable by /usr/bin/python3. */
export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** SIGKILLs one rank's whole process group (as a dying GPU or host would); returns its pid. */
export async function killRank(store: Store, jobId: string, rank: number): Promise<number> {
  const job = await store.getJob(jobId);
  const pid = job?.handle ? (JSON.parse(job.handle) as { pids: number[] }).pids[rank] : undefined;
  if (pid === undefined) throw new Error(`${jobId} has no running rank ${rank}`);
  process.kill(-pid, 'SIGKILL');
  return pid;
}

/** A world-readable copy of a folder's files in a fresh temp dir. */
export function readableCopy(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'gigafactory-demo-src-'));
  cpSync(dir, copy, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  chmodSync(copy, 0o755);
  for (const f of readdirSync(copy, { recursive: true, encoding: 'utf8' })) chmodSync(join(copy, f), statSync(join(copy, f)).isDirectory() ? 0o755 : 0o644);
  return copy;
}

export interface DemoOptions {
  readonly steps: number;
  readonly killRank: boolean;
  readonly dataDir?: string;
  readonly write?: (s: string) => void;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const write = o.write ?? ((s: string) => process.stdout.write(s));
  if (!torchAvailable()) throw new ImpossibleError(`${PYTHON} cannot import torch`, 'install Debian\'s PyTorch: apt-get install -y python3-torch');
  const temp = o.dataDir === undefined;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'gigafactory-demo-'));
  // The ranks run as an unprivileged user (gf-demo) when the demo runs as root: give them a
  // copy of the example they can read even when the checkout is in a private home folder.
  const source = process.getuid?.() === 0 ? readableCopy(TINY_CHAT_DIR) : TINY_CHAT_DIR;
  const cp = await startControlPlane({ dataDir, port: 0, tickMs: 200, allowPaths: [source] }).catch((e: unknown) => { if (source !== TINY_CHAT_DIR) rmSync(source, { recursive: true, force: true }); throw e; });
  try {
    write(`control plane on ${cp.url} (data dir ${cp.dataDir})\n`);
    const token = newToken();
    await cp.store.addToken(hashToken(token), { tenant: 'demo', admin: false }, Date.now() / 1000);
    const spec = parseJobSpecYaml(readFileSync(join(TINY_CHAT_DIR, 'job.yaml'), 'utf8'), 'examples/tiny-chat/job.yaml');
    const ckptEvery = Math.max(5, Math.floor(o.steps / 4));
    const body = { ...spec, workdir: source, command: [PYTHON, 'train.py', '--steps', String(o.steps), '--ckpt-every', String(ckptEvery)] };
    const call = async <T>(method: string, path: string, b?: unknown): Promise<T> => {
      const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(b ? { body: JSON.stringify(b) } : {}) });
      return await res.json() as T;
    };
    const { job } = await call<{ job: { id: string } }>('POST', '/v1/jobs', body);
    write(`submitted ${job.id}: tiny-chat, 1 node x 2 ranks, ${o.steps} steps, checkpoint every ${ckptEvery}\n`);
    let attempt = 1;
    let offset = 0;
    let killed = !o.killRank;
    for (;;) {
      const chunk = await call<{ text: string; next_offset: number; state: string }>('GET', `/v1/jobs/${job.id}/logs?rank=0&attempt=${attempt}&offset=${offset}`);
      if (chunk.text) {
        write(chunk.text.split('\n').filter((l) => l !== '').map((l) => `  [${job.id} attempt ${attempt} rank 0] ${l}\n`).join(''));
        offset = chunk.next_offset;
      }
      if (!killed && /checkpoint saved at step/.test(chunk.text)) {
        const pid = await killRank(cp.store, job.id, 1);
        killed = true;
        write(`demo: SIGKILL rank 1 (pid ${pid}), as a failed GPU would; the gang is stopped and requeued\n`);
      }
      const cur = (await cp.store.getJob(job.id))!;
      if (cur.attempt > attempt && !chunk.text) { attempt = cur.attempt; offset = 0; write(`demo: attempt ${attempt} starts from the last checkpoint\n`); continue; }
      if (isTerminal(cur.state) && !chunk.text && cur.attempt === attempt) break;
      if (!chunk.text) await new Promise((r) => setTimeout(r, 300));
    }
    const final = (await cp.store.getJob(job.id))!;
    for (const a of await cp.store.listAttempts(job.id)) {
      write(`attempt ${a.attempt}: ${a.outcome} (${a.reason}), ${((a.endSeconds ?? a.startSeconds) - a.startSeconds).toFixed(1)} s, lost ${(a.lostSeconds ?? 0).toFixed(1)} s of work\n`);
    }
    write(`${job.id} ${final.state}\n`);
    if (final.state !== 'succeeded') return 1;
    const ckpt = join(checkpointDirOf(cp.dataDir, final), 'ckpt.pt');
    const chat = spawnSync(PYTHON, [join(TINY_CHAT_DIR, 'chat.py'), ckpt, '--prompt', 'hello', '--prompt', 'what is a gpu?'], { encoding: 'utf8' });
    write(`chat with the checkpoint (${ckpt}):\n${chat.stdout.replace(/^/gm, '  ')}${chat.stderr}`);
    return chat.status === 0 ? 0 : 1;
  } finally {
    await cp.close();
    if (temp) rmSync(dataDir, { recursive: true, force: true });
    if (source !== TINY_CHAT_DIR) rmSync(source, { recursive: true, force: true });
  }
}
