/**
 * The local executor: runs every rank of a job as a real process on this machine, each in
 * its own process group (detached) so a stop kills everything a rank started. Ranks get the
 * torchrun environment contract plus GF_* variables; stdout+stderr go to
 * `<logDir>/rank-R.log`; a tiny sh wrapper records each rank's exit code in `rank-R.exit` so
 * a restarted control plane can still learn how an adopted rank ended. One poll loop checks
 * liveness, heartbeat files and exit files of every attempt (no per-rank timers).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor, ExecutorEvent, LaunchSpec } from '../executor.ts';
import { findAttemptGroups, freePort, isAlive, isGroupAlive, isRankProcess, killGroup, sleep } from './proc.ts';

interface RankState { rank: number; pid: number; exitCode?: number }
interface AttemptState {
  jobId: string; attempt: number; logDir: string; ranks: RankState[];
  heartbeatTimeoutSeconds?: number; stopping: boolean; done: boolean; lastHeartbeatMs: number;
}

/** What the store keeps to find an attempt's processes again (`Executor.adopt`). */
interface Handle { logDir: string; pids: number[]; heartbeatTimeoutSeconds?: number }

export interface LocalExecutorOptions {
  /** How often ranks are checked. */
  readonly pollMs?: number;
  /** SIGTERM, then SIGKILL after this long. */
  readonly stopGraceMs?: number;
  /** GPUs on this machine (from detectHost); CUDA_VISIBLE_DEVICES is set only when > 0. */
  readonly gpuCount?: number;
}

// "$@" runs the rank; its exit status (128+n when killed by signal n) lands in the exit file.
const WRAPPER = '"$@"; code=$?; echo "$code" > "$GF_EXIT_FILE"; exit "$code"';
const HEARTBEAT_EVENT_MS = 5000;

const key = (jobId: string, attempt: number) => `${jobId}#${attempt}`;

export class LocalExecutor implements Executor {
  readonly name = 'local';
  private readonly attempts = new Map<string, AttemptState>();
  private readonly listeners: ((e: ExecutorEvent) => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly stopGraceMs: number;
  private readonly gpuCount: number;

  constructor(options: LocalExecutorOptions = {}) {
    this.stopGraceMs = options.stopGraceMs ?? 3000;
    this.gpuCount = options.gpuCount ?? 0;
    this.timer = setInterval(() => this.poll(), options.pollMs ?? 200);
    this.timer.unref();
  }

  onEvent(listener: (e: ExecutorEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(e: ExecutorEvent): void {
    for (const l of this.listeners) l(e);
  }

  async launch(spec: LaunchSpec): Promise<string> {
    mkdirSync(spec.logDir, { recursive: true });
    mkdirSync(spec.checkpointDir, { recursive: true });
    const masterPort = await freePort();
    const worldSize = spec.nodes * spec.ranksPerNode;
    const ranks: RankState[] = [];
    for (let rank = 0; rank < worldSize; rank++) {
      const nodeRank = Math.floor(rank / spec.ranksPerNode);
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>), ...spec.env,
        MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(masterPort), WORLD_SIZE: String(worldSize),
        RANK: String(rank), LOCAL_RANK: String(rank % spec.ranksPerNode), LOCAL_WORLD_SIZE: String(spec.ranksPerNode),
        NODE_RANK: String(nodeRank), GF_NODE_NAME: spec.nodeNames[nodeRank] ?? 'localhost',
        GF_JOB_ID: spec.jobId, GF_ATTEMPT: String(spec.attempt), GF_CHECKPOINT_DIR: spec.checkpointDir,
        GF_EXIT_FILE: join(spec.logDir, `rank-${rank}.exit`), GF_HEARTBEAT_FILE: join(spec.logDir, `rank-${rank}.heartbeat`),
      };
      if (spec.gpusPerNode > 0 && this.gpuCount > 0) {
        env.CUDA_VISIBLE_DEVICES = (spec.gpuIndices?.[nodeRank] ?? Array.from({ length: Math.min(spec.gpusPerNode, this.gpuCount) }, (_, i) => i)).join(',');
      }
      writeFileSync(env.GF_HEARTBEAT_FILE!, '');
      const fd = openSync(join(spec.logDir, `rank-${rank}.log`), 'a');
      try {
        const child = spawn('/bin/sh', ['-c', WRAPPER, 'gf-rank', ...spec.command], { cwd: spec.workdir, env, detached: true, stdio: ['ignore', fd, fd] });
        // A spawn failure (bad cwd) surfaces as an exit code on the next poll, not a crash.
        child.on('error', () => undefined);
        child.unref();
        if (child.pid === undefined) {
          for (const r of ranks) killGroup(r.pid, 'SIGKILL');
          throw new Error(`could not start rank ${rank} in ${spec.workdir}: ${spec.command[0]}`);
        }
        ranks.push({ rank, pid: child.pid });
      } finally {
        closeSync(fd);
      }
    }
    const st: AttemptState = { jobId: spec.jobId, attempt: spec.attempt, logDir: spec.logDir, ranks, heartbeatTimeoutSeconds: spec.heartbeatTimeoutSeconds, stopping: false, done: false, lastHeartbeatMs: Date.now() };
    this.attempts.set(key(spec.jobId, spec.attempt), st);
    const handle: Handle = { logDir: spec.logDir, pids: ranks.map((r) => r.pid), heartbeatTimeoutSeconds: spec.heartbeatTimeoutSeconds };
    const h = JSON.stringify(handle);
    queueMicrotask(() => this.emit({ type: 'running', jobId: spec.jobId, attempt: spec.attempt, handle: h }));
    return h;
  }

  async stop(jobId: string, attempt: number, _reason: string): Promise<void> {
    const st = this.attempts.get(key(jobId, attempt));
    if (!st) {
      // Not tracked (never launched, or launched by a control plane that died before
      // recording it): kill whatever still runs with this attempt's environment.
      const groups = findAttemptGroups(jobId, attempt);
      for (const g of groups) killGroup(g, 'SIGKILL');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && groups.some((g) => isGroupAlive(g))) await sleep(20);
      return;
    }
    st.stopping = true;
    for (const r of st.ranks) killGroup(r.pid, 'SIGTERM');
    const deadline = Date.now() + this.stopGraceMs;
    while (Date.now() < deadline && st.ranks.some((r) => isGroupAlive(r.pid))) await sleep(50);
    for (const r of st.ranks) killGroup(r.pid, 'SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (Date.now() < killDeadline && st.ranks.some((r) => isGroupAlive(r.pid))) await sleep(20);
    st.done = true;
    this.attempts.delete(key(jobId, attempt));
  }

  async adopt(jobId: string, attempt: number, handle: string): Promise<boolean> {
    let h: Handle;
    try { h = JSON.parse(handle) as Handle; } catch { return false; }
    if (!Array.isArray(h.pids) || typeof h.logDir !== 'string') return false;
    const ranks: RankState[] = h.pids.map((pid, rank) => ({ rank, pid, exitCode: this.exitCodeOf(h.logDir, rank) }));
    const alive = ranks.filter((r) => r.exitCode === undefined && isRankProcess(r.pid, jobId, attempt));
    // Processes gone without an exit record: the machine rebooted or they were killed with us.
    if (alive.length === 0 && ranks.some((r) => r.exitCode === undefined)) return false;
    for (const r of ranks) if (r.exitCode === undefined && !alive.includes(r)) r.exitCode = 137;
    this.attempts.set(key(jobId, attempt), { jobId, attempt, logDir: h.logDir, ranks, heartbeatTimeoutSeconds: h.heartbeatTimeoutSeconds, stopping: false, done: false, lastHeartbeatMs: Date.now() });
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.attempts.clear();
  }

  private exitCodeOf(logDir: string, rank: number): number | undefined {
    const f = join(logDir, `rank-${rank}.exit`);
    if (!existsSync(f)) return undefined;
    const n = Number.parseInt(readFileSync(f, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : 1;
  }

  /** 1. collect exits; 2. heartbeats; 3. a non-zero exit stops the gang; 4. all done -> exited. */
  private poll(): void {
    const nowMs = Date.now();
    for (const st of this.attempts.values()) {
      if (st.stopping || st.done) continue;
      // 1. A rank is over when its exit file is written, or its process is gone without one.
      for (const r of st.ranks) {
        if (r.exitCode !== undefined) continue;
        const code = this.exitCodeOf(st.logDir, r.rank);
        if (code !== undefined) r.exitCode = code;
        else if (!isAlive(r.pid)) r.exitCode = this.exitCodeOf(st.logDir, r.rank) ?? 137;
      }
      // 2. Hung ranks: the heartbeat file was not touched for too long.
      if (st.heartbeatTimeoutSeconds !== undefined) {
        const hung = st.ranks.find((r) => r.exitCode === undefined && nowMs - this.heartbeatMs(st, r.rank) > st.heartbeatTimeoutSeconds! * 1000);
        if (hung) {
          this.finish(st, { type: 'failed', jobId: st.jobId, attempt: st.attempt, reason: `rank ${hung.rank} heartbeat timeout (${st.heartbeatTimeoutSeconds}s without a touch of $GF_HEARTBEAT_FILE)` });
          continue;
        }
      }
      // 3. One rank died: the gang cannot continue.
      const bad = st.ranks.find((r) => r.exitCode !== undefined && r.exitCode !== 0);
      if (bad) {
        this.finish(st, { type: 'exited', jobId: st.jobId, attempt: st.attempt, exitCode: bad.exitCode!, reason: `rank ${bad.rank} exited with code ${bad.exitCode}` });
        continue;
      }
      // 4. Everyone finished cleanly.
      if (st.ranks.every((r) => r.exitCode === 0)) {
        this.finish(st, { type: 'exited', jobId: st.jobId, attempt: st.attempt, exitCode: 0, reason: `all ${st.ranks.length} ranks exited 0` });
        continue;
      }
      if (nowMs - st.lastHeartbeatMs >= HEARTBEAT_EVENT_MS) {
        st.lastHeartbeatMs = nowMs;
        this.emit({ type: 'heartbeat', jobId: st.jobId, attempt: st.attempt });
      }
    }
  }

  private heartbeatMs(st: AttemptState, rank: number): number {
    try { return statSync(join(st.logDir, `rank-${rank}.heartbeat`)).mtimeMs; } catch { return 0; }
  }

  /** Ends an attempt: kill what is left of the gang, then report once. */
  private finish(st: AttemptState, event: ExecutorEvent): void {
    st.done = true;
    this.attempts.delete(key(st.jobId, st.attempt));
    const survivors = st.ranks.filter((r) => r.exitCode === undefined);
    for (const r of survivors) killGroup(r.pid, 'SIGTERM');
    void (async () => {
      const deadline = Date.now() + this.stopGraceMs;
      while (Date.now() < deadline && survivors.some((r) => isGroupAlive(r.pid))) await sleep(50);
      for (const r of survivors) killGroup(r.pid, 'SIGKILL');
      const killDeadline = Date.now() + 5000;
      while (Date.now() < killDeadline && survivors.some((r) => isGroupAlive(r.pid))) await sleep(20);
      this.emit(event);
    })();
  }
}
