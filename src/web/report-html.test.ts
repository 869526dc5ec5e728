// `sim --html` and `plan train --html` through the CLI, opened in chromium: every chart draws,
// no console errors. A JSON report that does not parse is refused naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { parseSimReportJson } from './report-html.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const cli = (...args: string[]) => spawnSync(join(ROOT, 'gigafactory'), args, { encoding: 'utf8', timeout: 120_000 });

test('a report file that is not a sim JSON report is refused, naming the file', () => {
  assert.throws(() => parseSimReportJson('{"utilization": ', 'runs/r1.json'), /runs\/r1\.json.*JSON report/);
  assert.throws(() => parseSimReportJson('{"foo": 1}', 'other.json'), /other\.json.*utilization/);
});

test('sim --html (two policies, rented pool) and plan train --html draw every chart in chromium', { skip: existsSync(CHROMIUM) ? false : 'chromium not found: apt-get install chromium', timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-report-'));
  const profile = mkdtempSync(join(tmpdir(), 'gf-chromium-'));
  try {
    const sim = cli('sim', '--fleet', 'h100-16k', '--workload', 'grok', '--days', '2', '--policy', 'fifo,default', '--rent-pool', 'oci-h100', '--html', join(dir, 'sim.html'));
    assert.equal(sim.status, 0, sim.stderr);
    const plan = cli('plan', 'train', '--model', 'grok-1', '--gpu', 'h100', '--gpus', '4096', '--tokens', '1T', '--html', join(dir, 'plan.html'));
    assert.equal(plan.status, 0, plan.stderr);
    assert.doesNotMatch(readFileSync(join(dir, 'sim.html'), 'utf8'), /<script src=|<link[^>]+href="http/, 'the page loads nothing from elsewhere');
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      for (const [file, ids] of [['sim.html', ['util-time', 'util', 'interruptions-day-0', 'interruptions-day-1', 'interruptions', 'nodes-time', 'ettr', 'jobs-time', 'queue', 'rented-time', 'rented', 'compare']], ['plan.html', ['days', 'mfu', 'step']]] as const) {
        const page = await ctx.newPage();
        const errors: string[] = [];
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`file://${join(dir, file)}`);
        for (const id of ids) {
          const ink = await page.evaluate((sel) => {
            const c = document.querySelector(`#${sel} canvas`) as HTMLCanvasElement | null;
            if (!c) return -1;
            const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 0 && (px[i]! < 200 || px[i + 2]! > 200)) n++;
            return n;
          }, id);
          assert.ok(ink > 500, `${file}: chart #${id} drew ${ink} coloured pixels`);
        }
        assert.deepEqual(errors, [], `${file}: console errors`);
        if (process.env.GIGAFACTORY_SCREENSHOTS) await page.screenshot({ path: join(process.env.GIGAFACTORY_SCREENSHOTS, `report-${file.replace('.html', '')}.png`), fullPage: true });
      }
    } finally { await ctx.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
});
