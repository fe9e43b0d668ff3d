import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { startRun } from '../support/app-driver';
import { TempDataset } from '../support/temp-dataset';
import { poolingClassifier } from '../support/tiny-onnx';

async function statusAfterRun(app: AppSession): Promise<string> {
  await app.page.waitForFunction(() => {
    const t = document.querySelector('[data-testid="status"]')?.textContent ?? '';
    return t === 'done' || t.startsWith('error');
  }, undefined, { timeout: 120_000 });
  return (await app.page.getByTestId('status').textContent()) ?? '';
}

/** Bad input gets a clear message, not a stack trace or a silent wrong number. */
describeFixtures('clear messages for bad input', () => {
  const ctx = useApp();
  let app: AppSession;
  let data: TempDataset;
  beforeAll(async () => {
    app = ctx.app;
    data = new TempDataset('junk')
      .write('not-a-model.onnx', 'this is text, not a protobuf')
      .write('flat/n01440764/a.JPEG', 'x')
      .write('notes/readme.txt', 'hello')
      .write('wrong-size.onnx', poolingClassifier(299))
      .write('greyscale-input.onnx', poolingClassifier(224, 'N', 1));
  });
  afterAll(async () => {
    data?.dispose();
  });

  it('rejects a file that is not an ONNX model', async () => {
    await app.page.reload();
    await startRun(app.page, { model: `${data.root}/not-a-model.onnx`, labels: fixture('labels', 'imagenet_class_index.json'), dataset: fixture('imagenet-c-mini/fog') });
    expect(await statusAfterRun(app)).toMatch(/^error: the model could not be loaded/);
    expect(await app.page.getByTestId('export-json').count()).toBe(0);
  });

  it('rejects a model whose input size does not fit, before any image is read', async () => {
    await app.page.reload();
    await startRun(app.page, { model: `${data.root}/wrong-size.onnx`, labels: fixture('labels', 'imagenet_class_index.json'), dataset: fixture('imagenet-c-mini/fog') });
    expect(await statusAfterRun(app)).toMatch(/^error: input input float32\[N, 3, 299, 299\] expects height 299, but images are 224×224/);
    expect(await app.page.getByTestId('progress').count()).toBe(0);
  });

  it('rejects a model that does not take 3-channel images', async () => {
    await app.page.reload();
    await startRun(app.page, { model: `${data.root}/greyscale-input.onnx`, labels: fixture('labels', 'imagenet_class_index.json'), dataset: fixture('imagenet-c-mini/fog') });
    expect(await statusAfterRun(app)).toMatch(/^error: input .* is not an image batch \[N, 3, H, W\]/);
  });

  it('explains the expected layout when the folder is not ImageNet-C', async () => {
    await app.page.reload();
    await startRun(app.page, { model: fixture('models', 'mobilenetv2-12-int8.onnx'), labels: fixture('labels', 'imagenet_class_index.json'), dataset: data.root, batchSize: 8 });
    expect(await statusAfterRun(app)).toMatch(/^error: no ImageNet-C images found .*<corruption>\/<severity 1–5>\/<class>\/<image>/);
  });

  it('refuses to number a subset of class folders without a labels file', async () => {
    await app.page.reload();
    await startRun(app.page, { model: fixture('models', 'mobilenetv2-12-int8.onnx'), dataset: fixture('imagenet-c-mini/fog'), batchSize: 8 });
    expect(await statusAfterRun(app)).toMatch(/^error: a labels file is needed: the data has 50 class folders but the model has 1000 classes/);
  });
});
