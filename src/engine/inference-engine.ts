import * as Comlink from 'comlink';
import type { ModelCard } from '../core/model-card';
import type { BackendChoice, BatchPrediction, InferenceWorkerApi, LoadedModel, PredictOptions, VariantsPrediction } from '../../workers/protocol/inference';
import { SOURCE, type Adaptation } from '../core/tta/adaptation';
import { DeviceLost, WarmupFailed, WorkerCrashed } from './errors';
import { spawnWorker, type SupervisedLike } from './worker-supervisor';

/** Starts an inference worker (no model in it yet). */
export type InferenceSpawn = () => SupervisedLike<InferenceWorkerApi>;

/** The inference worker, started the one way (Vite bundles the worker from this `new URL(…, import.meta.url)`). */
export const spawnInferenceWorker: InferenceSpawn = () =>
  spawnWorker<InferenceWorkerApi>(() => new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'inference' }));

/**
 * Messages that mean the GPUDevice is gone. onnxruntime-web 1.30 has no error of its own for it in the JSEP build
 * we load (ort-wasm-simd-threaded.jsep.*; lib/wasm/jsep/backend-webgpu.ts only watches `device.lost` in dispose()),
 * so there the loss surfaces as the browser's rejection of the next GPUBuffer.mapAsync (downloadGpuData in
 * lib/wasm/jsep/webgpu/gpu-data-manager.ts), e.g. Chrome/Dawn's "[Device] is lost." / "Device is lost". The native
 * WebGPU EP builds (ort-wasm-simd-threaded.asyncify/.jspi.wasm) carry these strings:
 *   "WebGPU device lost (<reason>): <message>" — the device-lost callback in
 *     onnxruntime/core/providers/webgpu/webgpu_context.cc (SetDeviceLostCallback);
 *   "Device was destroyed." — emdawnwebgpu's GPUDeviceLostInfo message for a destroyed device.
 * ORT wraps a run's failure as "failed to call OrtRun(). ERROR_CODE: …, ERROR_MESSAGE: <message>", hence a search.
 */
const DEVICE_LOSS = /\b(?:gpu)?device\b[^.\n]{0,30}\b(?:lost|destroyed)\b|\] is lost\b/i;

/** Whether `e` says the WebGPU device was lost (a DeviceLost, also as comlink delivers it: a plain Error by name). */
export function isDeviceLoss(e: unknown): boolean {
  if (e instanceof DeviceLost) return true;
  if (typeof e !== 'object' || e === null) return false;
  const { name, message } = e as { name?: unknown; message?: unknown };
  return name === 'DeviceLost' || (typeof message === 'string' && DEVICE_LOSS.test(message));
}

/**
 * Whether an inference failure is worth a fresh worker: the worker died (WorkerCrashed), or the WebGPU device was
 * lost (WASM is then the one backend certain to work). Any other error (an invalid input, a model that fails on
 * this input) would fail again on a new worker: the run fails with its own message.
 */
export function shouldRestart(e: unknown): boolean {
  return e instanceof WorkerCrashed || isDeviceLoss(e);
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** How long the warm-up lets a fresh engine settle before timing batch sizes (see InferenceEngine.settle). */
export interface Settle {
  readonly minMs: number;
  readonly maxMs: number;
  readonly now: () => number;
}
export const SETTLE: Settle = { minMs: 3000, maxMs: 15_000, now: () => performance.now() };

/** The inference worker with a model in it; restarts itself (on WASM if WebGPU was lost) when it dies. */
export class InferenceEngine {
  private worker: SupervisedLike<InferenceWorkerApi>;
  readonly notes: string[] = [];
  private constructor(
    worker: SupervisedLike<InferenceWorkerApi>,
    public loaded: LoadedModel,
    private readonly model: Blob,
    private readonly card: ModelCard,
    private readonly threads: number,
    private readonly spawn: InferenceSpawn,
    /** The adaptation settings loaded (one session each; see the worker's `load`). */
    readonly variants: readonly Adaptation[] = [SOURCE],
  ) {
    this.worker = worker;
  }

  static async start(
    model: Blob,
    card: ModelCard,
    backend: BackendChoice,
    threads: number,
    spawn: InferenceSpawn = spawnInferenceWorker,
    variants: readonly Adaptation[] = [SOURCE],
  ): Promise<InferenceEngine> {
    const worker = spawn();
    try {
      const loaded = await worker.call(worker.api.load(model, card, backend, threads, [...variants]));
      return new InferenceEngine(worker, loaded, model, card, threads, spawn, variants);
    } catch (e) {
      worker.terminate();
      throw e;
    }
  }

  /**
   * Top-5 of each image (and, given `subset`, the argmax over those classes: ImageNet-R, -A); a lost WebGPU device
   * rejects with DeviceLost, a dead worker with WorkerCrashed.
   */
  async predict(tensor: Float32Array, n: number, subset?: Int32Array, reset = false): Promise<BatchPrediction> {
    try {
      return await this.worker.call(this.worker.api.predict(Comlink.transfer(tensor, [tensor.buffer]), n, 5, subset, reset));
    } catch (e) {
      if (isDeviceLoss(e) && !(e instanceof DeviceLost)) throw new DeviceLost(messageOf(e), { cause: e });
      throw e;
    }
  }

  /** The batch under every loaded setting (source and adapted side by side), decoded once. */
  async predictVariants(tensor: Float32Array, n: number, subset: Int32Array | undefined, options: PredictOptions): Promise<VariantsPrediction> {
    try {
      return await this.worker.call(this.worker.api.predictVariants(Comlink.transfer(tensor, [tensor.buffer]), n, 5, subset, options));
    } catch (e) {
      if (isDeviceLoss(e) && !(e instanceof DeviceLost)) throw new DeviceLost(messageOf(e), { cause: e });
      throw e;
    }
  }

  /**
   * Picks the batch size with the best images/s from a short warm-up on synthetic input. Larger batches are
   * tried only while one batch stays under a second, so a slow model is not held up by its own warm-up. A batch
   * that fails (out of memory, say) ends the search: the best batch that ran is kept, and a worker that the
   * failure killed is started again on the same backend (after a lost WebGPU device, on WASM). Only a failure of
   * the first candidate throws (WarmupFailed).
   */
  async tuneBatch(candidates = [1, 4, 8, 16, 32], settle: Settle = SETTLE): Promise<{ batch: number; msPerImage: Record<number, number> }> {
    if (this.loaded.io.fixedBatch) return { batch: this.loaded.io.fixedBatch, msPerImage: {} };
    try {
      await this.settle(candidates[0], settle);
    } catch (e) {
      throw new WarmupFailed(candidates[0], e);
    }
    const msPerImage: Record<number, number> = {};
    let best = candidates[0];
    for (const b of candidates) {
      let ms: number;
      try {
        ms = await this.worker.call(this.worker.api.timeBatch(b, b <= 4 ? 3 : 2));
      } catch (e) {
        if (b === candidates[0]) throw new WarmupFailed(b, e);
        this.notes.push(`warm-up at batch ${b} failed (${messageOf(e)}); batch ${best} kept`);
        if (isDeviceLoss(e)) await this.restart(messageOf(e));
        else if (e instanceof WorkerCrashed || this.worker.dead) await this.reload(this.loaded.backend);
        break;
      }
      msPerImage[b] = ms;
      if (ms < msPerImage[best] * 0.97) best = b; // a larger batch must be clearly better: it costs memory and latency
      if (ms * b * 2 > 1000) break;
    }
    return { batch: best, msPerImage };
  }

  /**
   * Runs `batch` until its timing has settled: three timings in a row within 20 % of each other, and with more than
   * one WASM thread `minMs` gone by (or `maxMs` spent). Why: a fresh worker with two WASM threads ran several times slower for its first ~2 s (2 cores,
   * MobileNetV2-int8, batch 4 timed back to back after load: 3.9 and 4.8 images/s, then 42–46; one thread: 8.7, then
   * 25 at once). Timed straight after load, the two-thread engine lost to the one-thread one, and the app — the demo
   * included — ran at half the speed the machine has (15 instead of 30 images/s on real images).
   */
  private async settle(batch: number, { minMs: floor, maxMs, now }: Settle): Promise<void> {
    // One thread was steady from its second timing on: only a thread pool needs the time floor.
    const minMs = this.loaded.backend === 'wasm' && this.loaded.threads > 1 ? floor : 0;
    const t0 = now();
    const last: number[] = [];
    for (;;) {
      last.push(await this.worker.call(this.worker.api.timeBatch(batch, 2)));
      if (last.length > 3) last.shift();
      const elapsed = now() - t0;
      if (elapsed >= maxMs) return;
      if (elapsed >= minMs && last.length === 3 && Math.max(...last) <= Math.min(...last) * 1.2) return;
    }
  }

  /** A fresh worker; after a WebGPU failure, on WASM. */
  async restart(reason: string): Promise<void> {
    // A lost WebGPU device is not coming back in this tab: WASM is the one backend certain to work.
    const backend: BackendChoice = 'wasm';
    this.notes.push(`${this.loaded.backend} inference failed (${reason}); restarted on ${backend}`);
    await this.reload(backend);
  }

  dispose(): void {
    this.worker.terminate();
  }

  /** Replaces the worker with a fresh one with the model loaded on `backend`. */
  private async reload(backend: BackendChoice): Promise<void> {
    this.worker.terminate();
    this.worker = this.spawn();
    this.loaded = await this.worker.call(this.worker.api.load(this.model, this.card, backend, this.threads, [...this.variants]));
  }
}
