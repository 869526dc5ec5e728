// Bounds on how long a client may take to send a request (headers and body), for node:http
// servers: a slow or stalled upload (a Content-Length larger than what is sent) gets 408 and
// its connection closed instead of holding a socket forever.

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Options for http.createServer (plain data: this layer does no I/O). */
export function uploadTimeouts(requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, 20_000),
    // Node checks the timeouts on this period (30 s by default, longer than a short timeout).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 4))),
  };
}
