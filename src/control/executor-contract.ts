/**
 * One conformance suite for every Executor (local processes, Slurm, ...), like Hono's
 * `runTest({ newRouter })`. Call `runExecutorContract({ name, newExecutor })` from a *.test.ts.
 * Each case launches real processes through the executor, with a bounded wait, and cleans up
 * its temp dir and processes even when it fails. Ranks must run on this machine (or share its
 * file system and pid space) so the suite can read their files and check their processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Executor, ExecutorEvent, LaunchSpec } from './executor.ts';

export interface ExecutorContractOptions {
  readonly name: string;
  readonly newExecutor: () => Executor | Promise<Executor>;
  /** Node names to launch on, at least 2 (the suite launches 2 nodes x 2 ranks). */
  readonly nodeNames?: readonly string[];
  /** Longest wait for any one event. */
  readonly timeoutMs?: number;
  /** Checks heartbeat-file timeouts (executors without $GF_HEARTBEAT_FILE skip it). */
  readonly heartbeat?: boolean;
  /** Checks re-adoption by a second executor instance. */
  readonly adopt?: boolean;
  /** Directory visible to the ranks for the suite's scratch files (default: os tmpdir). */
  readonly scratchRoot?: string;
}

/** Running (zombies, exited but not yet reaped by their new parent, count as gone). */
function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  try { const st = readFileSync(`/proc/${pid}/stat`, 'latin1'); return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z'; } catch { return true; }
}

export function runExecutorContract(o: ExecutorContractOptions): void {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const nodeNames = o.nodeNames ?? ['local-0', 'local-1'];
  let seq = 0;

  async function withExecutor(fn: (ex: Executor, dir: string, spec: (cmd: string, over?: Partial<LaunchSpec>) => LaunchSpec, next: (pred: (e: ExecutorEvent) => boolean) => Promise<ExecutorEvent>) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(o.scratchRoot ?? tmpdir(), 'gf-exec-'));
    const ex = await o.newExecutor();
    const events: ExecutorEvent[] = [];
    const waiters: { pred: (e: ExecutorEvent) => boolean; resolve: (e: ExecutorEvent) => void }[] = [];
    ex.onEvent((e) => {
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
    });
    const next = (pred: (e: ExecutorEvent) => boolean) => {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise<ExecutorEvent>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching executor event in ${timeoutMs} ms; got ${JSON.stringify(events)}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
      });
    };
    const launched: LaunchSpec[] = [];
    const spec = (cmd: string, over: Partial<LaunchSpec> = {}): LaunchSpec => {
      const s: LaunchSpec = {
        jobId: `job-${process.pid}${++seq}`, attempt: 1, name: 'contract', command: ['/bin/sh', '-c', cmd], workdir: dir,
        env: { OUT: dir }, nodes: 2, ranksPerNode: 2, gpusPerNode: 0, checkpointDir: join(dir, 'ckpt'),
        nodeNames, logDir: join(dir, `logs-${seq}`), ...over,
      };
      launched.push(s);
      return s;
    };
    try {
      await fn(ex, dir, spec, next);
    } finally {
      for (const s of launched) await ex.stop(s.jobId, s.attempt, 'test cleanup').catch(() => undefined);
      await ex.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const isEnd = (jobId: string) => (e: ExecutorEvent) => e.jobId === jobId && (e.type === 'exited' || e.type === 'failed');

  test(`${o.name} executor: every rank gets the launch environment contract`, async () => {
    await withExecutor(async (ex, dir, spec, next) => {
      const s = spec('env | grep -E "^(MASTER_ADDR|MASTER_PORT|WORLD_SIZE|RANK|LOCAL_RANK|LOCAL_WORLD_SIZE|NODE_RANK|GF_JOB_ID|GF_ATTEMPT|GF_CHECKPOINT_DIR|HELLO)=" | sort > "$OUT/env.$RANK"; echo "rank $RANK says hi"');
      const s2 = { ...s, env: { ...s.env, HELLO: 'world' } };
      await ex.launch(s2);
      const end = await next(isEnd(s.jobId));
      assert.equal(end.type, 'exited');
      assert.equal(end.type === 'exited' && end.exitCode, 0);
      const files = readdirSync(dir).filter((f) => f.startsWith('env.')).sort();
      assert.deepEqual(files, ['env.0', 'env.1', 'env.2', 'env.3']);
      const ports = new Set<string>();
      for (let rank = 0; rank < 4; rank++) {
        const env = Object.fromEntries(readFileSync(join(dir, `env.${rank}`), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        assert.equal(env.WORLD_SIZE, '4');
        assert.equal(env.RANK, String(rank));
        assert.equal(env.LOCAL_RANK, String(rank % 2));
        assert.equal(env.LOCAL_WORLD_SIZE, '2');
        assert.equal(env.NODE_RANK, String(Math.floor(rank / 2)));
        assert.equal(env.GF_JOB_ID, s.jobId);
        assert.equal(env.GF_ATTEMPT, '1');
        assert.equal(env.GF_CHECKPOINT_DIR, s.checkpointDir);
        assert.equal(env.HELLO, 'world');
        assert.ok(env.MASTER_ADDR && /^[0-9]+$/.test(env.MASTER_PORT ?? ''), 'MASTER_ADDR and a numeric MASTER_PORT');
        ports.add(`${env.MASTER_ADDR}:${env.MASTER_PORT}`);
      }
      assert.equal(ports.size, 1, 'all ranks agree on the rendezvous address');
      assert.match(readFileSync(join(s.logDir, 'rank-3.log'), 'utf8'), /rank 3 says hi/);
    });
  });

  test(`${o.name} executor: a rank's exit code is reported and stops the whole gang`, async () => {
    await withExecutor(async (ex, dir, spec, next) => {
      const s = spec('echo $$ > "$OUT/pid.$RANK"; if [ "$RANK" = 2 ]; then sleep 0.3; exit 3; fi; exec sleep 60');
      await ex.launch(s);
      const end = await next(isEnd(s.jobId));
      assert.equal(end.type, 'exited');
      assert.equal(end.type === 'exited' && end.exitCode, 3);
      assert.match(end.type === 'exited' ? end.reason : '', /rank 2/);
      const pids = [0, 1, 3].map((r) => Number(readFileSync(join(dir, `pid.${r}`), 'utf8')));
      for (const pid of pids) assert.equal(alive(pid), false, `rank pid ${pid} still alive after the gang stopped`);
    });
  });

  test(`${o.name} executor: a rank killed by a signal ends the attempt with a non-zero code`, async () => {
    await withExecutor(async (ex, _dir, spec, next) => {
      const s = spec('if [ "$RANK" = 1 ]; then kill -9 $$; fi; exec sleep 60', { nodes: 1 });
      await ex.launch(s);
      const end = await next(isEnd(s.jobId));
      assert.ok(end.type === 'failed' || (end.type === 'exited' && end.exitCode !== 0), JSON.stringify(end));
    });
  });

  test(`${o.name} executor: stop (cancel) kills every process, children included, and is idempotent`, async () => {
    await withExecutor(async (ex, dir, spec, next) => {
      const s = spec('sleep 120 & echo $! > "$OUT/child.$RANK"; echo $$ > "$OUT/pid.$RANK"; wait');
      await ex.launch(s);
      await next((e) => e.jobId === s.jobId && e.type === 'running');
      const deadline = Date.now() + timeoutMs;
      while (readdirSync(dir).filter((f) => f.startsWith('child.') || f.startsWith('pid.')).length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const pids = readdirSync(dir).filter((f) => f.startsWith('child.') || f.startsWith('pid.')).map((f) => Number(readFileSync(join(dir, f), 'utf8')));
      assert.equal(pids.length, 8);
      await ex.stop(s.jobId, 1, 'cancelled');
      await ex.stop(s.jobId, 1, 'cancelled again');
      await ex.stop('job-never-launched', 1, 'nothing');
      for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} survived stop`);
    });
  });

  if (o.heartbeat !== false) {
    test(`${o.name} executor: a rank that stops touching its heartbeat file fails the attempt`, async () => {
      await withExecutor(async (ex, _dir, spec, next) => {
        const s = spec('touch "$GF_HEARTBEAT_FILE"; exec sleep 60', { nodes: 1, ranksPerNode: 1, heartbeatTimeoutSeconds: 1 });
        await ex.launch(s);
        const end = await next(isEnd(s.jobId));
        assert.equal(end.type, 'failed');
        assert.match(end.type === 'failed' ? end.reason : '', /heartbeat/);
      });
    });
  }

  if (o.adopt !== false) {
    test(`${o.name} executor: a new executor re-adopts live ranks and sees them finish; dead handles are refused`, async () => {
      await withExecutor(async (ex, dir, spec) => {
        const s = spec('while [ ! -f "$OUT/go" ]; do sleep 0.05; done; exit 0', { nodes: 1 });
        const handle = await ex.launch(s);
        await ex.close();
        const ex2 = await o.newExecutor();
        try {
          const ended = new Promise<ExecutorEvent>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error('adopted attempt never ended')), timeoutMs);
            ex2.onEvent((e) => { if (isEnd(s.jobId)(e)) { clearTimeout(t); resolve(e); } });
          });
          assert.equal(await ex2.adopt(s.jobId, 1, handle), true);
          (await import('node:fs')).writeFileSync(join(dir, 'go'), '');
          const end = await ended;
          assert.equal(end.type === 'exited' && end.exitCode, 0);
          assert.equal(await ex2.adopt(s.jobId, 1, handle.replace(/[0-9]+/g, '999999')), false);
        } finally {
          await ex2.stop(s.jobId, 1, 'cleanup');
          await ex2.close();
        }
      });
    });
  }
}
