/**
 * Dashboard login, after Jupyter's: at start the control plane prints a login URL carrying a
 * one-time code (also written to <data-dir>/dashboard-url, mode 0600). Opening it, or pasting
 * an API token into the login form, opens a session: an HttpOnly cookie naming a random
 * session id, held in memory only (a restart asks for a new login). The session keeps the API
 * token the dashboard calls the API with, so it sees exactly what that token may see.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  readonly token: string;
  readonly tenant: string;
  readonly admin: boolean;
  readonly expiresMs: number;
}

export const SESSION_COOKIE = 'gf_session';
const SESSION_TTL_MS = 12 * 3600_000;
const CODE_TTL_MS = 24 * 3600_000;

/** The one login code now valid: used once, then replaced; it expires after a day unused. */
export class LoginCodes {
  private code = '';
  private expiresMs = 0;
  private readonly used = new Set<string>();

  constructor(private readonly nowMs: () => number = () => Date.now(), private readonly ttlMs = CODE_TTL_MS) {
    this.renew();
  }

  /** Makes a new code (the old one stops working) and returns it. */
  renew(): string {
    if (this.code) this.used.add(this.code);
    this.code = randomBytes(24).toString('base64url');
    this.expiresMs = this.nowMs() + this.ttlMs;
    return this.code;
  }

  current(): string { return this.code; }

  /**
   * Accepts the current code once (a new one replaces it); otherwise says why not. An expired
   * code is replaced too (`renewed`): the caller writes the new one where the user finds it.
   */
  redeem(code: string): { ok: true } | { ok: false; reason: string; renewed?: true } {
    const a = Buffer.from(code);
    const b = Buffer.from(this.code);
    if (a.length === b.length && timingSafeEqual(a, b)) {
      if (this.nowMs() > this.expiresMs) {
        this.renew();
        return { ok: false, reason: `this login code has expired (a code lasts ${Math.round(this.ttlMs / 3600_000)} hours unused); open the new URL in <data-dir>/dashboard-url or sign in with a token`, renewed: true };
      }
      this.renew();
      return { ok: true };
    }
    if (this.used.has(code)) return { ok: false, reason: 'this login code was already used; open the new URL in <data-dir>/dashboard-url or sign in with a token' };
    return { ok: false, reason: 'unknown login code; open the URL in <data-dir>/dashboard-url or sign in with a token' };
  }
}

export class Sessions {
  private readonly byId = new Map<string, Session>();
  constructor(private readonly nowMs: () => number = () => Date.now()) {}

  open(s: Omit<Session, 'expiresMs'>): string {
    const id = randomBytes(24).toString('base64url');
    this.byId.set(id, { ...s, expiresMs: this.nowMs() + SESSION_TTL_MS });
    return id;
  }

  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const s = this.byId.get(id);
    if (s && s.expiresMs < this.nowMs()) { this.byId.delete(id); return undefined; }
    return s;
  }

  close(id: string | undefined): void { if (id !== undefined) this.byId.delete(id); }
}
