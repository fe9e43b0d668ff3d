import * as Comlink from 'comlink';
import { decodePixels, toInputPixels, writeInputTensor, type ImageKind, type Preprocessing } from '../src/engine/decode-image';
import { ssim } from '../src/core/ssim';
import type { DecodedBatch, DecodeJob, DecodeWorkerApi, InputPixels } from './protocol/decode';

export type { DecodedBatch, DecodeJob, DecodeWorkerApi, InputPixels } from './protocol/decode';

const api: DecodeWorkerApi = {
  async decodeBatch(jobs: DecodeJob[], prep: Preprocessing): Promise<DecodedBatch> {
    const t0 = performance.now();
    const plane = 3 * prep.inputSize * prep.inputSize;
    const tensor = new Float32Array(jobs.length * plane);
    const failures: (string | null)[] = [];
    // Start every file's read and decode at once (the browser decodes off this thread), then consume in order.
    const decoded = jobs.map((job) => decodePixels(job.file).then((img) => toInputPixels(img, job.kind, prep)));
    for (const [i, pending] of decoded.entries()) {
      try {
        writeInputTensor(await pending, prep, tensor, i * plane);
        failures.push(null);
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
    const result: DecodedBatch = { tensor, failures, decodeMs: performance.now() - t0 };
    return Comlink.transfer(result, [tensor.buffer]);
  },
  /**
   * SSIM of each corrupted image against its clean original, both as the model sees them (the clean one resized
   * and centre-cropped); null where either image cannot be decoded.
   */
  async ssimPairs(pairs: { corrupted: Blob; clean: Blob }[], prep: Preprocessing, mode: 'rgb' | 'gray'): Promise<(number | null)[]> {
    const out: (number | null)[] = [];
    for (const p of pairs) {
      try {
        const a = toInputPixels(await decodePixels(p.corrupted), 'corrupted', prep);
        const b = toInputPixels(await decodePixels(p.clean), 'clean', prep);
        out.push(a.width === b.width && a.height === b.height ? ssim(a, b, { mode }) : null);
      } catch {
        out.push(null);
      }
    }
    return out;
  },
  /** Raw RGB pixels at input size, for tests and the CAM inspector. */
  async inputPixels(file: Blob, kind: ImageKind, prep: Preprocessing): Promise<InputPixels> {
    const img = toInputPixels(await decodePixels(file), kind, prep);
    return { width: img.width, height: img.height, channels: img.channels, data: Uint8Array.from(img.data) };
  },
};

Comlink.expose(api);
