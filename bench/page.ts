import * as Comlink from 'comlink';
import type { InferenceWorkerApi } from '../workers/inference.worker';
import type { DecodeWorkerApi } from '../workers/decode.worker';
import { DEFAULT_CARD } from '../src/core/model-card';

/**
 * Runs in the built app's origin, with the app's own workers: (1) raw onnxruntime-web inference on pre-made
 * tensors, (2) decode throughput of one decode worker. The app pipeline itself is measured through the app.
 */
async function raw(modelUrl: string, backend: 'wasm' | 'webgpu', threads: number, batch: number, seconds: number) {
  const worker = new Worker(new URL('../workers/inference.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<InferenceWorkerApi>(worker);
  const bytes = await (await fetch(modelUrl)).arrayBuffer();
  const loaded = await api.load(bytes, { ...DEFAULT_CARD }, backend, threads);
  const size = 3 * 224 * 224 * batch;
  const make = () => {
    const t = new Float32Array(size);
    for (let i = 0; i < size; i++) t[i] = Math.sin(i) * 2;
    return t;
  };
  const template = make();
  await api.predict(Comlink.transfer(template.slice(), [template.slice().buffer]), batch, 5); // warm-up
  await api.predict(template.slice(), batch, 5);
  let images = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const t = template.slice();
    await api.predict(Comlink.transfer(t, [t.buffer]), batch, 5);
    images += batch;
  }
  const elapsed = (performance.now() - t0) / 1000;
  worker.terminate();
  return { imagesPerSec: images / elapsed, images, seconds: elapsed, backend: loaded.backend, threads: loaded.threads };
}

async function decode(limit: number) {
  const input = document.getElementById('files') as HTMLInputElement;
  const files = Array.from(input.files ?? []).filter((f) => /\.jpe?g$/i.test(f.name)).slice(0, limit);
  const worker = new Worker(new URL('../workers/decode.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<DecodeWorkerApi>(worker);
  const prep = { mean: DEFAULT_CARD.mean, std: DEFAULT_CARD.std, inputSize: 224, resizeTo: 256 };
  await api.decodeBatch(files.slice(0, 8).map((file) => ({ file, kind: 'corrupted' as const })), prep);
  const t0 = performance.now();
  for (let i = 0; i < files.length; i += 16) {
    await api.decodeBatch(files.slice(i, i + 16).map((file) => ({ file, kind: 'corrupted' as const })), prep);
  }
  const elapsed = (performance.now() - t0) / 1000;
  worker.terminate();
  return { imagesPerSec: files.length / elapsed, images: files.length };
}

(window as unknown as { shiftlensBench: object }).shiftlensBench = { raw, decode };
