/**
 * The inspector must analyse exactly the input the run evaluated: with a card whose clean-resize filter is
 * bicubic, the inspector's top-5 of every clean image equals the top-5 the run exported for it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { runAndExport } from '../support/app-driver';
import { TempDataset } from '../support/temp-dataset';
import { MODELS } from '../support/reference';

const CLASSES = 8;

describeFixtures('Grad-CAM inspector follows the card (built app, headless Chromium)', () => {
  const ctx = useApp();
  let data: TempDataset;
  let clean: TempDataset;
  let cards: TempDataset;

  beforeAll(() => {
    data = new TempDataset('c-cell').copyClasses('imagenet-c-mini/glass_blur/3', 'glass_blur/3', CLASSES);
    clean = new TempDataset('val-subset');
    const wnids = readdirSync(fixture('imagenet-c-mini', 'glass_blur', '3')).sort().slice(0, CLASSES);
    for (const w of wnids) for (const f of readdirSync(fixture('imagenet-val-sample', w))) clean.copyFile(fixture('imagenet-val-sample', w, f), join(w, f));
    cards = new TempDataset('cards').write('squeezenet-bicubic.card.json', JSON.stringify({ name: 'squeezenet bicubic', interpolation: 'bicubic', resizeTo: 256, inputSize: 224 }));
  });
  afterAll(() => {
    data?.dispose();
    clean?.dispose();
    cards?.dispose();
  });

  it('with a bicubic card, the inspector’s top-5 of every clean image equals the run’s exported top-5', async () => {
    const { page } = ctx.app;
    const { result, predictions } = await runAndExport(page, {
      model: fixture('models', MODELS.squeezenet.file),
      card: join(cards.root, 'squeezenet-bicubic.card.json'),
      labels: fixture('labels', 'imagenet_class_index.json'),
      dataset: data.root,
      clean: clean.root,
      backend: 'wasm',
    });
    expect(JSON.stringify(result.preprocessing ?? {})).toContain('bicubic');
    const cleanOnes = predictions.filter((p) => p.path.startsWith('val-subset/') && !p.unreadable);
    expect(cleanOnes.length).toBeGreaterThanOrEqual(CLASSES);
    const mismatches: string[] = [];
    for (const p of cleanOnes) {
      await page.locator(`[data-testid="cam-image"][data-path="${p.path}"]`).click();
      const cell = page.locator(`[data-testid="cam-cell"][data-path="${p.path}"][data-top5]`);
      await cell.waitFor({ timeout: 120_000 });
      const top5 = (await cell.getAttribute('data-top5'))!.split(',').map(Number);
      if (top5.join(',') !== p.top5!.join(',')) mismatches.push(`${p.path}: inspector ${top5.join(',')} vs run ${p.top5!.join(',')}`);
    }
    expect(mismatches).toEqual([]);
  });
});
