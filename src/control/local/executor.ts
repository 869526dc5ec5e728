/**
 * The local executor: runs every rank of a job as a real process on this machine, each in
 * its own process group (detached) so a stop kills everything a rank started. Each rank runs
 * as its tenant's Unix user (see ../tenancy.ts) with a clean environment: the job's `env`, the
 * torchrun contract and GF_* variables, a standard PATH, nothing of the plane's own. A small
 * sh wrapper, running as that user, creates the attempt's log and checkpoint dirs, sends
 * stdout+stderr to `<logDir>/rank-R.log`, enters the workdir, runs the command and records
 * its exit code in `rank-R.exit` atomically (temp file + rename), so a restarted plane still
 * learns how a rank ended and never reads half a record. Every process carries GF_PLANE_ID:
 * the plane finds and signals only its own. One poll loop checks liveness, heartbeat files
 * and exit files of every attempt (no per-rank timers).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import type { AttemptRef, Executor, ExecutorEvent, LaunchSpec, Recovery } from '../executor.ts';
import { readRankExit, WRITE_EXIT_SH } from '../exit-files.ts';
import { rankExitFile, rankHeartbeatFile, rankLogFile } from '../layout.ts';
import { RANK_PATH, type RunAs, type Tenancy } from '../tenancy.ts';
import { findAttemptGroups, freePort, isAlive, isGroupAlive, isRankProcess, killGroup, scanPlaneRanks, sleep, type PlaneRanks } from './proc.ts';

interface RankState { rank: number; pid: number; exitCode?: number }
interface AttemptState {
  jobId: string; attempt: number; logDir: string; ranks: RankState[];
  heartbeatTimeoutSeconds?: number; stopping: boolean; done: boolean; lastHeartbeatMs: number;
  /** When this plane began watching it: a heartbeat file older than this does not count against it. */
  watchedSinceMs: number;
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
  /** This plane's id (from its data dir): every rank carries it as GF_PLANE_ID (default: one per process). */
  readonly planeId?: string;
  /** Runs each tenant's ranks as its own user, HOME in its area (absent: as this process, HOME = workdir). */
  readonly tenancy?: Tenancy;
}

/** The id of executors made without one (tests): shared by every executor of this process. */
const PROCESS_PLANE_ID = `proc-${randomBytes(6).toString('hex')}`;


// Runs as the rank's user. "$@" is the command; its exit status (128+n when killed by signal n)
// is recorded atomically. A rank that cannot set up records 126 (dirs) or 127 (workdir).
const WRAPPER = [
  'mkdir -p "$GF_LOG_DIR" 2>/dev/null',
  'exec >>"$GF_LOG_FILE" 2>&1',
  ': >"$GF_HEARTBEAT_FILE"',
  `mkdir -p "$GF_CHECKPOINT_DIR" || { echo "gigafactory: cannot create checkpoint_dir $GF_CHECKPOINT_DIR" >&2; code=126; ${WRITE_EXIT_SH}; exit 126; }`,
  `cd "$GF_WORKDIR" || { echo "gigafactory: cannot enter workdir $GF_WORKDIR" >&2; code=127; ${WRITE_EXIT_SH}; exit 127; }`,
  '"$@"; code=$?',
  WRITE_EXIT_SH,
  'exit "$code"',
].join('\n');
const HEARTBEAT_EVENT_MS = 5000;
/** A /proc scan serves every recover() of one restart. */
const SCAN_REUSE_MS = 2000;

const key = (jobId: string, attempt: number) => `${jobId}#${attempt}`;

export class LocalExecutor implements Executor {
  readonly name = 'local';
  planeId: string;
  private readonly attempts = new Map<string, AttemptState>();
  private readonly listeners: ((e: ExecutorEvent) => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly stopGraceMs: number;
  private readonly gpuCount: number;
  private tenancy: Tenancy | undefined;
  private scan: { atMs: number; ranks: PlaneRanks } | undefined;

  constructor(options: LocalExecutorOptions = {}) {
    this.stopGraceMs = options.stopGraceMs ?? 3000;
    this.gpuCount = options.gpuCount ?? 0;
    this.planeId = options.planeId ?? PROCESS_PLANE_ID;
    this.tenancy = options.tenancy;
    this.timer = setInterval(() => this.poll(), options.pollMs ?? 200);
    this.timer.unref();
  }

  attachPlane(plane: { readonly planeId: string; readonly tenancy: Tenancy }): void {
    this.planeId = plane.planeId;
    this.tenancy = plane.tenancy;
  }

  onEvent(listener: (e: ExecutorEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(e: ExecutorEvent): void {
    for (const l of this.listeners) l(e);
  }

  async launch(spec: LaunchSpec): Promise<string> {
    const tenant = spec.tenant ?? 'admin';
    const runAs: RunAs | undefined = await this.tenancy?.runAs(tenant);
    const home = this.tenancy ? await this.tenancy.area(tenant) : spec.workdir;
    const masterPort = await freePort();
    const worldSize = spec.nodes * spec.ranksPerNode;
    const ranks: RankState[] = [];
    for (let rank = 0; rank < worldSize; rank++) {
      const nodeRank = Math.floor(rank / spec.ranksPerNode);
      const env: Record<string, string> = {
        PATH: RANK_PATH, HOME: home, LANG: 'C.UTF-8', ...(runAs ? { USER: runAs.user, LOGNAME: runAs.user } : {}),
        ...spec.env,
        MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(masterPort), WORLD_SIZE: String(worldSize),
        RANK: String(rank), LOCAL_RANK: String(rank % spec.ranksPerNode), LOCAL_WORLD_SIZE: String(spec.ranksPerNode),
        NODE_RANK: String(nodeRank), GF_NODE_NAME: spec.nodeNames[nodeRank] ?? 'localhost',
        GF_PLANE_ID: this.planeId, GF_JOB_ID: spec.jobId, GF_ATTEMPT: String(spec.attempt), GF_TENANT: tenant,
        GF_CHECKPOINT_DIR: spec.checkpointDir, GF_WORKDIR: spec.workdir, GF_LOG_DIR: spec.logDir, GF_LOG_FILE: rankLogFile(spec.logDir, rank),
        GF_EXIT_FILE: rankExitFile(spec.logDir, rank), GF_HEARTBEAT_FILE: rankHeartbeatFile(spec.logDir, rank),
      };
      if (spec.gpusPerNode > 0 && this.gpuCount > 0) {
        env.CUDA_VISIBLE_DEVICES = (spec.gpuIndices?.[nodeRank] ?? Array.from({ length: Math.min(spec.gpusPerNode, this.gpuCount) }, (_, i) => i)).join(',');
      }
      const child = spawn('/bin/sh', ['-c', WRAPPER, 'gf-rank', ...spec.command], {
        cwd: '/', env, detached: true, stdio: 'ignore', ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      });
      // A spawn failure surfaces as an exit code on the next poll, not a crash.
      child.on('error', () => undefined);
      child.unref();
      if (child.pid === undefined) {
        for (const r of ranks) killGroup(r.pid, 'SIGKILL');
        throw new Error(`could not start rank ${rank}: /bin/sh for ${spec.command[0]}${runAs ? ` as ${runAs.user}` : ''}`);
      }
      ranks.push({ rank, pid: child.pid });
    }
    const nowMs = Date.now();
    const st: AttemptState = { jobId: spec.jobId, attempt: spec.attempt, logDir: spec.logDir, ranks, heartbeatTimeoutSeconds: spec.heartbeatTimeoutSeconds, stopping: false, done: false, lastHeartbeatMs: nowMs, watchedSinceMs: nowMs };
    this.attempts.set(key(spec.jobId, spec.attempt), st);
    const handle: Handle = { logDir: spec.logDir, pids: ranks.map((r) => r.pid), heartbeatTimeoutSeconds: spec.heartbeatTimeoutSeconds };
    const h = JSON.stringify(handle);
    queueMicrotask(() => this.emit({ type: 'running', jobId: spec.jobId, attempt: spec.attempt, handle: h }));
    return h;
  }

  async stop(jobId: string, attempt: number, _reason: string): Promise<void> {
    const st = this.attempts.get(key(jobId, attempt));
    if (!st) {
      // Not tracked (never launched, or launched by a plane that died before recording it):
      // kill whatever of this plane still runs for this attempt.
      await this.killGroups(findAttemptGroups(this.planeId, jobId, attempt));
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

  private async killGroups(groups: readonly number[]): Promise<void> {
    for (const g of groups) killGroup(g, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && groups.some((g) => isGroupAlive(g))) await sleep(20);
  }

  async adopt(jobId: string, attempt: number, handle: string): Promise<boolean> {
    let h: Handle;
    try { h = JSON.parse(handle) as Handle; } catch { return false; }
    if (!Array.isArray(h.pids) || typeof h.logDir !== 'string') return false;
    const ranks: RankState[] = h.pids.map((pid, rank) => ({ rank, pid, exitCode: readRankExit(h.logDir, rank)?.code }));
    const alive = ranks.filter((r) => r.exitCode === undefined && isRankProcess(r.pid, this.planeId, jobId, attempt));
    // Processes gone without an exit record: the machine rebooted or they were killed with us.
    if (alive.length === 0 && ranks.some((r) => r.exitCode === undefined)) return false;
    for (const r of ranks) if (r.exitCode === undefined && !alive.includes(r)) r.exitCode = 137;
    this.track(jobId, attempt, h.logDir, ranks, h.heartbeatTimeoutSeconds);
    return true;
  }

  private track(jobId: string, attempt: number, logDir: string, ranks: RankState[], heartbeatTimeoutSeconds: number | undefined): void {
    const nowMs = Date.now();
    this.attempts.set(key(jobId, attempt), { jobId, attempt, logDir, ranks, heartbeatTimeoutSeconds, stopping: false, done: false, lastHeartbeatMs: nowMs, watchedSinceMs: nowMs });
  }

  /**
   * An attempt's fate from what survives a plane's death: the rank exit records in its log
   * dir and this plane's processes (found by GF_PLANE_ID, job and attempt, with or without a
   * handle). A gang found half alive, half gone without a record is stopped: `lost`.
   */
  async recover(ref: AttemptRef): Promise<Recovery> {
    let groups = this.groupsOf(ref, false);
    // A reused scan may predate this attempt's launch: before calling a rank gone, look again.
    if (groups.size < ref.ranks) groups = this.groupsOf(ref, true);
    let hb: number | undefined;
    try { hb = (JSON.parse(ref.handle ?? '{}') as Handle).heartbeatTimeoutSeconds; } catch { /* no handle */ }
    const ranks: RankState[] = [];
    let bad: { rank: number; code: number; ms: number } | undefined;
    let lastExitMs = 0;
    const missing: number[] = [];
    for (let rank = 0; rank < ref.ranks; rank++) {
      const exit = readRankExit(ref.logDir, rank);
      const pgid = groups.get(rank);
      const alive = pgid !== undefined && isGroupAlive(pgid);
      if (exit !== undefined && exit.code !== 0 && (bad === undefined || exit.mtimeMs < bad.ms)) bad = { rank, code: exit.code, ms: exit.mtimeMs };
      if (exit !== undefined) lastExitMs = Math.max(lastExitMs, exit.mtimeMs);
      if (exit === undefined && !alive) missing.push(rank);
      ranks.push({ rank, pid: pgid ?? 0, ...(exit !== undefined ? { exitCode: exit.code } : {}) });
    }
    const survivors = ranks.filter((r) => r.exitCode === undefined && r.pid > 0).map((r) => r.pid);
    if (bad !== undefined) {
      await this.killGroups(survivors);
      return { state: 'finished', exitCode: bad.code, reason: `rank ${bad.rank} exited with code ${bad.code}`, endSeconds: bad.ms / 1000 };
    }
    if (ranks.every((r) => r.exitCode === 0)) return { state: 'finished', exitCode: 0, reason: `all ${ref.ranks} ranks exited 0`, endSeconds: lastExitMs / 1000 };
    if (missing.length === 0) {
      this.track(ref.jobId, ref.attempt, ref.logDir, ranks, hb);
      return { state: 'running' };
    }
    await this.killGroups(survivors);
    const started = ranks.some((r) => r.exitCode !== undefined || r.pid > 0) || missing.some((r) => exists(rankLogFile(ref.logDir, r)));
    if (!started) return { state: 'never-started', reason: 'no rank had started when the control plane stopped' };
    return { state: 'lost', reason: `rank(s) ${missing.join(', ')} gone without an exit record after a control-plane restart${survivors.length > 0 ? '; the rest of the gang was stopped' : ''}` };
  }

  /** This plane's rank groups of an attempt, from a /proc scan shared by the recover() calls of one restart. */
  private groupsOf(ref: AttemptRef, fresh: boolean): Map<number, number> {
    const nowMs = Date.now();
    if (fresh || this.scan === undefined || nowMs - this.scan.atMs > SCAN_REUSE_MS) this.scan = { atMs: nowMs, ranks: scanPlaneRanks(this.planeId) };
    return this.scan.ranks.get(key(ref.jobId, ref.attempt)) ?? new Map<number, number>();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.attempts.clear();
  }

  /** 1. collect exits; 2. heartbeats; 3. a non-zero exit stops the gang; 4. all done -> exited. */
  private poll(): void {
    const nowMs = Date.now();
    for (const st of this.attempts.values()) {
      if (st.stopping || st.done) continue;
      // 1. A rank is over when its exit record is there, or its process is gone without one.
      for (const r of st.ranks) {
        if (r.exitCode !== undefined) continue;
        const code = readRankExit(st.logDir, r.rank)?.code;
        if (code !== undefined) r.exitCode = code;
        else if (!isAlive(r.pid)) r.exitCode = readRankExit(st.logDir, r.rank)?.code ?? 137;
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

  /** Last heartbeat touch (lstat: the file lies in the tenant's area), never before watching began. */
  private heartbeatMs(st: AttemptState, rank: number): number {
    let touched = 0;
    try { touched = lstatSync(rankHeartbeatFile(st.logDir, rank)).mtimeMs; } catch { /* not yet */ }
    return Math.max(touched, st.watchedSinceMs);
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

function exists(path: string): boolean {
  try { lstatSync(path); return true; } catch { return false; }
}
