import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { referenceKey, runAndExport } from '../support/app-driver';
import { MODELS, loadReferencePredictions } from '../support/reference';
import { TempDataset } from '../support/temp-dataset';

/**
 * The WebGPU path on Chromium's software adapter (SwiftShader): slow, so a handful of images, but the same
 * code path as a laptop GPU. It must agree with the WASM path and the reference.
 */
describeFixtures('WebGPU backend', () => {
  const ctx = useApp({ webgpu: true });
  let gpu: AppSession;
  let data: TempDataset;
  beforeAll(async () => {
    gpu = ctx.app;
    data = new TempDataset('tiny-c').copyClasses('imagenet-c-mini/fog/3', 'fog/3', 3).copyClasses('imagenet-c-mini/glass_blur/5', 'glass_blur/5', 3);
  });
  afterAll(async () => {
    data?.dispose();
  });

  it('runs on WebGPU and agrees with WASM and the reference', async () => {
    const has = await gpu.page.evaluate(async () => !!(await (navigator as any).gpu?.requestAdapter()));
    expect(has, 'Chromium with --enable-unsafe-webgpu must expose a (software) adapter').toBe(true);
    const inputs = {
      model: fixture('models', MODELS.squeezenet.file),
      labels: fixture('labels', 'imagenet_class_index.json'),
      dataset: data.root,
    };
    const onGpu = await runAndExport(gpu.page, { ...inputs, backend: 'webgpu', batchSize: 2 }, 300_000);
    expect(onGpu.result.backend).toBe('webgpu');
    await gpu.page.reload();
    const onCpu = await runAndExport(gpu.page, { ...inputs, backend: 'wasm', batchSize: 2 });
    expect(onCpu.result.backend).toBe('wasm');

    const reference = loadReferencePredictions(MODELS.squeezenet.reference);
    expect(onGpu.predictions).toHaveLength(6);
    onGpu.predictions.forEach((p, i) => {
      const cpu = onCpu.predictions[i];
      expect(p.path).toBe(cpu.path);
      expect(p.top5).toEqual(cpu.top5);
      expect(p.top5).toEqual(reference.get(referenceKey(p.path))!.top5);
      p.logits_top5!.forEach((v, j) => expect(Math.abs(v - cpu.logits_top5![j])).toBeLessThan(1e-2));
    });
    expect(onGpu.result.corruptions).toEqual(onCpu.result.corruptions);
  });
});
