/**
 * The web dashboard, served at / on the API's port: server-rendered page shells (hono/html)
 * and a small client script (./static/app.js) that polls the JSON under /ui/api every few
 * seconds and draws charts with uPlot, served from its installed package (no CDN). The
 * dashboard is a client of the API: each /ui/api call runs the API in-process with the
 * session's token, so a tenant sees its own jobs and the admin sees all, by the API's rules.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { hashToken } from '../control/api/auth.ts';
import { jobEttr } from '../control/ettr.ts';
import { nodeRows, type ControlMetrics } from '../control/metrics.ts';
import { summarizeNodes } from '../control/node-status.ts';
import { adminTokenPath } from '../control/server.ts';
import type { Store } from '../control/store/types.ts';
import type { TenantQuota } from '../sched/types.ts';
import { LoginCodes, SESSION_COOKIE, Sessions, type Session } from './auth.ts';
import { page, PAGES, type PageName } from './layout.ts';
import { parseSimReportJson, simReportHtml } from './report-html.ts';
import { Sampler } from './sampler.ts';

export const dashboardUrlPath = (dataDir: string) => join(dataDir, 'dashboard-url');
export const reportsDir = (dataDir: string) => join(dataDir, 'reports');

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
const require = createRequire(import.meta.url);
const UPLOT_DIR = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));

type ApiApp = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };

export interface DashboardOptions {
  readonly api: ApiApp;
  readonly store: Store;
  readonly dataDir: string;
  readonly metrics: ControlMetrics;
  readonly quotas: readonly TenantQuota[];
  /** Cluster seconds per wall second (default 1), for ETTR. */
  readonly clusterSpeed?: number;
  /** How often the fleet is sampled for the charts (default 5 s). */
  readonly sampleEveryMs?: number;
}

export interface Dashboard {
  readonly app: Hono;
  readonly codes: LoginCodes;
  /** Writes <data-dir>/dashboard-url (mode 0600) with the login URL; returns the URL. */
  writeLoginUrl(baseUrl: string): string;
  close(): void;
}

const quotaOf = (q: TenantQuota | undefined) => ({
  guaranteedGpus: q?.guaranteedGpus ?? null,
  limitGpus: q === undefined || !Number.isFinite(q.borrowLimitGpus) ? null : q.guaranteedGpus + q.borrowLimitGpus,
});

const STATIC_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export function createDashboard(o: DashboardOptions): Dashboard {
  const app = new Hono();
  const codes = new LoginCodes();
  const sessions = new Sessions();
  let baseUrl = '';
  const writeLoginUrl = (base: string): string => {
    baseUrl = base;
    const url = `${base}/login?code=${codes.current()}`;
    const tmp = `${dashboardUrlPath(o.dataDir)}.tmp`;
    writeFileSync(tmp, `${url}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, dashboardUrlPath(o.dataDir));
    return url;
  };

  const sessionOf = (c: Context): Session | undefined => sessions.get(getCookie(c, SESSION_COOKIE));
  const loginPage = (c: Context, reason?: string, status: 401 | 200 = 200) => c.html(page({
    title: 'Sign in',
    body: html`<section class="login"><h1>Sign in</h1>
${reason ? html`<p class="error" role="alert">${reason}</p>` : ''}
<p>Open the login URL that <code>gigafactory up</code> printed (also in <code>&lt;data-dir&gt;/dashboard-url</code>), or paste an API token (<code>&lt;data-dir&gt;/admin-token</code>, or one from <code>gigafactory token create</code>).</p>
<form method="post" action="/login"><label>Token <input name="token" type="password" autocomplete="off" required></label> <button type="submit">Sign in</button></form></section>`,
  }), status);
  const startSession = (c: Context, s: Omit<Session, 'expiresMs'>) => {
    setCookie(c, SESSION_COOKIE, sessions.open(s), { httpOnly: true, sameSite: 'Strict', path: '/' });
    return c.redirect('/fleet', 303);
  };
  /** The admin token the dashboard acts with after a code login: the data dir's, else a new one. */
  let adminToken: string | undefined;
  const dashboardAdminToken = async (): Promise<string | undefined> => {
    if (adminToken) return adminToken;
    try {
      const t = readFileSync(adminTokenPath(o.dataDir), 'utf8').trim();
      if ((await o.store.findToken(hashToken(t)))?.admin) adminToken = t;
    } catch { /* no file: sign in with a token instead */ }
    return adminToken;
  };

  /** Output tokens/s of every deployment, as the gateways last reported it to the plane. */
  const servedTokensPerSecond = async (): Promise<number> => {
    const token = await dashboardAdminToken();
    if (!token) return 0;
    const res = await o.api.request('/v1/deployments', { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) return 0;
    const { deployments } = await res.json() as { deployments: { load?: { outputTokensPerSecond?: number } }[] };
    return deployments.reduce((a, d) => a + (d.load?.outputTokensPerSecond ?? 0), 0);
  };
  const sampler = new Sampler(async () => {
    const nodes = await nodeRows(o.store, o.metrics.sources);
    const { gpusByState, nodesByState } = summarizeNodes(nodes);
    const active = await o.store.listJobs({ states: ['queued', 'running'], order: 'id' });
    const running = active.filter((j) => j.state === 'running');
    return {
      t: Date.now() / 1000, gpus: [...gpusByState.values()].reduce((a, g) => a + g, 0), gpusInUse: gpusByState.get('in_use') ?? 0,
      nodesDown: (nodesByState.get('down') ?? 0) + (nodesByState.get('repair') ?? 0), queued: active.length - running.length, running: running.length,
      replicas: running.filter((j) => j.spec.kind === 'serve').length, outputTokensPerSecond: await servedTokensPerSecond(),
    };
  });
  sampler.start(o.sampleEveryMs ?? 5000);

  app.get('/login', async (c) => {
    const code = c.req.query('code');
    if (code === undefined) return loginPage(c);
    const r = codes.redeem(code);
    if (!r.ok) {
      if (r.renewed && baseUrl) writeLoginUrl(baseUrl);
      return loginPage(c, r.reason, 401);
    }
    if (baseUrl) writeLoginUrl(baseUrl); // the file always holds a code that works
    const token = await dashboardAdminToken();
    if (!token) return loginPage(c, `no admin token in ${adminTokenPath(o.dataDir)}; sign in with a token`, 401);
    return startSession(c, { token, tenant: 'admin', admin: true });
  });
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const rec = token && /^[A-Za-z0-9_\-.~+/=]{1,512}$/.test(token) ? await o.store.findToken(hashToken(token)) : undefined;
    if (!rec) return loginPage(c, 'unknown token; use <data-dir>/admin-token or create one with `gigafactory token create --tenant NAME`', 401);
    return startSession(c, { token, tenant: rec.tenant, admin: rec.admin });
  });
  app.get('/logout', (c) => { sessions.close(getCookie(c, SESSION_COOKIE)); deleteCookie(c, SESSION_COOKIE, { path: '/' }); return c.redirect('/login', 303); });

  app.get('/ui/static/:file', (c) => {
    const file = c.req.param('file');
    const path = file === 'uplot.js' ? join(UPLOT_DIR, 'uPlot.iife.min.js') : file === 'uplot.css' ? join(UPLOT_DIR, 'uPlot.min.css')
      : /^[a-z-]+\.(js|css)$/.test(file) ? join(STATIC_DIR, file) : '';
    if (!path || !existsSync(path)) return c.text('not found\n', 404);
    return c.body(readFileSync(path), 200, { 'content-type': STATIC_TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  });

  // Everything below needs a session. The guard names its paths: this app is mounted at / on
  // the API's, so a catch-all would also guard /v1 and /metrics.
  const guarded = new Hono<{ Variables: { session: Session } }>();
  const GUARDED_PATHS = ['/', ...PAGES.map(([p]) => `/${p}`), '/ui/api/*', '/reports/view/*'];
  for (const path of GUARDED_PATHS) guarded.use(path, async (c, next) => {
    const s = sessionOf(c);
    if (!s) {
      if (c.req.path.startsWith('/ui/api/')) return c.json({ error: { status: 401, message: 'not signed in; open /login' } }, 401);
      return c.redirect('/login', 303);
    }
    c.set('session', s);
    await next();
  });
  const api = async (s: Session, path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await o.api.request(path, { headers: { authorization: `Bearer ${s.token}` } });
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() as Record<string, unknown> : {} };
  };
  const who = (s: Session) => (s.admin ? `${s.tenant} (admin)` : `tenant ${s.tenant}`);

  guarded.get('/', (c) => c.redirect('/fleet', 303));
  const BODIES: Record<PageName, string> = {
    fleet: '<h1>Fleet</h1><div class="cards" id="fleet-cards"></div><h2>GPU use over time</h2><div class="chart" id="gpu-chart"></div><h2>Nodes by pool</h2><div id="pool-table"></div>',
    queue: '<h1>Queue</h1><h2>Queued jobs over time</h2><div class="chart" id="queue-chart"></div><h2>Pending jobs</h2><div id="queue-table"></div>',
    jobs: '<h1>Jobs</h1><h2>ETTR of running training jobs</h2><div class="chart" id="ettr-chart"></div><div id="jobs-table"></div><section id="job-detail"></section>',
    tenants: '<h1>Tenants</h1><h2>GPUs in use against quota</h2><div class="chart" id="tenant-chart"></div><div id="tenant-table"></div>',
    pools: '<h1>Rented pools</h1><div id="pools"></div><div class="chart" id="pools-chart"></div>',
    serving: '<h1>Serving</h1><h2>Deployments</h2><p class="note">Load as the gateways report it to the control plane every second: output tokens/s, requests in flight, and per release over the last minute requests/s, error rate and latency p99 (request to last byte; the worst gateway\'s). Per tenant and per status code: the gateway\'s <code>/metrics</code>.</p><div id="deployment-table"></div><h2>Replicas and output tokens/s over time</h2><div class="chart" id="replica-chart"></div><div class="chart" id="serving-load-chart"></div><h2>Replica jobs</h2><div id="serving-table"></div><p id="gateway-note" class="note"></p>',
    reports: '<h1>Reports</h1><p>HTML reports of <code>gigafactory sim --html</code> and <code>gigafactory plan train --html</code>, and JSON reports of <code>gigafactory sim --json</code> (drawn as charts). Files saved in <code>&lt;data-dir&gt;/reports/</code> are listed here; any other opens from this machine without upload.</p><div id="report-list"></div><label>Open a report file <input type="file" id="report-file" accept=".html,text/html"></label>',
  };
  for (const [name, title] of PAGES) {
    guarded.get(`/${name}`, (c) => c.html(page({ title, page: name, who: who(c.get('session')), body: html([BODIES[name]] as unknown as TemplateStringsArray) })));
  }

  guarded.get('/ui/api/me', (c) => { const s = c.get('session'); return c.json({ tenant: s.tenant, admin: s.admin }); });
  guarded.get('/ui/api/fleet', async (c) => {
    const nodes = await nodeRows(o.store, o.metrics.sources);
    const { nodesByState, gpusByState } = summarizeNodes(nodes);
    const pools = new Map<string, { nodes: number; gpus: number; gpusInUse: number; down: number }>();
    for (const n of nodes) {
      const p = pools.get(n.pool) ?? { nodes: 0, gpus: 0, gpusInUse: 0, down: 0 };
      p.nodes++; p.gpus += n.gpus; p.gpusInUse += n.gpusInUse; if (n.state === 'down' || n.state === 'repair') p.down++;
      pools.set(n.pool, p);
    }
    return c.json({ nodesByState: Object.fromEntries(nodesByState), gpusByState: Object.fromEntries(gpusByState), pools: [...pools].map(([name, p]) => ({ name, ...p })), series: sampler.samples() });
  });
  guarded.get('/ui/api/jobs', async (c) => {
    const s = c.get('session');
    const state = c.req.query('state');
    const r = await api(s, `/v1/jobs?limit=${state ? 1000 : 200}${state ? `&state=${encodeURIComponent(state)}` : ''}`);
    if (r.status !== 200) return c.json(r.body, r.status as 400);
    const jobs = r.body.jobs as { id: string; state: string; spec: { kind?: string } }[];
    // ETTR for running training jobs (their attempts are a few rows each).
    const now = Date.now() / 1000;
    const ettr: Record<string, number> = {};
    const train = jobs.filter((x) => x.state === 'running' && (x.spec.kind ?? 'train') === 'train').slice(0, 100);
    for (const [id, attempts] of await o.store.listAttemptsOf(train.map((j) => j.id))) {
      const e = jobEttr(attempts, now, o.clusterSpeed).ettr;
      if (e !== undefined) ettr[id] = e;
    }
    return c.json({ jobs, ettr, series: sampler.samples() });
  });
  guarded.get('/ui/api/jobs/:id', async (c) => {
    const r = await api(c.get('session'), `/v1/jobs/${encodeURIComponent(c.req.param('id'))}`);
    if (r.status !== 200) return c.json(r.body, r.status as 404);
    const attempts = r.body.attempts as { start_time: string; end_time: string | null; lost_seconds: number | null }[];
    const secs = (t: string | null) => (t === null ? undefined : Date.parse(t) / 1000);
    const e = jobEttr(attempts.map((a) => ({ startSeconds: secs(a.start_time)!, ...(a.end_time ? { endSeconds: secs(a.end_time)! } : {}), ...(a.lost_seconds !== null ? { lostSeconds: a.lost_seconds } : {}) })), Date.now() / 1000, o.clusterSpeed);
    return c.json({ ...r.body, ettr: e.ettr ?? null, lost_work_seconds: e.lostWorkSeconds, now: new Date().toISOString() });
  });
  guarded.get('/ui/api/tenants', async (c) => {
    const s = c.get('session');
    const [run, queued] = await Promise.all([api(s, '/v1/jobs?state=running&limit=10000'), api(s, '/v1/jobs?state=queued&limit=10000')]);
    type J = { tenant: string; nodes: number; gpus_per_node: number };
    const usage = new Map<string, { gpusInUse: number; gpusQueued: number; running: number; queued: number }>();
    const add = (j: J, running: boolean) => {
      const u = usage.get(j.tenant) ?? { gpusInUse: 0, gpusQueued: 0, running: 0, queued: 0 };
      if (running) { u.gpusInUse += j.nodes * j.gpus_per_node; u.running++; } else { u.gpusQueued += j.nodes * j.gpus_per_node; u.queued++; }
      usage.set(j.tenant, u);
    };
    for (const j of (run.body.jobs ?? []) as J[]) add(j, true);
    for (const j of (queued.body.jobs ?? []) as J[]) add(j, false);
    const quotas = o.quotas.filter((q) => s.admin || q.tenant === s.tenant);
    for (const q of quotas) if (!usage.has(q.tenant)) usage.set(q.tenant, { gpusInUse: 0, gpusQueued: 0, running: 0, queued: 0 });
    return c.json({ tenants: [...usage].sort(([a], [b]) => a.localeCompare(b)).map(([tenant, u]) => ({ tenant, ...u, ...quotaOf(quotas.find((q) => q.tenant === tenant)) })) });
  });
  guarded.get('/ui/api/pools', async (c) => {
    const r = await api(c.get('session'), '/v1/pools');
    if (r.status === 404) return c.json({ available: false, reason: 'this control plane has no GET /v1/pools' });
    return c.json({ available: r.status === 200, ...r.body });
  });
  guarded.get('/ui/api/serving', async (c) => {
    const s = c.get('session');
    const [run, queued] = await Promise.all([api(s, '/v1/jobs?state=running&limit=10000'), api(s, '/v1/jobs?state=queued&limit=10000')]);
    type J = { id: string; name: string; tenant: string; state: string; spec: { kind?: string } };
    const replicas = [...(run.body.jobs ?? []) as J[], ...(queued.body.jobs ?? []) as J[]].filter((j) => j.spec.kind === 'serve');
    const deployments = await api(s, '/v1/deployments');
    return c.json({ replicas, deployments: deployments.status === 200 ? deployments.body : null, series: sampler.samples() });
  });
  guarded.get('/ui/api/reports', (c) => {
    let files: string[] = [];
    try { files = readdirSync(reportsDir(o.dataDir)).filter((f) => /\.(html|json)$/.test(f)).sort(); } catch { /* none yet */ }
    return c.json({ reports: files });
  });
  guarded.get('/reports/view/:file', (c) => {
    const file = c.req.param('file');
    if (!/^[A-Za-z0-9_.-]+\.(html|json)$/.test(file) || !existsSync(join(reportsDir(o.dataDir), file))) return c.text(`no report "${file}" in ${reportsDir(o.dataDir)}\n`, 404);
    const text = readFileSync(join(reportsDir(o.dataDir), file), 'utf8');
    if (file.endsWith('.html')) return c.html(text);
    // A `sim --json` report is drawn like `sim --html`; one that does not parse says so, naming the file.
    try { return c.html(simReportHtml(parseSimReportJson(text, file))); } catch (e) {
      return c.html(page({ title: 'Report', body: html`<p class="error" role="alert">${(e as Error).message}</p>` }), 422);
    }
  });
  app.route('/', guarded);

  return { app, codes, writeLoginUrl, close: () => sampler.stop() };
}
