// Gateway overhead on loopback: a fast FAKE upstream called directly vs through the gateway,
// streaming (SSE, 8 chunks) and not. The upstream and the gateway each run in their own
// process (as deployed); this process is the closed-loop client with keep-alive. Bounded in
// count and time. Prints one JSON object: added latency p50/p99 (ms) and requests/s.
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REQUESTS = Number(process.env.GATEWAY_BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = 32;
/** Added latency is measured one request at a time (no queueing); throughput with CONCURRENCY clients. */
const LATENCY_REQUESTS = Math.min(REQUESTS, 3000);
const TIME_LIMIT_MS = 20_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function once(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function load(port: number, stream: boolean, count: number, concurrency = CONCURRENCY): Promise<{ p50: number; p99: number; rps: number; n: number }> {
  const body = JSON.stringify({ model: 'tiny-chat', stream, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 8 });
  const latencies: number[] = [];
  const start = Date.now();
  let issued = 0;
  const worker = async () => {
    while (issued < count && Date.now() - start < TIME_LIMIT_MS) { issued++; latencies.push(await once(port, body)); }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { p50: q(0.5), p99: q(0.99), rps: latencies.length / seconds, n: latencies.length };
}

const children: ChildProcess[] = [];
/** Runs `code` (an ES module using src/serve) in a child process; resolves with the port it prints. */
function child(code: string): Promise<number> {
  const src = fileURLToPath(new URL('../src/serve/', import.meta.url));
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code.replaceAll('SRC/', src)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(p);
  return new Promise((resolve, reject) => {
    p.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    p.once('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
}
const killAll = () => { for (const c of children) c.kill('SIGTERM'); };
process.on('exit', killAll);
const hardStop = setTimeout(() => { killAll(); process.exit(1); }, 5 * 60_000);

const fakePort = await child(`import { startFakeUpstream } from 'SRC/fake-upstream.ts'; const f = await startFakeUpstream({ words: 8 }); console.log(f.port);`);
const gwPort = await child(`import { Gateway } from 'SRC/gateway.ts'; const g = new Gateway({ replicas: [{ url: 'http://127.0.0.1:${fakePort}', model: 'tiny-chat' }], healthCheckIntervalMs: 0 }); console.log(await g.listen(0));`);
const fake = { port: fakePort };
const out: Record<string, unknown> = { requestsPerCase: REQUESTS, concurrency: CONCURRENCY, upstream: 'fake (instant, 8 chunks)' };
for (const stream of [true, false]) {
  await load(fake.port, stream, 2000); // warm-up
  await load(gwPort, stream, 2000);
  const direct1 = await load(fake.port, stream, LATENCY_REQUESTS, 1);
  const via1 = await load(gwPort, stream, LATENCY_REQUESTS, 1);
  const direct = await load(fake.port, stream, REQUESTS);
  const via = await load(gwPort, stream, REQUESTS);
  const key = stream ? 'streaming' : 'nonStreaming';
  out[key] = {
    latencyOneAtATime: {
      directP50Ms: direct1.p50, directP99Ms: direct1.p99, gatewayP50Ms: via1.p50, gatewayP99Ms: via1.p99,
      addedP50Ms: via1.p50 - direct1.p50, addedP99Ms: via1.p99 - direct1.p99, n: via1.n,
    },
    throughput: {
      directRequestsPerSecond: Math.round(direct.rps), gatewayRequestsPerSecond: Math.round(via.rps),
      gatewayP50Ms: via.p50, gatewayP99Ms: via.p99, n: via.n,
    },
  };
}
agent.destroy();
clearTimeout(hardStop);
killAll();
process.stdout.write(JSON.stringify(out) + '\n');
