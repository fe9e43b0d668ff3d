/**
 * `npm run bench:scale` (not part of `npm test`): how the built app copes with ImageNet-C at full size.
 *
 * Per size S (files) and picking path, in a fresh headless Chromium (fresh profile):
 *   - handle path: `showDirectoryPicker` is replaced by a lazily generated stand-in directory-handle tree
 *     (bench/scale-page.ts) and the app's `dataset-pick` button (or, in older builds, "Choose folder…" in the
 *     ImageNet-C picker) is clicked;
 *   - webkitdir path: a hard-linked tree on disk (bench/scale-tree.ts) is set on `dataset-input`.
 * The tree is `<corruption>/<severity>/<wnid>/<stem>.JPEG`, 1000 classes × 50 images per cell, cells in
 * catalogue order; every file is a fixture JPEG of its own cell. The model is a tiny ONNX classifier
 * (bench/scale-model.ts) so decoding, not inference, bounds the speed.
 *
 * Measured: time to list (pick → `shiftlens:listed` mark, else the picker's file count, else `run` enabled),
 * Run → first inference (`shiftlens:first-inference` mark, else the progress value rising), JS heap (CDP) and the
 * RSS of every Chromium process (browser, renderers, GPU, utility) after the pick, after planning and every
 * SCALE_SAMPLE_SECONDS during the run (RSS also every 2 s for the maxima), heap and renderer-RSS growth per 100 k
 * images, images/s over the steady window, the longest main-thread task, resume after a reload (re-pick, Resume
 * or Run → first new inference), and the two exports when the run can finish within SCALE_FINISH_BUDGET_S.
 * Writes bench/scale-results.json (every sample) and prints a table.
 *
 * Env:
 *   SCALE_SIZES             handle-path sizes, default 50000,1250000,4750000 (also 250000)
 *   SCALE_PATHS             handle,webkitdir (default both)
 *   SCALE_WEBKITDIR_MAX     webkitdir path: every standard size ≤ this (default 250000), ascending, stopping at the
 *                           first that does not hold
 *   SCALE_RUN_SECONDS       seconds of run after the first inference (default 180); images/s over its last 2/3
 *   SCALE_SAMPLE_SECONDS    heap + RSS sample period during the run (default 15)
 *   SCALE_RSS_LIMIT_MB      kill Chromium above this total RSS (default 10000): "did not hold"
 *   SCALE_WEBKITDIR_RSS_STOP_MB  the same for the webkitdir path (default 8000)
 *   SCALE_LIST_TIMEOUT_S    listing / planning limit (default 1200)
 *   SCALE_SIZE_TIMEOUT_S    whole-session limit per size and path (default 3600)
 *   SCALE_FINISH_BUDGET_S   finish the run (for the exports) when the rest should take at most this (default 900)
 *   SCALE_RESUME=0          skip the reload / resume step
 *   SCALE_CALIBRATE_FILES   handle path: before the pick, time the stand-in alone (a walk of the whole tree, and
 *                           getFile() on this many files; default 10000, 0 = skip), to tell its cost from the app's
 *   SCALE_BATCH             batch size to type into the app (default: the app's auto)
 *   SCALE_THREADS           WASM threads to choose in the app (default: the app's auto)
 *   SCALE_FULL=250000       also run one corruption (5 cells) to done on SCALE_FULL_PATH (default handle),
 *                           export both, with SCALE_FULL_TIMEOUT_S (default 7200)
 *   SCALE_VERIFY_CACHE      after a run to done, read every cached record of the evaluation back out of IndexedDB and
 *                           recompute the per-cell error counts in Node against the result JSON (default 1 for
 *                           SCALE_FULL, 0 otherwise); the exported JSONL is always recounted the same way
 *   SCALE_CACHED=4750000    a re-run from a full cache at that size (handle path): the app infers the tree limited to
 *                           one class folder per cell (allocating the evaluation number and giving every fixture's real
 *                           prediction), the bench pre-fills the other records into IndexedDB (bench/scale-cache.ts,
 *                           SCALE_PREFILL_BATCH records a transaction, default 20000), reloads, picks the whole tree
 *                           and measures Run → results, memory, long tasks and both exports; with
 *                           SCALE_CACHED_FIRST_RERUN (default 1) the app first re-runs the tree once (reading the
 *                           per-image records and storing its cell summaries, as a full run would) and the run after
 *                           that is the one measured
 *   SCALE_TRACE=1           trace long main-thread tasks (≥ SCALE_TRACE_MIN_MS, default 200) in a ring buffer and
 *                           summarise what ran inside each (bench/scale-trace.ts); SCALE_TRACE_KEEP keeps the files
 *   SCALE_PROFILE=<dir>     CPU profile of the page's main thread from Run to done (.cpuprofile there), top self
 *                           times printed (not with SCALE_TRACE)
 *   SCALE_EXPORT_PREDICTIONS=0  skip the per-image export
 *   SCALE_EXPORT_TIMEOUT_S  limit for one export's download (default 3600: 4.75 M records are read back one by one)
 *   SCALE_RESULTS           file name under bench/ for the results (default scale-results.json)
 *   SCALE_TMP               where the model, downloads and hard-linked trees go (default the OS temp dir; must
 *                           be on the fixtures' filesystem for the trees)
 *   SHIFTLENS_DIST          the build to serve (default dist; the script's `vite build` writes there)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CHROMIUM, serverUrl, startPreview } from '../test/support/browser';
import { fixture, HAVE_FIXTURES, PROJECT_ROOT } from '../test/support/fixtures';
import { scaleModelBytes } from './scale-model';
import { BenchSession, DATASET_REGION, DidNotHold, FIXTURE_BASE, sleep, TimedOut, type PageLog } from './scale-session';
import { allWnids, buildLinkedTree, cellsFor, PER_CLASS, removeTree, STANDARD_SIZES } from './scale-tree';
import type { RssSnapshot } from './scale-procs';
import { compareCounts, evaluationIdOf, jsonlCounts, prefillCache, readCacheCounts } from './scale-cache';
import { LongTaskTracer, type LongTaskTrace } from './scale-trace';

const env = (k: string, d: string) => process.env[k] ?? d;
const num = (k: string, d: number) => Number(env(k, String(d)));
const SIZES = env('SCALE_SIZES', '50000,1250000,4750000').split(',').map(Number).filter(Boolean);
const PATHS = env('SCALE_PATHS', 'handle,webkitdir').split(',');
const WEBKITDIR_MAX = num('SCALE_WEBKITDIR_MAX', 250_000);
const RUN_SECONDS = num('SCALE_RUN_SECONDS', 180);
const SAMPLE_SECONDS = num('SCALE_SAMPLE_SECONDS', 15);
const RSS_LIMIT_MB = num('SCALE_RSS_LIMIT_MB', 10_000);
const WEBKITDIR_RSS_STOP_MB = num('SCALE_WEBKITDIR_RSS_STOP_MB', 8_000);
const LIST_TIMEOUT_MS = num('SCALE_LIST_TIMEOUT_S', 1200) * 1000;
const SIZE_TIMEOUT_MS = num('SCALE_SIZE_TIMEOUT_S', 3600) * 1000;
const FINISH_BUDGET_S = num('SCALE_FINISH_BUDGET_S', 900);
const RESUME = env('SCALE_RESUME', '1') !== '0';
const CALIBRATE_FILES = num('SCALE_CALIBRATE_FILES', 10_000);
const BATCH = process.env.SCALE_BATCH ? Number(process.env.SCALE_BATCH) : null;
const THREADS = process.env.SCALE_THREADS ? Number(process.env.SCALE_THREADS) : null;
const FULL = num('SCALE_FULL', 0);
const FULL_PATH = env('SCALE_FULL_PATH', 'handle') as PathKind;
const FULL_TIMEOUT_MS = num('SCALE_FULL_TIMEOUT_S', 7200) * 1000;
const CACHED = num('SCALE_CACHED', 0);
const PREFILL_BATCH = num('SCALE_PREFILL_BATCH', 20_000);
const VERIFY_CACHE = process.env.SCALE_VERIFY_CACHE;
const TRACE = env('SCALE_TRACE', '0') !== '0';
/** SCALE_PROFILE=<dir>: a CPU profile of the page's main thread from Run to done, written there, top self times printed. */
const PROFILE = process.env.SCALE_PROFILE ?? null;
/** SCALE_EXPORT_PREDICTIONS=0: only the result JSON is exported (quicker experiments). */
const EXPORT_PREDICTIONS = env('SCALE_EXPORT_PREDICTIONS', '1') !== '0';
const EXPORT_TIMEOUT_MS = num('SCALE_EXPORT_TIMEOUT_S', 3600) * 1000;
/**
 * SCALE_CACHED_PROFILE=<dir>: the Chromium profile of SCALE_CACHED is kept there, and a later run that finds it
 * filled (its scale-prefill.json: same size and model) skips the seed run, the pre-fill and the first re-run. The app
 * is then served on SCALE_PORT (default 41730: IndexedDB belongs to the origin) and its service worker and caches are
 * cleared first, so the build measured is the one served.
 */
const CACHED_PROFILE = process.env.SCALE_CACHED_PROFILE ?? null;
const PORT = num('SCALE_PORT', CACHED_PROFILE ? 41730 : 0);
const CACHED_FIRST_RERUN = env('SCALE_CACHED_FIRST_RERUN', '1') !== '0';
const TRACE_MIN_MS = num('SCALE_TRACE_MIN_MS', 200);
const RESULTS = join(PROJECT_ROOT, 'bench', process.env.SCALE_RESULTS ?? 'scale-results.json');
const LABELS = fixture('labels', 'imagenet_class_index.json');
const LAST_MODIFIED = Date.UTC(2019, 0, 1);

type PathKind = 'handle' | 'webkitdir';
type Mode = 'window' | 'full' | 'cached';

interface Sample {
  label: string;
  /** epoch ms */
  t: number;
  /** seconds since the (first) pick */
  s: number;
  /** progress value at t (from the page's own log, filled in afterwards) */
  progress: number | null;
  heapUsedMB: number | null;
  heapTotalMB: number | null;
  rss: RssSnapshot;
}

interface Measurement {
  size: number;
  path: PathKind;
  mode: Mode;
  status: 'ok' | 'did not hold' | 'timeout' | 'error';
  reason?: string;
  cells: number;
  tree?: { buildSeconds: number; removeSeconds?: number; files: number };
  pick?: { via: string; at: number; setInputFilesSeconds?: number; filesArrivedAt?: number | null; filesInInput?: number | null };
  listed?: { at: number; via: string; seconds: number; filesShown: number | null; markAt: number | null; summaryAt: number | null };
  run?: { clickAt: number; plannedAt: number | null; planSeconds: number | null; firstAt: number; firstVia: string; runToFirstSeconds: number; total: number | null; fromCache: number | null; engineInfo: string | null };
  window?: { from: number; to: number; images: number; seconds: number };
  resume?: Record<string, unknown>;
  finish?: { doneAt: number; runSeconds: number; imagesPerSec: number } | { skipped: string };
  exports?: Record<string, { seconds: number; secondsToDownload: number; bytes: number; fileName: string; check?: unknown } | { error: string }>;
  /** Counts recomputed in Node from the cache (IndexedDB) and from the exported JSONL, against the result JSON. */
  verify?: Record<string, unknown>;
  /** SCALE_CACHED: the seed run and the pre-fill of the cache. */
  prefill?: Record<string, unknown> & { firstRerun?: Record<string, unknown> };
  /** SCALE_TRACE: what ran inside the long tasks. */
  traces?: LongTaskTrace[];
  derived: {
    listSeconds: number | null;
    runToFirstSeconds: number | null;
    maxHeapMB: number | null;
    maxRendererMB: number | null;
    maxBrowserMB: number | null;
    maxTotalMB: number | null;
    /** Per phase: the largest RSS readings, and the wall and CPU seconds spent in it (CPU per process kind). */
    maxRssByPhase: Record<string, { browserMB: number; rendererMB: number; totalMB: number; seconds: number; cpuS: { browser: number; renderers: number; others: number } }>;
    heapMBPer100k: number | null;
    rendererMBPer100k: number | null;
    imagesPerSec: number | null;
    longestTaskMs: number | null;
    longestTaskPhase: string | null;
    longestTasks: { at: number; phase: string; ms: number }[];
    maxStallMs: number | null;
    resumeSeconds: number | null;
    /** Run clicked → status done, and → the results section shown. */
    runToDoneSeconds: number | null;
    runToResultsSeconds: number | null;
    exportJsonSeconds: number | null;
    exportPredictionsSeconds: number | null;
  };
  samples: Sample[];
  /** [epoch ms, phase, browser, renderers, largest renderer, gpu, utility, total] MB, then CPU seconds so far of
   *  [browser, renderers, others], every 2 s */
  rssEvery2s: unknown[];
  /** Handle path: [epoch ms, files the app has called getFile() on], every ~10 s while it lists. */
  listingGetFileCalls?: [number, number][];
  /** The stand-in's own cost (handle path), measured in the same page before the pick. */
  standIn?: { walkSeconds: number; calibrationFiles: number; getFileMsPerFile: number; estimatedListSeconds: number };
  pages: { appear: PageLog['appear']; progress: PageLog['progress']; status: PageLog['status']; longtasks: PageLog['longtasks']; tickGaps: PageLog['tickGaps']; marks: PageLog['marks']; clicks: PageLog['clicks']; changes: PageLog['changes']; standin: PageLog['standin']; errors: string[]; listProblem: PageLog['listProblem'] }[];
  phases: [string, number][];
  console: string[];
}

const round = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

function slope(points: [number, number][]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  return sxx > 0 ? sxy / sxx : null;
}

/** Progress value at epoch t from a page's log (a step function), or null before the first entry. */
function progressAt(log: PageLog['progress'], t: number): number | null {
  let v: number | null = null;
  for (const e of log) {
    if (e[0] > t) break;
    v = e[1];
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------- app steps

async function setModelAndLabels(page: Page, modelPath: string): Promise<void> {
  await page.getByTestId('model-input').setInputFiles(modelPath, { timeout: 60_000 });
  await page.getByTestId('labels-input').setInputFiles(LABELS, { timeout: 60_000 });
  if (BATCH) await page.getByTestId('batch-size').fill(String(BATCH), { timeout: 60_000 });
  if (THREADS) await page.getByTestId('threads-select').selectOption(String(THREADS), { timeout: 60_000 });
}

/** Clicks the app's folder-picker button for the ImageNet-C folder; which one it found. */
async function clickPick(page: Page): Promise<string> {
  const byId = page.getByTestId('dataset-pick');
  if (await byId.count()) {
    await byId.first().click({ timeout: 60_000 });
    return 'dataset-pick';
  }
  const inRegion = page.getByRole('region', { name: DATASET_REGION }).getByRole('button', { name: 'Choose folder…' });
  if (await inRegion.count()) {
    await inRegion.first().click({ timeout: 60_000 });
    return '"Choose folder…" in the ImageNet-C picker';
  }
  throw new Error('no dataset-pick button and no "Choose folder…" button in the ImageNet-C picker');
}

interface PickResult {
  via: string;
  at: number;
  setInputFilesSeconds?: number;
}

async function pick(sess: BenchSession, path: PathKind, treeRoot: string | null): Promise<PickResult> {
  if (path === 'handle') {
    const clickedAt = Date.now();
    const via = await clickPick(sess.page);
    const calls = await sess.until('showDirectoryPicker called', async () => {
      const c = await sess.eval<number[]>('window.__scale.pickCalls');
      return c && c.length ? c : null;
    }, 60_000);
    return { via, at: calls[calls.length - 1] ?? clickedAt };
  }
  const t0 = Date.now();
  await sess.page.getByTestId('dataset-input').setInputFiles(treeRoot!, { timeout: LIST_TIMEOUT_MS });
  return { via: 'dataset-input setInputFiles(directory)', at: t0, setInputFilesSeconds: (Date.now() - t0) / 1000 };
}

interface ListedProbe {
  marks: [string, number][];
  seen: number | null;
  problem: [number, string] | null;
  runEnabled: boolean | null;
  regionText: string | null;
  changes: [number, string, number | null][];
  getFileCalls: number;
}

async function waitListed(sess: BenchSession, since: number, runWasEnabled: boolean, series?: [number, number][]): Promise<NonNullable<Measurement['listed']> & { filesArrivedAt: number | null; filesInInput: number | null }> {
  const probe = () =>
    sess.eval<ListedProbe>(`(() => {
      const S = window.__scale;
      const marks = performance.getEntriesByName('shiftlens:listed').map((m) => [m.name, performance.timeOrigin + m.startTime]);
      const run = document.querySelector('[data-testid="run"]');
      const region = document.querySelector('[aria-label="${DATASET_REGION}"]');
      const sum = region ? region.querySelector('[data-testid$="-summary"]') : null;
      return { marks, seen: S.listedSeenAt, problem: S.listProblem, runEnabled: run ? !run.disabled : null, regionText: (sum || region) ? (sum || region).textContent : null, changes: S.changes, getFileCalls: S.standin.getFileCalls };
    })()`);
  let enabledAt: number | null = null;
  const p = await sess.until(
    'the app to show the listed dataset',
    async () => {
      const r = await probe();
      if (!r) return null;
      // How far the app's walk has got (handle path: the stand-in's getFile() calls), every ~10 s.
      if (series && (!series.length || Date.now() - series[series.length - 1][0] >= 10_000)) series.push([Date.now(), r.getFileCalls]);
      if (r.problem) throw new Error(`the app could not read the folder: ${r.problem[1]}`);
      if (!runWasEnabled && r.runEnabled && enabledAt === null) enabledAt = Date.now();
      const mark = r.marks.find((m) => m[1] >= since - 5);
      if (mark || r.seen !== null || (!runWasEnabled && enabledAt !== null)) return r;
      return null;
    },
    LIST_TIMEOUT_MS,
  );
  const markAt = p.marks.find((m) => m[1] >= since - 5)?.[1] ?? null;
  const at = markAt ?? p.seen ?? enabledAt!;
  const via = markAt !== null ? 'mark shiftlens:listed' : p.seen !== null ? 'picker shows the file count' : 'run button enabled';
  const m = /(\d[\d,.\u00a0\u202f]*)\s+files\b/.exec(p.regionText ?? '');
  const filesShown = m ? Number(m[1].replace(/[^\d]/g, '')) : null;
  const ch = p.changes.filter((c) => c[1] === 'dataset-input' && c[0] >= since - 5).pop();
  return { at, via, seconds: (at - since) / 1000, filesShown, markAt, summaryAt: p.seen, filesArrivedAt: ch?.[0] ?? null, filesInInput: ch?.[2] ?? null };
}

async function clickAndTime(sess: BenchSession, testid: string): Promise<number> {
  const before = Date.now();
  await sess.page.getByTestId(testid).click({ timeout: 120_000 });
  const clicks = await sess.eval<[number, string][]>('window.__scale.clicks');
  const c = (clicks ?? []).filter((x) => x[1] === testid && x[0] >= before - 5).pop();
  return c?.[0] ?? before;
}

interface RunStart {
  plannedAt: number | null;
  firstAt: number;
  firstVia: string;
  total: number | null;
  fromCache: number | null;
}

type ProgressEntry = [number, number, number, number, number | null];

/**
 * From a click on run/resume: the progress bar appearing (planned) and the first image inferred in this session.
 * Without the app's `shiftlens:first-inference` mark: the first progress entry where done − fromCache grew (where
 * the app shows "… from the cache"), else where done passed both its first value and `doneBefore` (what the bar
 * showed before a reload: a lazily listed run counts its cache hits as it goes, those are not inferences).
 */
async function waitFirstInference(sess: BenchSession, clickAt: number, onPlanned: () => Promise<void>, doneBefore = 0): Promise<RunStart> {
  let planned: [number, number, number] | null = null;
  let plannedSampled = false;
  return sess.until(
    'the first inference',
    async () => {
      const r = await sess.eval<{ marks: [string, number][]; appear: ProgressEntry | null; rise: ProgressEntry | null; status: string | null }>(`(() => {
        const S = window.__scale, t = ${clickAt - 5}, before = ${doneBefore};
        const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('shiftlens:')).map((m) => [m.name, performance.timeOrigin + m.startTime]).filter((m) => m[1] >= t);
        const i = S.progress.findIndex((e) => e[0] >= t && e[3] === 1);
        const appear = i >= 0 ? S.progress[i] : null;
        let rise = null;
        if (appear) for (let k = i + 1; k < S.progress.length; k++) {
          const e = S.progress[k];
          if (e[3] === 1) break;
          const grew = e[4] !== null && e[4] !== undefined ? e[1] - e[4] > appear[1] - (appear[4] || 0) : e[1] > Math.max(appear[1], before);
          if (grew) { rise = e; break; }
        }
        const st = document.querySelector('[data-testid="status"]');
        return { marks, appear, rise, status: st ? st.textContent : null };
      })()`);
      if (!r) return null;
      if (r.status && (r.status.startsWith('error') || r.status === 'cancelled')) throw new Error(`the run stopped: ${r.status}`);
      const plannedMark = r.marks.find((m) => m[0] === 'shiftlens:planned');
      if (r.appear && !planned) planned = [plannedMark?.[1] ?? r.appear[0], r.appear[1], r.appear[2]];
      if (planned && !plannedSampled) {
        plannedSampled = true;
        await onPlanned();
      }
      const mark = r.marks.find((m) => m[0] === 'shiftlens:first-inference');
      if (mark) return { plannedAt: planned?.[0] ?? null, firstAt: mark[1], firstVia: 'mark shiftlens:first-inference', total: planned?.[2] ?? null, fromCache: planned?.[1] ?? null };
      if (r.rise) return { plannedAt: planned?.[0] ?? null, firstAt: r.rise[0], firstVia: r.rise[4] !== null && r.rise[4] !== undefined ? 'progress: done − from-cache rose' : 'progress value rose', total: planned?.[2] ?? r.rise[2], fromCache: r.rise[4] ?? planned?.[1] ?? null };
      if (r.status === 'done') return { plannedAt: planned?.[0] ?? null, firstAt: Date.now(), firstVia: 'status done (nothing left to infer)', total: planned?.[2] ?? null, fromCache: planned?.[1] ?? null };
      return null;
    },
    LIST_TIMEOUT_MS,
    200,
  );
}

const statusOf = (sess: BenchSession) => sess.eval<string>(`(document.querySelector('[data-testid="status"]') || {}).textContent || ''`);
const lastProgress = (sess: BenchSession) => sess.eval<ProgressEntry | null>('window.__scale.progress[window.__scale.progress.length - 1] || null');

async function exportOne(sess: BenchSession, testid: string, dir: string, inspect?: (file: string) => Promise<unknown>) {
  try {
    const t0 = Date.now();
    const [download] = await Promise.all([sess.page.waitForEvent('download', { timeout: EXPORT_TIMEOUT_MS }), sess.page.getByTestId(testid).click({ timeout: 120_000 })]);
    const t1 = Date.now();
    const file = join(dir, `${testid}-${download.suggestedFilename()}`);
    await download.saveAs(file); // streamed to disk by Playwright, never held in this process
    const failure = await download.failure();
    if (failure) return { error: failure };
    const t2 = Date.now();
    const bytes = statSync(file).size;
    const check = inspect ? await inspect(file).catch((e: Error) => ({ error: e.message })) : undefined;
    rmSync(file, { force: true });
    return { seconds: (t2 - t0) / 1000, secondsToDownload: (t1 - t0) / 1000, bytes, fileName: download.suggestedFilename(), ...(check === undefined ? {} : { check }) };
  } catch (e) {
    sess.check();
    return { error: (e as Error).message.split('\n')[0] };
  }
}

/** The functions with the most self time in a CPU profile, as lines. */
function topSelf(profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[]; samples: number[]; timeDeltas: number[] }, n: number): string[] {
  const dt = new Map<number, number>();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const f = node.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
    byFn.set(k, (byFn.get(k) ?? 0) + us);
  }
  return [`total ${(total / 1e6).toFixed(1)} s sampled`, ...[...byFn].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${(us / 1e6).toFixed(2).padStart(7)} s  ${k}`)];
}

// ---------------------------------------------------------------------------------------------------- cache pre-fill

/** wnid → index in the label list the bench gives the app (imagenet_class_index.json). */
function labelIndexOf(): Map<string, number> {
  const index = JSON.parse(readFileSync(LABELS, 'utf8')) as Record<string, [string, string]>;
  return new Map(Object.entries(index).map(([k, v]) => [v[0], Number(k)]));
}

/**
 * SCALE_CACHED: the app infers the tree limited to its first class folder per cell (so the evaluation number is the
 * app's own and every fixture's prediction is real), the bench writes the records of every other file, and the page
 * is reloaded: what follows measures a user re-running the whole tree from a full cache.
 */
async function seedAndPrefill(
  s: BenchSession,
  m: Measurement,
  cells: { corruption: string; severity: number }[],
  rootName: string,
  modelPath: string,
  modelSha256: string,
  phase: (p: string) => void,
  sample: (label: string) => Promise<void>,
): Promise<void> {
  phase('prefill: seed run');
  await setModelAndLabels(s.page, modelPath);
  await s.eval('window.__scale.classLimit = 1');
  const t0 = Date.now();
  const p = await pick(s, 'handle', null);
  await waitListed(s, p.at, false);
  await clickAndTime(s, 'run');
  await s.until(
    'the seed run to finish',
    async () => {
      const st = await statusOf(s);
      if (st && (st.startsWith('error') || st === 'cancelled')) throw new Error(`the seed run stopped: ${st}`);
      return st === 'done' ? true : null;
    },
    LIST_TIMEOUT_MS,
    1000,
  );
  const seedSeconds = (Date.now() - t0) / 1000;
  await s.eval('window.__scale.classLimit = null');
  const ev = await evaluationIdOf(s, modelSha256);
  console.log(`    seed run (1 class folder per cell, ${(cells.length * PER_CLASS).toLocaleString()} images) done in ${seedSeconds.toFixed(1)} s; evaluation number ${ev.id}`);
  phase('prefill: writing');
  const labels = labelIndexOf();
  const wnids = allWnids();
  const pf = await prefillCache(
    s,
    { id: ev.id, rootName, cells: cells.map((c) => [c.corruption, c.severity]), wnids, labels: wnids.map((w) => labels.get(w)!), perClass: PER_CLASS, batch: PREFILL_BATCH },
    (line) => console.log(`    ${line}`),
  );
  console.log(`    pre-filled ${pf.records.toLocaleString()} records in ${pf.seconds.toFixed(0)} s (${Math.round(pf.recordsPerSec).toLocaleString()}/s); seeds with another size: ${pf.sizeMismatches}, unreadable seeds: ${pf.unreadableSeeds}`);
  m.prefill = { seedSeconds: round(seedSeconds, 1), evaluationKey: ev.key, evaluationId: ev.id, ...pf, seconds: round(pf.seconds, 1), recordsPerSec: Math.round(pf.recordsPerSec), batch: PREFILL_BATCH };
  await sample('after pre-fill');
  // A reload forgets the page's state; the app's cache stays. Sampled once settled.
  // (Session 7 folded the two copies of this step into a helper that called itself: the pre-fill then died with
  // "Maximum call stack size exceeded" — found when a fresh profile needed it again.)
  const reloadAndSample = async () => {
    phase('prefill: reload');
    await s.page.reload({ timeout: 300_000 });
    await s.page.getByTestId('run').waitFor({ timeout: 120_000 });
    await s.collectGarbage();
    await sleep(5000);
    await sample('after reload');
  };
  await reloadAndSample();
  if (CACHED_FIRST_RERUN) {
    // The cache as the bench wrote it has per-image records only; the app's own first re-run reads those (image by
    // image) and stores a summary per cell, as a full run would have. The run measured next is the one after it.
    phase('prefill: first re-run');
    await setModelAndLabels(s.page, modelPath);
    const t1 = Date.now();
    const p1 = await pick(s, 'handle', null);
    await waitListed(s, p1.at, false);
    const click = await clickAndTime(s, 'run');
    let next = Date.now() + SAMPLE_SECONDS * 4000;
    await s.until(
      'the first re-run to finish',
      async () => {
        const st = await statusOf(s);
        if (st && (st.startsWith('error') || st === 'cancelled')) throw new Error(`the first re-run stopped: ${st}`);
        if (Date.now() >= next) {
          next += SAMPLE_SECONDS * 4000;
          const lp = await lastProgress(s);
          console.log(`    first re-run: ${lp ? `${lp[1].toLocaleString()} of ${lp[2].toLocaleString()}` : '?'} after ${Math.round((Date.now() - click) / 1000)} s`);
        }
        return st === 'done' ? true : null;
      },
      FULL_TIMEOUT_MS,
      1000,
    );
    const log = await s.pageLog();
    const doneAt = log?.status.filter((x) => x[1] === 'done').pop()?.[0] ?? Date.now();
    const longest = Math.max(0, ...(log?.longtasks ?? []).filter((t) => t[0] >= click && t[0] <= doneAt).map((t) => t[1]));
    const fast = s.fast.filter((f) => f[0] >= t1);
    m.prefill.firstRerun = {
      runToDoneSeconds: round((doneAt - click) / 1000, 1),
      maxRendererMB: Math.round(Math.max(...fast.map((f) => f[3]))),
      maxBrowserMB: Math.round(Math.max(...fast.map((f) => f[2]))),
      longestTaskMs: Math.round(longest),
      fromCacheText: await s.eval<string>(`(document.querySelector('[data-testid="progress"]')?.nextElementSibling || {}).textContent || null`),
    };
    console.log(`    first re-run (per-image records → cell summaries): Run → done ${m.prefill.firstRerun.runToDoneSeconds} s, renderer ≤ ${m.prefill.firstRerun.maxRendererMB} MB`);
    await sample('after the first re-run');
    await reloadAndSample();
  }
  // The model and labels again (a reload forgets them); the measured run starts from the pick.
}

// ---------------------------------------------------------------------------------------------------- one measurement

async function measure(url: string, size: number, path: PathKind, mode: Mode, work: string, modelPath: string, modelSha256: string): Promise<Measurement> {
  const toDone = mode !== 'window';
  const cells = cellsFor(size);
  const rootName = `imagenet-c-${size}`;
  const m: Measurement = {
    size,
    path,
    mode,
    status: 'ok',
    cells: cells.length,
    derived: {} as Measurement['derived'],
    samples: [],
    rssEvery2s: [],
    pages: [],
    phases: [],
    console: [],
  };
  let treeRoot: string | null = null;
  if (path === 'webkitdir') {
    process.stdout.write(`  building the hard-linked ${size.toLocaleString()}-file tree… `);
    const t = buildLinkedTree(work, rootName, size);
    treeRoot = t.root;
    m.tree = { buildSeconds: round(t.seconds, 2)!, files: t.files };
    console.log(`${t.seconds.toFixed(1)} s`);
  }
  let sess: BenchSession | null = null;
  let pickAt = 0;
  const phase = (p: string) => {
    if (sess) sess.phase = p;
    m.phases.push([p, Date.now()]);
  };
  const sample = async (label: string) => {
    if (!sess) return;
    const heap = await sess.heapMB();
    const rss = sess.rss();
    m.samples.push({ label, t: Date.now(), s: pickAt ? round((Date.now() - pickAt) / 1000, 1)! : 0, progress: null, heapUsedMB: round(heap?.used), heapTotalMB: round(heap?.total), rss });
    console.log(
      `    ${label.padEnd(22)} heap ${String(round(heap?.used, 0) ?? '?').padStart(6)} MB · renderer ${String(Math.round(rss.rendererMB)).padStart(6)} MB · browser ${String(Math.round(rss.browserMB)).padStart(5)} MB · total ${Math.round(rss.totalMB)} MB`,
    );
  };
  const keepPage = async () => {
    const log = await sess?.pageLog().catch(() => null);
    if (log) m.pages.push({ appear: log.appear, progress: log.progress, status: log.status, longtasks: log.longtasks, tickGaps: log.tickGaps, marks: log.marks, clicks: log.clicks, changes: log.changes, standin: log.standin, errors: log.errors, listProblem: log.listProblem });
  };
  let firstAt = 0;
  let windowEnd = 0;
  let tracer: LongTaskTracer | null = null;
  const pollTrace = async () => {
    if (!tracer || !sess) return;
    const lt = await sess.eval<[number, number][]>('window.__scale.longtasks');
    if (lt) await tracer.poll(lt);
  };
  try {
    const wnids = allWnids();
    const cfg = {
      datasetRegionLabel: DATASET_REGION,
      fs:
        path === 'handle'
          ? { rootName, cells: cells.map((c) => [c.corruption, c.severity] as [string, number]), wnids, perClass: PER_CLASS, fixturesPerCell: 50, fixtureBase: FIXTURE_BASE, lastModified: LAST_MODIFIED, batch: 100 }
          : null,
    };
    const limit = path === 'webkitdir' ? Math.min(RSS_LIMIT_MB, WEBKITDIR_RSS_STOP_MB) : RSS_LIMIT_MB;
    const profile = mode === 'cached' && CACHED_PROFILE ? CACHED_PROFILE : undefined;
    const marker = profile ? join(profile, 'scale-prefill.json') : null;
    const filled = marker && existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as { size: number; modelSha256: string; prefill: Measurement['prefill'] }) : null;
    const reuse = !!filled && filled.size === size && filled.modelSha256 === modelSha256;
    if (profile) mkdirSync(profile, { recursive: true });
    sess = await BenchSession.open(url, cfg, { rssLimitMB: limit, deadlineMs: toDone ? FULL_TIMEOUT_MS : SIZE_TIMEOUT_MS, profile });
    const s = sess;
    phase('setup');
    if (reuse) {
      // (BenchSession.open has cleared the kept profile's service worker: the build measured is the one served.)
      m.prefill = { reusedProfile: profile, ...filled.prefill };
      console.log(`    re-using the filled cache in ${profile} (pre-filled ${String(filled.prefill?.records ?? '?')} records earlier)`);
    }
    await sample('start');
    if (mode === 'cached' && !reuse) {
      await seedAndPrefill(s, m, cells, rootName, modelPath, modelSha256, phase, sample);
      if (marker) writeFileSync(marker, JSON.stringify({ size, modelSha256, prefill: m.prefill }));
    }
    if (TRACE) {
      tracer = new LongTaskTracer(s.cdp, (e) => s.eval(e), work, TRACE_MIN_MS);
      await tracer.start();
    }
    if (path === 'handle' && CALIBRATE_FILES > 0 && mode !== 'cached') {
      // What listing costs the stand-in alone: walking the whole tree, and getFile() on the first files.
      type Walk = { files: number; seconds: number };
      const a = await s.eval<Walk>(`window.__scale.walkStandIn(${size}, false)`, LIST_TIMEOUT_MS);
      const n = Math.min(size, CALIBRATE_FILES);
      const b = await s.eval<Walk>(`window.__scale.walkStandIn(${n}, true)`, LIST_TIMEOUT_MS);
      await s.collectGarbage();
      if (a && b) {
        const perFile = Math.max(0, (b.seconds - (a.seconds * n) / size) / n) * 1000;
        m.standIn = { walkSeconds: round(a.seconds, 2)!, calibrationFiles: n, getFileMsPerFile: round(perFile, 3)!, estimatedListSeconds: round(a.seconds + (perFile * size) / 1000, 1)! };
        console.log(`    stand-in alone: walk ${a.seconds.toFixed(1)} s, getFile() ${perFile.toFixed(3)} ms/file → ~${m.standIn.estimatedListSeconds} s of any listing that calls getFile() on every file`);
      }
      await sample('after calibration');
    }
    await setModelAndLabels(s.page, modelPath);
    const runWasEnabled = (await s.page.getByTestId('run').isEnabled()) ?? true;

    phase('listing');
    const p = await pick(s, path, treeRoot);
    pickAt = p.at;
    const series: [number, number][] = [];
    m.listingGetFileCalls = series;
    const listed = await waitListed(s, p.at, runWasEnabled, path === 'handle' ? series : undefined);
    m.pick = { via: p.via, at: p.at, setInputFilesSeconds: p.setInputFilesSeconds, filesArrivedAt: listed.filesArrivedAt, filesInInput: listed.filesInInput };
    m.listed = { at: listed.at, via: listed.via, seconds: round(listed.seconds, 2)!, filesShown: listed.filesShown, markAt: listed.markAt, summaryAt: listed.summaryAt };
    console.log(`    listed in ${listed.seconds.toFixed(1)} s (${listed.via}; the app shows ${listed.filesShown?.toLocaleString() ?? '?'} files)`);
    if (listed.filesShown !== null && listed.filesShown !== size) console.log(`    ! the app lists ${listed.filesShown} files, the tree has ${size}`);
    await sample('after pick');

    phase('planning');
    if (PROFILE) {
      await s.cdp.send('Profiler.enable');
      await s.cdp.send('Profiler.setSamplingInterval', { interval: 500 } as never);
      await s.cdp.send('Profiler.start');
    }
    const clickAt = await clickAndTime(s, 'run');
    const start = await waitFirstInference(s, clickAt, () => sample('after planning'));
    firstAt = start.firstAt;
    const engineInfo = await s.eval<string>(`(document.querySelector('[data-testid="engine-info"]') || {}).textContent || null`);
    m.run = {
      clickAt,
      plannedAt: start.plannedAt,
      planSeconds: start.plannedAt ? round((start.plannedAt - clickAt) / 1000, 2) : null,
      firstAt: start.firstAt,
      firstVia: start.firstVia,
      runToFirstSeconds: round((start.firstAt - clickAt) / 1000, 2)!,
      total: start.total,
      fromCache: start.fromCache,
      engineInfo,
    };
    console.log(`    run → first inference ${m.run.runToFirstSeconds} s (progress bar after ${m.run.planSeconds ?? '?'} s, total ${start.total?.toLocaleString() ?? '?'} then) · ${engineInfo ?? ''}`);

    phase('running');
    const runFor = toDone ? Infinity : RUN_SECONDS * 1000;
    let nextSample = Date.now() + SAMPLE_SECONDS * 1000;
    let finished = false;
    for (;;) {
      s.check();
      const now = Date.now();
      if (now >= firstAt + runFor) break;
      const st = await statusOf(s);
      if (st === 'done') {
        finished = true;
        break;
      }
      if (st && (st.startsWith('error') || st === 'cancelled')) throw new Error(`the run stopped: ${st}`);
      if (now >= nextSample) {
        nextSample += SAMPLE_SECONDS * 1000;
        await sample(`running +${Math.round((now - firstAt) / 1000)} s`);
      }
      await pollTrace();
      await sleep(1000);
    }
    windowEnd = Date.now();
    await sample(finished ? 'done' : 'end of window');
    let last = await lastProgress(s);
    // The rate over the steady part so far (for deciding whether to finish the run).
    const rate = await s.eval<number | null>(`(() => {
      const P = window.__scale.progress, now = Date.now(), from = ${firstAt} + Math.min(60000, (now - ${firstAt}) / 3);
      let a = null; for (const e of P) { if (e[0] <= from) a = e; else break; }
      const b = P[P.length - 1];
      return a && b && b[0] > from ? (b[1] - a[1]) / ((b[0] - from) / 1000) : null;
    })()`);

    if (mode === 'window' && RESUME && !finished) {
      phase('resume: reload');
      await keepPage();
      const before = last?.[1] ?? null;
      const reloadAt = Date.now();
      await s.page.reload({ timeout: 300_000 });
      await s.page.getByTestId('run').waitFor({ timeout: 120_000 });
      const reloadSeconds = (Date.now() - reloadAt) / 1000;
      const banner = await s
        .until('resume banner', async () => ((await s.eval<boolean>(`!!document.querySelector('[data-testid="resume"]')`)) ? true : null), 8000)
        .catch((e) => {
          if (e instanceof TimedOut) return false;
          throw e;
        });
      await sample('after reload');
      if (!banner) await setModelAndLabels(s.page, modelPath);
      const enabledNow = (await s.page.getByTestId('run').isEnabled()) ?? true;
      phase('resume: listing');
      const p2 = await pick(s, path, treeRoot);
      const listed2 = await waitListed(s, p2.at, enabledNow);
      await sample('resume: after pick');
      phase('resume: planning');
      const useResume = banner && (await s.page.getByTestId('resume').count()) > 0;
      const click2 = await clickAndTime(s, useResume ? 'resume' : 'run');
      const start2 = await waitFirstInference(s, click2, () => sample('resume: after planning'), before ?? 0);
      m.resume = {
        progressBeforeReload: before,
        reloadSeconds: round(reloadSeconds, 2),
        banner,
        pressed: useResume ? 'resume' : 'run',
        pickVia: p2.via,
        listSeconds: round(listed2.seconds, 2),
        listedVia: listed2.via,
        filesShown: listed2.filesShown,
        clickAt: click2,
        plannedAt: start2.plannedAt,
        planSeconds: start2.plannedAt ? round((start2.plannedAt - click2) / 1000, 2) : null,
        firstAt: start2.firstAt,
        firstVia: start2.firstVia,
        fromCache: start2.fromCache,
        total: start2.total,
        clickToFirstSeconds: round((start2.firstAt - click2) / 1000, 2),
        reloadToFirstSeconds: round((start2.firstAt - reloadAt) / 1000, 2),
      };
      console.log(
        `    resume: reload ${reloadSeconds.toFixed(1)} s, banner ${banner ? 'yes' : 'no'}, re-list ${listed2.seconds.toFixed(1)} s, ${useResume ? 'Resume' : 'Run'} → first new inference ${m.resume.clickToFirstSeconds} s (${start2.fromCache?.toLocaleString() ?? '?'} from the cache)`,
      );
      phase('running after resume');
      await sleep(3000);
      await sample('resume: running');
      last = await lastProgress(s);
    }

    // Finish (for the exports) when the rest is short enough; the full mode always finishes.
    let done = finished;
    if (!done) {
      const total = last?.[2] ?? size;
      const rest = total - (last?.[1] ?? 0);
      const eta = rate && rate > 0 ? rest / rate : Infinity;
      if (toDone || eta <= FINISH_BUDGET_S) {
        phase('finishing');
        console.log(`    finishing: ${rest.toLocaleString()} images left, ~${Math.round(eta)} s`);
        const limitMs = toDone ? FULL_TIMEOUT_MS : Math.max(120_000, eta * 3000);
        let nextS = Date.now() + SAMPLE_SECONDS * 1000;
        await s.until(
          'the run to finish',
          async () => {
            const st = await statusOf(s);
            if (st && (st.startsWith('error') || st === 'cancelled')) throw new Error(`the run stopped: ${st}`);
            if (Date.now() >= nextS) {
              nextS += SAMPLE_SECONDS * 1000;
              await sample('finishing');
            }
            await pollTrace();
            return st === 'done' ? true : null;
          },
          limitMs,
          1000,
        );
        done = true;
      } else {
        m.finish = { skipped: `not finished: ${rest.toLocaleString()} images left at ~${rate ? Math.round(rate) : '?'} images/s (over SCALE_FINISH_BUDGET_S=${FINISH_BUDGET_S}); the exports need a finished run` };
      }
    }
    if (done) {
      const st = await s.eval<[number, string | null][]>('window.__scale.status');
      const doneAt = (st ?? []).filter((x) => x[1] === 'done').pop()?.[0] ?? Date.now();
      const runSeconds = (doneAt - (m.resume ? (m.resume.clickAt as number) : clickAt)) / 1000;
      m.finish = { doneAt, runSeconds: round(runSeconds, 1)!, imagesPerSec: round(size / Math.max(runSeconds, 1e-3), 1)! };
      if (!finished) await sample('done');
      if (PROFILE) {
        const { profile } = (await s.cdp.send('Profiler.stop')) as { profile: Parameters<typeof topSelf>[0] };
        writeFileSync(join(PROFILE, `scale-${size}-${mode}.cpuprofile`), JSON.stringify(profile));
        console.log(`    CPU profile, Run → done (self time):\n${topSelf(profile, 20).map((l) => `      ${l}`).join('\n')}`);
      }
      // The results section shown (the page's own log of when test ids appear).
      const appear = await s.eval<[number, string, boolean][]>('window.__scale.appear');
      const click = (m.resume ? (m.resume.clickAt as number) : clickAt) - 5;
      const shownAt = (appear ?? []).find((a) => a[1] === 'results' && a[2] && a[0] >= click)?.[0] ?? null;
      (m.finish as Record<string, unknown>).resultsShownAt = shownAt;
      if (tracer) {
        const lt = await s.eval<[number, number][]>('window.__scale.longtasks');
        if (lt) await tracer.checkpoint(lt);
      }
      phase('export');
      let resultDoc: { corruptions: Record<string, { severities: Record<string, { n: number; errors: number }> }>; counts?: unknown } | null = null;
      const jsonCheck = async (file: string) => {
        resultDoc = JSON.parse(readFileSync(file, 'utf8'));
        return { counts: resultDoc!.counts };
      };
      const jsonlCheck = async (file: string) => {
        const c = await jsonlCounts(file, rootName);
        const differences = resultDoc ? compareCounts(resultDoc, c.cells) : ['no result JSON to compare with'];
        return { lines: c.lines, seconds: round(c.seconds, 1), argmaxNotFirst: c.argmaxNotFirst, equalToResult: differences.length === 0, differences: differences.slice(0, 20) };
      };
      m.exports = {
        'export-json': await exportOne(s, 'export-json', work, jsonCheck),
        ...(EXPORT_PREDICTIONS ? { 'export-predictions': await exportOne(s, 'export-predictions', work, jsonlCheck) } : {}),
      };
      for (const [k, v] of Object.entries(m.exports)) console.log(`    ${k}: ${'error' in v ? `failed: ${v.error}` : `${v.seconds.toFixed(1)} s, ${(v.bytes / 1e6).toFixed(1)} MB`}`);
      await sample('after exports');
      if (VERIFY_CACHE === '1' || (VERIFY_CACHE === undefined && mode === 'full')) {
        phase('verify');
        const labelOf = labelIndexOf();
        const ev = await evaluationIdOf(s, modelSha256);
        const c = await readCacheCounts(s, ev.id, rootName, labelOf);
        const differences = resultDoc ? compareCounts(resultDoc, c.cells) : ['no result JSON to compare with'];
        m.verify = { evaluationKey: ev.key, evaluationId: ev.id, records: c.records, seconds: round(c.seconds, 1), argmaxNotFirst: c.argmaxNotFirst, labelMismatches: c.labelMismatches, cells: c.cells, equalToResult: differences.length === 0, differences: differences.slice(0, 20) };
        console.log(`    cache recount in Node: ${c.records.toLocaleString()} records in ${c.seconds.toFixed(1)} s → ${differences.length ? `DIFFERENT from the result JSON: ${differences.slice(0, 3).join('; ')}` : 'equal to the result JSON, cell by cell'}`);
      }
      const jl = m.exports['export-predictions'];
      if (jl && 'check' in jl && jl.check) console.log(`    JSONL recount in Node: ${JSON.stringify(jl.check).slice(0, 300)}`);
    }
    if (tracer) {
      await tracer.stop().catch((e) => console.log(`    trace: ${(e as Error).message}`));
      m.traces = tracer.found;
      for (const t of tracer.found) {
        console.log(`    long task ${t.ms} ms (cpu ${t.cpuMs ?? '?'} ms) ${t.name}: ${t.events.filter((e) => e.depth <= 1).slice(0, 6).map((e) => `${e.name} ${e.ms} ms${e.detail ? ` [${e.detail.slice(0, 80)}]` : ''}`).join(' · ')}`);
        if (t.js?.length) console.log(`      JS (${t.samples} samples): ${t.js.slice(0, 5).map((j) => `${j.fn} ${j.where} ×${j.self}`).join(' · ')}`);
      }
    }
    await keepPage();
  } catch (e) {
    const killed = sess?.killedReason;
    if (killed) {
      m.status = killed.startsWith('timeout') ? 'timeout' : 'did not hold';
      m.reason = killed;
    } else if (e instanceof DidNotHold) {
      m.status = 'did not hold';
      m.reason = e.message;
    } else if (e instanceof TimedOut) {
      m.status = 'timeout';
      m.reason = e.message;
    } else {
      m.status = 'error';
      m.reason = (e as Error).message.split('\n').slice(0, 3).join(' ');
    }
    const lastWalk = m.listingGetFileCalls?.[m.listingGetFileCalls.length - 1];
    if (lastWalk && !m.listed) m.reason += ` (the app had called getFile() on ${lastWalk[1].toLocaleString('en-US')} files ${Math.round((lastWalk[0] - pickAt) / 1000)} s into the listing)`;
    console.log(`    ✗ ${m.status}: ${m.reason}`);
    if (!killed) await keepPage().catch(() => {});
  } finally {
    if (tracer) m.traces = tracer.found;
    if (sess) {
      m.console = sess.app.consoleLines.filter((l) => !l.startsWith('log:') && !l.startsWith('debug:')).slice(0, 80);
      m.rssEvery2s = sess.fast.map((f) => [f[0], f[1], round(f[2], 0), round(f[3], 0), round(f[4], 0), round(f[5], 0), round(f[6], 0), round(f[7], 0), round(f[8], 1), round(f[9], 1), round(f[10], 1)]);
      await sess.close();
    }
    if (treeRoot) {
      const secs = removeTree(treeRoot);
      if (m.tree) m.tree.removeSeconds = round(secs, 2)!;
    }
  }
  derive(m, pickAt, firstAt, windowEnd);
  return m;
}

function phaseAt(m: Measurement, t: number): string {
  let p = m.phases[0]?.[0] ?? '?';
  for (const [name, at] of m.phases) if (at <= t) p = name;
  return p;
}

function derive(m: Measurement, pickAt: number, firstAt: number, windowEnd: number): void {
  const first = m.pages[0];
  // Progress at each sample, from the page log of the page it was taken in.
  const reloadAt = m.phases.find((p) => p[0] === 'resume: reload')?.[1] ?? Infinity;
  for (const s of m.samples) {
    const log = s.t < reloadAt ? m.pages[0] : m.pages[1];
    s.progress = log ? progressAt(log.progress, s.t) : null;
  }
  const maxOf = (xs: (number | null | undefined)[]) => {
    const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return v.length ? Math.max(...v) : null;
  };
  const fast = m.rssEvery2s as [number, string, number, number, number, number, number, number, number, number, number][];
  const measuredFrom = m.mode === 'cached' ? (m.phases.find((p) => p[0] === 'listing')?.[1] ?? 0) : 0;
  const measured = fast.filter((f) => f[0] >= measuredFrom);
  const byPhase: Measurement['derived']['maxRssByPhase'] = {};
  for (let i = 0; i < fast.length; i++) {
    const f = fast[i];
    const b = (byPhase[f[1]] ??= { browserMB: 0, rendererMB: 0, totalMB: 0, seconds: 0, cpuS: { browser: 0, renderers: 0, others: 0 } });
    b.browserMB = Math.max(b.browserMB, f[2]);
    b.rendererMB = Math.max(b.rendererMB, f[3]);
    b.totalMB = Math.max(b.totalMB, f[7]);
    const prev = fast[i - 1];
    // CPU spent since the previous reading (same browser: the counters only grow), booked to this reading's phase.
    if (prev && f[8] >= prev[8] && f[7] > 0) {
      b.seconds = round(b.seconds + (f[0] - prev[0]) / 1000, 1)!;
      b.cpuS.browser = round(b.cpuS.browser + f[8] - prev[8], 1)!;
      b.cpuS.renderers = round(b.cpuS.renderers + Math.max(0, f[9] - prev[9]), 1)!;
      b.cpuS.others = round(b.cpuS.others + Math.max(0, f[10] - prev[10]), 1)!;
    }
  }
  // Growth per 100 k inferred images over the first page's run (heap from the samples, RSS from the 2 s series).
  let heapSlope: number | null = null;
  let rssSlope: number | null = null;
  if (first && firstAt) {
    // Over the steady window (as images/s): the first minute after the first inference still carries planning's garbage.
    const end = Math.min(windowEnd || Infinity, reloadAt);
    const start = m.mode !== 'window' ? firstAt : firstAt + Math.min(60_000, (end - firstAt) / 3);
    const hp = m.samples.filter((s) => s.t >= start && s.t <= end && s.heapUsedMB !== null && s.progress !== null).map((s) => [s.progress!, s.heapUsedMB!] as [number, number]);
    const rp = fast
      .filter((f) => f[0] >= start && f[0] <= end)
      .map((f) => [progressAt(first.progress, f[0]), f[3]] as [number | null, number])
      .filter((x): x is [number, number] => x[0] !== null);
    const span = (pts: [number, number][]) => (pts.length ? Math.max(...pts.map((p) => p[0])) - Math.min(...pts.map((p) => p[0])) : 0);
    if (span(hp) >= 1000) heapSlope = slope(hp);
    if (span(rp) >= 1000) rssSlope = slope(rp);
  }
  // images/s over the steady window: the last 2/3 of the run window (60–180 s after the first inference by default).
  let ips: number | null = null;
  if (first && firstAt) {
    const runEnd = m.mode !== 'window' && m.finish && 'doneAt' in m.finish ? m.finish.doneAt : Math.min(windowEnd || Infinity, reloadAt);
    const lastT = first.progress.length ? first.progress[first.progress.length - 1][0] : firstAt;
    const to = Math.min(runEnd, lastT);
    const from = m.mode !== 'window' ? firstAt : firstAt + Math.min(60_000, (to - firstAt) / 3);
    const a = progressAt(first.progress, from);
    const b = progressAt(first.progress, to);
    if (a !== null && b !== null && to > from) {
      ips = (b - a) / ((to - from) / 1000);
      m.window = { from, to, images: b - a, seconds: round((to - from) / 1000, 1)! };
    }
  }
  // Model loaded + warm-up done (engine-info appears), between the click and the planned progress bar.
  const engineAfter = (page: Measurement['pages'][number] | undefined, click: number | undefined) => {
    const a = page && click ? page.appear.find((x) => x[1] === 'engine-info' && x[2] && x[0] >= click) : undefined;
    return a && click ? round((a[0] - click) / 1000, 2) : null;
  };
  if (m.run) (m.run as Record<string, unknown>).engineReadySeconds = engineAfter(m.pages[0], m.run.clickAt);
  // The bar's largest max: a lazily listed run's total grows as the folders are read.
  if (m.run) (m.run as Record<string, unknown>).totalSeen = m.pages[0]?.progress.reduce((a, e) => Math.max(a, e[2]), 0) ?? null;
  if (m.resume) m.resume.engineReadySeconds = engineAfter(m.pages[1], m.resume.clickAt as number);
  // The app's tasks: the bench's own reads of the cache in the page (phase 'verify') are not the app's.
  const tasks = m.pages
    .flatMap((p) => p.longtasks)
    .filter((t) => t[0] + t[1] >= (pickAt || 0) && phaseAt(m, t[0]) !== 'verify')
    .sort((a, b) => b[1] - a[1]);
  const stalls = m.pages.flatMap((p) => p.tickGaps).filter((t) => t[0] >= (pickAt || 0));
  const ex = (k: string) => {
    const v = m.exports?.[k];
    return v && 'seconds' in v ? round(v.seconds, 2) : null;
  };
  m.derived = {
    listSeconds: m.listed?.seconds ?? null,
    runToFirstSeconds: m.run?.runToFirstSeconds ?? null,
    // The pre-fill of SCALE_CACHED is set-up, not the run measured: maxima from the reloaded page on.
    maxHeapMB: maxOf(m.samples.filter((s) => !measuredFrom || s.t >= measuredFrom).map((s) => s.heapUsedMB)),
    maxRendererMB: maxOf(measured.map((f) => f[3])),
    maxBrowserMB: maxOf(measured.map((f) => f[2])),
    maxTotalMB: maxOf(measured.map((f) => f[7])),
    maxRssByPhase: byPhase,
    heapMBPer100k: round(heapSlope === null ? null : heapSlope * 100_000, 1),
    rendererMBPer100k: round(rssSlope === null ? null : rssSlope * 100_000, 1),
    imagesPerSec: round(ips, 1),
    longestTaskMs: tasks.length ? round(tasks[0][1], 0) : null,
    longestTaskPhase: tasks.length ? phaseAt(m, tasks[0][0]) : null,
    longestTasks: tasks.slice(0, 10).map((t) => ({ at: t[0], phase: phaseAt(m, t[0]), ms: round(t[1], 0)! })),
    maxStallMs: stalls.length ? round(Math.max(...stalls.map((s) => s[1])), 0) : null,
    resumeSeconds: (m.resume?.clickToFirstSeconds as number | undefined) ?? null,
    runToDoneSeconds: m.finish && 'doneAt' in m.finish && m.run && m.mode !== 'window' ? round((m.finish.doneAt - m.run.clickAt) / 1000, 1) : null,
    runToResultsSeconds: m.finish && 'resultsShownAt' in m.finish && m.run && m.mode !== 'window' && typeof (m.finish as Record<string, unknown>).resultsShownAt === 'number' ? round(((m.finish as Record<string, number>).resultsShownAt - m.run.clickAt) / 1000, 1) : null,
    exportJsonSeconds: ex('export-json'),
    exportPredictionsSeconds: ex('export-predictions'),
  };
}

// ---------------------------------------------------------------------------------------------------- table, main

function table(ms: Measurement[]): string {
  const head = ['size', 'path', 'list s', 'run→first s', 'run→results s', 'max heap MB', 'max renderer MB', 'max browser MB', 'longest task ms', 'images/s', 'resume s', 'export s (json/pred)', 'JSONL MB', 'status'];
  const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '–' : x.toFixed(d));
  const rows = ms.map((m) => {
    const d = m.derived;
    return [
      m.size.toLocaleString('en-US'),
      m.mode === 'window' ? m.path : `${m.path} (${m.mode === 'full' ? 'full' : 'from a full cache'})`,
      f(d.listSeconds),
      f(d.runToFirstSeconds),
      f(d.runToResultsSeconds),
      f(d.maxHeapMB, 0),
      f(d.maxRendererMB, 0),
      f(d.maxBrowserMB, 0),
      f(d.longestTaskMs, 0),
      f(d.imagesPerSec),
      f(d.resumeSeconds),
      d.exportJsonSeconds === null && d.exportPredictionsSeconds === null ? '–' : `${f(d.exportJsonSeconds)}/${f(d.exportPredictionsSeconds)}`,
      (() => {
        const e = m.exports?.['export-predictions'];
        return e && 'bytes' in e ? f(e.bytes / 1e6, 0) : '–';
      })(),
      m.status === 'ok' ? 'ok' : `${m.status}: ${m.reason ?? ''}`.slice(0, 90),
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 || i === r.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  } catch (e) {
    return `unknown (${(e as Error).message})`;
  }
}

async function main(): Promise<void> {
  if (PROFILE && TRACE) throw new Error('SCALE_PROFILE and SCALE_TRACE both use the page\'s CPU profiler: choose one');
  if (!HAVE_FIXTURES) throw new Error('bench:scale needs ../shared/fixtures (imagenet-c-mini and labels)');
  const work = mkdtempSync(join(process.env.SCALE_TMP ?? tmpdir(), 'shiftlens-scale-'));
  const modelBytes = scaleModelBytes();
  const modelPath = join(work, 'scale-tiny-1000.onnx');
  writeFileSync(modelPath, modelBytes);
  const gitHead = (() => {
    try {
      return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  })();
  const doc = {
    generatedAt: new Date().toISOString(),
    machine: { cores: cpus().length, cpuModel: cpus()[0]?.model ?? null, ramGB: round(totalmem() / 2 ** 30, 1), chromium: chromiumVersion(), node: process.version, platform: `${process.platform} ${process.arch}` },
    app: {
      dist: process.env.SHIFTLENS_DIST ?? 'dist',
      /** When that build was written (the checkout may have moved on since). */
      distBuiltAt: (() => {
        try {
          return statSync(join(PROJECT_ROOT, process.env.SHIFTLENS_DIST ?? 'dist', 'index.html')).mtime.toISOString();
        } catch {
          return null;
        }
      })(),
      gitHeadNow: gitHead,
    },
    config: {
      sizes: SIZES,
      paths: PATHS,
      webkitdirMax: WEBKITDIR_MAX,
      runSeconds: RUN_SECONDS,
      sampleSeconds: SAMPLE_SECONDS,
      rssLimitMB: RSS_LIMIT_MB,
      webkitdirRssStopMB: WEBKITDIR_RSS_STOP_MB,
      listTimeoutS: LIST_TIMEOUT_MS / 1000,
      sizeTimeoutS: SIZE_TIMEOUT_MS / 1000,
      finishBudgetS: FINISH_BUDGET_S,
      resume: RESUME,
      batch: BATCH,
      threads: THREADS,
      full: FULL || null,
      cached: CACHED || null,
      trace: TRACE ? { minMs: TRACE_MIN_MS } : null,
      model: { bytes: modelBytes.length, sha256: createHash('sha256').update(modelBytes).digest('hex'), graph: 'GlobalAveragePool → Flatten → Gemm 3→1000, input [N,3,224,224]' },
    },
    measurements: [] as Measurement[],
  };
  const save = () => writeFileSync(RESULTS, JSON.stringify(doc, null, 1));
  const server = await startPreview(PORT);
  const url = serverUrl(server);
  const stop = async () => {
    await server.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    save();
    void stop().then(() => process.exit(130));
  });
  try {
    console.log(`bench:scale · ${doc.machine.chromium} · ${doc.machine.cores} cores, ${doc.machine.ramGB} GB · app ${doc.app.dist} built ${doc.app.distBuiltAt ?? '?'} (checkout now @ ${gitHead?.slice(0, 9) ?? '?'})`);
    const handleSizes = PATHS.includes('handle') ? SIZES : [];
    const webkitSizes = PATHS.includes('webkitdir') ? STANDARD_SIZES.filter((s) => s <= WEBKITDIR_MAX) : [];
    const all = [...new Set([...handleSizes, ...webkitSizes])].sort((a, b) => a - b);
    let webkitStopped: string | null = null;
    for (const size of all) {
      for (const path of ['handle', 'webkitdir'] as PathKind[]) {
        if (path === 'handle' && !handleSizes.includes(size)) continue;
        if (path === 'webkitdir' && !webkitSizes.includes(size as (typeof STANDARD_SIZES)[number])) continue;
        if (path === 'webkitdir' && webkitStopped) {
          console.log(`\n${size.toLocaleString()} files · webkitdir: skipped (${webkitStopped})`);
          continue;
        }
        console.log(`\n${size.toLocaleString()} files · ${path}`);
        const m = await measure(url, size, path, 'window', work, modelPath, doc.config.model.sha256);
        doc.measurements.push(m);
        save();
        if (path === 'webkitdir' && m.status !== 'ok') webkitStopped = `${size.toLocaleString()} files did not hold: ${m.reason}`;
      }
    }
    if (FULL) {
      console.log(`\n${FULL.toLocaleString()} files · ${FULL_PATH} · full run to done`);
      doc.measurements.push(await measure(url, FULL, FULL_PATH, 'full', work, modelPath, doc.config.model.sha256));
      save();
    }
    if (CACHED) {
      console.log(`\n${CACHED.toLocaleString()} files · handle · re-run from a full cache`);
      doc.measurements.push(await measure(url, CACHED, 'handle', 'cached', work, modelPath, doc.config.model.sha256));
      save();
    }
  } finally {
    save();
    await stop();
  }
  console.log(`\n${table(doc.measurements)}\n\nsamples and derived numbers: ${RESULTS}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
