import { afterAll, beforeAll, expect, it } from 'vitest';
import { downloadFrom, waitForDone } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { referenceKey } from '../support/app-driver';
import { MODELS, loadReferencePredictions, referenceCellCounts } from '../support/reference';
import { TempDataset } from '../support/temp-dataset';

const CLASSES = 8;

/**
 * Where the upload-style picker is the only one (it holds every file in memory, ~250 k files at most), ImageNet-C
 * is picked one corruption folder at a time with "Add another folder": the folders make one evaluation.
 */
describeFixtures('corruption folders added one at a time', () => {
  const ctx = useApp();
  let fog: TempDataset;
  let contrast: TempDataset;
  beforeAll(() => {
    fog = new TempDataset('fog').copyClasses('imagenet-c-mini/fog/5', '5', CLASSES);
    contrast = new TempDataset('contrast').copyClasses('imagenet-c-mini/contrast/4', '4', CLASSES);
  });
  afterAll(() => {
    fog?.dispose();
    contrast?.dispose();
  });

  it('two picked corruption folders are evaluated as one dataset; a new pick replaces them', async () => {
    const { page } = ctx.app;
    await page.getByTestId('model-input').setInputFiles(fixture('models', MODELS.squeezenet.file));
    await page.getByTestId('labels-input').setInputFiles(fixture('labels', 'imagenet_class_index.json'));
    // "Add another folder" appears once a folder is picked.
    expect(await page.getByTestId('dataset-input-add').count()).toBe(0);
    await page.getByTestId('dataset-input').setInputFiles(fog.root);
    await page.getByTestId('dataset-input-add').waitFor({ state: 'attached', timeout: 30_000 });
    await page.getByTestId('dataset-input-add').setInputFiles(contrast.root);
    await expect.poll(() => page.getByTestId('step-data').textContent(), { timeout: 30_000 }).toMatch(/2 corruption × severity folders/);
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('batch-size').fill('8');
    await page.getByTestId('threads-select').selectOption('1'); // see RunInputs.threads (app-driver.ts)
    await page.getByTestId('run').click();
    await waitForDone(page, 300_000);

    const result = JSON.parse(await downloadFrom(page, 'export-json'));
    const predictions = (await downloadFrom(page, 'export-predictions')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    expect(predictions).toHaveLength(2 * CLASSES);
    const expected = referenceCellCounts(loadReferencePredictions(MODELS.squeezenet.reference), predictions.map((p) => referenceKey(p.path)));
    expect(Object.keys(result.corruptions).sort()).toEqual(['contrast', 'fog']);
    expect(result.corruptions.fog.severities['5']).toEqual(expected.get('fog/5'));
    expect(result.corruptions.contrast.severities['4']).toEqual(expected.get('contrast/4'));

    // Picking with the main input starts over: one folder again.
    await page.getByTestId('step-data-change').click();
    await page.getByTestId('dataset-input').setInputFiles(contrast.root);
    await expect.poll(() => page.getByTestId('step-data').textContent(), { timeout: 30_000 }).toMatch(/1 corruption × severity folder\b/);
  });
});
