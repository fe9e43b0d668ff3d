/**
 * What the inference worker (workers/inference.worker.ts) exposes over comlink. The worker declares its api with
 * this interface and the main thread wraps the worker with it: one definition on both sides.
 */
import type { ModelIO, TensorInfo } from '../../src/core/model-io';
import type { ModelCard } from '../../src/core/model-card';
import type { Adaptation } from '../../src/core/tta/adaptation';

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
  /**
   * The settings loaded, in the order of `load`'s `variants` (one session each; the first is what `predict`,
   * `forward` and `timeBatch` run), with the source model's BatchNormalization count where it was counted.
   */
  readonly variants?: readonly { adaptation: Adaptation; batchNorms: number | null; backend: Backend }[];
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

/** One setting's top-k of a batch (see BatchPrediction). */
export interface VariantTop {
  readonly topIndices: Int32Array;
  readonly topLogits: Float32Array;
  readonly subsetTop1?: Int32Array;
}

/** The top-k of one batch under every loaded setting; null where the setting was not asked to run. */
export interface VariantsPrediction {
  readonly k: number;
  readonly inferMs: number;
  readonly variants: readonly (VariantTop | null)[];
}

/** Per-batch options of an adapted run. */
export interface PredictOptions {
  /** The batch starts a new cell (target domain): self-learning state back to the source parameters. */
  readonly reset?: boolean;
  /** Which loaded settings to run (default: all); a setting not run keeps its state. */
  readonly run?: readonly boolean[];
}

/** Named outputs of one forward pass: float32 data, batch-major, with their dims. */
export type ForwardOutputs = Record<string, { data: Float32Array; dims: number[] }>;

export interface InferenceWorkerApi {
  /**
   * Loads a model (replacing any loaded one); a Blob is read in the worker. `variants`: the adaptation settings to
   * load (default: the source model alone), e.g. [source, BN-adapted] to compare them on the same decoded batches.
   */
  load(model: ArrayBuffer | Blob, card: ModelCard, choice: BackendChoice, threads: number, variants?: readonly Adaptation[]): Promise<LoadedModel>;
  /**
   * Top-k of each image of a batch (N × 3 × S × S, normalised) under the first loaded setting; with `subset`
   * (ascending class indices), its argmax too. `reset`: a new cell begins (self-learning state reset first).
   */
  predict(tensor: Float32Array, batch: number, k?: number, subset?: Int32Array, reset?: boolean): Promise<BatchPrediction>;
  /** The same batch under every loaded setting (decoded once, run by each session in turn). */
  predictVariants(tensor: Float32Array, batch: number, k: number, subset: Int32Array | undefined, options: PredictOptions): Promise<VariantsPrediction>;
  /** Full outputs by name (logits, feature maps) for the CAM inspector. */
  forward(tensor: Float32Array, batch: number, outputs: string[]): Promise<ForwardOutputs>;
  /** Milliseconds per image at this batch size, on a synthetic input (the warm-up that picks the batch). */
  timeBatch(batch: number, iterations: number): Promise<number>;
  release(): Promise<void>;
}
