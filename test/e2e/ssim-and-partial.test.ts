import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeFixtures, fixture } from '../support/fixtures';
import { useApp } from '../support/use-app';
import { downloadFrom, waitForDone } from '../support/browser';
import { startRun } from '../support/app-driver';
import { TempDataset } from '../support/temp-dataset';
import { decodeJpeg } from '../../src/core/corruptions/jpeg';
import { resizeAndCenterCrop } from '../../src/core/pillow-resize';
import { ssim } from '../../src/core/ssim';
import type { ResultDocument } from '../../src/core/result-document';

const CORRUPTIONS = ['gaussian_noise', 'snow', 'saturate'];
const CLASSES = 5;

/** SSIM per cell measured in the app against the same numbers computed in Node from the same files. */
describeFixtures('SSIM analysis and partial runs (built app, headless Chromium)', () => {
  const ctx = useApp();
  let data: TempDataset;
  let clean: TempDataset;

  beforeAll(() => {
    data = new TempDataset('c-subset');
    for (const c of CORRUPTIONS) for (const s of [1, 2, 3, 4, 5]) data.copyClasses(`imagenet-c-mini/${c}/${s}`, `${c}/${s}`, CLASSES);
    clean = new TempDataset('val-subset');
    const wnids = readdirSync(fixture('imagenet-c-mini', CORRUPTIONS[0], '1')).sort().slice(0, CLASSES);
    for (const w of wnids) for (const f of readdirSync(fixture('imagenet-val-sample', w))) clean.copyFile(fixture('imagenet-val-sample', w, f), join(w, f));
  });
  afterAll(() => {
    data?.dispose();
    clean?.dispose();
  });

  const inputs = () => ({
    model: fixture('models', 'squeezenet1.1-caffe2.fp32.gradcam.onnx'),
    labels: fixture('labels', 'imagenet_class_index.json'),
    dataset: data.root,
    clean: clean.root,
    backend: 'wasm' as const,
    batchSize: 8,
  });

  it('measures mean SSIM per corruption × severity like scikit-image on the same pixels', async () => {
    const { page } = ctx.app;
    await startRun(page, inputs());
    await waitForDone(page, 300_000);
    await page.getByTestId('ssim-cap').selectOption({ label: 'all' });
    await page.getByTestId('measure-ssim').click();
    await expect.poll(() => page.getByTestId('ssim-status').innerText(), { timeout: 120_000 }).toBe('done');
    expect(await page.locator('[data-testid="ssim-charts"] canvas').count()).toBe(CORRUPTIONS.length);
    const doc = JSON.parse(await downloadFrom(page, 'export-json')) as ResultDocument;
    expect(doc.ssim?.mode).toBe('rgb');
    expect(doc.outcomes).toBeDefined();
    let worst = 0;
    // Each clean original decoded and cropped once (not once per corruption × severity).
    const crops = new Map<string, ReturnType<typeof resizeAndCenterCrop>>();
    const cleanCrop = (w: string, f: string) => {
      const key = `${w}/${f}`;
      if (!crops.has(key)) crops.set(key, resizeAndCenterCrop({ ...decodeJpeg(new Uint8Array(readFileSync(join(clean.root, w, f)))), channels: 3 }, 256, 224));
      return crops.get(key)!;
    };
    for (const c of CORRUPTIONS) {
      for (const s of [1, 2, 3, 4, 5]) {
        const dir = join(data.root, c, String(s));
        const values: number[] = [];
        for (const w of readdirSync(dir).sort()) {
          for (const f of readdirSync(join(dir, w))) {
            const a = decodeJpeg(new Uint8Array(readFileSync(join(dir, w, f))));
            values.push(ssim({ ...a, channels: 3 }, cleanCrop(w, f), { mode: 'rgb' }));
          }
        }
        const cell = doc.ssim!.cells[`${c}/${s}`];
        const mean = values.reduce((x, y) => x + y, 0) / values.length;
        expect(cell.n).toBe(values.length);
        worst = Math.max(worst, Math.abs(cell.mean - mean));
        expect(cell.mean).toBeCloseTo(mean, 2);
      }
    }
    console.log(`SSIM per cell, app vs Node (libjpeg-exact decode + Pillow resize): max |Δ mean| = ${worst.toExponential(2)}`);
    // The measurement is kept with the run in the library.
    await page.reload();
    await page.getByTestId('run-row').first().getByRole('button', { name: 'Open' }).click();
    await page.locator('[data-testid="ssim-charts"] canvas').first().waitFor({ timeout: 30_000 });
  });

  it('keeps a cancelled run as a partial run in the library', async () => {
    const { page } = ctx.app;
    await page.reload();
    // Another preprocessing (so nothing comes from the cache): the run is cancelled part-way.
    const card = new TempDataset('card').write('card.json', JSON.stringify({ name: 'squeezenet-partial', resizeTo: 240 }));
    await startRun(page, { ...inputs(), card: join(card.root, 'card.json') });
    await expect.poll(async () => Number((await page.getByTestId('progress').getAttribute('value')) ?? 0), { timeout: 120_000 }).toBeGreaterThan(20);
    await page.getByTestId('cancel').click();
    await expect.poll(() => page.getByTestId('status').innerText(), { timeout: 60_000 }).toBe('cancelled');
    // The partial run is saved just after the status reads cancelled, and the runs list loads after the reload (a count
    // taken right after the reload may miss rows still loading): wait for the one partial row.
    const row = page.getByTestId('run-row').filter({ hasText: 'partial' });
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    expect(await row.innerText()).toContain('squeezenet-partial');
    card.dispose();
  });
});
