/**
 * SQLite store (better-sqlite3, WAL). Each state change is one `db.transaction`. With
 * synchronous=FULL (default) a commit is fsynced before the call returns, so an accepted job
 * survives SIGKILL and power loss; 'normal' survives SIGKILL only (WAL), and is faster.
 */
import Database from 'better-sqlite3';
import { formatRanges } from '../../lib/ranges.ts';
import type { JobSpec } from '../job-spec.ts';
import {
  JobNotFoundError, JobStateError, jobTransition,
  type AttemptRecord, type EndAttemptInput, type EventRecord, type JobRecord, type JobState,
  type ListJobsQuery, type NodeAdminState, type NodeStateRecord, type Store, type SubmitInput, type TokenRecord,
  type AuditInput, type AuditRecord, type TokenInfo,
} from './types.ts';
import { SqliteDeploymentTable } from './deployment-sqlite.ts';
import { SqliteRentalTable } from './rental-sqlite.ts';
import { SqliteAdmin } from './sqlite-admin.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL, spec TEXT NOT NULL, state TEXT NOT NULL, priority INTEGER NOT NULL,
  submit_seconds REAL NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, restarts INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0, node_indices TEXT NOT NULL DEFAULT '[]', handle TEXT,
  start_seconds REAL, end_seconds REAL, exit_code INTEGER, reason TEXT, idem_key TEXT,
  UNIQUE (tenant, idem_key));
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, seq);
CREATE TABLE IF NOT EXISTS attempts (
  job_seq INTEGER NOT NULL, attempt INTEGER NOT NULL, start_seconds REAL NOT NULL, node_indices TEXT NOT NULL,
  handle TEXT, end_seconds REAL, outcome TEXT, reason TEXT, exit_code INTEGER, lost_seconds REAL,
  PRIMARY KEY (job_seq, attempt));
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job_seq INTEGER NOT NULL, seconds REAL NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_job ON events (job_seq, id);
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, admin INTEGER NOT NULL, created_seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS node_states (name TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT NOT NULL, since_seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS job_gpus (job_seq INTEGER PRIMARY KEY, attempt INTEGER NOT NULL, gpu_indices TEXT NOT NULL);
`;

interface JobRow {
  seq: number; tenant: string; spec: string; state: string; submit_seconds: number; attempt: number; restarts: number;
  cancel_requested: number; node_indices: string; handle: string | null; start_seconds: number | null;
  end_seconds: number | null; exit_code: number | null; reason: string | null;
}
interface AttemptRow {
  job_seq: number; attempt: number; start_seconds: number; node_indices: string; handle: string | null;
  end_seconds: number | null; outcome: string | null; reason: string | null; exit_code: number | null; lost_seconds: number | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Specs never change after submit: parse each once (bounded, so a million jobs do not pin memory). */
const SPEC_CACHE_MAX = 100_000;
const specCache = new Map<string, JobSpec>();
function specOf(text: string): JobSpec {
  let spec = specCache.get(text);
  if (spec === undefined) {
    if (specCache.size >= SPEC_CACHE_MAX) specCache.clear();
    spec = Object.freeze(JSON.parse(text) as JobSpec);
    specCache.set(text, spec);
  }
  return spec;
}

function toJob(r: JobRow): JobRecord {
  return {
    id: `job-${r.seq}`, tenant: r.tenant, spec: specOf(r.spec), state: r.state as JobState,
    submitSeconds: r.submit_seconds, attempt: r.attempt, restarts: r.restarts, cancelRequested: r.cancel_requested === 1,
    nodeIndices: JSON.parse(r.node_indices) as number[], handle: opt(r.handle), startSeconds: opt(r.start_seconds),
    endSeconds: opt(r.end_seconds), exitCode: opt(r.exit_code), reason: opt(r.reason),
  };
}

function toAttempt(r: AttemptRow): AttemptRecord {
  return {
    jobId: `job-${r.job_seq}`, attempt: r.attempt, startSeconds: r.start_seconds, nodeIndices: JSON.parse(r.node_indices) as number[],
    handle: opt(r.handle), endSeconds: opt(r.end_seconds), outcome: opt(r.outcome) as AttemptRecord['outcome'],
    reason: opt(r.reason), exitCode: opt(r.exit_code), lostSeconds: opt(r.lost_seconds),
  };
}

/** `job-12` -> 12; anything else -> undefined (so a bad id is simply "not found"). */
export function jobSeq(id: string): number | undefined {
  const m = /^job-([1-9][0-9]{0,14})$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** The sequence numbers of the well-formed ids (an unknown id simply has no attempts). */
export const jobSeqs = (ids: readonly string[]): number[] => ids.flatMap((id) => { const s = jobSeq(id); return s === undefined ? [] : [s]; });

/** Attempts keyed by job, every asked id present; rows arrive in (job, attempt) order. */
export function groupAttempts(ids: readonly string[], rows: readonly AttemptRecord[]): Map<string, AttemptRecord[]> {
  const byJob = new Map<string, AttemptRecord[]>(ids.map((id) => [id, []]));
  for (const a of rows) byJob.get(a.jobId)?.push(a);
  return byJob;
}

export interface SqliteStoreOptions {
  /** 'full': fsync per commit (default); 'normal': WAL without fsync per commit. */
  readonly synchronous?: 'full' | 'normal';
}

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  private readonly db: Database.Database;
  private readonly admin: SqliteAdmin;
  private readonly s;
  readonly deployments: SqliteDeploymentTable;
  readonly rentals: SqliteRentalTable;
  /**
   * Queued and running jobs, mirrored in memory in id order (a Map keeps insertion order, and a
   * job leaves only when terminal, never to return). The reconciler reads them every cycle;
   * 10,000 rows from SQLite per cycle would dominate it. This process must be the DB's only writer.
   */
  private readonly active = new Map<number, JobRecord>();
  private readonly pendingSubmits: { input: SubmitInput; resolve: (r: { job: JobRecord; created: boolean }) => void; reject: (e: unknown) => void }[] = [];

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.deployments = new SqliteDeploymentTable(this.db);
    this.rentals = new SqliteRentalTable(this.db);
    this.admin = new SqliteAdmin(this.db);
    const p = (sql: string) => this.db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO jobs (tenant, spec, state, priority, submit_seconds, idem_key) VALUES (?, ?, 'queued', ?, ?, ?)`),
      byIdem: p(`SELECT * FROM jobs WHERE tenant = ? AND idem_key = ?`),
      get: p(`SELECT * FROM jobs WHERE seq = ?`),
      start: p(`UPDATE jobs SET state = ?, attempt = ?, node_indices = ?, handle = NULL, start_seconds = ? WHERE seq = ?`),
      insAttempt: p(`INSERT INTO attempts (job_seq, attempt, start_seconds, node_indices) VALUES (?, ?, ?, ?)`),
      setHandleJob: p(`UPDATE jobs SET handle = ? WHERE seq = ? AND attempt = ? AND state = 'running'`),
      setHandleAttempt: p(`UPDATE attempts SET handle = ? WHERE job_seq = ? AND attempt = ?`),
      getAttempt: p(`SELECT * FROM attempts WHERE job_seq = ? AND attempt = ?`),
      endAttempt: p(`UPDATE attempts SET end_seconds = ?, outcome = ?, reason = ?, exit_code = ?, lost_seconds = ? WHERE job_seq = ? AND attempt = ?`),
      endJob: p(`UPDATE jobs SET state = ?, restarts = ?, node_indices = '[]', end_seconds = ?, exit_code = ?, reason = ? WHERE seq = ?`),
      cancel: p(`UPDATE jobs SET state = ?, cancel_requested = ?, end_seconds = ?, reason = COALESCE(?, reason) WHERE seq = ?`),
      attempts: p(`SELECT * FROM attempts WHERE job_seq = ? ORDER BY attempt`),
      attemptsOf: p(`SELECT * FROM attempts WHERE job_seq IN (SELECT value FROM json_each(?)) ORDER BY job_seq, attempt`),
      addEvent: p(`INSERT INTO events (job_seq, seconds, type, message) VALUES (?, ?, ?, ?)`),
      events: p(`SELECT * FROM (SELECT * FROM events WHERE job_seq = ? ORDER BY id DESC LIMIT ?) ORDER BY id`),
    };
    for (const r of this.db.prepare(`SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq`).all() as JobRow[]) this.active.set(r.seq, toJob(r));
  }

  private row(seq: number): JobRow | undefined {
    return this.s.get.get(seq) as JobRow | undefined;
  }

  private mustRow(id: string): JobRow {
    const seq = jobSeq(id);
    const r = seq === undefined ? undefined : this.row(seq);
    if (!r) throw new JobNotFoundError(id);
    return r;
  }

  /**
   * Group commit: submits that arrive in the same event-loop turn (concurrent HTTP requests)
   * share one transaction, so one fsync covers all of them. Each promise resolves only after
   * that commit; the batch is all or nothing.
   */
  submitJob(input: SubmitInput): Promise<{ job: JobRecord; created: boolean }> {
    return new Promise((resolve, reject) => {
      this.pendingSubmits.push({ input, resolve, reject });
      if (this.pendingSubmits.length === 1) setImmediate(() => this.flushSubmits());
    });
  }

  private flushSubmits(): void {
    const batch = this.pendingSubmits.splice(0);
    let results: { job: JobRecord; created: boolean }[];
    try {
      results = this.db.transaction(() => batch.map(({ input }) => this.insertJob(input))).immediate();
    } catch (e) {
      for (const b of batch) b.reject(e);
      return;
    }
    results.forEach((r, i) => {
      if (r.created) this.remember(r.job);
      batch[i]!.resolve(r);
    });
  }

  private insertJob(input: SubmitInput): { job: JobRecord; created: boolean } {
    if (input.idempotencyKey !== undefined) {
      const seen = this.s.byIdem.get(input.tenant, input.idempotencyKey) as JobRow | undefined;
      if (seen) return { job: toJob(seen), created: false };
    }
    const info = this.s.insert.run(input.tenant, JSON.stringify(input.spec), input.spec.priority, input.submitSeconds, input.idempotencyKey ?? null);
    const seq = Number(info.lastInsertRowid);
    this.s.addEvent.run(seq, input.submitSeconds, 'submitted', `by tenant ${input.tenant}`);
    return { job: toJob(this.row(seq)!), created: true };
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    const seq = jobSeq(id);
    const r = seq === undefined ? undefined : this.row(seq);
    return r ? toJob(r) : undefined;
  }

  async listJobs(q: ListJobsQuery): Promise<JobRecord[]> {
    if (q.states && q.states.length > 0 && q.states.every((st) => st === 'queued' || st === 'running')) return this.listActive(q);
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.tenant !== undefined) { where.push('tenant = ?'); args.push(q.tenant); }
    if (q.states && q.states.length > 0) { where.push(`state IN (${q.states.map(() => '?').join(',')})`); args.push(...q.states); }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${q.order === 'id' ? 'ASC' : 'DESC'}${q.limit !== undefined ? ' LIMIT ?' : ''}`;
    if (q.limit !== undefined) args.push(q.limit);
    return (this.db.prepare(sql).all(...args) as JobRow[]).map(toJob);
  }

  /** Active (queued, running) jobs from memory, in id order like the table. */
  private listActive(q: ListJobsQuery): JobRecord[] {
    const out: JobRecord[] = [];
    for (const j of this.active.values()) {
      if (q.states!.includes(j.state) && (q.tenant === undefined || j.tenant === q.tenant)) out.push(j);
    }
    if (q.order !== 'id') out.reverse();
    return q.limit !== undefined ? out.slice(0, q.limit) : out;
  }

  /** Mirrors a committed job into the active index (called only after its transaction commits). */
  private remember(j: JobRecord): JobRecord {
    const seq = jobSeq(j.id)!;
    if (j.state === 'queued' || j.state === 'running') this.active.set(seq, j);
    else this.active.delete(seq);
    return j;
  }

  async startAttempt(jobId: string, nodeIndices: readonly number[], nowSeconds: number): Promise<JobRecord> {
    return this.remember(this.db.transaction(() => {
      const r = this.mustRow(jobId);
      const t = jobTransition(toJob(r), { type: 'start' });
      if (t.kind !== 'changed') throw new JobStateError(jobId, r.state as JobState, 'start');
      const nodes = JSON.stringify(nodeIndices);
      this.s.start.run(t.state, t.attempt, nodes, nowSeconds, r.seq);
      this.s.insAttempt.run(r.seq, t.attempt, nowSeconds, nodes);
      this.s.addEvent.run(r.seq, nowSeconds, t.eventType, `${t.message} on nodes ${formatRanges(nodeIndices)}`);
      return toJob(this.row(r.seq)!);
    }).immediate());
  }

  async setHandle(jobId: string, attempt: number, handle: string): Promise<void> {
    const seq = jobSeq(jobId);
    if (seq === undefined) throw new JobNotFoundError(jobId);
    const row = this.db.transaction(() => {
      this.s.setHandleJob.run(handle, seq, attempt);
      this.s.setHandleAttempt.run(handle, seq, attempt);
      return this.row(seq);
    }).immediate();
    if (row) this.remember(toJob(row));
  }

  async endAttempt(jobId: string, attempt: number, input: EndAttemptInput): Promise<JobRecord> {
    return this.remember(this.db.transaction(() => {
      const r = this.mustRow(jobId);
      const a = this.s.getAttempt.get(r.seq, attempt) as AttemptRow | undefined;
      const t = jobTransition(toJob(r), { type: 'end', attempt, outcome: input.outcome, reason: input.reason });
      if (t.kind !== 'changed' || !a || a.outcome !== null) return toJob(r);
      this.s.endAttempt.run(input.nowSeconds, input.outcome, input.reason, input.exitCode ?? null, input.lostSeconds ?? null, r.seq, attempt);
      this.s.endJob.run(t.state, t.restarts, t.terminal ? input.nowSeconds : null, input.exitCode ?? null, input.reason, r.seq);
      this.s.addEvent.run(r.seq, input.nowSeconds, t.eventType, t.message);
      return toJob(this.row(r.seq)!);
    }).immediate());
  }

  async requestCancel(jobId: string, nowSeconds: number): Promise<JobRecord> {
    return this.remember(this.db.transaction(() => {
      const r = this.mustRow(jobId);
      const t = jobTransition(toJob(r), { type: 'cancel' });
      if (t.kind === 'changed') {
        this.s.cancel.run(t.state, t.cancelRequested ? 1 : 0, t.terminal ? nowSeconds : null, t.terminal ? t.message : null, r.seq);
        this.s.addEvent.run(r.seq, nowSeconds, t.eventType, t.message);
      }
      return toJob(this.row(r.seq)!);
    }).immediate());
  }

  async listAttempts(jobId: string): Promise<AttemptRecord[]> {
    const seq = jobSeq(jobId);
    return seq === undefined ? [] : (this.s.attempts.all(seq) as AttemptRow[]).map(toAttempt);
  }

  async listAttemptsOf(jobIds: readonly string[]): Promise<Map<string, AttemptRecord[]>> {
    const seqs = jobSeqs(jobIds);
    return groupAttempts(jobIds, seqs.length === 0 ? [] : (this.s.attemptsOf.all(JSON.stringify(seqs)) as AttemptRow[]).map(toAttempt));
  }

  async addEvent(e: EventRecord): Promise<void> {
    const seq = jobSeq(e.jobId);
    if (seq === undefined) throw new JobNotFoundError(e.jobId);
    this.s.addEvent.run(seq, e.seconds, e.type, e.message);
  }

  async listEvents(jobId: string, limit = 1000): Promise<EventRecord[]> {
    const seq = jobSeq(jobId);
    if (seq === undefined) return [];
    return (this.s.events.all(seq, limit) as { seconds: number; type: string; message: string }[])
      .map((r) => ({ jobId, seconds: r.seconds, type: r.type, message: r.message }));
  }

  // Tokens and the audit log: ./sqlite-admin.ts.
  async addToken(tokenHash: string, record: TokenRecord, nowSeconds: number): Promise<void> { this.admin.addToken(tokenHash, record, nowSeconds); }
  async findToken(tokenHash: string): Promise<TokenRecord | undefined> { return this.admin.findToken(tokenHash); }
  async countAdminTokens(): Promise<number> { return this.admin.countAdminTokens(); }
  async listTokens(): Promise<TokenInfo[]> { return this.admin.listTokens(); }
  async revokeToken(id: string, nowSeconds: number): Promise<TokenInfo | undefined> { return this.admin.revokeToken(id, nowSeconds); }
  async addAudit(entry: AuditInput): Promise<void> { this.admin.addAudit(entry); }
  async listAudit(query: { limit?: number; sinceSeconds?: number }): Promise<AuditRecord[]> { return this.admin.listAudit(query); }

  async listNodeStates(): Promise<NodeStateRecord[]> {
    return (this.db.prepare(`SELECT name, state, reason, since_seconds FROM node_states ORDER BY name`).all() as { name: string; state: NodeAdminState; reason: string; since_seconds: number }[])
      .map((r) => ({ name: r.name, state: r.state, reason: r.reason, sinceSeconds: r.since_seconds }));
  }

  async setNodeState(name: string, state: NodeAdminState | 'resume', reason: string, nowSeconds: number): Promise<void> {
    if (state === 'resume') this.db.prepare(`DELETE FROM node_states WHERE name = ?`).run(name);
    else this.db.prepare(`INSERT INTO node_states (name, state, reason, since_seconds) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state, reason = excluded.reason, since_seconds = excluded.since_seconds`).run(name, state, reason, nowSeconds);
  }

  async setJobGpus(jobId: string, attempt: number, gpuIndices: readonly (readonly number[])[]): Promise<void> {
    const seq = jobSeq(jobId);
    if (seq === undefined) throw new JobNotFoundError(jobId);
    this.db.prepare(`INSERT INTO job_gpus (job_seq, attempt, gpu_indices) VALUES (?, ?, ?) ON CONFLICT (job_seq) DO UPDATE SET attempt = excluded.attempt, gpu_indices = excluded.gpu_indices`).run(seq, attempt, JSON.stringify(gpuIndices));
  }

  async listRunningJobGpus(): Promise<Map<string, number[][]>> {
    const rows = this.db.prepare(`SELECT g.job_seq, g.gpu_indices FROM job_gpus g JOIN jobs j ON j.seq = g.job_seq AND j.attempt = g.attempt WHERE j.state = 'running'`).all() as { job_seq: number; gpu_indices: string }[];
    return new Map(rows.map((r) => [`job-${r.job_seq}`, JSON.parse(r.gpu_indices) as number[][]]));
  }

  async close(): Promise<void> {
    if (this.pendingSubmits.length > 0 && this.db.open) this.flushSubmits();
    if (this.db.open) this.db.close();
  }
}
