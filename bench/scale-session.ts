/**
 * One browser session of `npm run bench:scale`: the built app in headless Chromium (test/support/browser.ts's
 * openApp), the bench's init script (bench/scale-page.ts), the fixture route, a CDP session for the JS heap, and a
 * watchdog that reads the RSS of every Chromium process every 2 s, keeps the maxima per phase, and kills the
 * browser (by pid) when the total passes the limit or the session's deadline passes.
 */
import { readFileSync } from 'node:fs';
import type { CDPSession, Page } from 'playwright-core';
import { openApp, type AppSession } from '../test/support/browser';
import { pageScript, type PageScriptConfig } from './scale-page';
import { browserChildren, chromiumTree, killTree, summarise, type RssSnapshot } from './scale-procs';
import { cellFixtures } from './scale-tree';

export const FIXTURE_BASE = '/__scale_fixture/';
export const DATASET_REGION = 'ImageNet-C folder';

export class DidNotHold extends Error {}
export class TimedOut extends Error {}

export const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new TimedOut(`${what}: no answer in ${Math.round(ms / 1000)} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** [epoch ms, phase, browser MB, renderers MB, largest renderer MB, GPU MB, utility MB, total MB,
 *   CPU s so far of the browser process, the renderers, the others] */
export type FastRss = [number, string, number, number, number, number, number, number, number, number, number];

export interface PageLog {
  installedAt: number;
  longtasks: [number, number][];
  /** [epoch ms, value, max, 1 when the bar (re)appeared, images from the cache where the app shows it] */
  progress: [number, number, number, number, number | null][];
  status: [number, string | null][];
  clicks: [number, string][];
  changes: [number, string, number | null][];
  tickGaps: [number, number][];
  errors: string[];
  pickCalls: number[];
  listedSeenAt: number | null;
  listProblem: [number, string] | null;
  maxTickGap: number;
  standin: Record<string, number>;
  /** [epoch ms, test id, present] whenever one of a few test ids appears or goes */
  appear: [number, string, boolean][];
  marks: [string, number][];
}

export class BenchSession {
  phase = 'setup';
  killedReason: string | null = null;
  readonly fast: FastRss[] = [];
  private timer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    readonly app: AppSession,
    readonly browserPid: number,
    readonly profile: string,
    readonly cdp: CDPSession,
    readonly rssLimitMB: number,
  ) {}

  get page(): Page {
    return this.app.page;
  }

  static async open(url: string, cfg: PageScriptConfig, opts: { rssLimitMB: number; deadlineMs: number; profile?: string }): Promise<BenchSession> {
    const before = new Set(browserChildren().map((b) => b.pid));
    const app = await openApp(url, { profile: opts.profile });
    const mine = browserChildren().filter((b) => !before.has(b.pid));
    if (mine.length !== 1) {
      await app.close().catch(() => {});
      throw new Error(`expected one new Chromium browser process, found ${mine.length}`);
    }
    const cdp = await app.context.newCDPSession(app.page);
    await cdp.send('Performance.enable');
    // A kept profile: its service worker (and caches) belong to the build served last time; IndexedDB stays.
    if (opts.profile) await cdp.send('Storage.clearDataForOrigin', { origin: new URL(url).origin, storageTypes: 'service_workers,cache_storage' } as never);
    const s = new BenchSession(app, mine[0].pid, mine[0].profile, cdp, opts.rssLimitMB);
    try {
      await s.prepare(cfg, opts.deadlineMs);
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  private async prepare(cfg: PageScriptConfig, deadlineMs: number): Promise<void> {
    const s = this;
    const app = this.app;
    s.timer = setInterval(() => s.watch(), 2000);
    s.deadlineTimer = setTimeout(() => s.kill(`timeout: the session passed its ${Math.round(deadlineMs / 1000)} s limit`), deadlineMs);
    app.page.on('crash', () => {
      s.killedReason ??= 'the page crashed (renderer gone: out of memory?)';
    });
    // Fixture bytes for the stand-in's Blobs; context.route also sees requests the service worker passes on.
    await app.context.route(`**${FIXTURE_BASE}**`, async (route) => {
      const m = new URL(route.request().url()).pathname.slice(FIXTURE_BASE.length).split('/');
      try {
        const files = cellFixtures({ corruption: m[0], severity: Number(m[1]) });
        const f = files[Number(m[2])];
        if (!f) throw new Error('no such fixture');
        await route.fulfill({ status: 200, contentType: 'image/jpeg', body: readFileSync(f), headers: { 'Cross-Origin-Resource-Policy': 'same-origin' } });
      } catch (e) {
        await route.fulfill({ status: 404, body: String(e) });
      }
    });
    await app.context.addInitScript({ content: pageScript(cfg) });
    await app.page.reload();
    await app.page.getByTestId('run').waitFor({ timeout: 60_000 });
    if (cfg.fs) {
      // The stand-in's Blobs must really arrive (a Blob that fails to fetch would list as an empty file).
      const c = cfg.fs.cells[0];
      const probe = await app.page.evaluate(`fetch(${JSON.stringify(`${FIXTURE_BASE}${c[0]}/${c[1]}/0`)}).then(async (r) => [r.status, (await r.blob()).size])`);
      const want = readFileSync(cellFixtures({ corruption: c[0], severity: c[1] })[0]).length;
      if (JSON.stringify(probe) !== JSON.stringify([200, want])) throw new Error(`fixture route does not serve the page: got ${JSON.stringify(probe)}, want [200, ${want}]`);
    }
  }

  rss(): RssSnapshot {
    return summarise(chromiumTree(this.browserPid, this.profile));
  }

  private watch(): void {
    if (this.closed) return;
    const r = this.rss();
    this.fast.push([Date.now(), this.phase, r.browserMB, r.rendererMB, r.maxRendererMB, r.gpuMB, r.utilityMB, r.totalMB, r.cpuS.browser, r.cpuS.renderers, r.cpuS.others]);
    if (r.totalMB > this.rssLimitMB) this.kill(`Chromium's RSS reached ${Math.round(r.totalMB)} MB (limit ${this.rssLimitMB} MB) while ${this.phase}`);
  }

  kill(reason: string): void {
    if (this.closed) return;
    this.killedReason ??= reason;
    console.log(`  ! ${reason}: killing the browser`);
    killTree(this.browserPid, this.profile);
  }

  /** Throws when the watchdog has ended the session. */
  check(): void {
    if (this.killedReason) throw new DidNotHold(this.killedReason);
  }

  async collectGarbage(): Promise<void> {
    await withTimeout(this.cdp.send('HeapProfiler.collectGarbage'), 60_000, 'HeapProfiler.collectGarbage').catch(() => {});
  }

  async heapMB(): Promise<{ used: number; total: number } | null> {
    try {
      const r = (await withTimeout(this.cdp.send('Performance.getMetrics'), 20_000, 'Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      const get = (n: string) => r.metrics.find((m) => m.name === n)?.value ?? NaN;
      return { used: get('JSHeapUsedSize') / 2 ** 20, total: get('JSHeapTotalSize') / 2 ** 20 };
    } catch {
      return null;
    }
  }

  /** page.evaluate that gives up (null) when the page's main thread does not answer in time. */
  async eval<T>(expr: string, ms = 20_000): Promise<T | null> {
    this.check();
    try {
      return await withTimeout(this.page.evaluate(expr) as Promise<T>, ms, 'page.evaluate');
    } catch (e) {
      this.check();
      if (e instanceof TimedOut) return null;
      throw e;
    }
  }

  /** Polls `probe` until it gives a value (not null/undefined). */
  async until<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.check();
      const v = await probe();
      if (v !== null && v !== undefined) return v;
      if (Date.now() > end) throw new TimedOut(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
      await sleep(everyMs);
    }
  }

  /** Everything the init script recorded in this page (since its last load), plus the app's `shiftlens:` marks. */
  async pageLog(ms = 60_000): Promise<PageLog | null> {
    return this.eval<PageLog>(
      `(() => { const S = window.__scale; if (!S) return null; const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('shiftlens:')).map((m) => [m.name, performance.timeOrigin + m.startTime]); return JSON.parse(JSON.stringify({ ...S, marks })); })()`,
      ms,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    try {
      await withTimeout(this.app.close(), 60_000, 'closing the browser');
    } catch {
      killTree(this.browserPid, this.profile);
      await withTimeout(this.app.close(), 30_000, 'closing the browser').catch(() => {});
    }
    this.closed = true;
  }
}
