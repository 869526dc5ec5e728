/**
 * A LOCAL STAND-IN for Oracle Cloud's Compute API, NOT Oracle Cloud: no cloud is reachable
 * from here, so the OCI provider is tested against this small HTTP server, which answers the
 * requests the official `oci-core` SDK really sends (LaunchInstance, GetInstance, ListInstances,
 * TerminateInstance under /20160918) and checks their request signatures (OCI's HTTP signature
 * scheme: rsa-sha256 over the signed headers, x-content-sha256 over the body) against the
 * public key it was given. Instances go PROVISIONING -> RUNNING after `provisionSeconds`;
 * TerminateInstance makes one TERMINATING, and the next read of it (GetInstance, ListInstances,
 * from the plane or a test) finds it TERMINATED, so a test cannot tell which of the two it will
 * see (`terminationAsked`). Beyond `capacity` a launch fails as OCI reports it (500 InternalError "Out of host capacity.").
 */
import { createHash, createPublicKey, createVerify, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinInstance {
  id: string;
  displayName: string;
  compartmentId: string;
  availabilityDomain: string;
  shape: string;
  lifecycleState: 'PROVISIONING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED';
  timeCreated: string;
  freeformTags: Record<string, string>;
  readyAtMs: number;
}

/** TerminateInstance was sent for it: TERMINATING, or TERMINATED once read again (the documented transition). */
export const terminationAsked = (i: Pick<StandinInstance, 'lifecycleState'>): boolean =>
  i.lifecycleState === 'TERMINATING' || i.lifecycleState === 'TERMINATED';

export interface OciStandinOptions {
  /** PEM public key whose private half signs the requests. */
  readonly publicKeyPem: string;
  /** Seconds from launch to RUNNING. */
  readonly provisionSeconds?: number;
  /** Instances (not terminated) the stand-in holds before launches fail with out of host capacity. */
  readonly capacity?: number;
  readonly nowMs?: () => number;
}

export interface OciStandin {
  readonly url: string;
  readonly instances: Map<string, StandinInstance>;
  /** Requests answered, by `METHOD path` (without the query), for tests. */
  readonly requests: string[];
  close(): Promise<void>;
}

const API = '/20160918/instances';

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'opc-request-id': randomUUID() });
  res.end(JSON.stringify({ code, message }));
}

/** Checks OCI's request signature; returns why it fails, or undefined when it holds. */
export function signatureProblem(req: IncomingMessage, body: string, key: KeyObject): string | undefined {
  const auth = req.headers.authorization;
  if (auth === undefined || !auth.startsWith('Signature ')) return 'no Signature authorization header';
  const params = Object.fromEntries([...auth.slice('Signature '.length).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  if (params['algorithm'] !== 'rsa-sha256' || params['headers'] === undefined || params['signature'] === undefined) return 'malformed Signature header';
  const names = params['headers'].split(' ');
  const hasBody = req.method === 'POST' || req.method === 'PUT';
  for (const required of ['(request-target)', 'host', hasBody ? 'x-content-sha256' : 'date']) {
    if (!names.some((n) => n.toLowerCase() === required) && !(required === 'date' && names.includes('x-date'))) return `header ${required} not signed`;
  }
  if (hasBody) {
    const digest = createHash('sha256').update(body).digest('base64');
    if (req.headers['x-content-sha256'] !== digest) return 'x-content-sha256 does not match the body';
  }
  const lines = names.map((n) => {
    const lower = n.toLowerCase();
    if (lower === '(request-target)') return `(request-target): ${req.method!.toLowerCase()} ${req.url}`;
    return `${lower}: ${String(req.headers[lower] ?? '')}`;
  });
  const ok = createVerify('RSA-SHA256').update(lines.join('\n')).verify(key, params['signature'], 'base64');
  return ok ? undefined : 'signature does not verify against the registered key';
}

export async function startOciStandin(o: OciStandinOptions): Promise<OciStandin> {
  const key = createPublicKey(o.publicKeyPem);
  const now = o.nowMs ?? (() => Date.now());
  const instances = new Map<string, StandinInstance>();
  const requests: string[] = [];
  const view = (i: StandinInstance): Omit<StandinInstance, 'readyAtMs'> => {
    if (i.lifecycleState === 'PROVISIONING' && now() >= i.readyAtMs) i.lifecycleState = 'RUNNING';
    if (i.lifecycleState === 'TERMINATING') i.lifecycleState = 'TERMINATED';
    const { readyAtMs: _ready, ...rest } = i;
    return rest;
  };
  const send = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'opc-request-id': randomUUID(), etag: randomUUID() });
    res.end(JSON.stringify(value));
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      requests.push(`${req.method} ${url.pathname}`);
      const problem = signatureProblem(req, body, key);
      if (problem !== undefined) { fail(res, 401, 'NotAuthenticated', `The required information to complete authentication was not provided or was incorrect: ${problem}`); return; }
      if (req.method === 'POST' && url.pathname === API) {
        let d: Record<string, unknown>;
        try { d = JSON.parse(body) as Record<string, unknown>; } catch { fail(res, 400, 'InvalidParameter', 'body is not JSON'); return; }
        for (const f of ['availabilityDomain', 'compartmentId', 'shape']) {
          if (typeof d[f] !== 'string' || d[f] === '') { fail(res, 400, 'InvalidParameter', `${f} is required`); return; }
        }
        const live = [...instances.values()].filter((i) => i.lifecycleState !== 'TERMINATED' && i.lifecycleState !== 'TERMINATING').length;
        if (o.capacity !== undefined && live >= o.capacity) { fail(res, 500, 'InternalError', 'Out of host capacity.'); return; }
        const inst: StandinInstance = {
          id: `ocid1.instance.oc1.standin.${randomUUID()}`, displayName: String(d['displayName'] ?? ''),
          compartmentId: d['compartmentId'] as string, availabilityDomain: d['availabilityDomain'] as string, shape: d['shape'] as string,
          lifecycleState: 'PROVISIONING', timeCreated: new Date(now()).toISOString(),
          freeformTags: (d['freeformTags'] as Record<string, string> | undefined) ?? {}, readyAtMs: now() + (o.provisionSeconds ?? 0) * 1000,
        };
        instances.set(inst.id, inst);
        send(res, 200, view(inst));
        return;
      }
      if (req.method === 'GET' && url.pathname === API) {
        const compartment = url.searchParams.get('compartmentId');
        if (compartment === null) { fail(res, 400, 'MissingParameter', 'compartmentId is required'); return; }
        const name = url.searchParams.get('displayName');
        send(res, 200, [...instances.values()].filter((i) => i.compartmentId === compartment && (name === null || i.displayName === name)).map(view));
        return;
      }
      const m = /^\/20160918\/instances\/([^/]+)$/.exec(url.pathname);
      const inst = m === null ? undefined : instances.get(decodeURIComponent(m[1]!));
      if (m !== null && inst === undefined) { fail(res, 404, 'NotAuthorizedOrNotFound', 'Authorization failed or requested resource not found.'); return; }
      if (inst !== undefined && req.method === 'GET') { send(res, 200, view(inst)); return; }
      if (inst !== undefined && req.method === 'DELETE') {
        if (inst.lifecycleState !== 'TERMINATED') inst.lifecycleState = 'TERMINATING';
        res.writeHead(204, { 'opc-request-id': randomUUID() });
        res.end();
        return;
      }
      fail(res, 404, 'NotFound', `the stand-in does not implement ${req.method} ${url.pathname}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, instances, requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
