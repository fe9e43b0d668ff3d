import type * as Comlink from 'comlink';
import type { ModelCard } from '../core/model-card';
import { normalizeToChw } from '../core/normalize';
import { readOnnx } from '../core/onnx/onnx-model';
import { findCamHead, withFeatureOutput, type CamHead } from '../core/onnx/cam-head';
import { eigenCam, gradCamConvReluGap, gradCamLinear, normalizeCam, scoreCam, type FeatureMap } from '../core/cam';
import { topK } from '../core/topk';
import type { ImageKind, Preprocessing } from './decode-image';
import type { DecodeWorkerApi } from '../../workers/decode.worker';
import type { BackendChoice, InferenceWorkerApi } from '../../workers/inference.worker';
import { spawnWorker, type Supervised } from './worker-supervisor';

export type CamMethod = 'gradcam' | 'scorecam' | 'eigencam';

export const CAM_METHODS: { id: CamMethod; label: string }[] = [
  { id: 'gradcam', label: 'Grad-CAM (exact, from the head weights)' },
  { id: 'scorecam', label: 'Score-CAM (forward passes only)' },
  { id: 'eigencam', label: 'Eigen-CAM (first principal component)' },
];

/** One image through the model: its pixels, logits and last feature map. */
export interface Analysis {
  readonly path: string;
  readonly pixels: Uint8Array; // RGBA, size × size
  readonly size: number;
  readonly input: Float32Array; // CHW normalised
  readonly logits: Float32Array;
  readonly top5: { index: number; logit: number; prob: number }[];
  readonly features: FeatureMap;
}

/**
 * The model prepared for CAM: its feature map exposed as an output (added by graph surgery when the file lacks
 * one) and its head weights read from the initializers, in a worker of its own.
 */
export class CamEngine {
  private constructor(
    private readonly worker: Supervised<InferenceWorkerApi>,
    private readonly api: Comlink.Remote<InferenceWorkerApi>,
    private readonly decoder: Supervised<DecodeWorkerApi>,
    private readonly decode: Comlink.Remote<DecodeWorkerApi>,
    readonly head: CamHead,
    readonly featureOutput: string,
    readonly logitsOutput: string,
    readonly surgery: boolean,
    private readonly prep: Preprocessing,
  ) {}

  static async start(model: ArrayBuffer, card: ModelCard, backend: BackendChoice, logitsOutput: string): Promise<CamEngine> {
    const bytes = new Uint8Array(model);
    const graph = readOnnx(bytes);
    const head = findCamHead(graph, logitsOutput);
    const prepared = withFeatureOutput(bytes, graph, head);
    const worker = spawnWorker<InferenceWorkerApi>(() => new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'cam' }));
    const api = worker.api;
    const decoder = spawnWorker<DecodeWorkerApi>(() => new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: 'cam-decode' }));
    const buffer = prepared.bytes.slice().buffer;
    try {
      // CAM needs full feature maps back on the CPU: WASM is the dependable choice for a handful of images.
      await api.load(buffer, { ...card, logitsOutput }, backend === 'webgpu' ? 'webgpu' : 'wasm', Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1)));
    } catch (e) {
      worker.terminate();
      decoder.terminate();
      throw e;
    }
    const prep: Preprocessing = { mean: card.mean, std: card.std, inputSize: card.inputSize, resizeTo: card.resizeTo };
    return new CamEngine(worker, api, decoder, decoder.api, head, prepared.outputName, logitsOutput, prepared.bytes !== bytes, prep);
  }

  async analyse(path: string, file: Blob, kind: ImageKind): Promise<Analysis> {
    const img = await this.decode.inputPixels(file, kind, this.prep);
    const size = this.prep.inputSize;
    const input = new Float32Array(3 * size * size);
    normalizeToChw(img.data, img.channels, img.width, img.height, this.prep.mean, this.prep.std, input, 0);
    const rgba = new Uint8Array(size * size * 4);
    for (let i = 0, p = 0; i < size * size; i++, p += img.channels) {
      rgba[i * 4] = img.data[p];
      rgba[i * 4 + 1] = img.data[p + 1];
      rgba[i * 4 + 2] = img.data[p + 2];
      rgba[i * 4 + 3] = 255;
    }
    const out = await this.api.forward(input.slice(), 1, [this.logitsOutput, this.featureOutput]);
    const logits = out[this.logitsOutput].data;
    const [, channels, height, width] = out[this.featureOutput].dims;
    const max = logits.reduce((m, v) => Math.max(m, v), -Infinity);
    const sum = logits.reduce((s, v) => s + Math.exp(v - max), 0);
    const t = topK(logits, 5);
    return {
      path,
      pixels: rgba,
      size,
      input,
      logits,
      top5: t.indices.map((index, i) => ({ index, logit: t.values[i], prob: Math.exp(t.values[i] - max) / sum })),
      features: { channels, height, width, data: out[this.featureOutput].data },
    };
  }

  /** The CAM of `target` at feature-map resolution, normalised to [0, 1] as pytorch-grad-cam does. */
  async cam(a: Analysis, method: CamMethod, target: number, onProgress?: (done: number, total: number) => void): Promise<Float32Array> {
    const h = this.head;
    if (method === 'eigencam') return normalizeCam(eigenCam(a.features));
    if (method === 'scorecam') {
      const forward = async (batch: Float32Array, n: number) => (await this.api.forward(batch, n, [this.logitsOutput]))[this.logitsOutput].data;
      return normalizeCam(await scoreCam(a.features, a.input, a.size, target, forward, { batch: 16, maxChannels: 256, onProgress }));
    }
    const row = h.weights.subarray(target * h.channels, (target + 1) * h.channels);
    const raw = h.kind === 'gap-linear' ? gradCamLinear(a.features, row) : gradCamConvReluGap(a.features, row, h.bias ? h.bias[target] : 0);
    return normalizeCam(raw);
  }

  dispose(): void {
    this.worker.terminate();
    this.decoder.terminate();
  }
}
