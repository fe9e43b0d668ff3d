import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitForDone, downloadFrom, type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { referenceKey, runAndExport, startRun, type RunOutputs } from '../support/app-driver';
import { MODELS, loadReferencePredictions, loadReferenceSummary, referenceCellCounts } from '../support/reference';
import { TempDataset } from '../support/temp-dataset';

const inputs = (dataset: string) => ({
  model: fixture('models', MODELS.squeezenet.file),
  labels: fixture('labels', 'imagenet_class_index.json'),
  dataset,
  backend: 'wasm' as const,
});

async function progressDone(app: AppSession): Promise<number> {
  return app.page.evaluate(() => Number((document.querySelector('[data-testid="progress"]') as HTMLProgressElement | null)?.value ?? 0));
}

const RESUME_CORRUPTIONS = ['gaussian_noise', 'motion_blur', 'fog', 'pixelate', 'saturate'];
/** Classes per resume cell: 25 cells × 12 = 300 images, enough for a reload half-way through a cell in the middle. */
const RESUME_CLASSES = 12;

/**
 * Each cell's image count and top-1 errors equal the reference's: the summary's for whole cells; for cells cut to a
 * few classes, the errors of the reference predictions of exactly the images the run exported.
 */
function expectCountsMatchReference(result: any, cells: [string, string][], predictions?: RunOutputs['predictions']) {
  if (predictions) {
    const expected = referenceCellCounts(loadReferencePredictions(MODELS.squeezenet.reference), predictions.map((p) => referenceKey(p.path)));
    for (const [c, s] of cells) expect(result.corruptions[c].severities[s], `${c}/${s}`).toEqual(expected.get(`${c}/${s}`));
    return;
  }
  const summary = loadReferenceSummary(MODELS.squeezenet.reference)['imagenet-c-mini'];
  for (const [c, s] of cells) expect(result.corruptions[c].severities[s], `${c}/${s}`).toEqual({ n: summary[c][s].n, errors: summary[c][s].top1_errors });
}

/** Runs survive: reload mid-run and resume, re-runs read the cache, bad files are listed, full storage pauses. */
describeFixtures('per-image cache, resume and bad files', () => {
  const ctx = useApp();
  let app: AppSession;
  let data: TempDataset;
  beforeAll(async () => {
    app = ctx.app;
  });
  afterAll(async () => {
    data?.dispose();
  });

  it('a run reloaded at ~50 % resumes without inferring anything twice; a re-run reads instead of infers', async () => {
    // One corruption of each group, all severities, 12 of the 50 classes: 300 images.
    const subset = new TempDataset('resume');
    for (const c of RESUME_CORRUPTIONS) for (const s of [1, 2, 3, 4, 5]) subset.copyClasses(`imagenet-c-mini/${c}/${s}`, `${c}/${s}`, RESUME_CLASSES);
    const dataset = subset.root;
    const total = RESUME_CORRUPTIONS.length * 5 * RESUME_CLASSES;
    try {
      const t0 = Date.now();
      await startRun(app.page, inputs(dataset));
      await app.page.waitForFunction(() => {
        const p = document.querySelector('[data-testid="progress"]') as HTMLProgressElement | null;
        return !!p && p.value >= p.max / 2;
      }, undefined, { timeout: 600_000, polling: 200 });
      const beforeReload = await progressDone(app);
      await app.page.reload();
      await app.page.getByTestId('resume-banner').waitFor();

      // The user re-picks (webkitdirectory cannot keep folder access) and runs: finished images come from the cache.
      const resumed = await runAndExport(app.page, inputs(dataset));
      const firstRunSeconds = (Date.now() - t0) / 1000;
      const counts = resumed.result.counts;
      console.log(`reloaded at ${beforeReload}/${total}; resumed: inferred ${counts.inferred}, from cache ${counts.fromCache}, all sessions ${counts.inferredAllSessions}`);
      expect(counts.images).toBe(total);
      expect(counts.inferred + counts.fromCache).toBe(total);
      expect(counts.fromCache).toBeGreaterThan(beforeReload / 2); // what was stored before the reload is read back
      expect(counts.inferred).toBeGreaterThan(0);
      // Each image inferred and stored exactly once over both sessions.
      expect(counts.inferredAllSessions).toBe(total);
      const allCells = Object.entries<any>(resumed.result.corruptions).flatMap(([c, e]) => Object.keys(e.severities).map((s) => [c, s] as [string, string]));
      expect(allCells).toHaveLength(RESUME_CORRUPTIONS.length * 5);
      expectCountsMatchReference(resumed.result, allCells, resumed.predictions);

      // Re-running the finished evaluation: everything from the cache, nothing inferred (speed is the benchmark's).
      await app.page.reload();
      const t1 = Date.now();
      await startRun(app.page, inputs(dataset));
      await waitForDone(app.page, 120_000);
      const rerunSeconds = (Date.now() - t1) / 1000;
      const rerun = JSON.parse(await downloadFrom(app.page, 'export-json'));
      console.log(`first run (two sessions) ${firstRunSeconds.toFixed(1)} s, re-run ${rerunSeconds.toFixed(2)} s: ${(firstRunSeconds / rerunSeconds).toFixed(1)}×`);
      expect(rerun.counts.inferred).toBe(0);
      expect(rerun.counts.fromCache).toBe(total);
      expect(rerun.corruptions).toEqual(resumed.result.corruptions);
      expect(rerun.metrics).toEqual(resumed.result.metrics);
    } finally {
      subset.dispose();
    }
  });

  it('truncated and empty JPEGs are listed as unreadable, junk is ignored, the rest completes', async () => {
    data = new TempDataset('damaged').copyClasses('imagenet-c-mini/fog/2', 'fog/2', 50);
    const src = (cls: string) => {
      const dir = fixture('imagenet-c-mini/fog/2', cls);
      return join(dir, readdirSync(dir)[0]);
    };
    const classes = readdirSync(fixture('imagenet-c-mini/fog/2')).sort() as string[];
    const damaged: string[] = [];
    for (const [i, cut] of [0.3, 0.6, 0.95].entries()) {
      const bytes = readFileSync(src(classes[i]));
      const rel = `fog/2/${classes[i]}/truncated_${i}.JPEG`;
      data.write(rel, bytes.subarray(0, Math.floor(bytes.length * cut)));
      damaged.push(`damaged/${rel}`);
    }
    data.write(`fog/2/${classes[3]}/empty.JPEG`, new Uint8Array());
    damaged.push(`damaged/fog/2/${classes[3]}/empty.JPEG`);
    data.write('fog/2/notes.txt', 'not an image').write('.DS_Store', 'junk').write(`fog/2/${classes[4]}/Thumbs.db`, 'junk');

    await app.page.reload();
    const { result, predictions } = await runAndExport(app.page, inputs(data.root));
    expect(result.unreadable.map((u: any) => u.path).sort()).toEqual(damaged.sort());
    expect(result.unreadable.find((u: any) => u.path.endsWith('empty.JPEG')).reason).toMatch(/empty/);
    expect(result.unreadable.find((u: any) => u.path.endsWith('truncated_0.JPEG')).reason).toMatch(/truncated/);
    expect(result.counts.unreadable).toBe(4);
    // The 50 good images are evaluated exactly as the reference did; the damaged ones count nowhere.
    expect(result.corruptions.fog.severities['2'].n).toBe(50);
    expectCountsMatchReference(result, [['fog', '2']]);
    expect(predictions.filter((p) => p.unreadable)).toHaveLength(4);
    const listed = await app.page.getByTestId('unreadable-list').textContent();
    for (const d of damaged) expect(listed).toContain(d);
  });

  it('full storage pauses the run with a message; after space is freed it continues and loses nothing', async () => {
    const ds = new TempDataset('quota').copyClasses('imagenet-c-mini/snow/4', 'snow/4', 50).copyClasses('imagenet-c-mini/snow/5', 'snow/5', 50);
    try {
      // Simulated quota: every write to the prediction cache fails while the flag is set.
      await app.context.addInitScript(() => {
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
          if ((self as any).__quotaFull && this.name === 'cache') throw new DOMException('simulated: quota exceeded', 'QuotaExceededError');
          return put.apply(this, args);
        } as IDBObjectStore['put'];
      });
      await app.page.reload();
      await startRun(app.page, inputs(ds.root));
      await app.page.waitForFunction(() => Number((document.querySelector('[data-testid="progress"]') as HTMLProgressElement)?.value) >= 20, undefined, { timeout: 120_000, polling: 100 });
      await app.page.evaluate(() => ((self as any).__quotaFull = true));
      await app.page.getByTestId('paused-message').waitFor({ timeout: 60_000 });
      expect(await app.page.getByTestId('status').textContent()).toBe('paused');
      expect(await app.page.getByTestId('paused-message').textContent()).toMatch(/storage is full.*Nothing computed so far is lost/);
      const stuckAt = await progressDone(app);
      // The batch size the warm-up chose ("batch 32 (auto)" in the engine line).
      const batch = Number(/batch (\d+)/.exec(await app.page.getByTestId('engine-info').innerText())?.[1]);
      expect(batch).toBeGreaterThan(0);
      await app.page.waitForTimeout(3000);
      const held = await progressDone(app);
      // At most the batch already past the storage gate when the write failed, plus one the progress bar had not yet
      // shown when it was read (progress reports are throttled): seen as 22 vs 20 + 1 at batch 1 on a busy machine.
      expect(held).toBeLessThanOrEqual(stuckAt + 2 * batch);
      expect(held).toBeLessThan(100);
      await app.page.evaluate(() => ((self as any).__quotaFull = false));
      await app.page.getByTestId('continue').click();
      await waitForDone(app.page, 300_000);
      const result = JSON.parse(await downloadFrom(app.page, 'export-json'));
      expect(result.counts.inferred).toBe(100);
      expect(result.counts.inferredAllSessions).toBe(100);
      expectCountsMatchReference(result, [['snow', '4'], ['snow', '5']]);
    } finally {
      ds.dispose();
    }
  });

  it('a second tab starting the same evaluation is told to let the first one finish', async () => {
    // 150 images at batch 1 in the first tab, so it is still running when the second tab reaches the lock.
    const ds = new TempDataset('two-tabs');
    for (const sev of [1, 2, 3]) ds.copyClasses(`imagenet-c-mini/frost/${sev}`, `frost/${sev}`, 50);
    const second = await app.context.newPage();
    try {
      await app.page.reload();
      await second.goto(app.url);
      await app.page.bringToFront();
      await startRun(app.page, { ...inputs(ds.root), batchSize: 1 });
      await app.page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'running');
      await second.bringToFront();
      await startRun(second, { ...inputs(ds.root), batchSize: 1 });
      await second.waitForFunction(() => (document.querySelector('[data-testid="status"]')?.textContent ?? '').startsWith('error'), undefined, { timeout: 120_000 });
      expect(await second.getByTestId('status').textContent()).toMatch(/already running in another tab/);
      await waitForDone(app.page, 300_000);
      const result = JSON.parse(await downloadFrom(app.page, 'export-json'));
      expect(result.counts.inferredAllSessions).toBe(150);
      expectCountsMatchReference(result, [1, 2, 3].map((sev) => ['frost', String(sev)] as [string, string]));
    } finally {
      await second.close();
      ds.dispose();
    }
  });
});
