/**
 * The CLI's HTTP client for the control plane. Finds the server from GIGAFACTORY_URL and
 * GIGAFACTORY_TOKEN, else from the data dir (`server.json` written by `up`, `admin-token`).
 * Server-side errors come back as the same user errors the CLI prints (exit 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImpossibleError, InputError, type InputIssue } from '../lib/errors.ts';
import { adminTokenPath, serverInfoPath } from './server.ts';

export const DEFAULT_DATA_DIR = '.gigafactory';

/** --data-dir, else $GIGAFACTORY_DATA_DIR, else ./.gigafactory. */
export function resolveDataDir(flag?: string): string {
  return resolve(flag ?? process.env.GIGAFACTORY_DATA_DIR ?? DEFAULT_DATA_DIR);
}

export interface Connection { readonly url: string; readonly token: string }

export function findServer(dataDirFlag?: string): Connection {
  const dataDir = resolveDataDir(dataDirFlag);
  let url = process.env.GIGAFACTORY_URL;
  let token = process.env.GIGAFACTORY_TOKEN;
  if (url === undefined) {
    const info = serverInfoPath(dataDir);
    if (!existsSync(info)) throw new ImpossibleError(`no control plane found: GIGAFACTORY_URL is not set and ${info} does not exist`, 'start one with `gigafactory up` (or set GIGAFACTORY_URL and GIGAFACTORY_TOKEN)');
    url = (JSON.parse(readFileSync(info, 'utf8')) as { url: string }).url;
  }
  if (token === undefined) {
    const f = adminTokenPath(dataDir);
    if (!existsSync(f)) throw new ImpossibleError(`no token: GIGAFACTORY_TOKEN is not set and ${f} does not exist`, 'set GIGAFACTORY_TOKEN to a token from `gigafactory token create --tenant NAME`');
    token = readFileSync(f, 'utf8').trim();
  }
  return { url: url.replace(/\/+$/, ''), token };
}

interface ErrorBody { error?: { message?: string; issues?: InputIssue[] } }

export class ControlClient {
  constructor(readonly conn: Connection) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.conn.url + path, {
        method, headers: { authorization: `Bearer ${this.conn.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      throw new ImpossibleError(`cannot reach the control plane at ${this.conn.url} (${(e as Error).message})`, 'is `gigafactory up` running? (a stale server.json is left only if it was killed)');
    }
    const data = await res.json().catch(() => ({})) as T & ErrorBody;
    if (res.ok) return data;
    const err = data.error;
    if (res.status === 400 && err?.issues && err.issues.length > 0) throw new InputError(err.issues);
    throw new ImpossibleError(`${res.status}: ${err?.message ?? res.statusText}`, res.status === 401 ? 'check GIGAFACTORY_TOKEN or <data-dir>/admin-token' : 'see `gigafactory --help`');
  }
}
