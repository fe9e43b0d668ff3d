import { describe, expect, it } from 'vitest';
import type * as Comlink from 'comlink';
import type { BackendChoice, BatchPrediction, InferenceWorkerApi, LoadedModel } from '../../workers/protocol/inference';
import type { ModelCard } from '../../src/core/model-card';
import { DeviceLost, WarmupFailed, WorkerCrashed } from '../../src/engine/errors';
import { InferenceEngine, isDeviceLoss, shouldRestart, type Settle } from '../../src/engine/inference-engine';
import type { SupervisedLike } from '../../src/engine/worker-supervisor';

function within<T>(p: Promise<T>, ms = 1000): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);
}

const card: ModelCard = { name: 'fake', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: 224, resizeTo: 256 };
const model = new Blob([new Uint8Array(8)]);

/** What the fake worker does for one timeBatch: milliseconds per image, an error it throws, or a crash. */
type Outcome = number | Error | 'crash';

/** A clock that moves 100 ms each time it is read, so the settling warm-up ends without real waiting. */
function fakeClock(stepMs = 100): () => number {
  let t = 0;
  return () => (t += stepMs);
}
/** Settling as the app does it (3 s at least, 15 s at most), on a fake clock. */
const settle = (): Settle => ({ minMs: 3000, maxMs: 15_000, now: fakeClock() });

/**
 * An inference worker as the engine sees it; timeBatch(b) follows `timings[b]` (default: 10 / b ms per image); a
 * list is played in order, its last entry repeated.
 */
class FakeInference implements SupervisedLike<InferenceWorkerApi> {
  dead = false;
  terminated = false;
  loads: { backend: BackendChoice; threads: number }[] = [];
  timed: number[] = [];
  private readonly died: Promise<never>;
  private kill: (e: WorkerCrashed) => void = () => {};
  readonly api: Comlink.Remote<InferenceWorkerApi>;
  constructor(
    timings: Record<number, Outcome | Outcome[]> = {},
    predictError?: Error,
    fixedBatch: number | null = null,
  ) {
    this.died = new Promise<never>((_, reject) => (this.kill = reject));
    this.died.catch(() => {});
    const api: Partial<InferenceWorkerApi> = {
      load: async (_m, _c, backend, threads): Promise<LoadedModel> => {
        this.loads.push({ backend, threads });
        const io = { inputName: 'x', logitsOutput: 'y', numClasses: 1000, inputSize: 224, fixedBatch };
        return { backend: backend === 'wasm' ? 'wasm' : 'webgpu', io, inputs: [], outputs: [], threads };
      },
      timeBatch: (b) => {
        this.timed.push(b);
        const t = timings[b] ?? 10 / b;
        const o = Array.isArray(t) ? t[Math.min(this.timed.filter((x) => x === b).length - 1, t.length - 1)] : t;
        if (o === 'crash') {
          this.crash();
          return new Promise<number>(() => {});
        }
        return o instanceof Error ? Promise.reject(o) : Promise.resolve(o);
      },
      predict: async (_t, batch, k = 5): Promise<BatchPrediction> => {
        if (predictError) throw predictError;
        return { topIndices: new Int32Array(batch * k), topLogits: new Float32Array(batch * k), k, inferMs: 1 };
      },
    };
    this.api = api as unknown as Comlink.Remote<InferenceWorkerApi>;
  }
  call<R>(p: Promise<R>): Promise<R> {
    return this.dead ? this.died : Promise.race([p, this.died]);
  }
  crash(): void {
    this.dead = true;
    this.kill(new WorkerCrashed('worker error'));
  }
  terminate(): void {
    this.terminated = true;
    if (!this.dead) {
      this.dead = true;
      this.kill(new WorkerCrashed('terminated'));
    }
  }
}

/** A spawn function handing out the given fakes in turn (then plain ones), remembering each. */
function spawner(...workers: FakeInference[]) {
  const made: FakeInference[] = [];
  const spawn = () => {
    const w = workers[made.length] ?? new FakeInference();
    made.push(w);
    return w;
  };
  return { made, spawn };
}

describe('shouldRestart (fault 4: only a dead worker or a lost GPU is worth a new worker)', () => {
  it.each([
    ['a crashed worker', new WorkerCrashed('worker error'), true],
    ['a terminated worker', new WorkerCrashed('terminated'), true],
    ['DeviceLost', new DeviceLost('gone'), true],
    ['DeviceLost as comlink delivers it (a plain Error by name)', Object.assign(new Error('x'), { name: 'DeviceLost' }), true],
    ['ORT native WebGPU EP device-lost message', new Error('WebGPU device lost (2): GPU process crashed'), true],
    ['a destroyed device inside an OrtRun failure', new Error('failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Device was destroyed.'), true],
    ['Chrome/Dawn mapAsync on a lost device', new Error("Failed to execute 'mapAsync' on 'GPUBuffer': [Device] is lost."), true],
    ['an invalid input', new Error('failed to call OrtRun(). ERROR_CODE: 2, ERROR_MESSAGE: Got invalid dimensions for input: x'), false],
    ['a model error', new Error('failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Non-zero status code returned while running Conv node'), false],
    ['no model', new Error('no model loaded'), false],
    ['a cancelled run', new Error('cancelled'), false],
    ['a string', 'device lost', false],
    ['undefined', undefined, false],
  ])('%s → %s', (_, e, expected) => {
    expect(shouldRestart(e)).toBe(expected);
  });

  it('isDeviceLoss is the GPU half of it', () => {
    expect(isDeviceLoss(new WorkerCrashed('worker error'))).toBe(false);
    expect(isDeviceLoss(new Error('GPUDevice was lost'))).toBe(true);
  });
});

describe('InferenceEngine', () => {
  it('start() loads the model in a spawned worker and terminates it when loading fails', async () => {
    const ok = spawner();
    const engine = await InferenceEngine.start(model, card, 'auto', 3, ok.spawn);
    expect(engine.loaded.backend).toBe('webgpu');
    expect(ok.made[0].loads).toEqual([{ backend: 'auto', threads: 3 }]);
    const bad = new FakeInference();
    (bad.api as unknown as { load: () => Promise<never> }).load = () => Promise.reject(new Error('the model could not be loaded: bad'));
    await expect(InferenceEngine.start(model, card, 'wasm', 1, spawner(bad).spawn)).rejects.toThrow('could not be loaded');
    expect(bad.terminated).toBe(true);
  });

  it('predict() turns a device-loss message into DeviceLost, and leaves other errors as they are', async () => {
    const lost = await InferenceEngine.start(model, card, 'webgpu', 1, spawner(new FakeInference({}, new Error("Failed to execute 'mapAsync' on 'GPUBuffer': [Device] is lost."))).spawn);
    await expect(lost.predict(new Float32Array(3 * 224 * 224), 1)).rejects.toBeInstanceOf(DeviceLost);
    const invalid = new Error('Got invalid dimensions for input: x');
    const other = await InferenceEngine.start(model, card, 'webgpu', 1, spawner(new FakeInference({}, invalid)).spawn);
    await expect(other.predict(new Float32Array(3 * 224 * 224), 1)).rejects.toBe(invalid);
    expect(shouldRestart(invalid)).toBe(false);
  });

  it('restart() loads the model again in a fresh worker, on WASM, and notes why', async () => {
    const { made, spawn } = spawner();
    const engine = await InferenceEngine.start(model, card, 'auto', 2, spawn);
    await engine.restart('GPU gone');
    expect(made[0].terminated).toBe(true);
    expect(made[1].loads).toEqual([{ backend: 'wasm', threads: 2 }]);
    expect(engine.loaded.backend).toBe('wasm');
    expect(engine.notes).toEqual(['webgpu inference failed (GPU gone); restarted on wasm']);
  });
});

describe('InferenceEngine.tuneBatch (fault 3: a failing warm-up batch keeps the largest that worked)', () => {
  it('keeps the best batch that ran when batch 32 throws (out of memory), on the same worker', async () => {
    const { made, spawn } = spawner(new FakeInference({ 32: new Error('out of memory') }));
    const engine = await InferenceEngine.start(model, card, 'auto', 1, spawn);
    const t = await within(engine.tuneBatch(undefined, settle()));
    expect(t.batch).toBe(16);
    expect(Object.keys(t.msPerImage).map(Number)).toEqual([1, 4, 8, 16]);
    expect(made).toHaveLength(1);
    expect(made[0].terminated).toBe(false);
    expect(engine.notes.join('\n')).toMatch(/batch 32 failed \(out of memory\); batch 16 kept/);
  });

  it('starts the worker again on the same backend when the failing batch crashed it', async () => {
    const { made, spawn } = spawner(new FakeInference({ 16: 'crash' }));
    const engine = await InferenceEngine.start(model, card, 'auto', 2, spawn);
    const t = await within(engine.tuneBatch(undefined, settle()));
    expect(t.batch).toBe(8);
    expect(made).toHaveLength(2);
    expect(made[0].terminated).toBe(true);
    expect(made[1].loads).toEqual([{ backend: 'webgpu', threads: 2 }]);
    expect(engine.loaded.backend).toBe('webgpu');
    await expect(engine.predict(new Float32Array(3 * 224 * 224), 1)).resolves.toMatchObject({ k: 5 });
  });

  it('restarts on WASM when the failing batch lost the WebGPU device', async () => {
    const { made, spawn } = spawner(new FakeInference({ 8: new Error('WebGPU device lost (1): out of memory') }));
    const engine = await InferenceEngine.start(model, card, 'auto', 2, spawn);
    const t = await within(engine.tuneBatch(undefined, settle()));
    expect(t.batch).toBe(4);
    expect(made[1].loads).toEqual([{ backend: 'wasm', threads: 2 }]);
  });

  it('throws WarmupFailed only when the first batch fails', async () => {
    const { made, spawn } = spawner(new FakeInference({ 1: new Error('out of memory') }));
    const engine = await InferenceEngine.start(model, card, 'auto', 1, spawn);
    const err = await within(engine.tuneBatch(undefined, settle())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarmupFailed);
    expect((err as Error).message).toBe('warm-up failed at batch 1: out of memory');
    expect(made[0].timed).toEqual([1]);
  });

  it('keeps the largest clearly faster batch and stops once a batch takes half a second', async () => {
    const { spawn } = spawner(new FakeInference({ 1: 10, 4: 5, 8: 4.99, 16: 40 }));
    const engine = await InferenceEngine.start(model, card, 'auto', 1, spawn);
    const t = await engine.tuneBatch(undefined, settle());
    expect(t.batch).toBe(4); // 8 is not 3 % better than 4
    expect(Object.keys(t.msPerImage).map(Number)).toEqual([1, 4, 8, 16]); // 16 × 40 ms × 2 > 1 s: no 32
  });

  it('times the batch sizes only once a fresh engine has settled (two WASM threads run slow for their first seconds)', async () => {
    // Batch 1 at first 10× slower than it settles to, as two threads were measured right after load.
    const { made, spawn } = spawner(new FakeInference({ 1: [250, 210, 25, 24, 25], 4: 8, 8: 7.9, 16: 40 }));
    const engine = await InferenceEngine.start(model, card, 'wasm', 2, spawn);
    const t = await engine.tuneBatch(undefined, settle());
    expect(t.msPerImage[1]).toBe(25);
    expect(t.batch).toBe(4);
    // 3 s of fake clock at 100 ms a reading: 30 settling runs, then the sweep.
    expect(made[0].timed.filter((b) => b === 1)).toHaveLength(31);
  });

  it('one thread needs no time floor: three timings in a row that agree are enough', async () => {
    const { made, spawn } = spawner(new FakeInference({ 1: [250, 25, 24, 25], 4: 8, 8: 7.9, 16: 40 }));
    const engine = await InferenceEngine.start(model, card, 'wasm', 1, spawn);
    const t = await engine.tuneBatch(undefined, settle());
    expect(t.msPerImage[1]).toBe(25);
    expect(made[0].timed.filter((b) => b === 1)).toHaveLength(5); // 250, 25, 24, 25: settled; then the sweep
  });

  it('stops settling after maxMs when the timings never agree', async () => {
    const { made, spawn } = spawner(new FakeInference({ 1: [10, 30, 10, 30, 10, 30, 10, 30, 10, 30] }));
    const engine = await InferenceEngine.start(model, card, 'wasm', 2, spawn);
    await engine.tuneBatch(undefined, { minMs: 0, maxMs: 500, now: fakeClock() });
    expect(made[0].timed.filter((b) => b === 1)).toHaveLength(6); // 5 settling, 1 timed
  });

  it('uses a fixed batch as it is', async () => {
    const { made, spawn } = spawner(new FakeInference({}, undefined, 8));
    const engine = await InferenceEngine.start(model, card, 'auto', 1, spawn);
    expect(await engine.tuneBatch(undefined, settle())).toEqual({ batch: 8, msPerImage: {} });
    expect(made[0].timed).toEqual([]);
  });
});
