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
  /**
   * Content-Security-Policy violations seen so far, in any page of the session or any of their workers. `close()`
   * fails while this is not empty: every e2e test runs the app under its policy (vite.config.ts CSP_DIRECTIVES), so
   * each flow the suite drives is also checked for a violation. A test that provokes one on purpose empties it.
   */
  readonly cspViolations: string[];
  close(): Promise<void>;
}

/** A violation event as a line: directive, what was blocked, where. */
function reportViolations() {
  addEventListener('securitypolicyviolation', (ev) => {
    const e = ev as SecurityPolicyViolationEvent;
    const report = (window as unknown as { __shiftlensCsp?: (line: string) => void }).__shiftlensCsp;
    report?.(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`.trim());
  });
}

const isCspMessage = (text: string) => /Content Security Policy|Refused to (?:load|execute|apply|connect|create|frame|evaluate)/i.test(text);

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
  const cspViolations: string[] = [];
  await context.exposeBinding('__shiftlensCsp', (_source, line: string) => void cspViolations.push(line));
  await context.addInitScript(reportViolations);
  // A worker's violations are events of the worker's own scope, and Chromium's "Refused to …" line for them does not
  // reach Playwright: each worker gets a listener that logs them (one that happens while the worker's module is
  // first evaluated, before the listener is in, is missed).
  const watch = (p: Page) => {
    p.on('console', (m) => isCspMessage(m.text()) && cspViolations.push(`console: ${m.text()}`));
    p.on('worker', (w) => {
      w.on('console', (m) => isCspMessage(m.text()) && cspViolations.push(`worker ${w.url()}: ${m.text()}`));
      w.evaluate(() =>
        self.addEventListener('securitypolicyviolation', (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`)),
      ).catch(() => {}); // a worker that ended at once
    });
  };
  context.on('page', watch);
  const existing = context.pages()[0];
  if (existing) watch(existing);
  const page = existing ?? (await context.newPage());
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return {
    url,
    context,
    page,
    consoleLines,
    cspViolations,
    async close() {
      await context.close();
      if (!opts.profile) rmSync(profile, { recursive: true, force: true });
      if (cspViolations.length) throw new Error(`Content-Security-Policy violations while the app ran:\n${[...new Set(cspViolations)].join('\n')}`);
      // The per-image export falls back to the page when its worker fails (export-client.ts): that must not happen here.
      const fellBack = consoleLines.filter((l) => l.includes('the export worker failed'));
      if (fellBack.length) throw new Error(`the per-image export fell back to the page:\n${fellBack.join('\n')}`);
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
