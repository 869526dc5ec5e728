import type { ClientResponse } from './fast-front.ts';

/** OpenAI-style error types (the `error.type` field clients switch on). */
export type OpenAiErrorType = 'invalid_request_error' | 'not_found_error' | 'rate_limit_error' | 'service_unavailable' | 'upstream_error' | 'server_error';

/** An expected failure with its HTTP status, rendered as `{ error: { message, type, param, code } }`. */
export class GatewayError extends Error {
  readonly status: number;
  readonly type: OpenAiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Readonly<Record<string, string>>;
  /** The model a rejected chat request named, when its body got that far (a metrics label if served). */
  requestModel: string | undefined;
  constructor(status: number, type: OpenAiErrorType, message: string, opts: { param?: string; code?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'GatewayError';
    this.status = status;
    this.type = type;
    this.param = opts.param ?? null;
    this.code = opts.code ?? null;
    this.headers = opts.headers ?? {};
    this.requestModel = undefined;
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param?: string): GatewayError =>
  new GatewayError(400, 'invalid_request_error', message, { ...(param ? { param } : {}), code: 'invalid_request' });

/** Writes an error response unless headers are already out (then the socket is just ended). */
export function sendError(res: ClientResponse, err: GatewayError): void {
  if (res.headersSent || res.destroyed) { if (!res.writableEnded) res.end(); return; }
  const body = JSON.stringify(err.body());
  res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...err.headers });
  res.end(body);
}
