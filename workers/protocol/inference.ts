/**
 * What the inference worker (workers/inference.worker.ts) exposes over comlink. The worker declares its api with
 * this interface and the main thread wraps the worker with it: one definition on both sides.
 */
import type { ModelIO, TensorInfo } from '../../src/core/model-io';
import type { ModelCard } from '../../src/core/model-card';

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';
export type Backend = 'webgpu' | 'wasm';

export interface LoadedModel {
  readonly backend: Backend;
  readonly io: ModelIO;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  readonly threads: number;
  /** Why WebGPU was not used, when it was asked for or available. */
  readonly fallbackReason?: string;
}

export interface BatchPrediction {
  /** batch × k class indices, descending logit, ties to the lower index. */
  readonly topIndices: Int32Array;
  readonly topLogits: Float32Array;
  readonly k: number;
  readonly inferMs: number;
  /**
   * When a subset of classes was given (ImageNet-R, -A): per image, the class with the largest logit among them
   * (ties to the lower class index). Computed here, from the full logits, which never leave the worker.
   */
  readonly subsetTop1?: Int32Array;
}

/** Named outputs of one forward pass: float32 data, batch-major, with their dims. */
export type ForwardOutputs = Record<string, { data: Float32Array; dims: number[] }>;

export interface InferenceWorkerApi {
  /** Loads a model (replacing any loaded one); a Blob is read in the worker. */
  load(model: ArrayBuffer | Blob, card: ModelCard, choice: BackendChoice, threads: number): Promise<LoadedModel>;
  /** Top-k of each image of a batch (N × 3 × S × S, normalised); with `subset` (ascending class indices), its argmax too. */
  predict(tensor: Float32Array, batch: number, k?: number, subset?: Int32Array): Promise<BatchPrediction>;
  /** Full outputs by name (logits, feature maps) for the CAM inspector. */
  forward(tensor: Float32Array, batch: number, outputs: string[]): Promise<ForwardOutputs>;
  /** Milliseconds per image at this batch size, on a synthetic input (the warm-up that picks the batch). */
  timeBatch(batch: number, iterations: number): Promise<number>;
  release(): Promise<void>;
}
