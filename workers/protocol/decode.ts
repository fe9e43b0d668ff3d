/**
 * What the decode worker (workers/decode.worker.ts) exposes over comlink. The worker declares its api with this
 * interface and the main thread wraps the worker with it: one definition on both sides.
 */
import type { ImageKind, Preprocessing } from '../../src/engine/decode-image';

export interface DecodeJob {
  readonly file: Blob;
  readonly kind: ImageKind;
}

export interface DecodedBatch {
  /** N × 3 × S × S, normalised; rows of failed images are zero. */
  readonly tensor: Float32Array;
  /** null where the image decoded, else why it did not. */
  readonly failures: (string | null)[];
  readonly decodeMs: number;
}

/** An image's pixels at input size, as the model's preprocessing presents them. */
export interface InputPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

export interface DecodeWorkerApi {
  /** Decodes and normalises a batch into one tensor; an unreadable image is a failure, not an error. */
  decodeBatch(jobs: DecodeJob[], prep: Preprocessing): Promise<DecodedBatch>;
  /** SSIM of each corrupted image against its clean original; null where either cannot be decoded. */
  ssimPairs(pairs: { corrupted: Blob; clean: Blob }[], prep: Preprocessing, mode: 'rgb' | 'gray'): Promise<(number | null)[]>;
  /** Raw RGB(A) pixels at input size, for tests and the CAM inspector. */
  inputPixels(file: Blob, kind: ImageKind, prep: Preprocessing): Promise<InputPixels>;
}
