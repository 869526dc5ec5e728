/**
 * One conformance suite for every Executor, like Hono's `runTest({ newRouter })`, in two layers:
 * - `runLifecycleContract`: what the control plane relies on, for every executor (local
 *   processes, Slurm, and the simulator's executor): a gang's events, exit codes, stop,
 *   re-adoption, lost nodes. How to make ranks succeed, exit or run on is per executor
 *   (`ContractPrograms`: shell commands for real ranks, GF_SIM_* for simulated ones).
 * - `runExecutorContract`: the lifecycle cases with shell programs, plus what only executors
 *   of real processes can show: the rank environment contract, no process left after a gang
 *   stops or is cancelled, signals, heartbeat files. Ranks must run on this machine (or share
 *   its file system and pid space) so the suite can read their files and check their processes.
 * Each case waits a bounded time and cleans up its temp dir and attempts even when it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Executor, ExecutorEvent, LaunchSpec } from './executor.ts';

/** Per-executor ways to make ranks behave (a shell command, or the simulator's GF_SIM_* variables). */
export interface ContractPrograms {
  /** Every rank exits 0 after about `seconds`. */
  succeed(seconds: number): Partial<LaunchSpec>;
  /** Rank `rank` exits with `code` after about `seconds`; the others would run for a minute. */
  rankExits(rank: number, code: number, seconds: number): Partial<LaunchSpec>;
  /** Every rank runs until stopped. */
  runForever(): Partial<LaunchSpec>;
}

export const SHELL_PROGRAMS: ContractPrograms = {
  succeed: (seconds) => ({ command: ['/bin/sh', '-c', `sleep ${seconds}; exit 0`] }),
  rankExits: (rank, code, seconds) => ({ command: ['/bin/sh', '-c', `if [ "$RANK" = ${rank} ]; then sleep ${seconds}; exit ${code}; fi; exec sleep 60`] }),
  runForever: () => ({ command: ['/bin/sh', '-c', 'exec sleep 600'] }),
};

export interface LifecycleContractOptions {
  readonly name: string;
  readonly newExecutor: () => Executor | Promise<Executor>;
  readonly programs: ContractPrograms;
  /** Node names to launch on, at least 2 (the suite launches 2 nodes x 2 ranks). */
  readonly nodeNames?: readonly string[];
  /** Longest wait for any one event. */
  readonly timeoutMs?: number;
  /** Checks re-adoption by a second executor instance. */
  readonly adopt?: boolean;
  /** Makes a node fail now (executors whose nodes can be failed from a test: Slurm, the simulator); may return an undo. */
  readonly failNode?: (nodeName: string) => Promise<(() => void) | void> | (() => void) | void;
}

/** `runExecutorContract`: the lifecycle options (programs are shell commands) plus the process-level ones. */
export interface ExecutorContractOptions extends Omit<LifecycleContractOptions, 'programs'> {
  /** Checks heartbeat-file timeouts (executors without $GF_HEARTBEAT_FILE skip it). */
  readonly heartbeat?: boolean;
  /** Directory visible to the ranks for the suite's scratch files (default: os tmpdir). */
  readonly scratchRoot?: string;
}

/** Running (zombies, exited but not yet reaped by their new parent, count as gone). */
function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  try { const st = readFileSync(`/proc/${pid}/stat`, 'latin1'); return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z'; } catch { return true; }
}

type Next = (pred: (e: ExecutorEvent) => boolean) => Promise<ExecutorEvent>;
type SpecFn = (cmd: string | Partial<LaunchSpec>, over?: Partial<LaunchSpec>) => LaunchSpec;
type Body = (ex: Executor, dir: string, spec: SpecFn, next: Next, events: readonly ExecutorEvent[]) => Promise<void>;

/** Runs `fn` with a fresh executor and scratch dir; stops every attempt it launched and removes the dir, also on failure. */
function harness(o: { newExecutor: () => Executor | Promise<Executor>; nodeNames?: readonly string[]; timeoutMs?: number; scratchRoot?: string }) {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const nodeNames = o.nodeNames ?? ['local-0', 'local-1'];
  let seq = 0;
  return async function withExecutor(fn: Body): Promise<void> {
    const dir = mkdtempSync(join(o.scratchRoot ?? tmpdir(), 'gf-exec-'));
    const ex = await o.newExecutor();
    const events: ExecutorEvent[] = [];
    const waiters: { pred: (e: ExecutorEvent) => boolean; resolve: (e: ExecutorEvent) => void }[] = [];
    ex.onEvent((e) => {
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
    });
    const next: Next = (pred) => {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise<ExecutorEvent>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching executor event in ${timeoutMs} ms; got ${JSON.stringify(events)}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
      });
    };
    const launched: LaunchSpec[] = [];
    const spec: SpecFn = (cmd, over = {}) => {
      const program = typeof cmd === 'string' ? { command: ['/bin/sh', '-c', cmd] } : cmd;
      const s: LaunchSpec = {
        jobId: `job-${process.pid}${++seq}`, attempt: 1, name: 'contract', command: ['/bin/true'], workdir: dir,
        nodes: 2, ranksPerNode: 2, gpusPerNode: 0, checkpointDir: join(dir, 'ckpt'),
        nodeNames, logDir: join(dir, `logs-${seq}`), ...program, ...over, env: { OUT: dir, ...program.env, ...over.env },
      };
      launched.push(s);
      return s;
    };
    try {
      await fn(ex, dir, spec, next, events);
    } finally {
      for (const s of launched) await ex.stop(s.jobId, s.attempt, 'test cleanup').catch(() => undefined);
      await ex.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const isEnd = (jobId: string) => (e: ExecutorEvent) => e.jobId === jobId && (e.type === 'exited' || e.type === 'failed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The cases every executor passes: what the reconciler relies on. */
export function runLifecycleContract(o: LifecycleContractOptions): void {
  const withExecutor = harness(o);
  const p = o.programs;
  const timeoutMs = o.timeoutMs ?? 20_000;

  test(`${o.name} executor: a gang reports running with a handle, then one exit with code 0`, async () => {
    await withExecutor(async (ex, _dir, spec, next, events) => {
      const s = spec(p.succeed(0.2));
      const handle = await ex.launch(s);
      assert.ok(handle.length > 0, 'launch resolves with a handle');
      const running = await next((e) => e.jobId === s.jobId && e.type === 'running');
      assert.equal(running.type === 'running' && running.handle, handle);
      const end = await next(isEnd(s.jobId));
      assert.equal(end.type === 'exited' && end.exitCode, 0, JSON.stringify(end));
      await sleep(300);
      assert.equal(events.filter(isEnd(s.jobId)).length, 1, 'exactly one end event');
      assert.ok(events.findIndex((e) => e.jobId === s.jobId && e.type === 'running') < events.findIndex(isEnd(s.jobId)), 'running before the end');
    });
  });

  test(`${o.name} executor: a rank's non-zero exit ends the gang with that code, naming the rank`, async () => {
    await withExecutor(async (ex, _dir, spec, next) => {
      const s = spec(p.rankExits(2, 3, 0.3));
      await ex.launch(s);
      const end = await next(isEnd(s.jobId));
      assert.equal(end.type === 'exited' && end.exitCode, 3, JSON.stringify(end));
      assert.match(end.type === 'exited' ? end.reason : '', /rank 2/);
    });
  });

  test(`${o.name} executor: stop ends an attempt with no event after it, and is idempotent`, async () => {
    await withExecutor(async (ex, _dir, spec, next, events) => {
      const s = spec(p.runForever());
      await ex.launch(s);
      await next((e) => e.jobId === s.jobId && e.type === 'running');
      await ex.stop(s.jobId, 1, 'cancelled');
      const after = events.length;
      await ex.stop(s.jobId, 1, 'cancelled again');
      await ex.stop('job-never-launched', 1, 'nothing');
      await sleep(500);
      assert.deepEqual(events.slice(after).filter((e) => e.jobId === s.jobId && e.type !== 'heartbeat'), [], 'no event after stop');
    });
  });

  if (o.adopt !== false) {
    test(`${o.name} executor: a new executor re-adopts a live attempt and sees it end; unknown handles are refused`, async () => {
      await withExecutor(async (ex, _dir, spec) => {
        const s = spec(p.succeed(3), { nodes: 1 });
        const handle = await ex.launch(s);
        await ex.close();
        const ex2 = await o.newExecutor();
        try {
          const ended = new Promise<ExecutorEvent>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error('adopted attempt never ended')), timeoutMs);
            ex2.onEvent((e) => { if (isEnd(s.jobId)(e)) { clearTimeout(t); resolve(e); } });
          });
          assert.equal(await ex2.adopt(s.jobId, 1, handle), true);
          const end = await ended;
          assert.equal(end.type === 'exited' && end.exitCode, 0, JSON.stringify(end));
          assert.equal(await ex2.adopt(s.jobId, 1, handle.replace(/[0-9]+/g, '999999')), false);
        } finally {
          await ex2.stop(s.jobId, 1, 'cleanup');
          await ex2.close();
        }
      });
    });
  }

  const failNode = o.failNode;
  if (failNode) {
    test(`${o.name} executor: a node lost under a gang fails the attempt, naming the node`, async () => {
      await withExecutor(async (ex, _dir, spec, next) => {
        const s = spec(p.runForever());
        await ex.launch(s);
        await next((e) => e.jobId === s.jobId && e.type === 'running');
        const victim = s.nodeNames[s.nodeNames.length - 1]!;
        const restore = await failNode(victim);
        try {
          const end = await next(isEnd(s.jobId));
          assert.equal(end.type, 'failed', JSON.stringify(end));
          assert.equal(end.type === 'failed' && end.nodeLost, victim);
        } finally {
          restore?.();
        }
      });
    });
  }
}

/** Lifecycle cases with shell programs, plus the cases about real processes. */
export function runExecutorContract(o: ExecutorContractOptions): void {
  runLifecycleContract({ ...o, programs: SHELL_PROGRAMS });
  const withExecutor = harness(o);
  const timeoutMs = o.timeoutMs ?? 20_000;
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

  test(`${o.name} executor: when one rank exits non-zero, no process of the gang survives`, async () => {
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
}
