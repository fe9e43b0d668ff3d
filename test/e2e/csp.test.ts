import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConsoleMessage, Page, Response } from 'playwright-core';
import { downloadFrom, waitForDone } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { expandStep, startRun } from '../support/app-driver';
import { TempDataset } from '../support/temp-dataset';
import { CONTENT_SECURITY_POLICY } from '../../vite.config';

/** Clean classes of the fog fixture, for the clean set and the Generate source. */
const CLASSES = ['n01630670', 'n01820546', 'n01978287'];

interface Violation {
  directive: string;
  blocked: string;
  source: string;
  sample: string;
}

/** Records every `securitypolicyviolation` of the page (and its frames) into `window.__cspViolations`. */
const LISTENER = () => {
  const w = window as unknown as { __cspViolations: Violation[] };
  w.__cspViolations = [];
  addEventListener('securitypolicyviolation', (ev) => {
    const e = ev as SecurityPolicyViolationEvent;
    w.__cspViolations.push({ directive: e.violatedDirective, blocked: e.blockedURI, source: `${e.sourceFile}:${e.lineNumber}`, sample: e.sample });
  });
};

const violations = (page: Page) => page.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);
const isCspMessage = (text: string) => /Content Security Policy|Refused to/i.test(text);

/**
 * The built app under its Content-Security-Policy (vite.config.ts: sent by vite preview and by the service worker, and in
 * a meta tag of index.html): the whole flow — pick, run, inspect with every CAM method, export, compare, generate —
 * must run without one violation, in the page or in any of its workers.
 */
describeFixtures('Content-Security-Policy: the whole flow runs under it (built app, headless Chromium)', () => {
  const ctx = useApp();
  let clean: TempDataset;
  let fog: TempDataset;
  let dir: string;
  const cspConsole: string[] = [];
  const record = (where: string) => (m: ConsoleMessage) => {
    if (isCspMessage(m.text())) cspConsole.push(`${where} ${m.type()}: ${m.text()}`);
  };

  beforeAll(() => {
    clean = new TempDataset('imagenet-val-sample');
    for (const c of CLASSES) for (const f of readdirSync(fixture('imagenet-val-sample', c))) clean.copyFile(fixture('imagenet-val-sample', c, f), `${c}/${f}`);
    // The run only has to give the inspector, the exports and the compare view something to show: fog, every
    // severity, the same 3 classes as the clean set (15 images, not the fixture's 250).
    fog = new TempDataset('fog');
    for (const s of [1, 2, 3, 4, 5]) fog.copyClasses(`imagenet-c-mini/fog/${s}`, String(s), CLASSES.length);
    dir = mkdtempSync(join(tmpdir(), 'shiftlens-csp-'));
  });
  afterAll(() => {
    clean?.dispose();
    fog?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends the policy with the app shell, from the server and from the service worker', async () => {
    const { page, context } = ctx.app;
    await context.addInitScript(LISTENER);
    context.on('console', record('page'));
    page.on('worker', (w) => w.on('console', record(`worker ${w.url()}`)));
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 60_000 });
    const fromServer = (await page.request.get(ctx.app.url)).headers()['content-security-policy'];
    expect(fromServer).toBe(CONTENT_SECURITY_POLICY);
    // A reload is served by the service worker (the offline shell): same policy.
    const reloaded = (await page.reload()) as Response;
    expect(reloaded.fromServiceWorker()).toBe(true);
    expect(reloaded.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    // And a meta tag for hosts that send no headers (without frame-ancestors, which a meta tag cannot carry).
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(meta).not.toContain('frame-ancestors');
  });

  it('runs, inspects with every CAM method, exports, compares and generates with no violation', async () => {
    const { page } = ctx.app;
    await startRun(page, {
      model: fixture('models', 'mobilenetv2-12-int8.onnx'),
      labels: fixture('labels', 'imagenet_class_index.json'),
      dataset: fog.root,
      clean: clean.root,
      backend: 'wasm',
      batchSize: 8,
    });
    await waitForDone(page, 600_000);
    const resultJson = await downloadFrom(page, 'export-json');
    expect(JSON.parse(resultJson).corruptions.fog).toBeDefined();
    await downloadFrom(page, 'export-predictions');

    // The inspector, with each CAM method the app offers.
    await page.locator('[data-testid="cam-image"]').first().click();
    const camReady = () =>
      page.waitForFunction(() => {
        const b = document.querySelector('[data-testid="export-cam"]') as HTMLButtonElement | null;
        return !!b && !b.disabled;
      }, undefined, { timeout: 180_000 });
    await camReady();
    // Every method the app offers for this model, once it knows (a disabled option, e.g. ViT attention for a CNN,
    // is not offered).
    const options = await page
      .locator('[data-testid="cam-method"] option')
      .evaluateAll((os) => (os as HTMLOptionElement[]).map((o) => ({ value: o.value, disabled: o.disabled, title: o.title })));
    console.log(`CAM methods: ${options.map((o) => `${o.value}${o.disabled ? ` (unavailable: ${o.title})` : ''}`).join(', ')}`);
    const methods = options.filter((o) => !o.disabled).map((o) => o.value);
    expect(methods).toContain('gradcam');
    for (const method of methods) {
      await page.getByTestId('cam-method').selectOption(method);
      await camReady();
      const cam = JSON.parse(await downloadFrom(page, 'export-cam'));
      expect(cam.method).toBe(method);
    }

    // Compare: the finished run next to its own exported JSON, imported (parsed in the analysis worker).
    writeFileSync(join(dir, 'result.json'), resultJson);
    await page.getByTestId('import-json').setInputFiles(join(dir, 'result.json'));
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    for (const box of (await page.locator('[data-testid="run-row"] input[type="checkbox"]').all()).slice(0, 2)) await box.check();
    await page.getByTestId('compare-table').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('[data-testid="compare-table"] tr[data-metric="ce:fog"] [data-testid="interval"]').count(), { timeout: 120_000 }).toBe(2);

    // Generate: one corruption, one severity, from the clean folder.
    await expandStep(page, 'data');
    await page.getByTestId('generate-panel').locator('summary').click();
    await page.getByTestId('generate-input').setInputFiles(clean.root);
    for (const box of await page.locator('[data-testid="generate-panel"] input[data-corruption]').all()) {
      await box.setChecked((await box.getAttribute('data-corruption')) === 'frost');
    }
    for (const box of await page.locator('[data-testid="generate-panel"] input[data-severity]').all()) {
      await box.setChecked(Number(await box.getAttribute('data-severity')) === 3);
    }
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => /^(generated|error)/.test(document.querySelector('[data-testid="generate-status"]')?.textContent ?? ''), undefined, { timeout: 300_000 });
    expect(await page.getByTestId('generate-status').textContent()).toBe(`generated ${CLASSES.length} images`);

    expect(await violations(page)).toEqual([]);
    expect(cspConsole).toEqual([]);
  });

  it('is enforced: an injected inline script does not run and is reported', async () => {
    const { page } = ctx.app;
    const ran = await page.evaluate(async () => {
      const w = window as unknown as { __inlineRan?: boolean; __cspViolations: Violation[] };
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 200));
      return w.__inlineRan === true;
    });
    expect(ran).toBe(false);
    expect((await violations(page)).map((v) => v.directive)).toContain('script-src-elem');
  });
});
