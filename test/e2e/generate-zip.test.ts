import { afterAll, beforeAll, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { expandStep, referenceKey, runAndExport } from '../support/app-driver';
import { MODELS, loadReferencePredictions } from '../support/reference';
import { TempDataset } from '../support/temp-dataset';
import { readZipWithPython } from '../support/python-zip';
import { decodeJpeg } from '../../src/core/corruptions/jpeg/decode';
import { encodeJpeg } from '../../src/core/corruptions/jpeg/encode';
import { corrupt } from '../../src/core/corruptions/index';
import { outputSeed } from '../../src/core/corruptions/seeds';
import { FROST_ORIGINAL_SIZES, FROST_TEXTURE_FILES, rescaleFrostTexture } from '../../src/core/corruptions/frost-texture-loader';
import type { Image8, Severity } from '../../src/core/corruptions/types';
import { resizeAndCenterCrop } from '../../src/core/pillow-resize';
import { encodePng } from '../support/png-encode';
import { smoothImage } from '../support/synthetic-image';

/** DEV-C classes: their originals were corrupted into imagenet-c-mini with base seed 1234 and the official frost. */
const CLASSES = ['n01630670', 'n01820546', 'n01978287', 'n02002556', 'n02087046'];
const CORRUPTIONS = ['frost', 'gaussian_noise'];
const SEVERITIES = [2, 5];

async function choose(page: Page, corruptions: readonly string[], severities: readonly number[]): Promise<void> {
  // After a run the data step (where the generator lives) is collapsed to its summary.
  await expandStep(page, 'data');
  for (const box of await page.locator('[data-testid="generate-panel"] input[data-corruption]').all()) {
    await box.setChecked(corruptions.includes((await box.getAttribute('data-corruption'))!));
  }
  for (const box of await page.locator('[data-testid="generate-panel"] input[data-severity]').all()) {
    await box.setChecked(severities.includes(Number(await box.getAttribute('data-severity'))));
  }
}

async function waitForStatus(page: Page, pattern: RegExp, timeout = 300_000): Promise<string> {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid="generate-status"]')?.textContent ?? ''), pattern.source, { timeout, polling: 200 });
  return (await page.getByTestId('generate-status').textContent()) ?? '';
}

async function downloadZip(page: Page): Promise<{ name: string; path: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('generate-zip').click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), path, bytes: readFileSync(path) };
}

/** The bytes of a STORED entry: right after its local header. */
function entryBytes(zip: Buffer, headerOffset: number, size: number): Buffer {
  const at = headerOffset + 30 + zip.readUInt16LE(headerOffset + 26) + zip.readUInt16LE(headerOffset + 28);
  return zip.subarray(at, at + size);
}

/**
 * Generate mode with the official frost textures, downloaded as a zip. The DEV-C originals with base seed 1234 and
 * the fixture's (official, 1.1×-rescaled) textures are exactly how imagenet-c-mini was made, so each generated
 * JPEG must be byte-identical to the fixture file of the same path: the reference itself, not a Node re-run of
 * our code. Then: the zip evaluates like the reference and its result names the frost textures; cancel stops a
 * long run at once and offers only the complete images, as a partial zip.
 */
describeFixtures('generate ImageNet-C with official frost textures, download as zip, cancel', () => {
  const ctx = useApp();
  let app: AppSession;
  let source: TempDataset;
  let badTextures: TempDataset;
  let many: TempDataset;
  let originals: TempDataset;
  /** The synthetic "original" textures as cv2.imread would read them (RGB; the PNGs carry an opaque alpha). */
  const originalPixels: Image8[] = [];
  beforeAll(() => {
    app = ctx.app;
    source = new TempDataset('clean-originals');
    for (const c of CLASSES) {
      for (const f of readdirSync(fixture('imagenet-val-sample', c))) source.copyFile(fixture('imagenet-val-sample', c, f), `${c}/${f}`);
    }
    many = new TempDataset('twelve-classes').copyClasses('imagenet-val-sample', '.', 12);
    // Stand-ins for the official files (not in the fixtures): the official names, sizes and formats — RGBA PNGs for
    // frost1–3, baseline JPEGs for frost4–6.
    originals = new TempDataset('frost-originals');
    FROST_ORIGINAL_SIZES.forEach(([h, w], i) => {
      const rgb = smoothImage(w, h, 3).map((v, k) => (v + 37 * i + (k % 5)) & 255);
      if (i < 3) {
        const rgba = new Uint8Array(w * h * 4);
        for (let p = 0; p < w * h; p++) rgba.set([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255], p * 4);
        originals.write(FROST_TEXTURE_FILES[i].toUpperCase(), encodePng(w, h, 4, rgba));
        originalPixels.push({ width: w, height: h, data: rgb, channels: 3 });
      } else {
        const jpeg = encodeJpeg(rgb, w, h, 90);
        originals.write(FROST_TEXTURE_FILES[i], jpeg);
        originalPixels.push({ ...decodeJpeg(jpeg), channels: 3 });
      }
    });
    badTextures = new TempDataset('frost-three');
    for (const i of [1, 2, 4]) badTextures.copyFile(fixture('corruption-reference', 'textures', `frost${i}_rescaled_rgb.png`), `frost${i}_rescaled_rgb.png`);
  });
  afterAll(() => {
    source?.dispose();
    badTextures?.dispose();
    many?.dispose();
    originals?.dispose();
  });

  it('refuses an incomplete texture folder with a clear message and keeps the procedural textures', async () => {
    const page = app.page;
    await page.getByTestId('generate-panel').locator('summary').click();
    await expect.poll(() => page.getByTestId('frost-textures-status').textContent()).toMatch(/in use: procedural \(ours\)/);
    await page.getByTestId('frost-textures-input').setInputFiles(badTextures.root);
    await expect.poll(() => page.getByTestId('frost-textures-error').textContent()).toMatch(/missing frost3\.png, frost5\.jpg/);
    expect(await page.getByTestId('frost-textures-status').textContent()).toMatch(/in use: procedural \(ours\)/);
    expect(await page.getByTestId('frost-official').isDisabled()).toBe(true);
  });

  it('generates with the official textures; the zip holds the ImageNet-C layout, frost byte-identical to the reference', async () => {
    const page = app.page;
    await page.getByTestId('frost-textures-input').setInputFiles(fixture('corruption-reference', 'textures'));
    await expect.poll(() => page.getByTestId('frost-textures-status').textContent()).toMatch(/in use: frost textures: official ImageNet-C — pre-rescaled \(1\.1×\) files/);
    expect(await page.getByTestId('frost-textures-error').count()).toBe(0);
    await page.getByTestId('generate-input').setInputFiles(source.root);
    await choose(page, CORRUPTIONS, SEVERITIES);
    await page.getByTestId('generate').click();
    const n = CLASSES.length * CORRUPTIONS.length * SEVERITIES.length;
    expect(await waitForStatus(page, /^(generated|error|cancelled)/)).toBe(`generated ${n} images`);

    const zip = await downloadZip(page);
    expect(zip.name).toBe('imagenet-c-generated.zip');
    const listed = readZipWithPython(zip.path, { testzip: true });
    expect(listed.testzip).toBeNull();
    const expected = CORRUPTIONS.flatMap((c) => SEVERITIES.flatMap((s) => CLASSES.map((w) => `${c}/${s}/${w}/${readdirSync(fixture('imagenet-val-sample', w))[0].replace(/\.[^.]+$/, '')}.JPEG`))).sort();
    expect(listed.entries.map((e) => e.name).sort()).toEqual(expected);
    expect(listed.entries.every((e) => e.compressType === 0 && e.size === e.compressSize)).toBe(true);

    let identical = 0;
    for (const e of listed.entries) {
      const mine = entryBytes(zip.bytes, e.headerOffset, e.size);
      const ref = readFileSync(fixture('imagenet-c-mini', e.name));
      const a = decodeJpeg(mine);
      expect([a.width, a.height], e.name).toEqual([224, 224]);
      if (Buffer.compare(mine, ref) === 0) identical++;
      else {
        // Report how far off a differing file is before failing on it.
        const b = decodeJpeg(ref);
        let max = 0;
        for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
        expect.soft(max, `${e.name}: max |Δ| of the decoded pixels`).toBe(0);
      }
    }
    expect(identical).toBe(n);
  });

  it('the evaluated result of the generated set records the official frost textures and matches the reference', async () => {
    const page = app.page;
    const { result, predictions } = await runAndExport(page, {
      model: fixture('models', MODELS.squeezenet.file),
      labels: fixture('labels', 'imagenet_class_index.json'),
      backend: 'wasm',
      batchSize: 8,
    });
    expect(result.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^frost textures: official ImageNet-C — pre-rescaled/), expect.stringMatching(/^generated in the browser from clean-originals: 5 clean images × 2 corruptions/)]));
    const reference = loadReferencePredictions(MODELS.squeezenet.reference);
    expect(predictions).toHaveLength(CLASSES.length * CORRUPTIONS.length * SEVERITIES.length);
    for (const p of predictions) expect(p.top5, p.path).toEqual(reference.get(referenceKey(p.path))!.top5);
  });

  it('original textures (FROST1.PNG … frost6.jpg) are decoded and rescaled in the app exactly as in Node', async () => {
    const page = app.page;
    await expandStep(page, 'data');
    await page.getByTestId('frost-textures-files').setInputFiles(FROST_TEXTURE_FILES.map((f, i) => `${originals.root}/${i < 3 ? f.toUpperCase() : f}`));
    await expect.poll(() => page.getByTestId('frost-textures-status').textContent()).toMatch(/in use: frost textures: official ImageNet-C — originals, rescaled 1\.1× with cv2 INTER_CUBIC semantics/);
    await choose(page, ['frost'], [1, 5]);
    await page.getByTestId('generate').click();
    expect(await waitForStatus(page, /^(generated|error|cancelled)/)).toBe(`generated ${CLASSES.length * 2} images`);
    const zip = await downloadZip(page);
    const listed = readZipWithPython(zip.path);
    expect(listed.entries).toHaveLength(CLASSES.length * 2);

    // Node: the same clean crop (Pillow-exact decode and resize), seed and textures (cv2-exact rescale), frost, q85.
    const textures = originalPixels.map(rescaleFrostTexture);
    for (const e of listed.entries) {
      const [, severity, wnid, file] = e.name.split('/');
      const stem = file.replace(/\.JPEG$/, '');
      const src = readdirSync(fixture('imagenet-val-sample', wnid))[0];
      const decoded = decodeJpeg(readFileSync(fixture('imagenet-val-sample', wnid, src)));
      const crop = resizeAndCenterCrop({ ...decoded, channels: 3 }, 256, 224);
      const seed = await outputSeed(1234, wnid, stem, 'frost', Number(severity));
      const out = corrupt({ width: 224, height: 224, data: crop.data, channels: 3 }, 'frost', Number(severity) as Severity, { seed, frostTextures: textures });
      const expected = encodeJpeg(out.data as Uint8Array, 224, 224, 85, { optimize: true });
      expect(Buffer.compare(entryBytes(zip.bytes, e.headerOffset, e.size), Buffer.from(expected)), e.name).toBe(0);
    }
  });

  it('cancel stops a long run promptly and offers only the complete images, as a partial zip', async () => {
    const page = app.page;
    await expandStep(page, 'data');
    await page.getByTestId('frost-procedural').check();
    await page.getByTestId('generate-input').setInputFiles(many.root);
    await choose(page, ['glass_blur', 'frost', 'zoom_blur'], [1, 2, 3, 4, 5]);
    await page.getByTestId('generate').click();
    const started = Date.now();
    const perImage = 3 * 5;
    // Cancel once the first clean image is done (progress counts corrupted images).
    await page.waitForFunction((k) => Number(document.querySelector<HTMLProgressElement>('[data-testid="generate-progress"]')?.value ?? 0) >= k, perImage, { timeout: 300_000, polling: 100 });
    expect(await page.locator('[data-testid="generate-panel"] .muted', { hasText: /images\/s · ETA/ }).count()).toBe(1);
    // Promptly: in under 2 s on a quiet machine; on a busy one (another test file beside this one), in under half the
    // time the first clean image's 15 corruptions took — never by finishing the images in flight.
    const bound = Math.max(2_000, (Date.now() - started) / 2);
    const clicked = Date.now();
    await page.getByTestId('generate-cancel').click();
    const status = await waitForStatus(page, /^(cancelled|generated|error)/, 10_000);
    expect(Date.now() - clicked).toBeLessThan(bound);
    const m = /^cancelled: (\d+) of 12 clean images done, (\d+) images kept \(partial; not used for evaluation, can be saved or zipped\)$/.exec(status);
    expect(m, status).not.toBeNull();
    const [done, kept] = [Number(m![1]), Number(m![2])];
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(12);
    expect(kept).toBe(done * perImage);

    expect(await page.getByTestId('generate-zip').textContent()).toBe('Download the partial set as zip');
    const zip = await downloadZip(page);
    expect(zip.name).toBe('imagenet-c-generated-partial.zip');
    const listed = readZipWithPython(zip.path, { testzip: true });
    expect(listed.testzip).toBeNull();
    expect(listed.entries).toHaveLength(kept);
    // Complete images only: every kept clean image has all 15 of its corrupted versions.
    const perClass = new Map<string, number>();
    for (const e of listed.entries) perClass.set(e.name.split('/')[2], (perClass.get(e.name.split('/')[2]) ?? 0) + 1);
    expect([...perClass.values()]).toEqual(new Array(done).fill(perImage));
    expect(listed.entries.every((e) => /^(glass_blur|frost|zoom_blur)\/[1-5]\/n\d{8}\/[^/]+\.JPEG$/.test(e.name))).toBe(true);
  });
});
