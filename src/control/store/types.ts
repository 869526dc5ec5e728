/**
 * The control plane's store: jobs, attempts, events and tokens. Every method that changes
 * state is one transaction, so a crash (SIGKILL) at any moment leaves either the old or the
 * new state, never half of one. SQLite today (./sqlite.ts); PostgreSQL later behind this same
 * interface, checked by the same suite (./contract.ts `runStoreContract`). Methods are async
 * so a networked store fits.
 */
import { transition, type AttemptOutcome, type JobState, type LifecycleEvent, type Transition } from '../../sched/lifecycle/index.ts';
import type { JobSpec } from '../job-spec.ts';
import type { DeploymentTable } from './deployment-table.ts';
import type { RentalTable } from './rental-table.ts';

export { JOB_STATES, TERMINAL_STATES, type AttemptOutcome, type JobState } from '../../sched/lifecycle/index.ts';

export interface JobRecord {
  /** `job-N`, N from a store sequence (never reused). */
  readonly id: string;
  readonly tenant: string;
  readonly spec: JobSpec;
  readonly state: JobState;
  readonly submitSeconds: number;
  /** Attempts started so far (the current one when running). */
  readonly attempt: number;
  /** Attempts counted against spec.max_restarts: the job's own failures only (lifecycle/restarts.ts). */
  readonly restarts: number;
  readonly cancelRequested: boolean;
  /** Nodes held by the current attempt (empty unless running). */
  readonly nodeIndices: readonly number[];
  /** Executor handle of the current attempt (pids, Slurm job id), for re-adoption. */
  readonly handle?: string;
  readonly startSeconds?: number;
  readonly endSeconds?: number;
  readonly exitCode?: number;
  /** Why the job is in its state (last failure, cancel, ...). */
  readonly reason?: string;
}

export interface AttemptRecord {
  readonly jobId: string;
  readonly attempt: number;
  readonly startSeconds: number;
  readonly nodeIndices: readonly number[];
  readonly handle?: string;
  readonly endSeconds?: number;
  readonly outcome?: AttemptOutcome;
  readonly reason?: string;
  readonly exitCode?: number;
  /** Work lost: seconds since the last checkpoint (or the attempt's start) when it ended. */
  readonly lostSeconds?: number;
}

export interface EventRecord {
  readonly jobId: string;
  readonly seconds: number;
  readonly type: string;
  readonly message: string;
}

export interface TokenRecord {
  readonly tenant: string;
  readonly admin: boolean;
  /** After this time the token is refused (absent: never expires). */
  readonly expiresSeconds?: number;
  /** Set once the token is revoked; it is refused from then on. */
  readonly revokedSeconds?: number;
}

/** A token as an admin lists it: its id (a prefix of its hash), never the token itself. */
export interface TokenInfo extends TokenRecord {
  readonly id: string;
  readonly createdSeconds: number;
}

/** One admin action, as the audit log keeps it. */
export interface AuditInput {
  readonly seconds: number;
  /** Who: the tenant of the token used, and the token's id. */
  readonly actor: string;
  readonly tokenId?: string;
  /** What: token.create, token.revoke, node.state, job.cancel (another tenant's), ... */
  readonly action: string;
  /** On what: a token id, a node name, a job id. */
  readonly target: string;
  readonly detail: string;
}
export interface AuditRecord extends AuditInput {
  readonly id: number;
}

export interface SubmitInput {
  readonly tenant: string;
  readonly spec: JobSpec;
  readonly submitSeconds: number;
  /** Client-chosen key: a retried submit with the same (tenant, key) returns the first job. */
  readonly idempotencyKey?: string;
}

export interface EndAttemptInput {
  readonly outcome: AttemptOutcome;
  readonly reason: string;
  readonly nowSeconds: number;
  readonly exitCode?: number;
  readonly lostSeconds?: number;
}

export interface ListJobsQuery {
  /** Only this tenant's jobs (absent: all, for admins and the reconciler). */
  readonly tenant?: string;
  readonly states?: readonly JobState[];
  /** Newest first when listing for people; the reconciler asks `order: 'id'`. */
  readonly order?: 'newest' | 'id';
  readonly limit?: number;
}

/** An operator's node state (`gigafactory node drain|down`, as `scontrol update state=`); a node with none is in service. */
export type NodeAdminState = 'drain' | 'down';

export interface NodeStateRecord {
  readonly name: string;
  readonly state: NodeAdminState;
  readonly reason: string;
  readonly sinceSeconds: number;
}

export interface Store {
  readonly name: string;
  /** Submits a job as `queued`; `created` is false when the idempotency key was seen. */
  submitJob(input: SubmitInput): Promise<{ job: JobRecord; created: boolean }>;
  getJob(id: string): Promise<JobRecord | undefined>;
  listJobs(query: ListJobsQuery): Promise<JobRecord[]>;
  /** queued -> running: opens attempt `attempt+1` on these nodes. Throws if not queued. */
  startAttempt(jobId: string, nodeIndices: readonly number[], nowSeconds: number): Promise<JobRecord>;
  /** Records the executor handle of the current attempt. No-op for a stale attempt. */
  setHandle(jobId: string, attempt: number, handle: string): Promise<void>;
  /**
   * Closes the current attempt and moves the job on: succeeded; cancelled; failed once
   * restarts would exceed max_restarts; else queued again (restart from checkpoint).
   * Idempotent: a stale or already-closed attempt returns the job unchanged.
   */
  endAttempt(jobId: string, attempt: number, input: EndAttemptInput): Promise<JobRecord>;
  /** queued -> cancelled at once; running -> cancelRequested (the reconciler stops it). */
  requestCancel(jobId: string, nowSeconds: number): Promise<JobRecord>;
  listAttempts(jobId: string): Promise<AttemptRecord[]>;
  /** The attempts of many jobs in one query (usage, ETTR): every asked id is a key, in attempt order. */
  listAttemptsOf(jobIds: readonly string[]): Promise<Map<string, AttemptRecord[]>>;
  addEvent(event: EventRecord): Promise<void>;
  listEvents(jobId: string, limit?: number): Promise<EventRecord[]>;
  /** Stores a token by its hash (never the token itself). */
  addToken(tokenHash: string, record: TokenRecord, nowSeconds: number): Promise<void>;
  findToken(tokenHash: string): Promise<TokenRecord | undefined>;
  countAdminTokens(): Promise<number>;
  /** Serve deployments and their release history (./deployment-table.ts). */
  readonly deployments: DeploymentTable;
  /** Rented instances (the OCI OCID, launch time and price of each rented node; ./rental-table.ts). */
  readonly rentals: RentalTable;
  /** Operator node states (nodes in service are absent). */
  listNodeStates(): Promise<NodeStateRecord[]>;
  /** Sets a node's state (drain, down) or clears it (resume). */
  setNodeState(name: string, state: NodeAdminState | 'resume', reason: string, nowSeconds: number): Promise<void>;
  /** The GPUs an attempt holds on each of its nodes (nodes shared by jobs), kept across restarts. */
  setJobGpus(jobId: string, attempt: number, gpuIndices: readonly (readonly number[])[]): Promise<void>;
  /** GPU holdings of running jobs' current attempts, by job id. */
  listRunningJobGpus(): Promise<Map<string, number[][]>>;
  /** Every token, newest first (ids, tenants, times; never the token). */
  listTokens(): Promise<TokenInfo[]>;
  /** Revokes the token with this id; undefined if none. Revoking twice keeps the first time. */
  revokeToken(id: string, nowSeconds: number): Promise<TokenInfo | undefined>;
  /** Appends to the audit log of admin actions. */
  addAudit(entry: AuditInput): Promise<void>;
  /** The audit log, newest first. */
  listAudit(query: { readonly limit?: number; readonly sinceSeconds?: number }): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/** A job id the store does not hold (or the caller may not see). */
export class JobNotFoundError extends Error {
  readonly jobId: string;
  constructor(jobId: string) {
    super(`no job "${jobId}"; list jobs with \`gigafactory jobs\``);
    this.name = 'JobNotFoundError';
    this.jobId = jobId;
  }
}

/** A state change that the job's current state does not allow (start a finished job). */
export class JobStateError extends Error {
  constructor(readonly jobId: string, readonly state: JobState, action: string) {
    super(`job ${jobId} is ${state}; cannot ${action}`);
    this.name = 'JobStateError';
  }
}

/** The lifecycle's state machine applied to a stored job: every Store runs this, so they agree. */
export function jobTransition(job: Pick<JobRecord, 'state' | 'attempt' | 'restarts' | 'cancelRequested' | 'spec'>, e: LifecycleEvent): Transition {
  return transition({ state: job.state, attempt: job.attempt, restarts: job.restarts, maxRestarts: job.spec.max_restarts, cancelRequested: job.cancelRequested }, e);
}
