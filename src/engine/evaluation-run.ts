import * as Comlink from 'comlink';
import type { ImagePrediction } from '../core/aggregate';
import type { PlannedImage } from '../core/evaluation-plan';
import type { Preprocessing } from './decode-image';
import type { DecodeWorkerApi, DecodedBatch } from '../../workers/decode.worker';
import type { BackendChoice, InferenceWorkerApi, LoadedModel } from '../../workers/inference.worker';
import type { ModelCard } from '../core/model-card';

export interface RunProgress {
  readonly done: number;
  readonly total: number;
  readonly imagesPerSec: number;
  readonly etaSec: number | null;
}

export interface RunOptions {
  readonly batchSize: number;
  readonly decodeWorkers: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: RunProgress) => void;
}

export class RunCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** The inference worker with a model in it. */
export class InferenceEngine {
  private constructor(
    private readonly worker: Worker,
    readonly api: Comlink.Remote<InferenceWorkerApi>,
    readonly loaded: LoadedModel,
  ) {}

  static async start(model: ArrayBuffer, card: ModelCard, backend: BackendChoice, threads: number): Promise<InferenceEngine> {
    const worker = new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'inference' });
    const api = Comlink.wrap<InferenceWorkerApi>(worker);
    try {
      // A copy: the caller keeps its bytes (for hashing, a later reload).
      const loaded = await api.load(model.slice(0), card, backend, threads);
      return new InferenceEngine(worker, api, loaded);
    } catch (e) {
      worker.terminate();
      throw e;
    }
  }

  dispose(): void {
    this.worker.terminate();
  }
}

function startDecoders(count: number): { apis: Comlink.Remote<DecodeWorkerApi>[]; stop: () => void } {
  const workers = Array.from(
    { length: count },
    (_, i) => new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: `decode-${i}` }),
  );
  return { apis: workers.map((w) => Comlink.wrap<DecodeWorkerApi>(w)), stop: () => workers.forEach((w) => w.terminate()) };
}

/**
 * Decodes in a pool of workers while the inference worker runs the previous batch, so decoding hides behind
 * inference. Predictions come back in the plan's order.
 */
export async function runEvaluation(
  engine: InferenceEngine,
  images: readonly PlannedImage[],
  fileOf: (path: string) => Blob,
  prep: Preprocessing,
  opts: RunOptions,
): Promise<ImagePrediction[]> {
  const batchSize = engine.loaded.io.fixedBatch ?? opts.batchSize;
  const batches: PlannedImage[][] = [];
  for (let i = 0; i < images.length; i += batchSize) batches.push(images.slice(i, i + batchSize));
  const decoders = startDecoders(Math.max(1, opts.decodeWorkers));
  const results: ImagePrediction[] = [];
  const t0 = performance.now();
  const prefetch = decoders.apis.length + 1;
  const pending = new Map<number, Promise<DecodedBatch>>();
  const decode = (k: number) => {
    const b = batches[k];
    return decoders.apis[k % decoders.apis.length].decodeBatch(
      b.map((im) => ({ file: fileOf(im.path), kind: im.corruption === null ? 'clean' : 'corrupted' })),
      prep,
    );
  };
  try {
    for (let k = 0; k < Math.min(prefetch, batches.length); k++) pending.set(k, decode(k));
    for (let k = 0; k < batches.length; k++) {
      if (opts.signal?.aborted) throw new RunCancelled();
      const decoded = await pending.get(k)!;
      pending.delete(k);
      if (k + prefetch < batches.length) pending.set(k + prefetch, decode(k + prefetch));
      const batch = batches[k];
      let tensor = decoded.tensor;
      let n = batch.length;
      if (engine.loaded.io.fixedBatch && n < batchSize) {
        // A model with a fixed batch dimension gets a zero-padded last batch; the padding is discarded.
        const padded = new Float32Array((tensor.length / n) * batchSize);
        padded.set(tensor);
        tensor = padded;
        n = batchSize;
      }
      const pred = await engine.api.predict(Comlink.transfer(tensor, [tensor.buffer]), n, 5);
      batch.forEach((im, i) => {
        const failure = decoded.failures[i];
        results.push(
          failure !== null
            ? { ...im, top: [], topLogits: [], unreadable: failure }
            : {
                ...im,
                top: Array.from(pred.topIndices.subarray(i * pred.k, (i + 1) * pred.k)),
                topLogits: Array.from(pred.topLogits.subarray(i * pred.k, (i + 1) * pred.k)),
              },
        );
      });
      const elapsed = (performance.now() - t0) / 1000;
      const rate = results.length / Math.max(elapsed, 1e-6);
      opts.onProgress?.({
        done: results.length,
        total: images.length,
        imagesPerSec: rate,
        etaSec: rate > 0 ? (images.length - results.length) / rate : null,
      });
    }
  } finally {
    decoders.stop();
  }
  return results;
}
