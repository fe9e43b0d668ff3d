import * as Comlink from 'comlink';
import type { InferenceWorkerApi } from '../workers/inference.worker';
import type { DecodeWorkerApi } from '../workers/decode.worker';
import { DEFAULT_CARD } from '../src/core/model-card';
import { SOURCE, type Adaptation } from '../src/core/tta/adaptation';

/**
 * Runs in the built app's origin, with the app's own workers: (1) raw onnxruntime-web inference on pre-made
 * tensors, (2) decode throughput of one decode worker. The app pipeline itself is measured through the app.
 */
/** `adaptation`: test-time adaptation loaded in the worker (BN-adapted graph, or the training graph + one SGD step per batch). */
async function raw(backend: 'wasm' | 'webgpu', threads: number, batch: number, seconds: number, adaptation: Adaptation = SOURCE) {
  const worker = new Worker(new URL('../workers/inference.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<InferenceWorkerApi>(worker);
  const modelFile = (document.getElementById('model') as HTMLInputElement).files?.[0];
  if (!modelFile) throw new Error('choose the model in #model first');
  const bytes = await modelFile.arrayBuffer();
  const loaded = await api.load(bytes, { ...DEFAULT_CARD }, backend, threads, [adaptation]);
  // Pre-made tensors from the real images when a folder was given: the input changes the speed (real images run
  // ~25 % slower than a synthetic pattern on the int8 MobileNetV2), so the pipeline is compared on like data.
  const files = Array.from((document.getElementById('files') as HTMLInputElement).files ?? []).filter((f) => /\.jpe?g$/i.test(f.name));
  const tensors: Float32Array[] = [];
  if (files.length >= batch) {
    const dw = new Worker(new URL('../workers/decode.worker.ts', import.meta.url), { type: 'module' });
    const dapi = Comlink.wrap<DecodeWorkerApi>(dw);
    const count = Math.min(16, Math.floor(files.length / batch));
    const step = Math.floor(files.length / (count * batch));
    for (let b = 0; b < count; b++) {
      const picked = Array.from({ length: batch }, (_, i) => files[(b * batch + i) * step]);
      tensors.push((await dapi.decodeBatch(picked.map((file) => ({ file, kind: 'corrupted' as const })), { ...DEFAULT_CARD })).tensor);
    }
    dw.terminate();
  } else {
    const t = new Float32Array(3 * 224 * 224 * batch);
    for (let i = 0; i < t.length; i++) t[i] = Math.sin(i) * 2;
    tensors.push(t);
  }
  const send = (k: number) => {
    const t = tensors[k % tensors.length].slice();
    return api.predict(Comlink.transfer(t, [t.buffer]), batch, 5);
  };
  await send(0); // warm-up
  await send(1);
  let images = 0;
  const t0 = performance.now();
  for (let k = 0; performance.now() - t0 < seconds * 1000; k++) {
    await send(k);
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

/** One batch of real decoded images as base64 float32, so the native runtimes are timed on the same data. */
async function realBatch(batch: number): Promise<string> {
  const files = Array.from((document.getElementById('files') as HTMLInputElement).files ?? []).filter((f) => /\.jpe?g$/i.test(f.name));
  const dw = new Worker(new URL('../workers/decode.worker.ts', import.meta.url), { type: 'module' });
  const dapi = Comlink.wrap<DecodeWorkerApi>(dw);
  const step = Math.max(1, Math.floor(files.length / batch));
  const picked = Array.from({ length: batch }, (_, i) => files[i * step]);
  const { tensor } = await dapi.decodeBatch(picked.map((file) => ({ file, kind: 'corrupted' as const })), { ...DEFAULT_CARD });
  dw.terminate();
  const bytes = new Uint8Array(tensor.buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

(window as unknown as { shiftlensBench: object }).shiftlensBench = { raw, decode, realBatch };
