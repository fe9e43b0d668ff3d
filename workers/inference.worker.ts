import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import { resolveModelIO, type ModelIO, type TensorInfo } from '../src/core/model-io';
import type { ModelCard } from '../src/core/model-card';
import { topK } from '../src/core/topk';
import { maskedArgmax } from '../src/core/shift-datasets';
import type { Backend, BackendChoice, BatchPrediction, ForwardOutputs, InferenceWorkerApi, LoadedModel } from './protocol/inference';

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

const api: InferenceWorkerApi = {
  /** A Blob is read here, in the worker: a large model's bytes are never copied on the main thread. */
  async load(model: ArrayBuffer | Blob, card: ModelCard, choice: BackendChoice, threads: number): Promise<LoadedModel> {
    await session?.release();
    session = null;
    configureWasm(threads);
    let backend: Backend = 'wasm';
    let fallbackReason: string | undefined;
    const bytes = new Uint8Array(model instanceof Blob ? await model.arrayBuffer() : model);
    if (choice !== 'wasm') {
      const missing = await webgpuAvailable();
      if (missing) fallbackReason = missing;
      else {
        try {
          session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
          backend = 'webgpu';
        } catch (e) {
          fallbackReason = `WebGPU session failed: ${(e as Error).message}`;
        }
      }
      if (choice === 'webgpu' && backend !== 'webgpu') throw new Error(`WebGPU was required but is unavailable (${fallbackReason})`);
    }
    if (!session) {
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      } catch (e) {
        throw new Error(`the model could not be loaded: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    const inputs = describe(session.inputMetadata);
    const outputs = describe(session.outputMetadata);
    try {
      io = resolveModelIO(inputs, outputs, card);
    } catch (e) {
      await session.release();
      session = null;
      throw e;
    }
    return { backend, io, inputs, outputs, threads: ort.env.wasm.numThreads ?? threads, fallbackReason };
  },

  async predict(tensor: Float32Array, batch: number, k = 5, subset?: Int32Array): Promise<BatchPrediction> {
    if (!session || !io) throw new Error('no model loaded');
    const s = io.inputSize;
    const t0 = performance.now();
    const input = new ort.Tensor('float32', tensor, [batch, 3, s, s]);
    const out = await session.run({ [io.inputName]: input }, [io.logitsOutput]);
    const logits = out[io.logitsOutput];
    const data = (logits.location === 'cpu' ? logits.data : await logits.getData()) as Float32Array;
    const classes = data.length / batch;
    const topIndices = new Int32Array(batch * k);
    const topLogits = new Float32Array(batch * k);
    for (let b = 0; b < batch; b++) {
      const t = topK(data, k, b * classes, classes);
      topIndices.set(t.indices, b * k);
      topLogits.set(t.values, b * k);
    }
    const subsetTop1 = subset ? Int32Array.from({ length: batch }, (_, b) => maskedArgmax(data, subset, b * classes)) : undefined;
    logits.dispose();
    input.dispose();
    const buffers = [topIndices.buffer, topLogits.buffer, ...(subsetTop1 ? [subsetTop1.buffer] : [])];
    return Comlink.transfer({ topIndices, topLogits, k, inferMs: performance.now() - t0, ...(subsetTop1 ? { subsetTop1 } : {}) }, buffers);
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
    await session?.release();
    session = null;
    io = null;
  },
};

Comlink.expose(api);
