import http from 'node:http';
import type { Replica } from './pool.ts';

/** GETs `path` on each replica; 2xx puts it in rotation, anything else takes it out with the reason. */
export async function checkReplicas(replicas: readonly Replica[], path: string, timeoutMs: number, agent: http.Agent): Promise<void> {
  await Promise.all(replicas.map((r) => new Promise<void>((done) => {
    const req = http.get(`${r.url}${path}`, { agent, timeout: timeoutMs }, (res) => {
      res.resume();
      const ok = (res.statusCode ?? 500) < 300;
      r.healthy = ok;
      r.reason = ok ? '' : `health check ${path}: HTTP ${res.statusCode}`;
      res.on('end', () => done());
      res.on('error', () => done());
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => { r.healthy = false; r.reason = `health check ${path}: ${e.message}`; done(); });
  })));
}
