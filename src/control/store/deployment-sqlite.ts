/** DeploymentTable on the SQLite store's database (./deployment-table.ts). */
import type Database from 'better-sqlite3';
import type { DeploymentRow, DeploymentTable, GateResultRow, ReleaseEventRow } from './deployment-table.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deployments (name TEXT PRIMARY KEY, tenant TEXT NOT NULL, doc TEXT NOT NULL, created_seconds REAL NOT NULL, updated_seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS release_events (id INTEGER PRIMARY KEY AUTOINCREMENT, deployment TEXT NOT NULL, seconds REAL NOT NULL, step TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS release_events_deployment ON release_events (deployment, id);
CREATE TABLE IF NOT EXISTS gate_results (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, tenant TEXT NOT NULL, seconds REAL NOT NULL, passed INTEGER NOT NULL, checkpoint TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS gate_results_model ON gate_results (model, id);
`;

interface Row { name: string; tenant: string; doc: string; created_seconds: number; updated_seconds: number }
const toRow = (r: Row): DeploymentRow => ({ name: r.name, tenant: r.tenant, doc: JSON.parse(r.doc) as Record<string, unknown>, createdSeconds: r.created_seconds, updatedSeconds: r.updated_seconds });

export class SqliteDeploymentTable implements DeploymentTable {
  private readonly s;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      put: p(`INSERT INTO deployments (name, tenant, doc, created_seconds, updated_seconds) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (name) DO UPDATE SET tenant = excluded.tenant, doc = excluded.doc, updated_seconds = excluded.updated_seconds`),
      get: p(`SELECT * FROM deployments WHERE name = ?`),
      list: p(`SELECT * FROM deployments ORDER BY name`),
      remove: p(`DELETE FROM deployments WHERE name = ?`),
      addEvent: p(`INSERT INTO release_events (deployment, seconds, step, doc) VALUES (?, ?, ?, ?)`),
      events: p(`SELECT * FROM (SELECT * FROM release_events WHERE deployment = ? ORDER BY id DESC LIMIT ?) ORDER BY id`),
      addGate: p(`INSERT INTO gate_results (model, tenant, seconds, passed, checkpoint, doc) VALUES (?, ?, ?, ?, ?, ?)`),
      gates: p(`SELECT * FROM (SELECT * FROM gate_results WHERE model = ? ORDER BY id DESC LIMIT ?) ORDER BY id`),
    };
  }

  async put(name: string, tenant: string, doc: Record<string, unknown>, nowSeconds: number): Promise<DeploymentRow> {
    this.s.put.run(name, tenant, JSON.stringify(doc), nowSeconds, nowSeconds);
    return toRow(this.s.get.get(name) as Row);
  }

  async get(name: string): Promise<DeploymentRow | undefined> {
    const r = this.s.get.get(name) as Row | undefined;
    return r ? toRow(r) : undefined;
  }

  async list(): Promise<DeploymentRow[]> {
    return (this.s.list.all() as Row[]).map(toRow);
  }

  async remove(name: string): Promise<boolean> {
    return this.s.remove.run(name).changes > 0;
  }

  async addReleaseEvent(e: ReleaseEventRow): Promise<void> {
    this.s.addEvent.run(e.deployment, e.seconds, e.step, JSON.stringify(e.doc));
  }

  async releaseEvents(deployment: string, limit = 1000): Promise<ReleaseEventRow[]> {
    return (this.s.events.all(deployment, limit) as { deployment: string; seconds: number; step: string; doc: string }[])
      .map((r) => ({ deployment: r.deployment, seconds: r.seconds, step: r.step, doc: JSON.parse(r.doc) as Record<string, unknown> }));
  }

  async addGateResult(g: GateResultRow): Promise<void> {
    this.s.addGate.run(g.model, g.tenant, g.seconds, g.passed ? 1 : 0, g.checkpoint, JSON.stringify(g.doc));
  }

  async gateResults(model: string, limit = 10_000): Promise<GateResultRow[]> {
    return (this.s.gates.all(model, limit) as { model: string; tenant: string; seconds: number; passed: number; checkpoint: string; doc: string }[])
      .map((r) => ({ model: r.model, tenant: r.tenant, seconds: r.seconds, passed: r.passed === 1, checkpoint: r.checkpoint, doc: JSON.parse(r.doc) as Record<string, unknown> }));
  }
}
