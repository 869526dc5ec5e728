// Load generator for bench/control.bench.ts, in its own process so the server's event loop is
// the server's alone: `CLIENTS` concurrent clients POST `JOBS` job specs; prints { seconds }.
const [url, token, jobsArg, clientsArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const body = JSON.stringify({ name: 'bench', command: ['true'], nodes: 1 });
let next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(clientsArg) }, async () => {
  while (next++ < jobs) {
    const res = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    if (res.status !== 201) throw new Error(`submit got ${res.status}`);
    await res.arrayBuffer();
  }
}));
process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000 }) + '\n');
