import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync, createReadStream, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';

const root = dirname(fileURLToPath(import.meta.url));

/** Threaded WASM needs SharedArrayBuffer, which needs cross-origin isolation. */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The app's Content-Security-Policy: nothing but its own origin. Sent as a response header by `vite preview` and
 * `vite dev` (below) and by the service worker with every response it serves from its cache
 * (workers/service-worker.js, filled in at build time by offlineShell), and written into the built index.html as
 * a meta tag for hosts that send no headers (a meta tag cannot carry frame-ancestors, so that one is header-only).
 * Checked end to end by test/e2e/csp.test.ts (the whole flow with no violation).
 */
export const CSP_DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  // onnxruntime-web and the corruption kernels compile WebAssembly; no eval, no inline script.
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  // Scoped styles are built into the CSS file: no <style> element is injected. Style *attributes* are set by the
  // components (style="width: …", Chart.js canvases), so those, and only those, are allowed inline.
  ['style-src', "'self'"],
  ['style-src-attr', "'unsafe-inline'"],
  ['img-src', "'self' data: blob:"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
];

/** Directives a `<meta http-equiv="Content-Security-Policy">` ignores (with a console error). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

const policy = (ds: readonly (readonly [string, string])[]) => ds.map(([k, v]) => `${k} ${v}`).join('; ');

/** The policy as a response header. */
export const CONTENT_SECURITY_POLICY = policy(CSP_DIRECTIVES);
/** The policy for the meta tag of index.html. */
export const CONTENT_SECURITY_POLICY_META = policy(CSP_DIRECTIVES.filter(([k]) => !HEADER_ONLY.has(k)));

/**
 * `vite dev`'s variant: the dev server injects each component's CSS as a <style> element and talks to its HMR
 * websocket, so it also allows inline styles and ws:/wss:. The built app never needs either.
 */
export const CONTENT_SECURITY_POLICY_DEV = policy(
  CSP_DIRECTIVES.map(([k, v]): [string, string] => (k === 'style-src' ? [k, `${v} 'unsafe-inline'`] : k === 'connect-src' ? [k, `${v} ws: wss:`] : [k, v])),
);

/** What the built app is served with: isolation plus the Content-Security-Policy above. */
const appHeaders = { ...isolationHeaders, 'Content-Security-Policy': CONTENT_SECURITY_POLICY };
const devHeaders = { ...isolationHeaders, 'Content-Security-Policy': CONTENT_SECURITY_POLICY_DEV };

/**
 * The pages the build emits: the app, plus the benchmark page only when SHIFTLENS_BENCH is set (`npm run bench`
 * sets it), so `npm run build` / `npm start` ship and precache nothing but the app.
 */
export function buildInputs(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const input: Record<string, string> = { main: join(root, 'index.html') };
  if (env.SHIFTLENS_BENCH && env.SHIFTLENS_BENCH !== '0') input.bench = join(root, 'bench/page.html');
  return input;
}

/** The built index.html carries the policy in a meta tag too, for hosts that send no headers. */
function cspMetaTag(): Plugin {
  return {
    name: 'shiftlens-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'pre',
      handler: (html, ctx) =>
        ctx.path.endsWith('/index.html') && !ctx.path.includes('/bench/')
          ? [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY_META }, injectTo: 'head-prepend' }]
          : html,
    },
  };
}

/**
 * onnxruntime-web fetches its .wasm at run time. We serve it from our own origin under /ort/
 * so the app works offline and the path is the same in dev, preview and the built app.
 */
const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'];
function ortRuntimeFiles(): Plugin {
  const dir = join(root, 'node_modules/onnxruntime-web/dist');
  return {
    name: 'shiftlens-ort-runtime-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.split('?')[0].replace(/^\/ort\//, '');
        if (req.url?.startsWith('/ort/') && name && ORT_FILES.includes(name) && existsSync(join(dir, name))) {
          res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
          createReadStream(join(dir, name)).pipe(res);
          return;
        }
        next();
      });
    },
    generateBundle() {
      for (const name of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: readFileSync(join(dir, name)) });
      }
    },
  };
}

/**
 * Offline start: writes the service worker (workers/service-worker.js) into the build with the list of every
 * built file to precache and a hash of their contents as the cache version (a new build, a new cache).
 */
function offlineShell(): Plugin {
  let outDir = '';
  return {
    name: 'shiftlens-offline-shell',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
      const all = walk(outDir)
        .map((f) => relative(outDir, f).split('\\').join('/'))
        .filter((f) => f !== 'sw.js')
        .sort();
      // The demo (public/demo/) is cached apart, versioned by its own files (see workers/service-worker.js).
      const isDemo = (f: string) => f.startsWith('demo/');
      const files = all.filter((f) => !isDemo(f));
      const demoFiles = all.filter(isDemo);
      const template = readFileSync(join(root, 'workers/service-worker.js'), 'utf8');
      const hash = createHash('sha256').update(template);
      for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(outDir, f)));
      const demoHash = createHash('sha256');
      for (const f of demoFiles) demoHash.update(`${f}\0`).update(readFileSync(join(outDir, f)));
      const sw = template
        .replace('__SHIFTLENS_VERSION__', hash.digest('hex').slice(0, 16))
        .replace('__SHIFTLENS_FILES__', JSON.stringify(files))
        .replace('__SHIFTLENS_DEMO_VERSION__', demoHash.digest('hex').slice(0, 16))
        .replace('__SHIFTLENS_DEMO_FILES__', JSON.stringify(demoFiles))
        .replace('__SHIFTLENS_CSP__', JSON.stringify(CONTENT_SECURITY_POLICY));
      writeFileSync(join(outDir, 'sw.js'), sw);
    },
  };
}

/**
 * The suite's long files, e2e and unit together, from longest to shortest (file times of a full `CI=true npm test`
 * here, 2 cores): with two files at a time the long ones start first and the short ones fill in at the end, so no
 * long file (the PyTorch-backed export-onnx takes ≈ 2 min) starts last beside an idle lane. Files not listed run
 * after these: the other e2e files, then the other unit files, in vitest's own order.
 */
const SUITE_ORDER = [
  'e2e/demo', 'e2e/cache-and-resume', 'tools/export-onnx', 'e2e/cam-inspector', 'e2e/adaptation', 'e2e/evaluate-reference',
  'e2e/shift-datasets', 'e2e/webgpu', 'e2e/cam-inspector-card', 'e2e/sanity-warning', 'e2e/exported-model',
  'e2e/ssim-and-partial', 'e2e/input-errors', 'core/tta/tta-pytorch', 'core/corruptions/random-corruptions',
  'e2e/generate-zip', 'core/corruptions/random-noise', 'e2e/model-library', 'e2e/generate', 'e2e/add-folders',
  'e2e/compare-runs', 'e2e/update-banner', 'core/bootstrap', 'e2e/csp',
].map((f) => `/test/${f}.test.ts`);

class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SUITE_ORDER.findIndex((suffix) => f.moduleId.endsWith(suffix));
      if (i >= 0) return i;
      return SUITE_ORDER.length + (f.project.name === 'e2e' ? 0 : 1);
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  plugins: [svelte(), ortRuntimeFiles(), cspMetaTag(), offlineShell()],
  server: { headers: devHeaders },
  preview: { headers: appHeaders },
  // The build without embedded glue: the runtime files come from /ort/ only (no second 28 MB copy in assets/).
  resolve: { alias: [{ find: /^onnxruntime-web$/, replacement: join(root, 'node_modules/onnxruntime-web/dist/ort.min.mjs') }] },
  worker: { format: 'es' },
  build: {
    // SHIFTLENS_DIST lets parallel work trees build side by side without overwriting each other's dist/.
    outDir: process.env.SHIFTLENS_DIST ?? 'dist',
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    // The benchmark page is built only for `npm run bench` (SHIFTLENS_BENCH=1): it then measures the very files users get.
    rollupOptions: { input: buildInputs() },
  },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  test: {
    // Two files at a time, e2e files included (vitest's own default ran one at a time on the 2-core CI machine): a
    // browser test spends much of its time waiting (page loads, Node-side references, service-worker round trips), so
    // a second file beside it uses the idle core — the whole suite went from 1900 s to 1150 s here. Longest first, so
    // that no long file starts last: see SUITE_ORDER.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        // A timeout only catches a hang (speed is the benchmarks'): vitest's 5 s failed two fixture-heavy tests while a
        // browser test ran beside them.
        test: { name: 'unit', include: ['test/core/**/*.test.ts', 'test/engine/**/*.test.ts', 'test/tools/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 300_000,
          // expect.poll's own default (1 s) fails a wait for the page on a busy machine (seen: frost textures still
          // "loading…" after 1 s beside another browser test); a timeout only catches a hang here.
          expect: { poll: { timeout: 60_000, interval: 100 } },
        },
      },
    ],
  },
});
