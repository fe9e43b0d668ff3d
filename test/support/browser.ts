import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { PROJECT_ROOT } from './fixtures';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface AppSession {
  readonly url: string;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly consoleLines: string[];
  close(): Promise<void>;
}

/** Serves the built app (`dist/`, from `vite build`) with `vite preview` on a free port. */
export async function startPreview(port = 0): Promise<PreviewServer> {
  const outDir = process.env.SHIFTLENS_DIST ?? 'dist';
  if (!existsSync(join(PROJECT_ROOT, outDir, 'index.html'))) throw new Error(`${outDir}/ is missing: run \`vite build\` first (npm test does)`);
  return preview({ root: PROJECT_ROOT, logLevel: 'silent', build: { outDir }, preview: { port, strictPort: port !== 0, host: '127.0.0.1', open: false } });
}

export function serverUrl(server: PreviewServer): string {
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('preview server has no URL');
  return url;
}

/**
 * Real headless Chromium with a fresh profile; `webgpu` adds the software (SwiftShader) WebGPU adapter. `profile`: a
 * profile folder of the caller's, used as it is and kept (the bench re-uses a filled cache that way).
 */
export async function openApp(url: string, opts: { webgpu?: boolean; profile?: string } = {}): Promise<AppSession> {
  const profile = opts.profile ?? mkdtempSync(join(tmpdir(), 'shiftlens-chromium-'));
  const args = [...BASE_FLAGS];
  if (opts.webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return {
    url,
    context,
    page,
    consoleLines,
    async close() {
      await context.close();
      if (!opts.profile) rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits for the run's status to read `done` (or fail with the app's own error message). */
export async function waitForDone(page: Page, timeoutMs: number): Promise<void> {
  const status = page.getByTestId('status');
  await page.waitForFunction(
    () => {
      const t = document.querySelector('[data-testid="status"]')?.textContent ?? '';
      return t === 'done' || t.startsWith('error') || t === 'cancelled';
    },
    undefined,
    { timeout: timeoutMs, polling: 500 },
  );
  const text = (await status.textContent()) ?? '';
  if (text !== 'done') throw new Error(`run did not finish: ${text}`);
}

export async function downloadFrom(page: Page, testid: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  return readFileSync(await download.path(), 'utf8');
}
