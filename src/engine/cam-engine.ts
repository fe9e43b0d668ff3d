import * as Comlink from 'comlink';
import type { ModelCard } from '../core/model-card';
import { normalizeToChw } from '../core/normalize';
import { preprocessingOf, type CardPreprocessing } from '../core/preprocessing';
import { CamModel, type CamAnalysis, type CamMap, type CamMethod, type CamOptions, type CamPlan, type MethodAvailability } from '../core/cam/cam-model';
import type { ImageKind } from './decode-image';
import type { DecodeWorkerApi } from '../../workers/decode.worker';
import type { BackendChoice, InferenceWorkerApi } from '../../workers/inference.worker';
import { spawnWorker, type Supervised } from './worker-supervisor';
import { camPlanInWorker } from './analysis-client';

export { CAM_METHODS, DEFAULT_SCORECAM_CHANNELS, type CamMap, type CamMethod, type CamOptions, type MethodAvailability } from '../core/cam/cam-model';

/** One image through the model: its pixels (as the run saw them), logits and what the CAM methods read. */
export interface Analysis extends CamAnalysis {
  readonly path: string;
  readonly pixels: Uint8Array; // RGBA, size × size
}

/**
 * The model prepared for CAM (see planCam: which outputs each method reads, the head's feature map exposed by
 * graph surgery when the file lacks it) in a worker of its own, with a decoder that applies the card's
 * preprocessing exactly as the run does.
 */
export class CamEngine {
  private constructor(
    private readonly worker: Supervised<InferenceWorkerApi>,
    private readonly decoder: Supervised<DecodeWorkerApi>,
    private readonly decode: Comlink.Remote<DecodeWorkerApi>,
    private readonly model: CamModel,
    readonly prep: CardPreprocessing,
  ) {}

  get plan(): CamPlan {
    return this.model.plan;
  }
  get methods(): MethodAvailability[] {
    return this.model.plan.methods;
  }

  /**
   * `model`: the run's model file, read again here (in the analysis worker, then handed to the CAM worker), so a
   * finished run does not hold the whole model in the page for an inspector that may never open.
   */
  static async start(model: Blob, card: ModelCard, backend: BackendChoice, logitsOutput: string): Promise<CamEngine> {
    let plan: CamPlan;
    try {
      plan = await camPlanInWorker(model, card, logitsOutput);
    } catch (e) {
      const m = (e as Error).message;
      // A picked file that changed on disk after the run can no longer be read through its old File.
      throw new Error(/NotReadable|NotFound|could not be read|changed/i.test(`${(e as Error).name} ${m}`) ? `the model file could not be read again for the inspector (${m}): it may have changed since the run; pick it again and re-run (the predictions come from the cache)` : m);
    }
    const prep = preprocessingOf(card);
    const worker = spawnWorker<InferenceWorkerApi>(() => new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'cam' }));
    const api = worker.api;
    const decoder = spawnWorker<DecodeWorkerApi>(() => new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: 'cam-decode' }));
    // The worker's copy (a whole buffer, see camPlan), handed on: the page keeps none.
    const buffer = plan.bytes.buffer as ArrayBuffer;
    try {
      // CAM needs full feature maps back on the CPU: WASM is the dependable choice for a handful of images.
      await api.load(Comlink.transfer(buffer, [buffer]), { ...card, logitsOutput }, backend === 'webgpu' ? 'webgpu' : 'wasm', Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1)));
    } catch (e) {
      worker.terminate();
      decoder.terminate();
      throw e;
    }
    const cam = new CamModel(plan, (input, n, outputs) => api.forward(input, n, outputs), prep.inputSize);
    return new CamEngine(worker, decoder, decoder.api, cam, prep);
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
    return { ...(await this.model.analyse(input)), path, pixels: rgba };
  }

  /** The map of `method` for class `target` at its own resolution, normalised to [0, 1] as pytorch-grad-cam does. */
  cam(a: Analysis, method: CamMethod, target: number, opts: CamOptions = {}): Promise<CamMap> {
    return this.model.cam(a, method, target, opts);
  }

  dispose(): void {
    this.worker.terminate();
    this.decoder.terminate();
  }
}
