/**
 * Tokens' life cycle and the audit log, shared by both stores: how a token's id is derived,
 * and how a row becomes a record. The tables are created additively next to the job tables
 * (./sqlite-admin.ts, ./pg-admin.ts).
 */
import type { AuditRecord, TokenInfo } from './types.ts';

/** A token's public id: the first 16 hex digits of its SHA-256 (the token itself is never stored). */
export const tokenIdOf = (hash: string): string => hash.slice(0, 16);
export const TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;

export interface TokenRow {
  hash: string; tenant: string; admin: number | boolean; created_seconds: number;
  expires_seconds: number | null; revoked_seconds: number | null;
}
export interface AuditRow {
  id: number | string; seconds: number; actor: string; token_id: string | null; action: string; target: string; detail: string;
}

export function toTokenInfo(r: TokenRow): TokenInfo {
  return {
    id: tokenIdOf(r.hash), tenant: r.tenant, admin: r.admin === true || r.admin === 1, createdSeconds: r.created_seconds,
    ...(r.expires_seconds !== null ? { expiresSeconds: r.expires_seconds } : {}),
    ...(r.revoked_seconds !== null ? { revokedSeconds: r.revoked_seconds } : {}),
  };
}

export function toAuditRecord(r: AuditRow): AuditRecord {
  return { id: Number(r.id), seconds: r.seconds, actor: r.actor, ...(r.token_id !== null ? { tokenId: r.token_id } : {}), action: r.action, target: r.target, detail: r.detail };
}
