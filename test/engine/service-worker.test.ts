/**
 * workers/service-worker.js, run in a fake service-worker global (vm): an update must not break a tab of the
 * previous build. The new worker waits (no skipWaiting on install) until told to, keeps the old build's cache and
 * serves its files while a tab of that build is open, and drops it only once every open window runs the new build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/fixtures';

const SCOPE = 'https://app.test/';
const OLD = 'shiftlens-shell-0ld0ld0ld0ld0ld0';

type Handler = (event: any) => void;

class FakeCache {
  readonly entries = new Map<string, Response>();
  private static key(r: RequestInfo | URL): string {
    const u = new URL(typeof r === 'string' || r instanceof URL ? r : r.url, SCOPE);
    u.search = '';
    return u.href;
  }
  async match(r: RequestInfo | URL): Promise<Response | undefined> {
    return this.entries.get(FakeCache.key(r))?.clone();
  }
  async put(r: RequestInfo | URL, response: Response): Promise<void> {
    this.entries.set(FakeCache.key(r), response);
  }
  async addAll(rs: Request[]): Promise<void> {
    for (const r of rs) this.entries.set(FakeCache.key(r), new Response(`new ${new URL(r.url).pathname}`, { headers: { 'Content-Type': 'text/javascript' } }));
  }
}

class FakeCaches {
  readonly stores = new Map<string, FakeCache>();
  async open(name: string): Promise<FakeCache> {
    if (!this.stores.has(name)) this.stores.set(name, new FakeCache());
    return this.stores.get(name)!;
  }
  async keys(): Promise<string[]> {
    return [...this.stores.keys()];
  }
  async delete(name: string): Promise<boolean> {
    return this.stores.delete(name);
  }
}

/** Loads the template as the build writes it, with two files, into a fake worker global. */
function worker(demoVersion = 'demo1demo1demo1d', caches = new FakeCaches()) {
  const template = readFileSync(join(PROJECT_ROOT, 'workers/service-worker.js'), 'utf8');
  const source = template
    .replace('__SHIFTLENS_VERSION__', 'new0new0new0new0')
    .replace('__SHIFTLENS_FILES__', JSON.stringify(['index.html', 'assets/app-new.js']))
    .replace('__SHIFTLENS_DEMO_VERSION__', demoVersion)
    .replace('__SHIFTLENS_DEMO_FILES__', JSON.stringify(['demo/manifest.json', 'demo/model.onnx']))
    .replace('__SHIFTLENS_CSP__', JSON.stringify("default-src 'self'"));
  const handlers = new Map<string, Handler>();
  const state = { windows: ['old-tab'], skipWaiting: 0, claimed: 0, network: [] as string[] };
  const self = {
    addEventListener: (type: string, h: Handler) => handlers.set(type, h),
    registration: { scope: SCOPE },
    location: { origin: new URL(SCOPE).origin },
    skipWaiting: async () => void state.skipWaiting++,
    clients: {
      claim: async () => void state.claimed++,
      matchAll: async () => state.windows.map((id) => ({ id, type: 'window' })),
    },
  };
  const fetch = async (r: { url: string }) => {
    state.network.push(r.url);
    return new Response('not found', { status: 404 });
  };
  runInNewContext(source, { self, caches, fetch, Request, Response, Headers, URL, Set, JSON, Promise, Object, console });

  /** Dispatches an event and waits for everything it passed to waitUntil / respondWith. */
  async function dispatch(type: string, init: Record<string, unknown> = {}): Promise<Response | undefined> {
    const waits: Promise<unknown>[] = [];
    let response: Promise<Response> | undefined;
    handlers.get(type)!({ ...init, waitUntil: (p: Promise<unknown>) => waits.push(p), respondWith: (p: Promise<Response>) => (response = p) });
    const r = await response;
    await Promise.all(waits);
    return r;
  }
  const get = (path: string, init: { mode?: string; resultingClientId?: string } = {}) =>
    // A plain request-like object: Node's Request cannot be built with mode 'navigate'.
    dispatch('fetch', { request: { url: new URL(path, SCOPE).href, method: 'GET', mode: init.mode ?? 'cors' }, resultingClientId: init.resultingClientId });
  return { dispatch, get, caches, state };
}

/** The previous build's cache, as its worker left it: its shell and a lazily loaded worker chunk. */
async function withOldBuild(w: ReturnType<typeof worker>) {
  const old = await w.caches.open(OLD);
  await old.put(`${SCOPE}index.html`, new Response('old shell'));
  await old.put(`${SCOPE}assets/inference.worker-old.js`, new Response('old chunk'));
}

describe('service worker: updates keep old tabs working', () => {
  it('installs without taking over: it waits until the page says skip-waiting', async () => {
    const w = worker();
    await withOldBuild(w);
    await w.dispatch('install');
    expect(w.state.skipWaiting).toBe(0);
    expect(await w.caches.keys()).toContain('shiftlens-shell-new0new0new0new0');
    await w.dispatch('message', { data: { type: 'skip-waiting' } });
    expect(w.state.skipWaiting).toBe(1);
  });

  it('keeps the old cache on activate while a tab of the old build is open, and serves its chunks from it', async () => {
    const w = worker();
    await withOldBuild(w);
    await w.dispatch('install');
    await w.dispatch('activate');
    expect(await w.caches.keys()).toContain(OLD);
    const chunk = (await w.get('assets/inference.worker-old.js'))!;
    expect(chunk.status).toBe(200);
    expect(await chunk.text()).toBe('old chunk');
    expect(w.state.network).toEqual([]);
    // Served responses carry the isolation headers and the CSP, like the server's.
    expect(chunk.headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
    expect(chunk.headers.get('Content-Security-Policy')).toBe("default-src 'self'");
    // This build's own files come from its own cache.
    expect(await (await w.get('assets/app-new.js'))!.text()).toBe('new /assets/app-new.js');
  });

  it('drops the old cache only once every open window was loaded by the new build', async () => {
    const w = worker();
    await withOldBuild(w);
    await w.dispatch('install');
    await w.dispatch('activate');
    // A reload in one tab: the new shell, but the old tab is still open.
    w.state.windows = ['old-tab', 'reloading-tab'];
    const shell = (await w.get('/', { mode: 'navigate', resultingClientId: 'new-tab' }))!;
    expect(await shell.text()).toBe('new /index.html');
    w.state.windows = ['old-tab', 'new-tab'];
    await w.dispatch('message', { data: { type: 'client-ready' } });
    expect(await w.caches.keys()).toContain(OLD);
    // The old tab closes: the next window that loads lets the worker drop the old build's cache.
    w.state.windows = ['new-tab'];
    await w.dispatch('message', { data: { type: 'client-ready' } });
    expect(await w.caches.keys()).toEqual(['shiftlens-shell-new0new0new0new0', 'shiftlens-demo-demo1demo1demo1d']);
  });

  it('a first install (no earlier build) claims the open page at once', async () => {
    const w = worker();
    await w.dispatch('install');
    await w.dispatch('activate');
    expect(w.state.claimed).toBe(1);
  });
});

describe('service worker: the embedded demo', () => {
  it('caches the demo at install in a cache of its own and serves it without the network', async () => {
    const w = worker();
    await w.dispatch('install');
    await w.dispatch('activate');
    expect(await w.caches.keys()).toContain('shiftlens-demo-demo1demo1demo1d');
    const r = (await w.get('demo/model.onnx'))!;
    expect(await r.text()).toBe('new /demo/model.onnx');
    expect(r.headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
    expect(w.state.network).toEqual([]);
  });

  it('an app update with the same demo files does not download the demo again; a new demo replaces the old cache', async () => {
    const first = worker();
    await first.dispatch('install');
    const demo = await first.caches.open('shiftlens-demo-demo1demo1demo1d');
    await demo.put(`${SCOPE}demo/model.onnx`, new Response('kept'));
    // The next build, same demo: its install leaves the demo cache as it was.
    const same = worker('demo1demo1demo1d', first.caches);
    await same.dispatch('install');
    expect(await (await same.get('demo/model.onnx'))!.text()).toBe('kept');
    // A build with other demo files: a new demo cache, and the old one goes once no old window is left.
    const next = worker('demo2demo2demo2d', first.caches);
    next.state.windows = [];
    await next.dispatch('install');
    await next.dispatch('activate');
    expect(await next.caches.keys()).not.toContain('shiftlens-demo-demo1demo1demo1d');
    expect(await (await next.get('demo/model.onnx'))!.text()).toBe('new /demo/model.onnx');
  });
});
