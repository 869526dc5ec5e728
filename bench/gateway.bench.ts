// Gateway overhead on loopback: a fast FAKE upstream called directly vs through the gateway,
// streaming (SSE, 8 chunks) and not. The upstream and the gateway each run in their own
// process (as deployed); this process is the closed-loop client with keep-alive. Bounded in
// count and time. Prints one JSON object: added latency p50/p99 (ms), requests/s, and CPU time
// (user + system) per request of each process over the throughput runs: the gateway's own
// figure is the product's cost and moves far less with other load on the machine than requests/s.
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

async function load(port: number, stream: boolean, count: number, concurrency = CONCURRENCY): Promise<Load> {
  const body = JSON.stringify({ model: 'tiny-chat', stream, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 8 });
  const latencies: number[] = [];
  const cpu0 = await cpuNow();
  const start = Date.now();
  let issued = 0;
  const worker = async () => {
    while (issued < count && Date.now() - start < TIME_LIMIT_MS) { issued++; latencies.push(await once(port, body)); }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - start) / 1000;
  const cpu1 = await cpuNow();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  const perRequest = (party: keyof Cpu) => Math.round((cpu1[party] - cpu0[party]) / latencies.length);
  return {
    p50: q(0.5), p99: q(0.99), rps: latencies.length / seconds, n: latencies.length,
    cpuMicrosPerRequest: { gateway: perRequest('gateway'), upstream: perRequest('upstream'), loadgen: perRequest('loadgen') },
  };
}

interface Load { p50: number; p99: number; rps: number; n: number; cpuMicrosPerRequest: Cpu }
/** CPU time (user + system) used so far, microseconds, by each of the three processes. */
interface Cpu { gateway: number; upstream: number; loadgen: number }

const children: ChildProcess[] = [];
// Each child answers an IPC message with its process.cpuUsage(); with GATEWAY_BENCH_CPU_PROF=DIR
// it runs under node --cpu-prof and writes its profiles to DIR/NAME on SIGTERM (one per thread:
// the largest is the main thread; tsx's loader thread writes a small one).
const profDir = process.env.GATEWAY_BENCH_CPU_PROF;
const CHILD_PRELUDE = `process.on('message', () => { const u = process.cpuUsage(); process.send({ cpu: u.user + u.system }); }); process.on('SIGTERM', () => process.exit(0));`;
/** Runs `code` (an ES module using src/serve) in a child process; resolves with the port it prints. */
function child(name: string, code: string): Promise<{ port: number; proc: ChildProcess }> {
  const src = fileURLToPath(new URL('../src/serve/', import.meta.url));
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}/${name}`] : [];
  const p = spawn(process.execPath, [...prof, '--import', 'tsx', '--input-type=module', '-e', CHILD_PRELUDE + code.replaceAll('SRC/', src)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  children.push(p);
  return new Promise((resolve, reject) => {
    p.stdout!.once('data', (d: Buffer) => resolve({ port: Number(d.toString().trim()), proc: p }));
    p.once('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
}
function cpuOf(p: ChildProcess): Promise<number> {
  return new Promise((resolve) => { p.once('message', (m: { cpu: number }) => resolve(m.cpu)); p.send('cpu'); });
}
async function cpuNow(): Promise<Cpu> {
  const [gateway, upstream] = await Promise.all([cpuOf(gw.proc), cpuOf(up.proc)]);
  const self = process.cpuUsage();
  return { gateway, upstream, loadgen: self.user + self.system };
}
const killAll = () => { for (const c of children) c.kill('SIGTERM'); };
process.on('exit', killAll);
const hardStop = setTimeout(() => { killAll(); process.exit(1); }, 5 * 60_000);

const up = await child('upstream', `import { startFakeUpstream } from 'SRC/fake-upstream.ts'; const f = await startFakeUpstream({ words: 8 }); console.log(f.port);`);
const fakePort = up.port;
const gw = await child('gateway', `import { Gateway } from 'SRC/gateway.ts'; const g = new Gateway({ replicas: [{ url: 'http://127.0.0.1:${fakePort}', model: 'tiny-chat' }], healthCheckIntervalMs: 0 }); console.log(await g.listen(0));`);
const gwPort = gw.port;
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
    // CPU time per request of each process over the throughput runs: steadier than requests/s
    // when other work shares the cores. directly: the gateway idles; through: all three work.
    cpuMicrosPerRequest: { direct: direct.cpuMicrosPerRequest, throughGateway: via.cpuMicrosPerRequest },
  };
}
agent.destroy();
clearTimeout(hardStop);
await Promise.all(children.map((c) => new Promise((ok) => { c.once('exit', ok); c.kill('SIGTERM'); })));
process.stdout.write(JSON.stringify(out) + '\n');
