import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseModelCard } from '../../src/core/model-card';
import { expandStep, referenceKey } from '../support/app-driver';
import { downloadFrom, openApp, serverUrl, startPreview, waitForDone, type AppSession } from '../support/browser';
import { describeFixtures, fixture } from '../support/fixtures';
import { MODELS, loadReferencePredictions, referenceCellCounts } from '../support/reference';
import { TempDataset } from '../support/temp-dataset';

interface Facts {
  input: { name: string; shape: (number | string)[] };
  outputs: { name: string; shape: (number | string)[] }[];
  opset: Record<string, number>;
}

const MODEL = fixture('models', MODELS.squeezenet.file);
const FACTS: Facts = JSON.parse(readFileSync(fixture('models', 'squeezenet1.1-caffe2.fp32.gradcam.facts.json'), 'utf8'));
/** The minimal card the issue names: name, mean, std (0–1), reportedTop1 (percent). */
const MINIMAL_CARD = { name: 'SqueezeNet 1.1 (fixture)', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], reportedTop1: 57.5 };
const EDITED_NAME = 'SqueezeNet 1.1 (edited in the app)';
const CELLS: [string, string][] = [['fog', '3'], ['contrast', '5']];
/** Classes per cell: the offline run only has to show that the stored model runs and predicts like the reference. */
const CLASSES = 10;
const shape = (dims: (number | string)[]) => `[${dims.join(', ')}]`;

/**
 * The model library: a model imported once is listed with its size and sha256, survives a reload with the server
 * gone (the service worker serves the app, OPFS the model), runs there with the reference's numbers, and can be
 * deleted. On the way: the card proposed from the graph and the minimal card JSON.
 */
describeFixtures('model library and model cards, offline after a reload', () => {
  let server: PreviewServer;
  let app: AppSession;
  let files: TempDataset;
  beforeAll(async () => {
    server = await startPreview();
    app = await openApp(serverUrl(server));
    files = new TempDataset('mini').write('../squeezenet.card.json', JSON.stringify(MINIMAL_CARD));
    for (const [c, s] of CELLS) files.copyClasses(`imagenet-c-mini/${c}/${s}`, `${c}/${s}`, CLASSES);
  });
  afterAll(async () => {
    await app?.close();
    await server?.close().catch(() => {});
    files?.dispose();
  });

  const row = () => app.page.locator('[data-testid="library-row"]');

  it('picking a model proposes its card from the graph, stores it in the library; the minimal card JSON loads', async () => {
    const { page } = app;
    // The service worker must control the page before the network goes: it precaches the shell on install.
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 60_000 });

    await page.getByTestId('model-input').setInputFiles(MODEL);
    await page.getByTestId('card-findings').waitFor();
    // The graph as the fact sheet describes it.
    expect(await page.getByTestId('card-graph-input').allTextContents()).toEqual([`${FACTS.input.name} float32${shape(FACTS.input.shape)}`]);
    expect(await page.getByTestId('card-graph-output').allTextContents()).toEqual(FACTS.outputs.map((o) => `${o.name} ${shape(o.shape)}`));
    expect(await page.getByTestId('card-findings').textContent()).toContain(`opset ${FACTS.opset['ai.onnx']}`);
    expect(await page.getByTestId('card-logits').inputValue()).toBe('logits');
    expect(await page.getByTestId('card-feature').inputValue()).toBe('features');
    expect(await page.getByTestId('card-input-size').inputValue()).toBe(String(FACTS.input.shape[2]));

    await page.getByTestId('model-card-input').setInputFiles(`${files.root}/../squeezenet.card.json`);
    await expect.poll(() => page.getByTestId('card-name').inputValue()).toBe(MINIMAL_CARD.name);
    expect(await page.getByTestId('card-reported-top1').inputValue()).toBe(String(MINIMAL_CARD.reportedTop1));
    for (const c of [0, 1, 2]) {
      expect(Number(await page.getByTestId(`card-mean-${c}`).inputValue())).toBe(MINIMAL_CARD.mean[c]);
      expect(Number(await page.getByTestId(`card-std-${c}`).inputValue())).toBe(MINIMAL_CARD.std[c]);
    }
    // What the card leaves out still comes from the graph.
    expect(await page.getByTestId('card-logits').inputValue()).toBe('logits');
    expect(await page.getByTestId('card-preset').inputValue()).toBe('custom');

    // Listed with the file's size and sha256 (computed here, in Node), and the card's name.
    const bytes = readFileSync(MODEL);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await expect.poll(() => row().getAttribute('data-sha256'), { timeout: 30_000 }).toBe(sha256);
    expect(Number(await row().getAttribute('data-size'))).toBe(statSync(MODEL).size);
    expect(await row().getByTestId('library-name').textContent()).toBe(MODELS.squeezenet.file);
    await expect.poll(() => row().getByTestId('library-card').textContent()).toBe(MINIMAL_CARD.name);

    // Picking the same file again stores nothing new (cleared first: Chromium fires no change for the same file).
    await page.getByTestId('model-input').setInputFiles([]);
    await page.getByTestId('model-input').setInputFiles(MODEL);
    await expect.poll(() => page.getByTestId('library-status').textContent()).toContain('already in the library');
    expect(await row().count()).toBe(1);
    // …and brings back its stored card.
    await expect.poll(() => page.getByTestId('card-name').inputValue()).toBe(MINIMAL_CARD.name);
  });

  it('a preset edits the card; the downloaded card JSON is what the editor shows and loads back', async () => {
    const { page } = app;
    await page.getByTestId('card-preset').selectOption('dino-resnet50');
    expect(await page.getByTestId('card-interpolation').inputValue()).toBe('bicubic');
    expect(await page.getByTestId('card-reported-top1').inputValue()).toBe('75.3');
    await page.getByTestId('card-dirty').waitFor();
    const downloaded = JSON.parse(await downloadFrom(page, 'card-download'));
    const { card } = parseModelCard(JSON.stringify(downloaded));
    expect(card).toMatchObject({ name: MINIMAL_CARD.name, interpolation: 'bicubic', reportedTop1: 75.3, method: 'dino', logitsOutput: 'logits', featureOutput: 'features' });
    // Confirmed edits are the card in force, and the library keeps them with the model.
    await page.getByTestId('card-preset').selectOption('torchvision');
    await page.getByTestId('card-reported-top1').fill(String(MINIMAL_CARD.reportedTop1));
    await page.getByTestId('card-name').fill(EDITED_NAME);
    await page.getByTestId('card-use').click();
    await expect.poll(() => page.getByTestId('card-dirty').count()).toBe(0);
    await expect.poll(() => row().getByTestId('library-card').textContent()).toBe(EDITED_NAME);
  });

  it('a full disk: the import fails with a message that says what to do, and the model stays usable', async () => {
    const { page } = app;
    await page.evaluate(() => {
      // Simulated quota: OPFS refuses to open a file for writing.
      FileSystemFileHandle.prototype.createWritable = () => Promise.reject(new DOMException('simulated: quota exceeded', 'QuotaExceededError'));
    });
    await page.getByTestId('model-input').setInputFiles(fixture('models', MODELS.mobilenet.file));
    await expect.poll(() => page.getByTestId('library-error').textContent(), { timeout: 30_000 }).toMatch(
      /not enough browser storage to keep this 3\.7 MB model in the library \(simulated: quota exceeded; used .* of .*\)\. The model can still be used for this session/,
    );
    expect(await row().count()).toBe(1);
    await expect.poll(() => page.getByTestId('card-name').inputValue()).toBe(MODELS.mobilenet.file.replace(/\.onnx$/, ''));
    // No half-written file is left behind: OPFS holds the first model only.
    const stored = await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('shiftlens-models');
      const names: string[] = [];
      for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
      return names;
    });
    expect(stored).toEqual([`${createHash('sha256').update(readFileSync(MODEL)).digest('hex')}.onnx`]);
  });

  it('where a page cannot write OPFS, IndexedDB keeps the model; it survives a reload and reads back', async () => {
    const { page } = app;
    await page.reload(); // undoes the simulated quota
    await page.evaluate(() => {
      // As in Safari, where only workers may write OPFS files.
      delete (FileSystemFileHandle.prototype as { createWritable?: unknown }).createWritable;
    });
    const file = fixture('models', MODELS.mobilenet.file);
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    await page.getByTestId('model-input').setInputFiles(file);
    await expect.poll(() => page.getByTestId('library-status').textContent(), { timeout: 30_000 }).toContain('stored in the library (IndexedDB)');
    await page.reload();
    const stored = page.locator(`[data-testid="library-row"][data-sha256="${sha256}"]`);
    await stored.waitFor();
    expect(Number(await stored.getAttribute('data-size'))).toBe(statSync(file).size);
    await stored.getByTestId('library-use').click();
    // The proposal is read from the stored bytes: the graph's output is there.
    await expect.poll(() => page.getByTestId('card-graph-output').allTextContents()).toEqual(['output [batch_size, 1000]']);
    await stored.getByTestId('library-delete').click();
    await expect.poll(() => stored.count()).toBe(0);
    expect(await row().count()).toBe(1);
  });

  it('with the server stopped, a reload starts the app from the service worker; the stored model runs; delete removes it', async () => {
    const { page, context } = app;
    const url = serverUrl(server);
    await server.close();
    await context.setOffline(true);
    // Really gone: Node cannot reach it either.
    await expect(fetch(url)).rejects.toThrow();

    await page.reload();
    await page.getByTestId('model-library').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const sha256 = createHash('sha256').update(readFileSync(MODEL)).digest('hex');
    await expect.poll(() => row().getAttribute('data-sha256'), { timeout: 30_000 }).toBe(sha256);

    await row().getByTestId('library-use').click();
    await expect.poll(() => page.getByTestId('card-name').inputValue()).toBe(EDITED_NAME);
    await page.getByTestId('card-findings').waitFor();
    await page.getByTestId('labels-input').setInputFiles(fixture('labels', 'imagenet_class_index.json'));
    await page.getByTestId('dataset-input').setInputFiles(files.root);
    await page.getByTestId('backend-select').selectOption('wasm');
    await page.getByTestId('batch-size').fill('8');
    await page.getByTestId('threads-select').selectOption('1'); // see RunInputs.threads (app-driver.ts)
    await page.getByTestId('run').click();
    await waitForDone(page, 600_000);

    const result = JSON.parse(await downloadFrom(page, 'export-json'));
    expect(result.model.sha256).toBe(sha256);
    expect(result.model.card).toMatchObject({ name: EDITED_NAME, reportedTop1: MINIMAL_CARD.reportedTop1, interpolation: 'bilinear', logitsOutput: 'logits' });
    const reference = loadReferencePredictions(MODELS.squeezenet.reference);
    const predictions = (await downloadFrom(page, 'export-predictions')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(predictions).toHaveLength(CELLS.length * CLASSES);
    const counts = referenceCellCounts(reference, predictions.map((p) => referenceKey(p.path)));
    for (const [c, s] of CELLS) expect(result.corruptions[c].severities[s], `${c}/${s}`).toEqual(counts.get(`${c}/${s}`));
    for (const p of predictions) expect(p.top5, p.path).toEqual(reference.get(referenceKey(p.path))!.top5);

    await expandStep(page, 'model');
    await row().getByTestId('library-delete').click();
    await expect.poll(() => row().count()).toBe(0);
    await page.reload();
    await page.getByTestId('library-empty').waitFor({ timeout: 30_000 });
    expect(await row().count()).toBe(0);
  });
});
