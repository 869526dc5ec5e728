/**
 * SQLite side of tokens' life cycle (expiry, revocation) and the audit log: additive to the
 * job tables of ./sqlite.ts (new columns on `tokens` when missing, a new `audit` table).
 */
import type Database from 'better-sqlite3';
import { toAuditRecord, toTokenInfo, type AuditRow, type TokenRow } from './admin-records.ts';
import type { AuditInput, AuditRecord, TokenInfo, TokenRecord } from './types.ts';

export class SqliteAdmin {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    const cols = new Set((db.prepare(`PRAGMA table_info(tokens)`).all() as { name: string }[]).map((c) => c.name));
    if (!cols.has('expires_seconds')) db.exec(`ALTER TABLE tokens ADD COLUMN expires_seconds REAL`);
    if (!cols.has('revoked_seconds')) db.exec(`ALTER TABLE tokens ADD COLUMN revoked_seconds REAL`);
    db.exec(`CREATE TABLE IF NOT EXISTS audit (
      id INTEGER PRIMARY KEY AUTOINCREMENT, seconds REAL NOT NULL, actor TEXT NOT NULL, token_id TEXT,
      action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL)`);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      add: p(`INSERT INTO tokens (hash, tenant, admin, created_seconds, expires_seconds) VALUES (?, ?, ?, ?, ?)`),
      find: p(`SELECT * FROM tokens WHERE hash = ?`),
      list: p(`SELECT * FROM tokens ORDER BY created_seconds DESC, hash`),
      revoke: p(`UPDATE tokens SET revoked_seconds = COALESCE(revoked_seconds, ?) WHERE substr(hash, 1, 16) = ?`),
      byId: p(`SELECT * FROM tokens WHERE substr(hash, 1, 16) = ?`),
      countAdmin: p(`SELECT COUNT(*) AS n FROM tokens WHERE admin = 1 AND revoked_seconds IS NULL`),
      addAudit: p(`INSERT INTO audit (seconds, actor, token_id, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`),
      listAudit: p(`SELECT * FROM audit WHERE seconds >= ? ORDER BY id DESC LIMIT ?`),
    };
  }

  addToken(hash: string, r: TokenRecord, nowSeconds: number): void {
    this.s.add.run(hash, r.tenant, r.admin ? 1 : 0, nowSeconds, r.expiresSeconds ?? null);
  }

  findToken(hash: string): TokenRecord | undefined {
    const r = this.s.find.get(hash) as TokenRow | undefined;
    if (!r) return undefined;
    const { id: _id, createdSeconds: _c, ...rec } = toTokenInfo(r);
    return rec;
  }

  countAdminTokens(): number { return (this.s.countAdmin.get() as { n: number }).n; }

  listTokens(): TokenInfo[] { return (this.s.list.all() as TokenRow[]).map(toTokenInfo); }

  revokeToken(id: string, nowSeconds: number): TokenInfo | undefined {
    this.s.revoke.run(nowSeconds, id);
    const r = this.s.byId.get(id) as TokenRow | undefined;
    return r ? toTokenInfo(r) : undefined;
  }

  addAudit(e: AuditInput): void {
    this.s.addAudit.run(e.seconds, e.actor, e.tokenId ?? null, e.action, e.target, e.detail);
  }

  listAudit(q: { limit?: number; sinceSeconds?: number }): AuditRecord[] {
    return (this.s.listAudit.all(q.sinceSeconds ?? 0, q.limit ?? 1000) as AuditRow[]).map(toAuditRecord);
  }
}
