/**
 * The inspector must analyse exactly the input the run evaluated: with a card whose clean-resize filter is
 * bicubic, the inspector's top-5 of every clean image equals the top-5 the run exported for it. Score-CAM says
 * how many channels it scored and lets the user choose; a ViT exported with --cls-attention shows attention maps.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { downloadFrom } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture, PROJECT_ROOT } from '../support/fixtures';
import { runAndExport } from '../support/app-driver';
import { TempDataset } from '../support/temp-dataset';
import { MODELS } from '../support/reference';

const CLASSES = 4;
const PYTHON = '/usr/bin/python3';
const HAVE_TORCH = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0;
if (!HAVE_TORCH) console.warn(`[skip] ViT attention e2e: ${PYTHON} cannot import torch/torchvision${process.env.CI ? ' (CI is set: the test fails)' : ''}`);

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
      batchSize: 8,
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

    // Score-CAM says how many of the map's channels it scored, and the user chooses (SqueezeNet: 512).
    // The choice is offered before Score-CAM starts (default 256, the cost of one forward pass per channel), so only
    // the 64 chosen here are computed.
    const choice = page.getByTestId('scorecam-channels');
    expect(await choice.inputValue()).toBe('256');
    expect(await choice.locator('option').allInnerTexts()).toEqual(['64 (highest mean activation)', '256 (highest mean activation)', 'all (512)']);
    await choice.selectOption('64');
    await page.getByTestId('cam-method').selectOption('scorecam');
    const used = page.getByTestId('scorecam-used');
    await expect.poll(async () => (await used.count()) ? `${await used.getAttribute('data-used')}/${await used.getAttribute('data-of')}` : '', { timeout: 180_000 }).toBe('64/512');
    expect(await used.innerText()).toContain('64 of 512');
    const cam = JSON.parse(await downloadFrom(page, 'export-cam'));
    expect(cam.method).toBe('scorecam');
    expect(cam.channels).toEqual({ used: 64, of: 512 });
  });

  it.skipIf(!HAVE_TORCH && !process.env.CI)('a ViT exported with --cls-attention shows attention maps on its patch grid', async () => {
    if (!HAVE_TORCH) throw new Error(`CI is set but ${PYTHON} cannot import torch/torchvision`);
    const vit = new TempDataset('tiny-vit');
    onTestFinished(() => vit.dispose());
    const r = spawnSync(PYTHON, [join(PROJECT_ROOT, 'test/support/make-tiny-vit.py'), vit.root], { encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`make-tiny-vit.py failed (exit ${r.status}):\n${r.stderr}`);
    const { page } = ctx.app;
    await page.reload();
    const { predictions } = await runAndExport(page, {
      model: join(vit.root, 'model.onnx'),
      card: join(vit.root, 'model.card.json'),
      labels: fixture('labels', 'imagenet_class_index.json'),
      dataset: data.root,
      clean: clean.root,
      backend: 'wasm',
      batchSize: 8,
    });
    const p = predictions.find((q) => q.path.startsWith('val-subset/') && !q.unreadable)!;
    await page.locator(`[data-testid="cam-image"][data-path="${p.path}"]`).click();
    // Grad-CAM (the default) has no head here: the inspector says why and switches to the attention maps.
    await expect.poll(() => page.getByTestId('cam-method').inputValue(), { timeout: 120_000 }).toBe('attention');
    await expect.poll(async () => (await page.getByTestId('cam-engine-note').count()) ? page.getByTestId('cam-engine-note').innerText() : '', { timeout: 60_000 }).toMatch(/Grad-CAM unavailable/);
    await page.waitForFunction(() => !(document.querySelector('[data-testid="export-cam"]') as HTMLButtonElement).disabled, undefined, { timeout: 120_000 });
    const cell = page.locator(`[data-testid="cam-cell"][data-path="${p.path}"][data-top5]`);
    expect((await cell.getAttribute('data-top5'))!.split(',').map(Number)).toEqual(p.top5);
    expect(await page.locator('[data-testid="cam-grid"] canvas').count()).toBeGreaterThanOrEqual(1);
    const cam = JSON.parse(await downloadFrom(page, 'export-cam'));
    expect(cam.method).toBe('attention');
    expect([cam.height, cam.width]).toEqual([7, 7]);
    expect(cam.values).toHaveLength(49);
    expect(Math.max(...cam.values)).toBeCloseTo(1, 5);
    expect(Math.min(...cam.values)).toBe(0);
  });
});
