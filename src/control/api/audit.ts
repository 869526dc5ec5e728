/**
 * The audit log of admin actions: who (tenant + token id), what, on what, when. Written by the
 * routes that change others' state: tokens created or revoked, node state changes, cancels of
 * another tenant's job. Read by admins: GET /v1/audit, `gigafactory audit`.
 */
import type { Store } from '../store/types.ts';

export type AuditAction = 'token.create' | 'token.revoke' | 'node.state' | 'job.cancel';

export interface Actor {
  readonly tenant: string;
  readonly tokenId?: string;
}

/** Records one admin action (call it after the action succeeded). */
export async function recordAudit(store: Store, actor: Actor, action: AuditAction, target: string, detail: string, nowSeconds = Date.now() / 1000): Promise<void> {
  await store.addAudit({ seconds: nowSeconds, actor: actor.tenant, ...(actor.tokenId !== undefined ? { tokenId: actor.tokenId } : {}), action, target, detail });
}
