// The dashboard in a real browser: Debian's chromium, driven by playwright-core, started here.
// Each page loads after login, shows a job submitted through the API without a reload, draws
// its charts and logs no console error; a tenant never sees another tenant's jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import { SimCluster, SimExecutor } from '../control/sim/executor.ts';
import { reportsDir } from './dashboard.ts';
import { startDashboardPlane, type DashboardPlane } from './start.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : 'chromium not found: apt-get install chromium';
/** Set to a folder (docs/readme) to save screenshots of the main pages there. */
const SHOTS = process.env.GIGAFACTORY_SCREENSHOTS;

async function launch(): Promise<{ ctx: BrowserContext; profile: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'gf-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { ctx, profile };
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return errors;
}

/** Number of drawn things in a chart container: a canvas with non-blank pixels, or SVG shapes. */
async function chartContent(page: Page, id: string): Promise<number> {
  return page.evaluate((sel) => {
    const el = document.getElementById(sel);
    if (!el) return 0;
    const shapes = el.querySelectorAll('svg rect, svg line, svg path').length;
    let inked = 0;
    for (const c of Array.from(el.querySelectorAll('canvas'))) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0) continue;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4 * 16) if (px[i]! > 0) inked++;
    }
    return shapes + inked;
  }, id);
}

test('dashboard in chromium: every page after login, live jobs, charts, no console errors, tenants apart', { skip: SKIP, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-dash-'));
  const topology = buildTopology(FLEET_PRESETS['oci-h100']!, { includePools: true });
  const cluster = new SimCluster({ speed: 100, failuresPer1000NodeDays: 0, nodes: topology.nodes.map((n) => n.name) });
  let cp: DashboardPlane | undefined;
  let browser: { ctx: BrowserContext; profile: string } | undefined;
  try {
    cp = await startDashboardPlane({ dataDir: dir, port: 0, tickMs: 100, executor: new SimExecutor(cluster), topology, sampleEveryMs: 300,
      quotas: [{ tenant: 'alice', guaranteedGpus: 1024, borrowLimitGpus: 1024, weight: 1 }, { tenant: 'bob', guaranteedGpus: 512, borrowLimitGpus: Infinity, weight: 1 }] });
    const plane = cp;
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(plane.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return await res.json() as Record<string, unknown> & { job: { id: string }; token: string };
    };
    const admin = cp.newAdminToken!;
    const alice = (await call(admin, 'POST', '/v1/tokens', { tenant: 'alice' })).token;
    const bob = (await call(admin, 'POST', '/v1/tokens', { tenant: 'bob' })).token;
    const submit = async (token: string, spec: Record<string, unknown>) => (await call(token, 'POST', '/v1/jobs', { command: ['python3', 'train.py'], env: { GF_SIM_SECONDS: '1000000' }, ...spec })).job.id;
    mkdirSync(reportsDir(dir), { recursive: true });
    writeFileSync(join(reportsDir(dir), 'sim-report.html'), '<!doctype html><title>r</title><p>report</p>');

    browser = await launch();
    const page = await browser.ctx.newPage();
    const errors = watchErrors(page);

    // A wrong code: the login page with the reason, no stack trace.
    await page.goto(`${cp.url}/login?code=not-a-code`);
    assert.match(await page.locator('.error').innerText(), /unknown login code/);
    // The one-time URL signs the admin in.
    await page.goto(cp.dashboardUrl);
    assert.match(page.url(), /\/fleet$/);
    await page.goto(cp.dashboardUrl);
    assert.match(await page.locator('.error').innerText(), /already used/);
    errors.length = 0; // the refused logins above were answered 401, which chromium logs
    await page.goto(`${cp.url}/fleet`);

    cluster.failNode('oci-h100-00499', 'gpu'); // a node in repair (seed 1 at 100x: for about 13 minutes)
    const bobJob = await submit(bob, { name: 'bob-pretrain', nodes: 300, gpus_per_node: 8, ranks_per_node: 8 });
    const checks: [string, string[], () => Promise<string>][] = [
      ['fleet', ['gpu-chart'], async () => { await submit(admin, { name: 'fleet-probe', nodes: 10, gpus_per_node: 8 }); return 'nodes rented'; }],
      ['queue', ['queue-chart'], async () => submit(admin, { name: 'too-big-for-now', nodes: 400, gpus_per_node: 8 })],
      ['jobs', ['ettr-chart'], async () => submit(admin, { name: 'admin-train', nodes: 2, gpus_per_node: 8 })],
      ['tenants', ['tenant-chart'], async () => { await submit(alice, { name: 'alice-small', nodes: 1, gpus_per_node: 8 }); return 'alice'; }],
      ['pools', ['pools-chart'], async () => 'oci-h100'],
      ['serving', ['replica-chart', 'serving-load-chart'], async () => {
        // A deployment whose gateway reports its load: the page shows tokens/s, requests/s, errors and p99.
        await call(admin, 'POST', '/v1/deployments', { name: 'chat-dep', model: 'tiny-chat', gpus_per_replica: 8, min_replicas: 1, max_replicas: 2, replica_command: ['serve'], port_base: 30_000 });
        await call(admin, 'POST', '/v1/deployments/chat-dep/load', { gateway: 'gw-1', output_tokens_per_second: 1234.5, requests_in_flight: 3, releases: { weights: { requests: 600, errors: 6, p99_ms: 250 } } });
        return submit(admin, { name: 'tiny-chat-replica', kind: 'serve', nodes: 1, gpus_per_node: 1 });
      }],
    ];
    const shown = new Map<string, string>(); // page -> what the admin's action made appear there
    for (const [name, charts, act] of checks) {
      await page.goto(`${cp.url}/${name}`);
      await page.waitForSelector('body[data-updated]', { timeout: 10_000 });
      const expected = await act(); // after the page loaded: it must appear without a reload
      shown.set(name, expected);
      await page.waitForFunction((t) => document.querySelector('main')!.innerText.includes(t), expected, { timeout: 8_000 })
        .catch(() => assert.fail(`${name}: "${expected}" did not appear without a reload`));
      for (const id of charts) {
        await page.waitForFunction(() => true);
        const drawn = await chartContent(page, id);
        assert.ok(drawn > 0, `${name}: chart #${id} is empty`);
      }
      if (name === 'fleet') assert.match(await page.locator('#fleet-cards').innerText(), /nodes in repair\s+1\b/);
      if (name === 'serving') {
        const row = await page.locator('#deployment-table tr', { hasText: 'chat-dep' }).innerText();
        // tokens/s, requests in flight, requests/s (600 in the last minute), error rate, p99 ms.
        assert.match(row, /1,234\.5\s+3\s+10\s+1\.0%\s+250\b/, row);
      }
      // provisionedNodes is what is rented now (joined, not given back), not what is still on its way.
      if (name === 'pools') assert.match(await page.locator('#pools thead').innerText(), /rented now/);
      if (name === 'jobs') assert.ok((await page.locator('main').innerText()).includes(bobJob), 'the admin sees every tenant\'s jobs');
      if (SHOTS) await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: false });
    }
    // A job's attempts on a timeline, with its ETTR: bob's job loses a node and restarts.
    cluster.failNode(cp.topology.nodes[(await cp.store.getJob(bobJob))!.nodeIndices[0]!]!.name, 'hbm');
    const jobs = await page.goto(`${cp.url}/jobs#${bobJob}`).then(() => page);
    await jobs.waitForFunction(() => /attempt 2/.test(document.getElementById('timeline')?.textContent ?? ''), undefined, { timeout: 10_000 });
    assert.match(await jobs.locator('#job-detail').innerText(), /lost: GPU HBM3/);
    assert.match(await jobs.locator('#job-detail').innerText(), /ETTR \d/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'dashboard-job.png'), fullPage: false });
    await page.goto(`${cp.url}/reports`);
    await page.waitForSelector('#report-list a');
    assert.deepEqual(errors, [], 'console errors');

    // Alice signs in with her token: her jobs only.
    const ctx2 = await browser.ctx.browser()?.newContext() ?? browser.ctx;
    await ctx2.clearCookies();
    const p2 = await ctx2.newPage();
    const errors2 = watchErrors(p2);
    await p2.goto(`${cp.url}/login`);
    await p2.fill('input[name=token]', 'wrong-token');
    await p2.click('button[type=submit]');
    assert.match(await p2.locator('.error').innerText(), /unknown token/);
    await p2.fill('input[name=token]', alice);
    await p2.click('button[type=submit]');
    await p2.waitForURL(/\/fleet$/);
    await p2.goto(`${cp.url}/jobs`);
    await p2.waitForSelector('body[data-updated]');
    const aliceJob = await submit(alice, { name: 'alice-live', nodes: 1, gpus_per_node: 8 });
    await p2.waitForFunction((t) => document.querySelector('main')!.innerText.includes(t), aliceJob, { timeout: 8_000 });
    const text = await p2.locator('main').innerText();
    assert.ok(!text.includes(bobJob) && !text.includes('bob-pretrain'), 'alice sees a job of bob');
    await p2.goto(`${cp.url}/jobs#${bobJob}`);
    await p2.waitForSelector('#job-detail .error');
    await p2.goto(`${cp.url}/tenants`);
    await p2.waitForSelector('body[data-updated]');
    assert.ok(!(await p2.locator('main').innerText()).includes('bob'), 'alice sees bob on the tenants page');
    // The other pages that list jobs: the admin's queued job and serve replica are not hers either.
    for (const name of ['queue', 'serving']) {
      await p2.goto(`${cp.url}/${name}`);
      await p2.waitForSelector('body[data-updated]');
      const other = shown.get(name)!;
      assert.ok(!(await p2.locator('main').innerText()).includes(other), `alice sees the admin's ${other} on the ${name} page`);
    }
    // Refused logins (401) and bob's job asked for by alice (404) are answered as such; nothing else may fail.
    assert.deepEqual(errors2.filter((e) => !/status of (401|404)/.test(e)), []);
  } finally {
    if (browser) { await browser.ctx.close(); rmSync(browser.profile, { recursive: true, force: true }); }
    if (cp) {
      for (const j of await cp.store.listJobs({ states: ['queued', 'running'] })) await cp.store.requestCancel(j.id, Date.now() / 1000);
      cp.reconciler.kick();
      for (let i = 0; i < 50 && (await cp.store.listJobs({ states: ['running'] })).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      await cp.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
