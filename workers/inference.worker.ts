import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import { resolveModelIO, type ModelIO, type TensorInfo } from '../src/core/model-io';
import type { ModelCard } from '../src/core/model-card';
import { topK } from '../src/core/topk';
import { maskedArgmax } from '../src/core/shift-datasets';
import { SOURCE, isSelfLearning, type Adaptation } from '../src/core/tta/adaptation';
import { AdaptedPredictor, prepareModel, type RunFn } from '../src/core/tta/adapted-model';
import type { Backend, BackendChoice, BatchPrediction, ForwardOutputs, InferenceWorkerApi, LoadedModel, PredictOptions, VariantTop, VariantsPrediction } from './protocol/inference';

export type { Backend, BackendChoice, BatchPrediction, ForwardOutputs, InferenceWorkerApi, LoadedModel } from './protocol/inference';

let session: ort.InferenceSession | null = null;
let io: ModelIO | null = null;

function configureWasm(threads: number) {
  const base = `${self.location.origin}${import.meta.env.BASE_URL}ort/`;
  ort.env.wasm.wasmPaths = { mjs: `${base}ort-wasm-simd-threaded.jsep.mjs`, wasm: `${base}ort-wasm-simd-threaded.jsep.wasm` };
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' ? d : d || null)) }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

async function webgpuAvailable(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'this browser has no WebGPU';
  try {
    return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter';
  } catch (e) {
    return `WebGPU adapter request failed: ${(e as Error).message}`;
  }
}

/** A session created with the backend chosen for the first one; WebGPU falls back to WASM (the reason kept). */
async function createSession(bytes: Uint8Array, choice: BackendChoice): Promise<{ session: ort.InferenceSession; backend: Backend; fallbackReason?: string }> {
  let fallbackReason: string | undefined;
  if (choice !== 'wasm') {
    const missing = await webgpuAvailable();
    if (missing) fallbackReason = missing;
    else {
      try {
        return { session: await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' }), backend: 'webgpu' };
      } catch (e) {
        fallbackReason = `WebGPU session failed: ${(e as Error).message}`;
      }
    }
    if (choice === 'webgpu') throw new Error(`WebGPU was required but is unavailable (${fallbackReason})`);
  }
  try {
    return { session: await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }), backend: 'wasm', fallbackReason };
  } catch (e) {
    throw new Error(`the model could not be loaded: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The onnxruntime-web session as adapted-model's runtime-neutral RunFn. */
function runFnOf(s: ort.InferenceSession): RunFn {
  return async (feeds, outputs) => {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', t.data, [...t.dims]);
    const out = await s.run(tensors, [...outputs]);
    const result: Record<string, Float32Array> = {};
    for (const name of outputs) {
      const t = out[name];
      result[name] = (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array;
    }
    for (const t of Object.values(tensors)) t.dispose();
    return result;
  };
}

interface Loaded {
  session: ort.InferenceSession;
  predictor: AdaptedPredictor;
}
let variants: Loaded[] = [];

async function releaseAll(): Promise<void> {
  for (const v of variants) await v.session.release();
  variants = [];
  session = null;
  io = null;
}

function topOf(data: Float32Array, batch: number, k: number, subset?: Int32Array): VariantTop {
  const classes = data.length / batch;
  const topIndices = new Int32Array(batch * k);
  const topLogits = new Float32Array(batch * k);
  for (let b = 0; b < batch; b++) {
    const t = topK(data, k, b * classes, classes);
    topIndices.set(t.indices, b * k);
    topLogits.set(t.values, b * k);
  }
  const subsetTop1 = subset ? Int32Array.from({ length: batch }, (_, b) => maskedArgmax(data, subset, b * classes)) : undefined;
  return { topIndices, topLogits, ...(subsetTop1 ? { subsetTop1 } : {}) };
}

const buffersOf = (t: VariantTop): ArrayBuffer[] => [t.topIndices.buffer as ArrayBuffer, t.topLogits.buffer as ArrayBuffer, ...(t.subsetTop1 ? [t.subsetTop1.buffer as ArrayBuffer] : [])];

const api: InferenceWorkerApi = {
  /** A Blob is read here, in the worker: a large model's bytes are never copied on the main thread. */
  async load(model: ArrayBuffer | Blob, card: ModelCard, choice: BackendChoice, threads: number, settings: readonly Adaptation[] = [SOURCE]): Promise<LoadedModel> {
    await releaseAll();
    configureWasm(threads);
    const bytes = new Uint8Array(model instanceof Blob ? await model.arrayBuffer() : model);
    let backend: Backend | null = null;
    let fallbackReason: string | undefined;
    let inputs: TensorInfo[] = [];
    let outputs: TensorInfo[] = [];
    const described: { adaptation: Adaptation; batchNorms: number | null; backend: Backend }[] = [];
    try {
      for (const adaptation of settings) {
        // The adapted graphs are built here, in the worker (src/core/tta); a folded model fails with BN_FOLDED_MESSAGE.
        let prepared = prepareModel(bytes, adaptation, io?.logitsOutput ?? card.logitsOutput);
        // The training graph is checked on WASM only (src/core/tta/README.md): self-learning runs there. A later
        // setting follows the first one's backend, falling back to WASM if WebGPU cannot take its graph.
        const want: BackendChoice = isSelfLearning(adaptation) ? 'wasm' : backend ? (backend === 'webgpu' ? 'auto' : 'wasm') : choice;
        let created = await createSession(prepared.bytes, want);
        const visible = (meta: readonly ort.InferenceSession.ValueMetadata[], hidden: ReadonlySet<string>) => describe(meta.filter((m) => !hidden.has(m.name)));
        if (!io) {
          backend = created.backend;
          fallbackReason = created.fallbackReason ?? (isSelfLearning(adaptation) && choice !== 'wasm' ? 'self-learning (the training graph) runs on WASM' : undefined);
          inputs = visible(created.session.inputMetadata, prepared.internalInputs);
          outputs = visible(created.session.outputMetadata, prepared.internalOutputs);
          try {
            io = resolveModelIO(inputs, outputs, card);
          } catch (e) {
            await created.session.release();
            throw e;
          }
          if (prepared.training && prepared.training.logits !== io.logitsOutput) {
            // The loss must be of the logits the run reads: build the training graph again for that output.
            await created.session.release();
            prepared = prepareModel(bytes, adaptation, io.logitsOutput);
            created = await createSession(prepared.bytes, want);
          }
          session = created.session;
        }
        variants.push({ session: created.session, predictor: new AdaptedPredictor(prepared, runFnOf(created.session), io) });
        described.push({ adaptation, batchNorms: prepared.batchNorms, backend: created.backend });
      }
    } catch (e) {
      await releaseAll();
      throw e;
    }
    return { backend: backend!, io: io!, inputs, outputs, threads: ort.env.wasm.numThreads ?? threads, fallbackReason, variants: described };
  },

  async predict(tensor: Float32Array, batch: number, k = 5, subset?: Int32Array, reset = false): Promise<BatchPrediction> {
    if (!variants.length || !io) throw new Error('no model loaded');
    const t0 = performance.now();
    const v = variants[0].predictor;
    if (reset) v.reset();
    const top = topOf(await v.logits(tensor, [batch, 3, io.inputSize, io.inputSize]), batch, k, subset);
    return Comlink.transfer({ ...top, k, inferMs: performance.now() - t0 }, buffersOf(top));
  },

  async predictVariants(tensor: Float32Array, batch: number, k: number, subset: Int32Array | undefined, options: PredictOptions): Promise<VariantsPrediction> {
    if (!variants.length || !io) throw new Error('no model loaded');
    const t0 = performance.now();
    const dims = [batch, 3, io.inputSize, io.inputSize];
    const out: (VariantTop | null)[] = [];
    for (let j = 0; j < variants.length; j++) {
      const v = variants[j].predictor;
      if (options.reset) v.reset();
      out.push(options.run && !options.run[j] ? null : topOf(await v.logits(tensor, dims), batch, k, subset));
    }
    return Comlink.transfer({ k, inferMs: performance.now() - t0, variants: out }, out.flatMap((t) => (t ? buffersOf(t) : [])));
  },

  /** Full outputs by name (logits, feature maps) for the CAM inspector; float32 data, batch-major. */
  async forward(tensor: Float32Array, batch: number, outputs: string[]): Promise<ForwardOutputs> {
    if (!session || !io) throw new Error('no model loaded');
    const s = io.inputSize;
    const input = new ort.Tensor('float32', tensor, [batch, 3, s, s]);
    const out = await session.run({ [io.inputName]: input }, outputs);
    const result: ForwardOutputs = {};
    const buffers: ArrayBuffer[] = [];
    for (const name of outputs) {
      const t = out[name];
      const data = Float32Array.from((t.location === 'cpu' ? t.data : await t.getData()) as Float32Array);
      result[name] = { data, dims: [...t.dims] };
      buffers.push(data.buffer);
      t.dispose();
    }
    input.dispose();
    return Comlink.transfer(result, buffers);
  },

  /** Milliseconds per image at this batch size, on a synthetic input (for the warm-up that picks the batch). */
  async timeBatch(batch: number, iterations: number): Promise<number> {
    if (!session || !io) throw new Error('no model loaded');
    const s = io.inputSize;
    const data = new Float32Array(batch * 3 * s * s).map((_, i) => Math.sin(i));
    const run = async () => {
      const input = new ort.Tensor('float32', data, [batch, 3, s, s]);
      const out = await session!.run({ [io!.inputName]: input }, [io!.logitsOutput]);
      const logits = out[io!.logitsOutput];
      if (logits.location !== 'cpu') await logits.getData();
      logits.dispose();
    };
    await run(); // first run pays for kernel compilation and allocation
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await run();
    return (performance.now() - t0) / (iterations * batch);
  },

  async release(): Promise<void> {
    await releaseAll();
  },
};

Comlink.expose(api);
