import { afterAll, beforeAll, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { readdirSync, readFileSync } from 'node:fs';
import { downloadFrom, waitForDone, type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { TempDataset } from '../support/temp-dataset';
import { CAM_FIXTURE_MODELS, decodePng, loadHead, normalizedInput, referenceGradCam, referenceNormalize, referencePearson } from '../support/cam-reference';
import { resizeAndCenterCrop } from '../../src/core/pillow-resize';
import { IMAGENET_R_WNIDS } from '../../src/core/data/imagenet-r-wnids';
import { IMAGENET_A_WNIDS } from '../../src/core/data/imagenet-a-wnids';

/**
 * Natural distribution shifts end to end: folders laid out like ImageNet-R, -A (wnid folders of their 200 classes),
 * ImageNet-V2 (numeric folders = class index) and ImageNet-Sketch (wnid folders), built from fixture images, are
 * recognised, evaluated in one run with a clean folder and an ImageNet-C cell, and scored exactly as a reference
 * computed here: full onnxruntime-node logits on the Pillow-decoded clean-protocol pixels (the 224×224 crops in
 * corruption-reference/clean), R and A by the argmax over their 200 classes and, labelled, over all 1000.
 */
const MODEL = fixture('models', 'squeezenet1.1-caffe2.fp32.gradcam.onnx');
const LABELS_FILE = fixture('labels', 'imagenet_class_index.json');
const WNIDS: string[] = Object.values(JSON.parse(readFileSync(LABELS_FILE, 'utf8')) as Record<string, [string, string]>).map((e) => e[0]);
const INDEX = new Map(WNIDS.map((w, i) => [w, i]));

// DEV-C classes (their originals are in imagenet-val-sample, their Pillow crops in corruption-reference/clean).
const R_CLASSES = ['n01630670', 'n01820546', 'n02094433', 'n02134084', 'n02363005', 'n03372029'];
const A_CLASSES = ['n03124043', 'n03443371', 'n03617480', 'n03788195', 'n03935335', 'n04039381'];
const V2_CLASSES = ['n01978287', 'n02002556', 'n02087046', 'n02098413', 'n02100735'];
const SKETCH_CLASSES = ['n02105855', 'n02110627', 'n02389026', 'n02490219', 'n02497673'];
const CLEAN_CLASSES = ['n02641379', 'n02687172', 'n03127925'];

const original = (wnid: string) => {
  const f = readdirOne(fixture('imagenet-val-sample', wnid));
  return { path: fixture('imagenet-val-sample', wnid, f), file: f, png: fixture('corruption-reference', 'clean', wnid, f.replace(/\.JPEG$/, '.png')) };
};
function readdirOne(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.JPEG'));
  expect(files).toHaveLength(1);
  return files[0];
}

interface Ref {
  top5: number[];
  masked?: number;
}

/** Full logits of each class's clean crop; the masked argmax over `subset` (ties to the lowest class index). */
async function reference(session: ort.InferenceSession, classes: string[], subset: readonly string[] | null): Promise<Map<string, Ref>> {
  const sub = subset ? subset.map((w) => INDEX.get(w)!).sort((a, b) => a - b) : null;
  const out = new Map<string, Ref>();
  for (const w of classes) {
    const png = decodePng(original(w).png);
    expect([png.width, png.height]).toEqual([224, 224]);
    const r = await session.run({ input: new ort.Tensor('float32', normalizedInput(png.rgba, 224, 224), [1, 3, 224, 224]) }, ['logits']);
    const logits = r.logits.data as Float32Array;
    expect(logits).toHaveLength(1000);
    const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
    let masked: number | undefined;
    if (sub) {
      masked = sub[0];
      for (const c of sub) if (logits[c] > logits[masked]) masked = c;
    }
    out.set(w, { top5: order.slice(0, 5), masked });
  }
  return out;
}

async function addShiftFolder(app: AppSession, dir: string, expected: number): Promise<void> {
  await app.page.getByTestId('shift-input').setInputFiles(dir);
  await app.page.waitForFunction((n) => document.querySelectorAll('[data-testid="shift-entry"]').length === n, expected, { timeout: 60_000 });
}

describeFixtures('shift datasets: ImageNet-R, -A, -V2, -Sketch layouts against an onnxruntime-node reference', () => {
  const ctx = useApp();
  let app: AppSession;
  let data: TempDataset;
  beforeAll(() => {
    app = ctx.app;
    data = new TempDataset('shifts');
    for (const w of R_CLASSES) data.copyFile(original(w).path, `imagenet-r/${w}/${original(w).file}`);
    for (const w of A_CLASSES) data.copyFile(original(w).path, `imagenet-a/${w}/${original(w).file}`);
    for (const w of V2_CLASSES) data.copyFile(original(w).path, `imagenetv2-matched-frequency/${INDEX.get(w)}/${original(w).file}`);
    for (const w of SKETCH_CLASSES) data.copyFile(original(w).path, `imagenet-sketch/${w}/${original(w).file}`);
    for (const w of CLEAN_CLASSES) data.copyFile(original(w).path, `val/${w}/${original(w).file}`);
    data.copyClasses('imagenet-c-mini/fog/3', 'imagenet-c/fog/3', 2);
    // Wrong layouts.
    data.write('bad-beyond/0/a.JPEG', readFileSync(original(V2_CLASSES[0]).path)).write('bad-beyond/1203/b.JPEG', readFileSync(original(V2_CLASSES[1]).path));
    data.write('bad-unknown/n99999999/a.JPEG', readFileSync(original(V2_CLASSES[0]).path)).write(`bad-unknown/${R_CLASSES[0]}/b.JPEG`, readFileSync(original(V2_CLASSES[1]).path));
    // A 224 × 224 ImageNet-R image (a clean crop): the clean protocol still resizes it to 256 and crops, where an
    // ImageNet-C image of that size is taken as it is — the inspector's CAM must see what the evaluation saw.
    data.copyFile(original(R_CLASSES[0]).png, `imagenet-r-224/${R_CLASSES[0]}/crop.png`);
    // A Sketch-like folder of 60 fixture classes: at batch 1 a run long enough to be stopped after its third image
    // (57 more images cannot pass between that and the reload) and short to finish once resumed.
    for (const w of readdirSync(fixture('imagenet-val-sample')).filter((d) => /^n\d{8}$/.test(d)).slice(0, 60)) data.copyFile(original(w).path, `sketch-all/${w}/${original(w).file}`);
    data.copyFile(original(CLEAN_CLASSES[0]).path, `val-one/${CLEAN_CLASSES[0]}/${original(CLEAN_CLASSES[0]).file}`);
    data.write('bad-mix/17/a.JPEG', readFileSync(original(V2_CLASSES[0]).path)).write(`bad-mix/${SKETCH_CLASSES[0]}/b.JPEG`, readFileSync(original(V2_CLASSES[1]).path));
  });
  afterAll(() => data?.dispose());

  it('recognises each layout, evaluates them with clean and ImageNet-C, and counts errors as the reference does', async () => {
    expect(R_CLASSES.every((w) => IMAGENET_R_WNIDS.includes(w))).toBe(true);
    expect(A_CLASSES.every((w) => IMAGENET_A_WNIDS.includes(w) && !IMAGENET_R_WNIDS.includes(w))).toBe(true);
    const session = await ort.InferenceSession.create(MODEL);
    const refR = await reference(session, R_CLASSES, IMAGENET_R_WNIDS);
    const refA = await reference(session, A_CLASSES, IMAGENET_A_WNIDS);
    const refV2 = await reference(session, V2_CLASSES, null);
    const refSketch = await reference(session, SKETCH_CLASSES, null);
    await session.release();

    const page = app.page;
    await page.reload();
    await page.getByTestId('model-input').setInputFiles(MODEL);
    await page.getByTestId('labels-input').setInputFiles(LABELS_FILE);
    await page.getByTestId('dataset-input').setInputFiles(`${data.root}/imagenet-c`);
    await page.getByTestId('clean-input').setInputFiles(`${data.root}/val`);
    await addShiftFolder(app, `${data.root}/imagenet-r`, 1);
    await addShiftFolder(app, `${data.root}/imagenet-a`, 2);
    await addShiftFolder(app, `${data.root}/imagenetv2-matched-frequency`, 3);
    await addShiftFolder(app, `${data.root}/imagenet-sketch`, 4);
    const recognised = await page.getByTestId('shift-recognised').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(recognised).toEqual(['imagenet-r', 'imagenet-a', 'imagenet-v2', 'imagenet-sketch']);
    expect(await page.getByTestId('shift-recognised').first().textContent()).toMatch(/^ImageNet-R6 wnid folders, all among ImageNet-R's 200 classes/);
    expect(await page.getByTestId('shift-kind').evaluateAll((els) => els.map((e) => (e as HTMLSelectElement).value))).toEqual([
      'imagenet-r',
      'imagenet-a',
      'imagenet-v2',
      'imagenet-sketch',
    ]);
    // An override that does not fit is refused there and then, naming the problem; setting it back clears it.
    await page.getByTestId('shift-kind').nth(0).selectOption('imagenet-a');
    await expect.poll(() => page.getByTestId('shift-problem').first().textContent()).toMatch(/5 class folders outside ImageNet-A's 200 classes/);
    await page.getByTestId('shift-kind').nth(0).selectOption('imagenet-r');
    await expect.poll(() => page.getByTestId('shift-problem').count()).toBe(0);

    await page.getByTestId('batch-size').fill('8');
    await page.getByTestId('threads-select').selectOption('1'); // see RunInputs.threads (app-driver.ts)
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('run').click();
    await waitForDone(page, 300_000);
    const result = JSON.parse(await downloadFrom(page, 'export-json'));
    const lines = (await downloadFrom(page, 'export-predictions')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

    const expected = (classes: string[], ref: Map<string, Ref>, masked: boolean) => {
      let errors = 0;
      let errors1000 = 0;
      let errors5 = 0;
      for (const w of classes) {
        const r = ref.get(w)!;
        const label = INDEX.get(w)!;
        if (r.top5[0] !== label) errors1000++;
        if (!r.top5.includes(label)) errors5++;
        if ((masked ? r.masked : r.top5[0]) !== label) errors++;
      }
      return masked ? { n: classes.length, errors, errors1000 } : { n: classes.length, errors, errors5 };
    };
    const wantR = expected(R_CLASSES, refR, true);
    const wantA = expected(A_CLASSES, refA, true);
    console.log('shift reference counts', { wantR, wantA, v2: expected(V2_CLASSES, refV2, false), sketch: expected(SKETCH_CLASSES, refSketch, false) });
    expect(result.shifts).toEqual({
      'imagenet-r': { ...wantR, dataset: 'imagenet-r' },
      'imagenet-a': { ...wantA, dataset: 'imagenet-a' },
      'imagenet-v2': { ...expected(V2_CLASSES, refV2, false), dataset: 'imagenetv2-matched-frequency' },
      'imagenet-sketch': { ...expected(SKETCH_CLASSES, refSketch, false), dataset: 'imagenet-sketch' },
    });
    // The masked and 1000-way numbers differ somewhere, or the test would not tell them apart.
    expect(wantR.errors !== wantR.errors1000 || wantA.errors !== wantA.errors1000).toBe(true);

    // Per image: label from the kind (V2: the folder's number), top-5 and R/A's masked argmax as the reference.
    const check = (dir: string, classes: string[], ref: Map<string, Ref>, folderOf: (w: string) => string) => {
      for (const w of classes) {
        const line = lines.find((l) => l.path === `${dir}/${folderOf(w)}/${original(w).file}`);
        expect(line, `${dir}/${w}`).toBeDefined();
        expect(line.label).toBe(INDEX.get(w));
        expect(line.top5, `${dir}/${w}`).toEqual(ref.get(w)!.top5);
        expect(line.top1_masked, `${dir}/${w}`).toBe(ref.get(w)!.masked);
      }
    };
    check('imagenet-r', R_CLASSES, refR, (w) => w);
    check('imagenet-a', A_CLASSES, refA, (w) => w);
    check('imagenetv2-matched-frequency', V2_CLASSES, refV2, (w) => String(INDEX.get(w)));
    check('imagenet-sketch', SKETCH_CLASSES, refSketch, (w) => w);
    expect(lines.filter((l) => l.shift === 'imagenet-r')).toHaveLength(R_CLASSES.length);

    // Clean and ImageNet-C are counted as before: shift images are not clean originals of anything.
    expect(result.clean.n).toBe(CLEAN_CLASSES.length);
    expect(result.corruptions.fog.severities['3'].n).toBe(2);
    expect(result.cleanMatched).toBeUndefined();
    expect(result.counts.images).toBe(2 + 3 + 6 + 6 + 5 + 5);
    expect(Object.keys(result.outcomes.cells)).toEqual(['fog/3', 'clean', 'shift:imagenet-r', 'shift:imagenet-a', 'shift:imagenet-v2', 'shift:imagenet-sketch']);

    // The report: one row for this run, with R's 200-class and 1000-way accuracy.
    await page.getByTestId('shift-report-table').waitFor({ timeout: 30_000 });
    const rCell = await page.locator('[data-testid="shift-report-table"] td[data-kind="imagenet-r"]').first().textContent();
    expect(rCell).toBe(`${(100 * (1 - wantR.errors / 6)).toFixed(1)} (1000-way ${(100 * (1 - wantR.errors1000! / 6)).toFixed(1)})`);
    const csv = await downloadFrom(page, 'shift-report-csv');
    expect(csv.split('\n')[0]).toMatch(/^run,model,clean_accuracy,imagenet_c_mce,imagenet-r_accuracy,/);
  }, 300_000);

  it('the inspector names shift images by their dataset, filters them so, and computes their CAM on the clean-protocol input', async () => {
    const page = app.page;
    await page.reload();
    await page.getByTestId('model-input').setInputFiles(MODEL);
    await page.getByTestId('labels-input').setInputFiles(LABELS_FILE);
    await page.getByTestId('clean-input').setInputFiles(`${data.root}/val-one`);
    await addShiftFolder(app, `${data.root}/imagenet-r-224`, 1);
    await page.getByTestId('shift-kind').nth(0).selectOption('imagenet-r');
    await page.getByTestId('backend-select').selectOption('wasm');
    // A fixed batch: no warm-up (two engine starts) for two images.
    await page.getByTestId('batch-size').fill('8');
    await page.getByTestId('threads-select').selectOption('1');
    await page.getByTestId('run').click();
    await waitForDone(page, 300_000);
    await page.getByTestId('inspector').waitFor({ timeout: 60_000 });
    const show = page.getByTestId('cam-show');
    expect(await show.locator('option').evaluateAll((els) => els.map((e) => [(e as HTMLOptionElement).value, e.textContent]))).toEqual([
      ['', 'all images'],
      ['clean', 'clean only'],
      ['shift:imagenet-r', 'ImageNet-R'],
    ]);
    const captions = async () => page.getByTestId('cam-image-caption').allTextContents();
    expect((await captions()).sort()).toEqual(['ImageNet-R', 'clean']);
    await show.selectOption('clean');
    expect(await captions()).toEqual(['clean']);
    await show.selectOption('shift:imagenet-r');
    expect(await captions()).toEqual(['ImageNet-R']);

    // Grad-CAM of the true class, as the reference computes it on the clean protocol's input (resize 256, crop 224).
    const m = CAM_FIXTURE_MODELS.squeezenet;
    const png = decodePng(original(R_CLASSES[0]).png);
    const camOf = async (rgb: ArrayLike<number>, channels: number) => {
      const rgba = new Uint8Array(224 * 224 * 4);
      for (let i = 0; i < 224 * 224; i++) {
        for (let c = 0; c < 3; c++) rgba[i * 4 + c] = rgb[i * channels + c];
        rgba[i * 4 + 3] = 255;
      }
      const session = await ort.InferenceSession.create(m.onnx);
      const r = await session.run({ input: new ort.Tensor('float32', normalizedInput(rgba, 224, 224), [1, 3, 224, 224]) }, [m.features]);
      await session.release();
      const f = r[m.features];
      const [, c, h, w] = f.dims;
      return referenceNormalize(referenceGradCam(f.data as Float32Array, c, h, w, loadHead(m.head, 1000, m.channels), INDEX.get(R_CLASSES[0])!, m.kind));
    };
    const crop = resizeAndCenterCrop({ width: png.width, height: png.height, data: png.rgba, channels: 4 }, 256, 224);
    const cleanProtocol = await camOf(crop.data, crop.channels);
    const asCorrupted = await camOf(png.rgba, 4);

    await page.locator('[data-testid="cam-image"]').first().click();
    await page.waitForFunction(() => !(document.querySelector('[data-testid="export-cam"]') as HTMLButtonElement).disabled, undefined, { timeout: 120_000 });
    const titles = await page.locator('[data-testid="cam-cell"] strong').allTextContents();
    expect(titles).toEqual(['ImageNet-R']);
    const cam = JSON.parse(await downloadFrom(page, 'export-cam'));
    expect(cam.path).toBe(`imagenet-r-224/${R_CLASSES[0]}/crop.png`);
    expect(cam.target).toBe(INDEX.get(R_CLASSES[0]));
    const rClean = referencePearson(cam.values, cleanProtocol);
    const rCorrupted = referencePearson(cam.values, asCorrupted);
    console.log('ImageNet-R 224×224 CAM: Pearson vs clean protocol', rClean, 'vs taken as it is', rCorrupted);
    expect(rClean).toBeGreaterThanOrEqual(0.999);
    expect(rCorrupted).toBeLessThan(rClean);
  }, 300_000);

  it('an unfinished run keeps its shift folder for resuming: named in the banner, asked for again, then completed', async () => {
    const page = app.page;
    await page.reload();
    await page.getByTestId('model-input').setInputFiles(MODEL);
    await page.getByTestId('labels-input').setInputFiles(LABELS_FILE);
    await addShiftFolder(app, `${data.root}/sketch-all`, 1);
    await page.getByTestId('shift-kind').nth(0).selectOption('imagenet-sketch');
    await page.getByTestId('batch-size').fill('1');
    await page.getByTestId('threads-select').selectOption('1'); // see RunInputs.threads (app-driver.ts)
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('run').click();
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="step-run"] progress') as HTMLProgressElement | null)?.value ?? 0) >= 3, undefined, { timeout: 120_000 });
    await page.reload();
    const banner = page.getByTestId('resume-banner');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toContain('on sketch-all (ImageNet-Sketch)');
    expect(await banner.textContent()).toContain('pick the folder again first');
    await page.getByTestId('resume').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="status"]')?.textContent ?? '').startsWith('error'), undefined, { timeout: 30_000 });
    expect(await page.getByTestId('status').textContent()).toMatch(/pick the folder sketch-all \(as ImageNet-Sketch\) again/);
    await addShiftFolder(app, `${data.root}/sketch-all`, 1);
    await page.getByTestId('shift-kind').nth(0).selectOption('imagenet-sketch');
    await page.getByTestId('resume').click();
    await waitForDone(page, 300_000);
    const result = JSON.parse(await downloadFrom(page, 'export-json'));
    const n = readdirSync(`${data.root}/sketch-all`).length;
    expect(result.shifts['imagenet-sketch'].n).toBe(n);
    expect(result.counts.fromCache).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it('a wrong layout gets a clear message naming the problem', async () => {
    const page = app.page;
    await page.reload();
    await page.getByTestId('labels-input').setInputFiles(LABELS_FILE);
    await addShiftFolder(app, `${data.root}/bad-beyond`, 1);
    await addShiftFolder(app, `${data.root}/bad-unknown`, 2);
    await addShiftFolder(app, `${data.root}/bad-mix`, 3);
    const problems = await page.getByTestId('shift-problem').allTextContents();
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/numeric class folders beyond the 1000 classes of the label list: "1203"/);
    expect(problems[1]).toMatch(/1 class folder not in the model's label list: "n99999999"/);
    expect(problems[2]).toMatch(/a mix of numeric class folders \("17"[^)]*\) and named ones \("n02105855"/);
    // None of them is evaluated: with no other input the run cannot start.
    await page.getByTestId('model-input').setInputFiles(MODEL);
    expect(await page.getByTestId('run').isDisabled()).toBe(true);
  }, 120_000);
});
