import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Response } from 'playwright-core';
import { useApp } from '../support/use-app';
import { PROJECT_ROOT } from '../support/fixtures';
import { CONTENT_SECURITY_POLICY } from '../../vite.config';

/**
 * The built app under its Content-Security-Policy (vite.config.ts: sent by vite preview and by the service worker, and in
 * a meta tag of index.html). That the app runs under it without one violation — pick, run, inspect with every CAM
 * method, export, compare, generate, the demo — is checked by every e2e file: test/support/browser.ts records each
 * violation of any page or worker and fails the file that saw one. Here: the policy is sent, and it is enforced (a
 * violation is seen and reported, so that check can fail).
 */
describe('Content-Security-Policy (built app, headless Chromium)', () => {
  const ctx = useApp();

  it('sends the policy with the app shell, from the server and from the service worker', async () => {
    const { page } = ctx.app;
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
    expect(ctx.app.cspViolations).toEqual([]);
  });

  it('is enforced: an injected inline script, or a worker fetching another origin, is blocked and reported', async () => {
    const { page, cspViolations } = ctx.app;
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 200));
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => cspViolations.some((v) => v.startsWith('script-src-elem blocked'))).toBe(true);
    // A worker's violation reaches only its console: the recorder reads that too.
    const decodeWorker = readdirSync(join(PROJECT_ROOT, process.env.SHIFTLENS_DIST ?? 'dist', 'assets')).find((f) => /^decode\.worker-.*\.js$/.test(f));
    await page.evaluate((src) => void new Worker(src, { type: 'module' }), `/assets/${decodeWorker}`);
    await expect.poll(() => page.workers().length).toBeGreaterThan(0);
    await page.workers()[0].evaluate(() => fetch('https://example.invalid/x').catch(() => {}));
    await expect.poll(() => cspViolations.some((v) => v.startsWith('worker ') && /example\.invalid/.test(v))).toBe(true);
    // Provoked on purpose: not a failure of the app.
    cspViolations.length = 0;
  });
});
