// Run by src/control/full-disk.test.ts inside a private mount namespace whose argv[2] is a
// few-MB tmpfs: a control plane fills it, then space returns. Prints one JSON line of what it saw.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeExecutor } from '../../src/control/fake-executor.ts';
import { startControlPlane } from '../../src/control/server.ts';

const dir = process.argv[2]!;
const log: string[] = [];
const cp = await startControlPlane({ dataDir: join(dir, 'data'), port: 0, tickMs: 50, executor: new FakeExecutor(10), localNodes: 2, log: (l) => log.push(l) });
const headers = { authorization: `Bearer ${cp.newAdminToken!}`, 'content-type': 'application/json' };
// About 8 KB per job, so a handful of pages is needed per submit.
const spec = (name: string) => JSON.stringify({ name, command: ['true'], env: Object.fromEntries(Array.from({ length: 2 }, (_, i) => [`PAD${i}`, 'x'.repeat(4000)])) });
const submit = async (name: string) => {
  const r = await fetch(`${cp.url}/v1/jobs`, { method: 'POST', headers, body: spec(name) });
  return { status: r.status, text: (await r.text()).slice(0, 400) };
};
const out: Record<string, unknown> = {};
try {
  out.before = await submit('before');
  let n = 0;
  for (const size of [256 << 10, 16 << 10, 1 << 10, 64]) {
    try { for (;;) writeFileSync(join(dir, `fill-${n++}`), Buffer.alloc(size)); } catch { /* this size no longer fits */ }
  }
  out.full = [await submit('full-1'), await submit('full-2'), await submit('full-3')];
  await new Promise((r) => setTimeout(r, 200)); // reconciler ticks on a full disk too
  for (const f of readdirSync(dir)) if (f.startsWith('fill-')) rmSync(join(dir, f));
  out.after = [await submit('after-1'), await submit('after-2')];
  out.jobs = (await cp.store.listJobs({ order: 'id' })).map((j) => j.spec.name);
  out.internalErrors = log.filter((l) => l.startsWith('internal error')).length;
} finally {
  await cp.close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
