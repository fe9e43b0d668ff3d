import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { downloadFrom, openApp, serverUrl, startPreview, waitForDone, type AppSession } from '../support/browser';
import { HAVE_FIXTURES, PROJECT_ROOT } from '../support/fixtures';
import { referenceKey } from '../support/app-driver';
import { MODELS, loadReferencePredictions } from '../support/reference';
import { tuningMemoKey } from '../../src/engine/auto-tune';

/** Where the e2e run leaves its screenshots (looked at by people; not compared). */
export const SCREENSHOTS = join(PROJECT_ROOT, 'test-results', 'screenshots');

const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'public/demo/manifest.json'), 'utf8'));
/**
 * Which demo the suite runs: the quick one (10 of the 50 originals, 960 images) by default, the full one (4,800
 * images, ≈ 10 minutes of this suite's 2-core machine) with SHIFTLENS_DEMO=full. Both are the same code path with a
 * different list of originals and reference; the generator's output for all 50 originals is checked in Node
 * (test/core/corruptions: every DEV-C image replayed against the reference statistics), and the full demo's
 * reference against the per-image predictions (test/core/demo.test.ts).
 */
const SIZE: 'full' | 'quick' = process.env.SHIFTLENS_DEMO === 'full' ? 'full' : 'quick';
const REFERENCE = SIZE === 'full' ? manifest.reference : manifest.quick.reference;
const IMAGES = (SIZE === 'full' ? manifest.clean.length : manifest.quick.clean.length) * 96;

/**
 * The demo from a fresh profile with every request outside the page's origin blocked: the embedded model and its
 * originals (SIZE above) are corrupted in the browser (19 × 5), evaluated with WASM, and must reproduce the fixture
 * reference exactly (full: mCE 86.20 %; every cell) — the app says so itself; then the inspector opens on a
 * glass_blur row with Grad-CAM. The run itself is offline: the first screen is loaded from the server (the service worker installs and
 * caches the app and the demo's files), then the server stops and "Try the demo" runs from those caches alone — one
 * run checks both the result and the offline promise (a second, cached run of a generated set is generate.test.ts's).
 * Needs no ../shared: the demo's data is in public/demo.
 */
describe('the embedded demo', () => {
  let server: PreviewServer;
  let app: AppSession;
  const outside: string[] = [];
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startPreview();
    app = await openApp(serverUrl(server));
    const origin = new URL(app.url).origin;
    await app.context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await app.page.reload();
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
  });

  async function shoot(page: Page, name: string, size: { width: number; height: number }, fullPage = false) {
    await page.setViewportSize(size);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  }

  /** Waits for `done`, logging the phases as they pass (and a screenshot if it never comes). */
  async function demoDone(page: Page, label: string) {
    const t0 = Date.now();
    let last = '';
    const timer = setInterval(() => {
      void page
        .evaluate(() => {
          const t = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
          const prog = document.querySelector('[data-testid="progress"]')?.nextElementSibling?.textContent ?? '';
          return `${t('status')} | ${t('demo-state').slice(0, 120)} | ${prog.slice(0, 120)}`;
        })
        .then((now) => {
          if (now !== last) console.log(`${label} +${((Date.now() - t0) / 1000).toFixed(0)} s: ${now}`);
          last = now;
        })
        .catch(() => {});
    }, 15_000);
    try {
      // The ≤ 6 min target (quiet 2-core machine, WASM) is measured and logged here, not asserted: a timed test on a
      // shared machine fails for the machine's sake. The limit below only catches a run that never ends.
      await waitForDone(page, 20 * 60_000);
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `${label}-failed.png`), fullPage: true }).catch(() => {});
      throw e;
    } finally {
      clearInterval(timer);
    }
    return (Date.now() - t0) / 1000;
  }

  async function expectReferenceResult(page: Page) {
    expect(await page.getByTestId('metric-mce').textContent()).toBe(REFERENCE.mCE.toFixed(2));
    const check = page.getByTestId('demo-check');
    await check.waitFor({ timeout: 30_000 });
    expect(await check.getAttribute('data-matches')).toBe('true');
    expect(await check.textContent()).toContain('matches the reference: yes');
  }

  it('the first screen explains itself, at 1400×900 and 390×844', async () => {
    const { page } = app;
    await page.getByTestId('demo').waitFor();
    expect(await page.getByTestId('demo-quick').isVisible()).toBe(true);
    expect(await page.getByTestId('intro').textContent()).toMatch(/mCE/);
    // The card editor stays closed until a model is picked.
    expect(await page.getByTestId('card-editor').getAttribute('open')).toBeNull();
    await shoot(page, 'landing-1400x900', { width: 1400, height: 900 });
    await shoot(page, 'landing-390x844', { width: 390, height: 844 }, true);
    // Nothing overflows the narrow screen sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  it('the service worker holds the app and the demo: with the server stopped, a reload starts the app', async () => {
    const { page } = app;
    // Polled from Node: waitForFunction takes a returned Promise for a truthy value and would not wait.
    await expect
      .poll(() => page.evaluate(async () => !!navigator.serviceWorker?.controller && (await caches.keys()).some((k) => k.startsWith('shiftlens-demo-'))), { timeout: 120_000, interval: 500 })
      .toBe(true);
    await server.close();
    await page.goto(app.url);
    await page.getByTestId('demo').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => crossOriginIsolated), 'threaded WASM needs the isolation headers the worker adds').toBe(true);
  });

  it(`the ${SIZE} demo (offline) reproduces its reference: mCE ${REFERENCE.mCE.toFixed(2)} %, every cell, and opens the inspector with Grad-CAM`, async () => {
    const { page } = app;
    // One inference thread, batch 8, remembered as if the warm-up had chosen them: the suite runs two files at once,
    // and two WASM threads beside a busy core run at half the speed of one (MobileNetV2-int8: 9.7 against 16.8
    // images/s), as test/support/app-driver.ts fixes for every run of a fixed batch. The warm-up that chooses is
    // tested in Node (test/engine/inference-engine.test.ts, auto-tune.test.ts); alone on 2 cores it picks 2 threads
    // and the demo is done in ≈ 265 s.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const memo = { threads: 1, batch: 8, imagesPerSec: 0, tried: {} };
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), [tuningMemoKey(manifest.model.sha256, 'auto', cores), JSON.stringify(memo)] as const);
    await page.getByTestId(SIZE === 'full' ? 'demo' : 'demo-quick').click();
    // Progress with images/s and ETA while generating.
    await page.getByTestId('demo-progress').waitFor({ timeout: 120_000 });
    const seconds = await demoDone(page, 'demo');
    console.log(`${SIZE} demo (offline): done after ${seconds.toFixed(0)} s (full demo's target ≤ 360 s on a quiet 2-core machine; load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
    await expectReferenceResult(page);
    expect(await page.getByTestId('engine-info').textContent(), 'the remembered choice was used').toMatch(/batch 8 \(auto\), 1 thread\(s\) \(auto\)/);

    const result = JSON.parse(await downloadFrom(page, 'export-json'));
    for (const [corruption, bySeverity] of Object.entries<any>(REFERENCE.cells)) {
      for (const s of ['1', '2', '3', '4', '5']) expect(result.corruptions[corruption].severities[s], `${corruption} ${s}`).toEqual(bySeverity[s]);
    }
    expect(result.metrics.mCE).toBeCloseTo(REFERENCE.mCE, 6);
    expect(result.metrics.relativeMCE).toBeCloseTo(REFERENCE.relativeMCE, 6);
    expect(result.cleanMatched).toEqual(REFERENCE.clean);
    // Image by image (where ../shared is here): every generated image and clean original has the reference's top-5,
    // so the generator reproduces the fixtures' ImageNet-C-mini and the pipeline scores it like onnxruntime-node.
    if (HAVE_FIXTURES) {
      const reference = loadReferencePredictions(MODELS.mobilenet.reference);
      const lines = (await downloadFrom(page, 'export-predictions')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
      expect(lines).toHaveLength(IMAGES);
      // Top-1 per image (what the counts are made of; the int8 logits tie often, so ranks 2–5 can swap within a
      // tie), with evaluate-reference's allowance of 0.2 % for decoder differences; the counts above are exact.
      const off = lines.filter((p) => p.top5?.[0] !== reference.get(referenceKey(p.path))?.top5[0]).map((p) => p.path);
      expect(off.length, off.slice(0, 5).join(', ')).toBeLessThanOrEqual(Math.floor(lines.length * 0.002));
    }

    // Fig. 2: the inspector on a glass_blur row (clean + severities 1–5), every cell with its CAM drawn.
    const grid = page.getByTestId('cam-grid');
    await grid.waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => {
      const cells = document.querySelectorAll('[data-testid="cam-grid"] canvas');
      return cells.length === 6 && !document.querySelector('[data-testid="cam-grid"] .error');
    }, undefined, { timeout: 120_000, polling: 500 });
    expect(await grid.textContent()).toContain('glass_blur 5');
    // The image browser shows thumbnails with ✓/✗.
    const thumbs = page.locator('[data-testid="cam-image"] img');
    expect(await thumbs.count()).toBeGreaterThan(20);
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('[data-testid="cam-image"] img')].slice(0, 12);
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, undefined, { timeout: 30_000 });
    expect(await page.locator('[data-testid="cam-image"][data-ok="false"]').count()).toBeGreaterThan(0);

    // Fig. 3: SSIM next to error for snow, elastic_transform and saturate.
    await page.waitForFunction(() => document.querySelector('[data-testid="ssim-status"]')?.textContent === 'done', undefined, { timeout: 180_000, polling: 500 });
    const doc = JSON.parse(await downloadFrom(page, 'export-json'));
    expect(Object.keys(doc.ssim.cells).map((c: string) => c.split('/')[0]).filter((c: string, i: number, a: string[]) => a.indexOf(c) === i).sort()).toEqual(['elastic_transform', 'saturate', 'snow']);

    await page.getByTestId('results').scrollIntoViewIfNeeded();
    await shoot(page, 'demo-results-1400x900', { width: 1400, height: 900 });
    await page.getByTestId('cam-grid').scrollIntoViewIfNeeded();
    await shoot(page, 'demo-inspector-1400x900', { width: 1400, height: 900 });
    await shoot(page, 'demo-results-390x844', { width: 390, height: 844 });
    await page.setViewportSize({ width: 1400, height: 900 });
    expect(outside).toEqual([]);
  }, 25 * 60_000);
});
