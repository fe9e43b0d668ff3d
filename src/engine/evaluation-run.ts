import * as Comlink from 'comlink';
import type { ImagePrediction } from '../core/aggregate';
import type { PlannedImage } from '../core/evaluation-plan';
import type { ModelCard } from '../core/model-card';
import { predictionKey, type CachedPrediction, type EvaluationKey, type RunRecord } from '../core/cache-keys';
import type { Preprocessing } from './decode-image';
import type { DecodeWorkerApi, DecodedBatch, DecodeJob } from '../../workers/decode.worker';
import type { BackendChoice, BatchPrediction, InferenceWorkerApi, LoadedModel } from '../../workers/inference.worker';
import { lookupPredictions } from './prediction-cache';
import { CacheWriter } from './cache-writer';
import { mapInSlices } from './main-thread';

export interface RunProgress {
  readonly done: number;
  readonly total: number;
  readonly fromCache: number;
  /** Inference rate of this session (cached images excluded). */
  readonly imagesPerSec: number;
  readonly etaSec: number | null;
}

export class RunCancelled extends Error {
  /** Predictions made (or read from the cache) before the cancel, in plan order; set by evaluate(). */
  partial: ImagePrediction[] = [];
  /** How many of them were inferred in this session. */
  partialInferred = 0;
  constructor() {
    super('cancelled');
  }
}

/** A worker that can die: every call races the worker's own error event. */
class Supervised<T> {
  readonly api: Comlink.Remote<T>;
  private readonly died: Promise<never>;
  constructor(private readonly worker: Worker) {
    this.api = Comlink.wrap<T>(worker);
    this.died = new Promise<never>((_, reject) => {
      const fail = (why: string) => reject(new WorkerCrashed(why));
      worker.addEventListener('error', (e) => fail(e.message || 'worker error'));
      worker.addEventListener('messageerror', () => fail('message could not be read'));
    });
    this.died.catch(() => {});
  }
  call<R>(p: Promise<R>): Promise<R> {
    return Promise.race([p, this.died]);
  }
  terminate(): void {
    this.worker.terminate();
  }
}

export class WorkerCrashed extends Error {}

const inferenceWorker = () =>
  new Supervised<InferenceWorkerApi>(new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'inference' }));
const decodeWorker = (i: number) =>
  new Supervised<DecodeWorkerApi>(new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: `decode-${i}` }));

/** The inference worker with a model in it; restarts itself (on WASM if WebGPU was lost) when it dies. */
export class InferenceEngine {
  private worker: Supervised<InferenceWorkerApi>;
  readonly notes: string[] = [];
  private constructor(
    worker: Supervised<InferenceWorkerApi>,
    public loaded: LoadedModel,
    private readonly model: Blob,
    private readonly card: ModelCard,
    private readonly threads: number,
  ) {
    this.worker = worker;
  }

  static async start(model: Blob, card: ModelCard, backend: BackendChoice, threads: number): Promise<InferenceEngine> {
    const worker = inferenceWorker();
    try {
      const loaded = await worker.call(worker.api.load(model, card, backend, threads));
      return new InferenceEngine(worker, loaded, model, card, threads);
    } catch (e) {
      worker.terminate();
      throw e;
    }
  }

  predict(tensor: Float32Array, n: number): Promise<BatchPrediction> {
    return this.worker.call(this.worker.api.predict(Comlink.transfer(tensor, [tensor.buffer]), n, 5));
  }

  /**
   * Picks the batch size with the best images/s from a short warm-up on synthetic input. Larger batches are
   * tried only while one batch stays under a second, so a slow model is not held up by its own warm-up.
   */
  async tuneBatch(candidates = [1, 4, 8, 16, 32]): Promise<{ batch: number; msPerImage: Record<number, number> }> {
    if (this.loaded.io.fixedBatch) return { batch: this.loaded.io.fixedBatch, msPerImage: {} };
    const msPerImage: Record<number, number> = {};
    let best = candidates[0];
    for (const b of candidates) {
      const ms = await this.worker.call(this.worker.api.timeBatch(b, b <= 4 ? 3 : 2));
      msPerImage[b] = ms;
      if (ms < msPerImage[best] * 0.97) best = b; // a larger batch must be clearly better: it costs memory and latency
      if (ms * b * 2 > 1000) break;
    }
    return { batch: best, msPerImage };
  }

  /** A fresh worker; after a WebGPU failure, on WASM. */
  async restart(reason: string): Promise<void> {
    this.worker.terminate();
    // A lost WebGPU device is not coming back in this tab: WASM is the one backend certain to work.
    const backend: BackendChoice = 'wasm';
    this.notes.push(`${this.loaded.backend} inference failed (${reason}); restarted on ${backend}`);
    this.worker = inferenceWorker();
    this.loaded = await this.worker.call(this.worker.api.load(this.model, this.card, backend, this.threads));
  }

  dispose(): void {
    this.worker.terminate();
  }
}

class DecoderPool {
  private workers: Supervised<DecodeWorkerApi>[];
  constructor(size: number) {
    this.workers = Array.from({ length: Math.max(1, size) }, (_, i) => decodeWorker(i));
  }
  get size(): number {
    return this.workers.length;
  }
  /** Decodes on worker `slot`; a crashed worker is replaced and the batch decoded again, once. */
  async decode(slot: number, jobs: DecodeJob[], prep: Preprocessing): Promise<DecodedBatch> {
    const i = slot % this.workers.length;
    try {
      return await this.workers[i].call(this.workers[i].api.decodeBatch(jobs, prep));
    } catch (e) {
      if (!(e instanceof WorkerCrashed)) throw e;
      this.workers[i].terminate();
      this.workers[i] = decodeWorker(i);
      return this.workers[i].call(this.workers[i].api.decodeBatch(jobs, prep));
    }
  }
  stop(): void {
    this.workers.forEach((w) => w.terminate());
  }
}

export interface EvaluateOptions {
  readonly engine: InferenceEngine;
  readonly images: readonly PlannedImage[];
  readonly fileOf: (path: string) => File;
  readonly prep: Preprocessing;
  readonly evaluation: EvaluationKey;
  /** The run record to continue (its inferredStored counts earlier sessions). */
  readonly run: RunRecord;
  readonly batchSize: number;
  readonly decodeWorkers: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: RunProgress) => void;
  readonly onPause?: (message: string) => void;
  readonly onResume?: () => void;
  /** Receives the cache writer so the UI can ask it to retry after freeing space. */
  readonly onWriter?: (w: CacheWriter) => void;
}

export interface EvaluateResult {
  readonly predictions: ImagePrediction[];
  readonly inferred: number;
  readonly fromCache: number;
  readonly run: RunRecord;
  /** From the first decode to the last prediction stored. */
  readonly seconds: number;
  /** Where the main loop waited: the rest of `seconds` is bookkeeping. */
  readonly breakdown: RunBreakdown;
}

export interface RunBreakdown {
  readonly waitingForDecodeSeconds: number;
  readonly inferenceSeconds: number;
  readonly waitingForStorageSeconds: number;
}

function fromCached(im: PlannedImage, c: CachedPrediction): ImagePrediction {
  return c.u !== undefined ? { ...im, top: [], topLogits: [], unreadable: c.u } : { ...im, top: c.t, topLogits: c.l };
}

/**
 * Reads what the cache already has, then decodes the rest in a worker pool while the inference worker runs the
 * previous batch, storing each batch's predictions as they come. Predictions come back in the plan's order.
 */
export async function evaluate(o: EvaluateOptions): Promise<EvaluateResult> {
  const { engine, images } = o;
  const keys = await mapInSlices(images, (im) => {
    const f = o.fileOf(im.path);
    return predictionKey(o.evaluation, { path: im.path, size: f.size, lastModified: f.lastModified });
  });
  const cached = await lookupPredictions(keys);
  const results: (ImagePrediction | undefined)[] = images.map((im, i) => {
    const c = cached[i];
    // A cached prediction scored against another label (a different labels file) is not reused.
    return c && c.y === im.label ? fromCached(im, c) : undefined;
  });
  const todo = images.map((_, i) => i).filter((i) => results[i] === undefined);
  const fromCache = images.length - todo.length;
  const writer = new CacheWriter({ ...o.run, total: images.length }, o.onPause ?? (() => {}), o.onResume ?? (() => {}));
  o.onWriter?.(writer);

  const batchSize = engine.loaded.io.fixedBatch ?? o.batchSize;
  const batches: number[][] = [];
  for (let i = 0; i < todo.length; i += batchSize) batches.push(todo.slice(i, i + batchSize));
  const pool = new DecoderPool(o.decodeWorkers);
  const jobsOf = (b: number[]): DecodeJob[] =>
    b.map((i) => ({ file: o.fileOf(images[i].path), kind: images[i].corruption === null ? 'clean' : 'corrupted' }));
  const t0 = performance.now();
  let inferred = 0;
  const stalls = { decode: 0, inference: 0, storage: 0 };
  const report = () => {
    const rate = inferred / Math.max((performance.now() - t0) / 1000, 1e-6);
    o.onProgress?.({
      done: fromCache + inferred,
      total: images.length,
      fromCache,
      imagesPerSec: rate,
      etaSec: rate > 0 ? (todo.length - inferred) / rate : null,
    });
  };
  report();
  const prefetch = pool.size + 1;
  const pending = new Map<number, Promise<DecodedBatch>>();
  const decode = (k: number) => pool.decode(k, jobsOf(batches[k]), o.prep);
  try {
    for (let k = 0; k < Math.min(prefetch, batches.length); k++) pending.set(k, decode(k));
    for (let k = 0; k < batches.length; k++) {
      if (o.signal?.aborted) throw new RunCancelled();
      let w0 = performance.now();
      await writer.gate();
      stalls.storage += performance.now() - w0;
      w0 = performance.now();
      let decoded = await pending.get(k)!;
      stalls.decode += performance.now() - w0;
      pending.delete(k);
      if (k + prefetch < batches.length) pending.set(k + prefetch, decode(k + prefetch));
      const batch = batches[k];
      let pred: BatchPrediction;
      const i0 = performance.now();
      try {
        pred = await engine.predict(padded(decoded.tensor, batch.length, engine.loaded.io.fixedBatch), engine.loaded.io.fixedBatch ?? batch.length);
      } catch (e) {
        // The tensor went to the dead worker: decode again, restart inference (WebGPU lost → WASM), retry once.
        await engine.restart((e as Error).message);
        decoded = await decode(k);
        pred = await engine.predict(padded(decoded.tensor, batch.length, engine.loaded.io.fixedBatch), engine.loaded.io.fixedBatch ?? batch.length);
      }
      stalls.inference += performance.now() - i0;
      const entries: [string, CachedPrediction][] = [];
      batch.forEach((idx, i) => {
        const im = images[idx];
        const failure = decoded.failures[i];
        let p: ImagePrediction;
        let c: CachedPrediction;
        if (failure !== null) {
          p = { ...im, top: [], topLogits: [], unreadable: failure };
          c = { t: [], l: [], y: im.label, u: failure };
        } else {
          const top = Array.from(pred.topIndices.subarray(i * pred.k, (i + 1) * pred.k));
          const topLogits = Array.from(pred.topLogits.subarray(i * pred.k, (i + 1) * pred.k));
          p = { ...im, top, topLogits };
          c = { t: top, l: topLogits, y: im.label };
        }
        results[idx] = p;
        entries.push([keys[idx], c]);
      });
      writer.enqueue(entries);
      inferred += batch.length;
      report();
    }
    if (o.signal?.aborted) throw new RunCancelled();
    await writer.finish(true);
  } catch (e) {
    // Cancelled: what was computed is still written (as when a tab closes after a write). Anything else: stop.
    if (e instanceof RunCancelled) {
      e.partial = results.filter((p): p is ImagePrediction => p !== undefined);
      e.partialInferred = inferred;
    }
    if (e instanceof RunCancelled && !writer.isPaused) await writer.finish(false).catch(() => {});
    else writer.abort(e);
    throw e;
  } finally {
    pool.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    predictions: results as ImagePrediction[],
    inferred,
    fromCache,
    run: writer.record,
    seconds,
    breakdown: { waitingForDecodeSeconds: stalls.decode / 1000, inferenceSeconds: stalls.inference / 1000, waitingForStorageSeconds: stalls.storage / 1000 },
  };
}

/** A model with a fixed batch dimension gets a zero-padded last batch; the padding is discarded. */
function padded(tensor: Float32Array, n: number, fixedBatch: number | null): Float32Array {
  if (!fixedBatch || n >= fixedBatch) return tensor;
  const out = new Float32Array((tensor.length / n) * fixedBatch);
  out.set(tensor);
  return out;
}
