import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import * as ort from 'onnxruntime-node';
import { waitForDone, downloadFrom, type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { runAndExport, startRun } from '../support/app-driver';
import { TempDataset } from '../support/temp-dataset';
import {
  CAM_FIXTURE_MODELS, cleanImages, decodePng, imagenetClassIndex, loadHead, normalizedInput, referenceArgmax,
  referenceGradCam, referenceNormalize, referencePearson,
} from '../support/cam-reference';
import { decodePngBytes } from '../support/png';
import { resizeAndCenterCrop } from '../../src/core/pillow-resize';

type ModelKey = keyof typeof CAM_FIXTURE_MODELS;

/** Reference Grad-CAM of the true class for each clean PNG, through the app's clean protocol (resize 256, crop 224). */
async function referenceCams(model: ModelKey, images: ReturnType<typeof cleanImages>): Promise<Map<string, Float64Array>> {
  const m = CAM_FIXTURE_MODELS[model];
  const session = await ort.InferenceSession.create(m.onnx);
  const head = loadHead(m.head, 1000, m.channels);
  const classes = imagenetClassIndex();
  const out = new Map<string, Float64Array>();
  for (const im of images) {
    const png = decodePng(im.path);
    const crop = resizeAndCenterCrop({ width: png.width, height: png.height, data: png.rgba, channels: 4 }, 256, 224);
    const rgba = new Uint8Array(224 * 224 * 4);
    for (let i = 0; i < 224 * 224; i++) {
      rgba.set(crop.data.subarray(i * crop.channels, i * crop.channels + 3), i * 4);
      rgba[i * 4 + 3] = 255;
    }
    const input = normalizedInput(rgba, 224, 224);
    const r = await session.run({ input: new ort.Tensor('float32', input, [1, 3, 224, 224]) }, [m.features]);
    const f = r[m.features];
    const [, c, h, w] = f.dims;
    out.set(`${im.wnid}/${im.stem}.png`, referenceNormalize(referenceGradCam(f.data as Float32Array, c, h, w, head, classes.get(im.wnid)!, m.kind)));
  }
  await session.release();
  return out;
}

async function exportCamFor(app: AppSession, pathSuffix: string): Promise<any> {
  const entry = app.page.locator(`[data-testid="cam-image"][data-path$="${pathSuffix}"]`);
  await entry.click();
  const button = app.page.getByTestId('export-cam');
  await app.page.waitForFunction(
    (suffix) => {
      const b = document.querySelector('[data-testid="export-cam"]') as HTMLButtonElement | null;
      const current = document.querySelector('[data-testid="cam-image"].current')?.getAttribute('data-path') ?? '';
      return !!b && !b.disabled && current.endsWith(suffix);
    },
    pathSuffix,
    { timeout: 120_000 },
  );
  void button;
  return JSON.parse(await downloadFrom(app.page, 'export-cam'));
}

describeFixtures('Grad-CAM inspector', () => {
  const ctx = useApp();
  let app: AppSession;
  let data: TempDataset;
  // 6 images a model: every CAM is compared with the reference (Pearson ≥ 0.999, same argmax); cut from 20 for suite time.
  const images = cleanImages(6);
  beforeAll(async () => {
    app = ctx.app;
    data = new TempDataset('cam-clean');
    for (const im of images) data.copyFile(im.path, `${im.wnid}/${im.stem}.png`);
  });
  afterAll(async () => {
    data?.dispose();
  });

  const references = new Map<ModelKey, Promise<Map<string, Float64Array>>>();
  const cases: { name: string; file: string; ref: ModelKey; surgery: boolean }[] = [
    { name: 'MobileNetV2 with its `features` output', file: 'mobilenetv2-12-int8.gradcam.onnx', ref: 'mobilenetv2', surgery: false },
    { name: 'MobileNetV2 without it (the app adds the output by graph surgery)', file: 'mobilenetv2-12-int8.onnx', ref: 'mobilenetv2', surgery: true },
    { name: 'SqueezeNet (conv 1×1 → ReLU → global pool head)', file: 'squeezenet1.1-caffe2.fp32.gradcam.onnx', ref: 'squeezenet', surgery: false },
  ];
  for (const c of cases) {
    it(`${c.name}: exported Grad-CAM equals the reference on ${images.length} images`, async () => {
      // Both MobileNetV2 cases compare with the same reference: computed once.
      if (!references.has(c.ref)) references.set(c.ref, referenceCams(c.ref, images));
      const reference = await references.get(c.ref)!;
      await app.page.reload();
      await startRun(app.page, { model: fixture('models', c.file), labels: fixture('labels', 'imagenet_class_index.json'), clean: data.root, backend: 'wasm', batchSize: 8 });
      await waitForDone(app.page, 300_000);
      let worst = 1;
      for (const im of images) {
        const key = `${im.wnid}/${im.stem}.png`;
        const cam = await exportCamFor(app, key);
        expect(cam.path.endsWith(key)).toBe(true);
        expect(cam.method).toBe('gradcam');
        expect(cam.target).toBe(imagenetClassIndex().get(im.wnid));
        const ref = reference.get(key)!;
        expect([cam.height, cam.width]).toEqual([CAM_FIXTURE_MODELS[c.ref].grid, CAM_FIXTURE_MODELS[c.ref].grid]);
        expect(cam.values).toHaveLength(ref.length);
        const r = referencePearson(cam.values, ref);
        worst = Math.min(worst, r);
        expect(r, key).toBeGreaterThanOrEqual(0.999);
        expect(referenceArgmax(cam.values), key).toBe(referenceArgmax(ref));
        for (const v of cam.values) expect(v >= 0 && v <= 1).toBe(true);
      }
      console.log(`${c.name}: worst Pearson ${worst}`);
      const note = (await app.page.getByTestId('inspector').textContent()) ?? '';
      expect(note.includes('exposed by graph surgery')).toBe(c.surgery);
    });
  }

  it('renders the clean + severity grid with markers that match the predictions; Score-CAM and Eigen-CAM export', async () => {
    const newtOnly = new TempDataset('imagenet-val-sample');
    newtOnly.copyFile(fixture('imagenet-val-sample', 'n01630670', 'n01630670_common_newt.JPEG'), 'n01630670/n01630670_common_newt.JPEG');
    onTestFinished(() => newtOnly.dispose());
    // The fixture's glass_blur folder, every severity, cut to its first 3 classes (the newt's and two others): the
    // grid needs the inspected image's five severities, and the other classes make the inspector pick the right ones.
    const glass = new TempDataset('glass_blur');
    for (const s of [1, 2, 3, 4, 5]) glass.copyClasses(`imagenet-c-mini/glass_blur/${s}`, String(s), 3);
    onTestFinished(() => glass.dispose());
    await app.page.reload();
    const { predictions } = await runAndExport(app.page, {
      model: fixture('models', 'mobilenetv2-12-int8.gradcam.onnx'),
      labels: fixture('labels', 'imagenet_class_index.json'),
      dataset: glass.root,
      // The clean original of the inspected image (its class folder is enough).
      clean: newtOnly.root,
      backend: 'wasm',
      batchSize: 8,
    });
    const byPath = new Map(predictions.map((p) => [p.path, p]));
    const target = 'glass_blur/3/n01630670/n01630670_common_newt.JPEG';
    await app.page.locator(`[data-testid="cam-image"][data-path$="${target}"]`).click();
    await app.page.waitForFunction(() => document.querySelectorAll('[data-testid="cam-grid"] canvas').length === 6, undefined, { timeout: 120_000 });
    const cells = await app.page.locator('[data-testid="cam-cell"]').evaluateAll((els) =>
      els.map((e) => ({ title: e.querySelector('strong')?.textContent ?? '', correct: e.querySelector('[data-testid="cam-marker"]')?.getAttribute('data-correct') })),
    );
    expect(cells.map((c) => c.title)).toEqual(['clean', 'glass_blur 1', 'glass_blur 2', 'glass_blur 3', 'glass_blur 4', 'glass_blur 5']);
    for (const cell of cells) {
      const path = cell.title === 'clean'
        ? 'imagenet-val-sample/n01630670/n01630670_common_newt.JPEG'
        : `glass_blur/${cell.title.split(' ')[1]}/n01630670/n01630670_common_newt.JPEG`;
      const p = [...byPath.values()].find((q) => q.path.endsWith(path))!;
      expect(cell.correct, cell.title).toBe(String(p.top5![0] === p.label));
    }
    const shot = await app.page.getByTestId('cam-grid').screenshot();
    const png = decodePngBytes(new Uint8Array(shot));
    expect(png.width).toBeGreaterThan(600);
    let min = 255;
    let max = 0;
    for (let i = 0; i < png.data.length; i += png.channels) {
      min = Math.min(min, png.data[i]);
      max = Math.max(max, png.data[i]);
    }
    expect(max - min, 'the grid screenshot has content').toBeGreaterThan(100);

    // 64 channels (the select is there before Score-CAM starts): 256 forward passes more would test nothing else.
    await app.page.getByTestId('scorecam-channels').selectOption('64');
    for (const method of ['eigencam', 'scorecam']) {
      await app.page.getByTestId('cam-method').selectOption(method);
      await app.page.waitForFunction(() => !(document.querySelector('[data-testid="export-cam"]') as HTMLButtonElement).disabled, undefined, { timeout: 180_000 });
      const cam = JSON.parse(await downloadFrom(app.page, 'export-cam'));
      expect(cam.method).toBe(method);
      expect(cam.values).toHaveLength(49);
      expect(Math.max(...cam.values)).toBeCloseTo(1, 5);
      expect(Math.min(...cam.values)).toBeGreaterThanOrEqual(0);
    }
  });
});
