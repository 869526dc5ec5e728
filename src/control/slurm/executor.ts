/**
 * SlurmExecutor: runs each attempt as one Slurm batch job (see script.ts) and follows it
 * through `squeue --json` in one poll loop for all attempts. Gigafactory's scheduler chooses
 * the nodes (--nodelist) unless `placement: 'slurm'`. Events follow the executor contract:
 * running when Slurm starts the job; exited with the first failing rank's code (rank exit
 * files) or 0; failed when a node fails (NODE_FAIL, BOOT_FAIL: the control plane requeues the
 * job from its checkpoint), when Slurm preempts it (PREEMPTED: requeued, no node at fault; see
 * end-state.ts) or a rank stops touching its heartbeat file. stop maps to scancel.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Executor, ExecutorEvent, LaunchSpec } from '../executor.ts';
import { RANK_PATH, type RunAs, type Tenancy } from '../tenancy.ts';
import { expandHostlist } from './hostlist.ts';
import { renderSbatchScript, rankHeartbeatFile, slurmComment } from './script.ts';
import { allRanksSucceeded, firstFailedRank, hungRank } from './rank-files.ts';
import { SlurmCli, type SlurmJob, type SlurmNode } from './slurm-cli.ts';
import { slurmEnd } from './end-state.ts';

export interface SlurmExecutorOptions {
  /** slurm.conf of the cluster (absent: SLURM_CONF or Slurm's default). */
  readonly confPath?: string;
  readonly partition?: string;
  /** 'gigafactory' (default): --nodelist from the scheduler; 'slurm': Slurm's own placement. */
  readonly placement?: 'gigafactory' | 'slurm';
  /** More `#SBATCH` options for every job (account, QOS, time limit). */
  readonly extraSbatchArgs?: readonly string[];
  readonly pollMs?: number;
  /** Longest wait in stop() for Slurm to finish killing the job. */
  readonly stopTimeoutMs?: number;
}

/** What the store keeps to find an attempt again (`adopt`). */
interface Handle { slurmJobId: string; logDir: string; ranks: number; heartbeatTimeoutSeconds?: number }

interface Attempt extends Handle {
  jobId: string; attempt: number; running: boolean; runningSinceMs: number; lastHeartbeatEventMs: number; stopping: boolean;
  /** When tracking began: a snapshot taken before it cannot show the job yet. */
  trackedMs: number;
  /** Consecutive snapshots without the job (two in a row: Slurm forgot it). */
  missing: number;
}

const PENDING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'RESIZING', 'SUSPENDED']);
const ACTIVE = new Set(['RUNNING', 'COMPLETING', 'STOPPED', 'SIGNALING', 'STAGE_OUT']);
const HEARTBEAT_EVENT_MS = 5000;
const NODES_POLL_MS = 1000;

export const isNodeDown = (n: SlurmNode): boolean => /down|drain|fail|unknown|future/.test(n.state) || n.flags.some((f) => /DRAIN|NOT_RESPONDING|FAIL|POWERED_DOWN/i.test(f));

const key = (jobId: string, attempt: number): string => `${jobId}#${attempt}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  readonly cli: SlurmCli;
  private readonly attempts = new Map<string, Attempt>();
  private readonly listeners: ((e: ExecutorEvent) => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private polling = false;
  private pollAgain = false;
  /** Per attempt, a watch on its log dir: rank exit files are seen at once, not at the next poll. */
  private readonly watchers = new Map<string, FSWatcher>();
  /** Nodes Slurm reports unusable, from the latest sinfo (refreshed about once a second). */
  private downNodes = new Set<string>();
  private nodesReadMs = 0;
  private planeId: string | undefined;
  private tenancy: Tenancy | undefined;

  constructor(private readonly options: SlurmExecutorOptions = {}) {
    this.cli = new SlurmCli({ confPath: options.confPath });
    this.timer = setInterval(() => void this.poll(), options.pollMs ?? 250);
    this.timer.unref();
  }

  /** Marks this plane's jobs (comment, GF_PLANE_ID) and submits each tenant's as its user. */
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

  /** Submits the attempt; rejects with SlurmRejectedError (Slurm's message) or SlurmUnavailableError. */
  async launch(spec: LaunchSpec): Promise<string> {
    const ranks = spec.nodes * spec.ranksPerNode;
    const scriptPath = join(spec.logDir, 'job.sbatch');
    const script = renderSbatchScript(spec, { partition: this.options.partition, slurmPlaces: this.options.placement === 'slurm', extraSbatchArgs: this.options.extraSbatchArgs, ...(this.planeId !== undefined ? { planeId: this.planeId } : {}) });
    const tenant = spec.tenant ?? 'admin';
    const who = await this.tenancy?.runAs(tenant);
    // sbatch hands the submitter's environment to the job: give it a clean one, never the plane's.
    const env: NodeJS.ProcessEnv = { PATH: RANK_PATH, LANG: 'C.UTF-8', ...(this.tenancy ? { HOME: await this.tenancy.area(tenant) } : {}), ...(who ? { USER: who.user, LOGNAME: who.user } : {}) };
    if (who) {
      // As the tenant's user, bounded: its dirs, heartbeat files and the script, then sbatch as that user.
      await prepareAs(who, spec.logDir, spec.checkpointDir, ranks, scriptPath, script);
    } else {
      mkdirSync(spec.logDir, { recursive: true });
      mkdirSync(spec.checkpointDir, { recursive: true });
      for (let r = 0; r < ranks; r++) writeFileSync(rankHeartbeatFile(spec.logDir, r), '');
      writeFileSync(scriptPath, script);
    }
    const slurmJobId = await this.cli.sbatch(scriptPath, [], { env, ...(who ? { uid: who.uid, gid: who.gid } : {}) });
    const handle: Handle = { slurmJobId, logDir: spec.logDir, ranks, heartbeatTimeoutSeconds: spec.heartbeatTimeoutSeconds };
    this.track(spec.jobId, spec.attempt, handle);
    return JSON.stringify(handle);
  }

  private track(jobId: string, attempt: number, h: Handle): void {
    const k = key(jobId, attempt);
    this.attempts.set(k, { ...h, jobId, attempt, running: false, runningSinceMs: 0, lastHeartbeatEventMs: 0, stopping: false, trackedMs: Date.now(), missing: 0 });
    // Local or same-host file systems only (inotify); on NFS the poll still finds the files.
    try {
      const w = watch(h.logDir, (_event, file) => { if (typeof file === 'string' && file.endsWith('.exit')) this.onRankExit(k); });
      w.on('error', () => this.unwatch(k));
      w.unref();
      this.watchers.set(k, w);
    } catch { /* no watch: polling alone */ }
  }

  private unwatch(k: string): void {
    this.watchers.get(k)?.close();
    this.watchers.delete(k);
  }

  /** A rank recorded its exit: all zero ends the attempt now; anything else asks Slurm at once. */
  private onRankExit(k: string): void {
    const a = this.attempts.get(k);
    if (a === undefined || a.stopping) return;
    if (!allRanksSucceeded(a.logDir, a.ranks)) { void this.poll(true); return; }
    if (!a.running) this.emit({ type: 'running', jobId: a.jobId, attempt: a.attempt, handle: JSON.stringify({ slurmJobId: a.slurmJobId, logDir: a.logDir, ranks: a.ranks, heartbeatTimeoutSeconds: a.heartbeatTimeoutSeconds }) });
    this.end(a, { type: 'exited', jobId: a.jobId, attempt: a.attempt, exitCode: 0, reason: `all ${a.ranks} ranks exited 0` });
  }

  /** scancel, then wait until Slurm has ended every process of the job. Idempotent. */
  async stop(jobId: string, attempt: number, _reason: string): Promise<void> {
    const a = this.attempts.get(key(jobId, attempt));
    if (a === undefined) return;
    a.stopping = true;
    await this.cli.scancel([a.slurmJobId]);
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      const j = (await this.cli.jobs()).find((x) => x.jobId === a.slurmJobId);
      if (j === undefined || (!PENDING.has(j.state) && !ACTIVE.has(j.state))) break;
      await sleep(100);
    }
    this.attempts.delete(key(jobId, attempt));
    this.unwatch(key(jobId, attempt));
  }

  /** Follows an attempt submitted by an earlier executor; false when Slurm no longer knows it. */
  async adopt(jobId: string, attempt: number, handle: string): Promise<boolean> {
    let h: Handle;
    try { h = JSON.parse(handle) as Handle; } catch { return false; }
    if (typeof h.slurmJobId !== 'string' || !/^\d+$/.test(h.slurmJobId) || typeof h.logDir !== 'string') return false;
    const j = (await this.cli.jobs()).find((x) => x.jobId === h.slurmJobId);
    // A finished job Slurm still remembers is adopted too: its exit is reported, not lost.
    if (j === undefined || j.comment !== slurmComment(jobId, attempt, this.planeId)) return false;
    this.track(jobId, attempt, { slurmJobId: h.slurmJobId, logDir: h.logDir, ranks: Number(h.ranks) || 1, heartbeatTimeoutSeconds: h.heartbeatTimeoutSeconds });
    return true;
  }

  /** False for nodes Slurm reports DOWN, DRAINED, failing or not responding (the scheduler skips them). */
  nodeUp(nodeName: string): boolean {
    return !this.downNodes.has(nodeName);
  }

  private async refreshNodes(): Promise<void> {
    this.nodesReadMs = Date.now();
    this.downNodes = new Set((await this.cli.nodes()).filter(isNodeDown).map((n) => n.name));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const k of [...this.watchers.keys()]) this.unwatch(k);
    this.attempts.clear();
  }

  /** 1. one squeue for all attempts; 2. newly running; 3. heartbeats; 4. ends. */
  private async poll(urgent = false): Promise<void> {
    // The timer skips a tick while a poll runs; a rank exit asks for one more right after it.
    if (this.polling) { if (urgent) this.pollAgain = true; return; }
    this.polling = true;
    this.pollAgain = false;
    try {
      if (Date.now() - this.nodesReadMs >= NODES_POLL_MS) await this.refreshNodes();
      if (this.attempts.size === 0) return;
      // 1. One snapshot of every job (an unreachable controller: try again next tick).
      const snapshotMs = Date.now();
      const jobs = new Map((await this.cli.jobs()).map((j) => [j.jobId, j]));
      const nowMs = Date.now();
      for (const a of [...this.attempts.values()]) {
        if (a.stopping || a.trackedMs >= snapshotMs) continue;
        const j = jobs.get(a.slurmJobId);
        if (j === undefined) {
          if (++a.missing >= 2) this.end(a, this.vanished(a));
          continue;
        }
        a.missing = 0;
        if (PENDING.has(j.state)) continue;
        // 2. Running (a job may also finish between two polls: report running first).
        if (!a.running) {
          a.running = true;
          a.runningSinceMs = nowMs;
          a.lastHeartbeatEventMs = nowMs;
          this.emit({ type: 'running', jobId: a.jobId, attempt: a.attempt, handle: JSON.stringify({ slurmJobId: a.slurmJobId, logDir: a.logDir, ranks: a.ranks, heartbeatTimeoutSeconds: a.heartbeatTimeoutSeconds }) });
        }
        // Every rank recorded exit 0: report now, without waiting for Slurm to wind the job down
        // (its nodes free a moment later; a job placed there meanwhile waits in Slurm's queue).
        if (ACTIVE.has(j.state) && allRanksSucceeded(a.logDir, a.ranks)) {
          this.end(a, { type: 'exited', jobId: a.jobId, attempt: a.attempt, exitCode: 0, reason: `all ${a.ranks} ranks exited 0` });
          continue;
        }
        if (ACTIVE.has(j.state)) {
          // 3. Hung ranks: the heartbeat file untouched for too long since the job started.
          const hung = a.heartbeatTimeoutSeconds === undefined ? undefined : hungRank(a.logDir, a.ranks, a.heartbeatTimeoutSeconds, a.runningSinceMs, nowMs);
          if (hung !== undefined) {
            a.stopping = true;
            await this.cli.scancel([a.slurmJobId]);
            this.end(a, { type: 'failed', jobId: a.jobId, attempt: a.attempt, reason: `rank ${hung} heartbeat timeout (${a.heartbeatTimeoutSeconds}s without a touch of $GF_HEARTBEAT_FILE)` });
          } else if (nowMs - a.lastHeartbeatEventMs >= HEARTBEAT_EVENT_MS) {
            a.lastHeartbeatEventMs = nowMs;
            this.emit({ type: 'heartbeat', jobId: a.jobId, attempt: a.attempt });
          }
          continue;
        }
        // 4. Finished.
        this.end(a, await this.finalEvent(a, j));
      }
    } catch {
      // Slurm unreachable or a malformed answer: keep every attempt and retry on the next tick.
    } finally {
      this.polling = false;
      if (this.pollAgain) void this.poll(true);
    }
  }

  private end(a: Attempt, e: ExecutorEvent): void {
    const k = key(a.jobId, a.attempt);
    if (this.attempts.get(k) !== a) return;
    this.attempts.delete(k);
    this.unwatch(k);
    this.emit(e);
  }







  private async finalEvent(a: Attempt, j: SlurmJob): Promise<ExecutorEvent> {
    const base = { jobId: a.jobId, attempt: a.attempt };
    const end = slurmEnd(j.state);
    if (end === 'node-fault') return { type: 'failed', ...base, reason: `Slurm job ${j.jobId} ${j.state} (${j.stateReason})`, nodeLost: await this.lostNode(j) };
    if (end === 'preempted') return { type: 'failed', ...base, reason: `Slurm job ${j.jobId} PREEMPTED by Slurm (${j.stateReason})`, preempted: true };
    const bad = firstFailedRank(a.logDir, a.ranks);
    if (bad !== undefined) return { type: 'exited', ...base, exitCode: bad.code, reason: `rank ${bad.rank} exited with code ${bad.code}` };
    if (j.state === 'COMPLETED') return { type: 'exited', ...base, exitCode: 0, reason: `all ${a.ranks} ranks exited 0` };
    const code = j.exitSignal > 0 ? 128 + j.exitSignal : j.exitCode !== 0 ? j.exitCode : 1;
    return { type: 'exited', ...base, exitCode: code, reason: `Slurm job ${j.jobId} ${j.state} (${j.stateReason}); see ${join(a.logDir, `slurm-${j.jobId}.out`)}` };
  }

  /** The job's node that Slurm now reports down (or its first node). */
  private async lostNode(j: SlurmJob): Promise<string | undefined> {
    const names = expandHostlist(j.nodes);
    try {
      await this.refreshNodes();
      return names.find((n) => this.downNodes.has(n)) ?? names[0];
    } catch {
      return names[0];
    }
  }

  /** Slurm forgot the job (MinJobAge passed, controller state lost): trust the rank exit files. */
  private vanished(a: Attempt): ExecutorEvent {
    const base = { jobId: a.jobId, attempt: a.attempt };
    const bad = firstFailedRank(a.logDir, a.ranks);
    if (bad !== undefined) return { type: 'exited', ...base, exitCode: bad.code, reason: `rank ${bad.rank} exited with code ${bad.code}` };
    if (allRanksSucceeded(a.logDir, a.ranks)) return { type: 'exited', ...base, exitCode: 0, reason: `all ${a.ranks} ranks exited 0` };
    return { type: 'failed', ...base, reason: `Slurm job ${a.slurmJobId} is no longer known to slurmctld and left no exit record` };
  }
}

/** Creates an attempt's dirs, heartbeat files and sbatch script as the tenant's user, within 10 s. */
function prepareAs(who: RunAs, logDir: string, checkpointDir: string, ranks: number, scriptPath: string, script: string): Promise<void> {
  const sh = 'mkdir -p "$1" "$2" && cat > "$3" && i=0 && while [ "$i" -lt "$4" ]; do : > "$1/rank-$i.heartbeat"; i=$((i + 1)); done';
  return new Promise((resolve, reject) => {
    const child = execFile('/bin/sh', ['-c', sh, 'gf-prepare', logDir, checkpointDir, scriptPath, String(ranks)], { uid: who.uid, gid: who.gid, cwd: '/', env: { PATH: RANK_PATH }, timeout: 10_000, killSignal: 'SIGKILL' }, (err, _out, stderr) => {
      if (err) reject(new Error(`could not prepare ${logDir} as ${who.user}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
    child.stdin?.end(script);
  });
}
