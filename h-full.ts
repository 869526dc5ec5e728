import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from './src/control/server.ts';
import { FakeExecutor } from './src/control/fake-executor.ts';
const dir = process.argv[2]!;
const cp = await startControlPlane({ dataDir: join(dir, 'data'), port: 0, localNodes: 2, tickMs: 50, log: (l) => console.log('LOG', l.slice(0, 400)) });
const h = { authorization: `Bearer ${cp.newAdminToken}`, 'content-type': 'application/json' };
const submit = async (n: string) => { const r = await fetch(cp.url + '/v1/jobs', { method: 'POST', headers: h, body: JSON.stringify({ name: n, command: ['true'], env: Object.fromEntries(Array.from({ length: Number(process.env.NV ?? 8) }, (_, i) => [`P${i}`, 'x'.repeat(4000)])) }) }); console.log(n, r.status, (await r.text()).slice(0, 200)); return r.status; };
await submit('a');
// fill
for (const sz of [256 * 1024, 16 * 1024, 1024, 64]) { try { for (let i = 0; ; i++) writeFileSync(join(dir, `fill-${sz}-${i}`), Buffer.alloc(sz)); } catch (e) { console.log('filled', sz, (e as any).code); } }
for (let i = 0; i < 12; i++) { if (await submit(`full-${i}`) < 300) try { writeFileSync(join(dir, `fillx-${i}`), Buffer.alloc(64 * 1024)); } catch {} }
await new Promise((r) => setTimeout(r, 300));
for (const f of (await import('node:fs')).readdirSync(dir)) if (f.startsWith('fill')) rmSync(join(dir, f));
console.log('space freed');
for (let i = 0; i < 3; i++) await submit(`after-${i}`);
console.log('jobs', (await cp.store.listJobs({ order: 'id' })).map((j) => `${j.id}:${j.spec.name}:${j.state}`).join(' '));
await cp.close();
