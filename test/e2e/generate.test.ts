import { afterAll, beforeAll, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { referenceKey, runAndExport } from '../support/app-driver';
import { MODELS, loadReferencePredictions } from '../support/reference';
import { TempDataset } from '../support/temp-dataset';

const CORRUPTIONS = ['gaussian_noise', 'fog', 'jpeg_compression', 'elastic_transform'];
const SEVERITIES = [2, 5];
/** DEV-C classes: their originals were corrupted into imagenet-c-mini with the same seeds. */
const CLASSES = ['n01630670', 'n01820546', 'n01978287'];

/**
 * Generate mode, end to end: clean originals → corrupted in the browser's workers → evaluated. Generated with base
 * seed 1234 from the DEV-C originals, the images are the fixture ImageNet-C-mini images, so every prediction must
 * equal the reference's for the corresponding fixture file.
 */
describeFixtures('generate ImageNet-C in the app, then evaluate it', () => {
  const ctx = useApp();
  let app: AppSession;
  let source: TempDataset;
  beforeAll(() => {
    app = ctx.app;
    source = new TempDataset('clean-originals');
    for (const c of CLASSES) {
      for (const f of readdirSync(fixture('imagenet-val-sample', c))) source.copyFile(fixture('imagenet-val-sample', c, f), `${c}/${f}`);
    }
  });
  afterAll(() => source?.dispose());

  it('generates the chosen corruptions and severities and evaluates them like the reference', async () => {
    const page = app.page;
    await page.getByTestId('generate-panel').locator('summary').click();
    await page.getByTestId('generate-input').setInputFiles(source.root);
    for (const box of await page.locator('[data-testid="generate-panel"] input[data-corruption]').all()) {
      await box.setChecked(CORRUPTIONS.includes((await box.getAttribute('data-corruption'))!));
    }
    for (const box of await page.locator('[data-testid="generate-panel"] input[data-severity]').all()) {
      await box.setChecked(SEVERITIES.includes(Number(await box.getAttribute('data-severity'))));
    }
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => /^(generated|error)/.test(document.querySelector('[data-testid="generate-status"]')?.textContent ?? ''), undefined, { timeout: 300_000 });
    expect(await page.getByTestId('generate-status').textContent()).toBe(`generated ${CLASSES.length * CORRUPTIONS.length * SEVERITIES.length} images`);

    const { result, predictions } = await runAndExport(page, {
      model: fixture('models', MODELS.squeezenet.file),
      labels: fixture('labels', 'imagenet_class_index.json'),
      backend: 'wasm',
      batchSize: 8,
    });
    expect(predictions).toHaveLength(CLASSES.length * CORRUPTIONS.length * SEVERITIES.length);
    expect(Object.keys(result.corruptions).sort()).toEqual([...CORRUPTIONS].sort());
    const reference = loadReferencePredictions(MODELS.squeezenet.reference);
    for (const p of predictions) {
      const ref = reference.get(referenceKey(p.path))!;
      expect(ref, p.path).toBeDefined();
      expect(p.top5, p.path).toEqual(ref.top5);
      p.logits_top5!.forEach((v, i) => expect(Math.abs(v - ref.logits_top5[i]), p.path).toBeLessThan(1e-3));
    }
  });
});
