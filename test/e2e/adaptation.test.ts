/**
 * Test-time adaptation end to end in headless Chromium on the built app (WASM), against PyTorch on the same batches.
 *
 * test/support/make-tta-e2e-reference.py builds a ResNet-18 with random weights and BN statistics calibrated on
 * fixture clean images, exports it with tools/export-onnx's exporter (BatchNormalization kept), and computes for the
 * first 6 images of fixture ImageNet-C cells, in consecutive batches of 4 (path order: 4, then the smaller last 2):
 *  - robusta's BayesianBatchNorm, N = 16, on fog/5 and contrast/4; the app runs these with "compare with
 *    adaptation", so the same run also gives the source model's predictions (checked against PyTorch eval mode);
 *  - TENT's forward_and_adapt (entropy, SGD lr 0.05, momentum 0.9) over gaussian_noise/3, state from the source
 *    model at the start of the cell.
 * The app's exported per-image top-5 and their logits must match (max |Δ| / max |ref| ≤ 1e-3 per image, top-5
 * classes equal). A model whose BN was folded at export (the fixture SqueezeNet) gets the BN-folded message.
 *
 * Skipped with a message without /usr/bin/python3 + torch or without ../shared/fixtures (under CI a missing
 * fixture folder fails, as everywhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { downloadFrom, waitForDone } from '../support/browser';
import { describeFixtures, fixture, PROJECT_ROOT } from '../support/fixtures';
import { TempDataset } from '../support/temp-dataset';
import { useApp } from '../support/use-app';
import { BN_FOLDED_MESSAGE } from '../../src/core/tta/bn-adapt';

const SCREENSHOTS = join(PROJECT_ROOT, 'test-results', 'screenshots');
const PYTHON = '/usr/bin/python3';
// .ci/run installs PyTorch: under CI a missing PyTorch fails these tests instead of skipping them.
const HAVE_TORCH = spawnSync(PYTHON, ['-c', 'import torch, torchvision, numpy, PIL']).status === 0 || !!process.env.CI;
if (!HAVE_TORCH) console.warn('[skip] adaptation e2e: /usr/bin/python3 cannot import torch/torchvision/numpy/PIL (Debian python3-torch python3-torchvision)');

const REL = 1e-3;
const IMAGES = 6;
const B = 4;
const LR = 0.05;

interface Reference {
  batch: number;
  prior: number;
  cells: Record<string, string[]>;
  bn: Record<string, number[]>;
  entropy: Record<string, number[]>;
  source: Record<string, number[]>;
}
type Line = { path: string; label: number; top5: number[]; logits_top5: number[]; adaptation?: string; adapted_adaptation?: string; adapted_top5?: number[]; adapted_logits_top5?: number[] };

/** The fixture-relative cell path of an app path (`c-bn/fog/5/n…/x.JPEG` → `fog/5/n…/x.JPEG`). */
const cellPath = (p: string) => p.split('/').slice(-4).join('/');

/** Worst max |Δ| / max |ref| over images; every top-5 must be the reference's top-5. */
function compare(lines: { path: string; top5: number[]; logits: number[] }[], ref: Record<string, number[]>): number {
  let worst = 0;
  for (const l of lines) {
    const want = ref[cellPath(l.path)];
    expect(want, l.path).toBeDefined();
    const order = Array.from(want.keys()).sort((a, b) => want[b] - want[a] || a - b);
    expect(l.top5, l.path).toEqual(order.slice(0, 5));
    const scale = Math.max(...want.map(Math.abs));
    l.top5.forEach((k, i) => (worst = Math.max(worst, Math.abs(l.logits[i] - want[k]) / scale)));
  }
  return worst;
}

async function choose(page: Page, model: string, card: string | null, dataset: string): Promise<void> {
  await page.getByTestId('model-input').setInputFiles(model);
  if (card) await page.getByTestId('model-card-input').setInputFiles(card);
  else await page.getByTestId('labels-input').setInputFiles(fixture('labels', 'imagenet_class_index.json'));
  await page.getByTestId('dataset-input').setInputFiles(dataset);
  await page.getByTestId('backend-select').selectOption('wasm');
  // One inference thread, as app-driver's startRun does for a fixed batch (B fixes it here): see RunInputs.threads.
  await page.getByTestId('threads-select').selectOption('1');
}

async function exportLines(page: Page): Promise<Line[]> {
  return (await downloadFrom(page, 'export-predictions'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line);
}

describeFixtures('test-time adaptation in the browser vs PyTorch', () => {
  if (!HAVE_TORCH) {
    it.skip('needs PyTorch for the reference');
    return;
  }
  const ctx = useApp();
  let out = '';
  let ref: Reference;
  let bnData: TempDataset;
  let entropyData: TempDataset;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'shiftlens-tta-e2e-'));
    const r = spawnSync(
      PYTHON,
      [join(PROJECT_ROOT, 'test/support/make-tta-e2e-reference.py'), '--fixtures', fixture(), '--out', out, '--images', String(IMAGES), '--batch', String(B), '--prior', '16', '--lr', String(LR)],
      { encoding: 'utf8', timeout: 240_000 },
    );
    if (r.status !== 0) throw new Error(`make-tta-e2e-reference.py failed: ${r.stderr}`);
    ref = JSON.parse(readFileSync(join(out, 'reference.json'), 'utf8'));
    // One image per class folder in imagenet-c-mini: the first IMAGES class folders are the reference's first images.
    bnData = new TempDataset('c-bn').copyClasses('imagenet-c-mini/fog/5', 'fog/5', IMAGES).copyClasses('imagenet-c-mini/contrast/4', 'contrast/4', IMAGES);
    entropyData = new TempDataset('c-entropy').copyClasses('imagenet-c-mini/gaussian_noise/3', 'gaussian_noise/3', IMAGES);
  }, 300_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
    bnData?.dispose();
    entropyData?.dispose();
  });

  it('BN adaptation (N = 16, B = 4) side by side with the source model: both as PyTorch, on the same batches', async () => {
    const { page } = ctx.app;
    const t0 = Date.now();
    await choose(page, join(out, 'model.onnx'), join(out, 'model.card.json'), bnData.root);
    await expect.poll(() => page.getByTestId('card-findings').textContent()).toMatch(/20 BatchNormalization nodes: test-time adaptation .* is available/);
    await page.getByTestId('adaptation-select').selectOption('bn');
    await page.getByTestId('adaptation-prior').fill('16');
    await page.getByTestId('adaptation-batch').fill(String(B));
    await page.getByTestId('adaptation-compare').check();
    await page.getByTestId('run').click();
    await waitForDone(page, 180_000);

    const result = JSON.parse(await downloadFrom(page, 'export-json'));
    const adapted = JSON.parse(await downloadFrom(page, 'export-json-adapted'));
    expect(result.adaptation).toBeUndefined();
    expect(adapted.adaptation).toEqual({ method: 'bn', prior: 16, batch: B });
    expect(adapted.timing.batchSize).toBe(B);
    expect(Object.keys(adapted.corruptions).sort()).toEqual(['contrast', 'fog']);
    expect(await page.getByTestId('metric-mce-adapted').count()).toBe(1);
    await expect.poll(() => page.locator('h2', { hasText: 'Results:' }).textContent()).toMatch(/source vs BN-adapted \(N=16\)/);
    // Side by side the inspector shows the source model's predictions and maps: no note.
    expect(await page.getByTestId('cam-adapted-note').count()).toBe(0);

    // For a person to look at: the run settings and the side-by-side results (test-results/screenshots/).
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.getByTestId('adaptation-select').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'adaptation-settings.png') });
    await page.getByTestId('results').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'adaptation-results.png') });

    const lines = await exportLines(page);
    expect(lines).toHaveLength(2 * IMAGES);
    expect(lines.every((l) => l.adapted_adaptation === `bn;N=16;B=${B}`)).toBe(true);
    const bnWorst = compare(lines.map((l) => ({ path: l.path, top5: l.adapted_top5!, logits: l.adapted_logits_top5! })), ref.bn);
    const sourceWorst = compare(lines.map((l) => ({ path: l.path, top5: l.top5, logits: l.logits_top5 })), ref.source);
    // Adaptation changed the predictions (else the comparison above would prove little).
    expect(lines.some((l) => l.adapted_top5![0] !== l.top5[0])).toBe(true);
    console.log(`BN adaptation in the browser vs robusta BayesianBatchNorm: max rel ${bnWorst.toExponential(2)}; source vs PyTorch ${sourceWorst.toExponential(2)}; ${((Date.now() - t0) / 1000).toFixed(1)} s (inference ${adapted.timing.seconds.toFixed(1)} s)`);
    expect(bnWorst).toBeLessThan(REL);
    expect(sourceWorst).toBeLessThan(REL);
  });

  it('entropy minimisation (TENT, B = 4, lr 0.05) over one cell: logits before each step as PyTorch', async () => {
    const { page } = ctx.app;
    await page.goto(ctx.app.url);
    const t0 = Date.now();
    await choose(page, join(out, 'model.onnx'), join(out, 'model.card.json'), entropyData.root);
    await page.getByTestId('adaptation-select').selectOption('entropy');
    await page.getByTestId('adaptation-batch').fill(String(B));
    // The learning rate follows B until one is typed in: 0.00025 · 4 / 64.
    await expect.poll(() => page.getByTestId('adaptation-lr').inputValue()).toBe('0.000015625');
    await page.getByTestId('adaptation-lr').fill(String(LR));
    await page.getByTestId('run').click();
    await waitForDone(page, 180_000);
    const result = JSON.parse(await downloadFrom(page, 'export-json'));
    expect(result.adaptation).toEqual({ method: 'entropy', batch: B, lr: LR, momentum: 0.9 });
    const lines = await exportLines(page);
    expect(lines).toHaveLength(IMAGES);
    expect(lines.every((l) => l.adaptation === `entropy;B=${B};lr=${LR};m=0.9;nesterov=0`)).toBe(true);
    const worst = compare(lines.map((l) => ({ path: l.path, top5: l.top5, logits: l.logits_top5 })), ref.entropy);
    console.log(`entropy minimisation in the browser vs TENT forward_and_adapt: max rel ${worst.toExponential(2)}; ${((Date.now() - t0) / 1000).toFixed(1)} s (inference ${result.timing.seconds.toFixed(1)} s)`);
    expect(worst).toBeLessThan(REL);
    // The inspector shows the adapted predictions and says its maps are the source model's.
    await expect.poll(() => page.getByTestId('cam-adapted-note').textContent(), { timeout: 60_000 }).toMatch(/the entropy-adapted \(TENT, B=4, .*\) predictions; the maps are computed with the source model/);
    await page.getByTestId('cam-adapted-note').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'adaptation-inspector.png') });
  });

  it('a model whose BN was folded at export: the card says so and an adapted run fails with the message', async () => {
    const { page } = ctx.app;
    await page.goto(ctx.app.url);
    await choose(page, fixture('models', 'squeezenet1.1-caffe2.fp32.gradcam.onnx'), null, entropyData.root);
    await expect.poll(() => page.getByTestId('card-findings').textContent()).toMatch(/no BatchNormalization nodes .* re-export with tools\/export-onnx/);
    await page.getByTestId('adaptation-select').selectOption('bn');
    await page.getByTestId('run').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="status"]')?.textContent ?? '').startsWith('error'), undefined, { timeout: 60_000 });
    expect(await page.getByTestId('status').textContent()).toBe(`error: ${BN_FOLDED_MESSAGE}`);
  });
});
