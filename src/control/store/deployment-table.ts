/**
 * Serve deployments, their release history and the release gates' results in the control plane's store (SQLite or
 * PostgreSQL, next to the jobs), so a control plane that restarts or fails over keeps them.
 * The store keeps documents; their shape belongs to src/serve/deployment.ts.
 */
export interface DeploymentRow {
  readonly name: string;
  readonly tenant: string;
  readonly doc: Record<string, unknown>;
  readonly createdSeconds: number;
  readonly updatedSeconds: number;
}

export interface ReleaseEventRow {
  readonly deployment: string;
  readonly seconds: number;
  /** What happened: promoted, canary-started, canary-passed, rolled-back, ... */
  readonly step: string;
  readonly doc: Record<string, unknown>;
}

/** One release-gate result of a model (src/serve/gate-book.ts owns `doc`'s shape). */
export interface GateResultRow {
  readonly model: string;
  /** Who recorded it ("" for results imported from an old data dir's files). */
  readonly tenant: string;
  readonly seconds: number;
  readonly passed: boolean;
  readonly checkpoint: string;
  readonly doc: Record<string, unknown>;
}

export interface DeploymentTable {
  /** Creates or replaces the deployment `name` (one transaction). */
  put(name: string, tenant: string, doc: Record<string, unknown>, nowSeconds: number): Promise<DeploymentRow>;
  get(name: string): Promise<DeploymentRow | undefined>;
  list(): Promise<DeploymentRow[]>;
  /** Deletes the deployment (its release history stays); false when there was none. */
  remove(name: string): Promise<boolean>;
  addReleaseEvent(event: ReleaseEventRow): Promise<void>;
  /** Oldest first, the last `limit`. */
  releaseEvents(deployment: string, limit?: number): Promise<ReleaseEventRow[]>;
  addGateResult(result: GateResultRow): Promise<void>;
  /** The model's gate results, oldest first, the last `limit`. */
  gateResults(model: string, limit?: number): Promise<GateResultRow[]>;
}
