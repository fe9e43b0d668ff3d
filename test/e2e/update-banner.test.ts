import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preview, type PreviewServer } from 'vite';
import { openApp, serverUrl, type AppSession } from '../support/browser';
import { PROJECT_ROOT } from '../support/fixtures';

const DIST = join(PROJECT_ROOT, process.env.SHIFTLENS_DIST ?? 'dist');

/**
 * A new deployment while a tab is open: a copy of the build is served, then its sw.js is rewritten as the next
 * build's would be (another version, and one of the old build's chunks gone from the server). The open tab must
 * keep getting its old chunk (from the old cache, kept while it runs), show the update banner, and switch on Reload.
 */
describe.skipIf(!existsSync(join(DIST, 'sw.js')))('service worker update: banner, old tabs keep working', () => {
  let root: string;
  let server: PreviewServer;
  let app: AppSession;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'shiftlens-update-'));
    cpSync(DIST, join(root, 'dist'), { recursive: true });
    server = await preview({ root: PROJECT_ROOT, logLevel: 'silent', build: { outDir: join(root, 'dist') }, preview: { port: 0, host: '127.0.0.1', open: false } });
    app = await openApp(serverUrl(server));
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('shows the banner for a waiting version, keeps the old cache for the old tab, reloads into the new one', async () => {
    const { page } = app;
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 60_000 });
    const sw = readFileSync(join(root, 'dist/sw.js'), 'utf8');
    const files = JSON.parse(/const FILES = (\[.*\]);/.exec(sw)![1]) as string[];
    // The production build ships and precaches no benchmark page (only `npm run bench` builds it: SHIFTLENS_BENCH=1).
    expect(files.filter((f) => f.startsWith('bench/'))).toEqual([]);
    const chunk = files.find((f) => /^assets\/decode\.worker-.*\.js$/.test(f))!;
    expect(chunk).toBeTruthy();
    const original = readFileSync(join(root, 'dist', chunk), 'utf8');
    // The shell's cache, and the embedded demo's (a cache of its own, versioned by the demo files only). Waits on the
    // caches are polled from Node: waitForFunction takes an async predicate's Promise for a truthy value at once.
    const shellCaches = () => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('shiftlens-shell-')));
    await expect.poll(() => page.evaluate(async () => (await caches.keys()).some((k) => k.startsWith('shiftlens-demo-'))), { timeout: 60_000, interval: 200 }).toBe(true);
    const demoCache = (await page.evaluate(() => caches.keys())).find((k) => k.startsWith('shiftlens-demo-'));
    expect(await shellCaches()).toHaveLength(1);
    expect(await page.getByTestId('update-banner').count()).toBe(0);

    // "Deploy" the next build: a new version whose file list lacks that chunk, which the server no longer has.
    const next = sw.replace(/const VERSION = '([0-9a-f]+)'/, "const VERSION = 'next$1'").replace(`"${chunk}",`, '').replace(`,"${chunk}"`, '');
    expect(next).not.toBe(sw);
    writeFileSync(join(root, 'dist/sw.js'), next);
    rmSync(join(root, 'dist', chunk));
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());

    await page.getByTestId('update-banner').waitFor({ timeout: 60_000 });
    // The new worker waits: this tab still runs the old build and still gets the old build's chunk.
    await expect.poll(() => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('shiftlens-shell-')).length === 2), { timeout: 30_000, interval: 200 }).toBe(true);
    const got = await page.evaluate(async (url) => {
      const r = await fetch(url);
      return { status: r.status, text: await r.text() };
    }, `/${chunk}`);
    expect(got.status).toBe(200);
    expect(got.text).toBe(original);

    // Reload: the new version takes over, and with no tab of the old build left its cache goes.
    await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.getByTestId('update-reload').click()]);
    await expect.poll(() => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('shiftlens-shell-')).every((k) => k.includes('next'))), { timeout: 30_000, interval: 200 }).toBe(true);
    expect(await shellCaches()).toHaveLength(1);
    // The demo did not change: its cache is the same one, not downloaded again.
    expect((await page.evaluate(() => caches.keys())).filter((k) => k.startsWith('shiftlens-demo-'))).toEqual([demoCache]);
    expect(await page.getByTestId('update-banner').count()).toBe(0);
  });
});
