import { describe, expect, it } from 'vitest';
import type { BackendChoice, LoadedModel } from '../../workers/protocol/inference';
import type { ModelCard } from '../../src/core/model-card';
import { better, startTuned, type TunableEngine, type Tuning } from '../../src/engine/auto-tune';
import { WarmupFailed } from '../../src/engine/errors';

const card: ModelCard = { name: 'fake', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: 224, resizeTo: 256 };
const model = new Blob([new Uint8Array(8)]);

type Tuned = { batch: number; msPerImage: Record<number, number> };

class FakeEngine implements TunableEngine {
  disposed = 0;
  readonly notes: string[] = [];
  readonly loaded: LoadedModel;
  constructor(
    threads: number,
    private readonly tune: () => Promise<Tuned>,
    backend: 'wasm' | 'webgpu' = 'wasm',
  ) {
    const io = { inputName: 'x', logitsOutput: 'y', numClasses: 1000, inputSize: 224, fixedBatch: null };
    this.loaded = { backend, io, inputs: [], outputs: [], threads };
  }
  tuneBatch(): Promise<Tuned> {
    return this.tune();
  }
  dispose(): void {
    this.disposed++;
  }
}

/** start() for startTuned: per thread count, the warm-up result (or error), or an error from start itself. */
function starter(plan: Record<number, { tune?: Tuned | Error; start?: Error }>, backend: 'wasm' | 'webgpu' = 'wasm') {
  const started: FakeEngine[] = [];
  const start = async (_m: Blob, _c: ModelCard, _b: BackendChoice, threads: number): Promise<FakeEngine> => {
    const p = plan[threads] ?? {};
    if (p.start) throw p.start;
    const t = p.tune ?? { batch: 8, msPerImage: { 1: 10, 8: 5 } };
    const engine = new FakeEngine(threads, () => (t instanceof Error ? Promise.reject(t) : Promise.resolve(t)), backend);
    started.push(engine);
    return engine;
  };
  return { started, start };
}

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return { items, getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
}

describe('startTuned (fault 3: a failed warm-up leaks no worker)', () => {
  it('disposes the engine it started when the warm-up fails even at batch 1, then rethrows', async () => {
    const failure = new WarmupFailed(1, new Error('out of memory'));
    const { started, start } = starter({ 4: { tune: failure } });
    const storage = memoryStorage();
    await expect(startTuned(model, 'sha', card, 'wasm', {}, undefined, { start, storage, maxThreads: 4 })).rejects.toBe(failure);
    expect(started).toHaveLength(1);
    expect(started[0].disposed).toBe(1);
    expect(storage.items.size).toBe(0); // nothing remembered
  });

  it('disposes the engine when the warm-up fails with threads fixed by the user', async () => {
    const { started, start } = starter({ 2: { tune: new Error('worker error') } });
    await expect(startTuned(model, 'sha', card, 'wasm', { threads: 2 }, undefined, { start, storage: null, maxThreads: 4 })).rejects.toThrow('worker error');
    expect(started.map((e) => e.disposed)).toEqual([1]);
  });

  it('drops an alternative thread count whose warm-up fails, keeps the first engine and notes why', async () => {
    const { started, start } = starter({ 3: { tune: new WarmupFailed(1, new Error('out of memory')) } });
    const storage = memoryStorage();
    const { engine, tuning } = await startTuned(model, 'sha', card, 'wasm', {}, undefined, { start, storage, maxThreads: 4 });
    expect(started.map((e) => e.loaded.threads)).toEqual([4, 3]);
    expect(engine).toBe(started[0]);
    expect(started.map((e) => e.disposed)).toEqual([0, 1]);
    expect(tuning).toMatchObject({ threads: 4, batch: 8, imagesPerSec: 200 });
    expect(engine.notes).toEqual(['warm-up with 3 thread(s) failed (warm-up failed at batch 1: out of memory); kept 4']);
    expect(storage.items.size).toBe(1);
  });

  it('drops an alternative thread count that cannot even start', async () => {
    const { started, start } = starter({ 3: { start: new Error('the model could not be loaded: no memory') } });
    const { engine } = await startTuned(model, 'sha', card, 'wasm', {}, undefined, { start, storage: null, maxThreads: 4 });
    expect(engine).toBe(started[0]);
    expect(started).toHaveLength(1);
    expect(engine.disposed).toBe(0);
  });
});

describe('startTuned (unchanged behaviour)', () => {
  it('keeps a clearly faster thread count, disposes the other and remembers the choice', async () => {
    const { started, start } = starter({ 4: { tune: { batch: 8, msPerImage: { 1: 10, 8: 5 } } }, 3: { tune: { batch: 16, msPerImage: { 1: 9, 16: 4 } } } });
    const storage = memoryStorage();
    const statuses: string[] = [];
    const { engine, tuning } = await startTuned(model, 'sha', card, 'wasm', {}, (s) => statuses.push(s), { start, storage, maxThreads: 4 });
    expect(engine).toBe(started[1]);
    expect(started.map((e) => e.disposed)).toEqual([1, 0]);
    expect(tuning).toEqual({ threads: 3, batch: 16, imagesPerSec: 250, tried: { '4×1': 100, '4×8': 200, '3×1': 1000 / 9, '3×16': 250 } });
    expect(statuses).toEqual(['warming up (wasm, 4 thread(s))…', 'warming up (wasm, 3 thread(s))…']);
    expect(JSON.parse([...storage.items.values()][0]) as Tuning).toEqual(tuning);
  });

  it('uses a remembered tuning without a warm-up', async () => {
    const remembered: Tuning = { threads: 2, batch: 16, imagesPerSec: 123, tried: {} };
    const storage = memoryStorage();
    const first = await startTuned(model, 'sha', card, 'wasm', {}, undefined, { start: starter({}).start, storage, maxThreads: 4 });
    const key = [...storage.items.keys()][0];
    storage.items.set(key, JSON.stringify(remembered));
    const { started, start } = starter({ 2: { tune: new Error('must not warm up') } });
    const again = await startTuned(model, 'sha', card, 'wasm', {}, undefined, { start, storage, maxThreads: 4 });
    expect(first.tuning.threads).toBe(3); // as fast as 4: the thread that does not pay is left to the decoders
    expect(again.tuning).toEqual(remembered);
    expect(started.map((e) => e.loaded.threads)).toEqual([2]);
  });

  it('ignores a corrupt memo, and runs in Node with no localStorage at all', async () => {
    const storage = memoryStorage();
    await startTuned(model, 'sha', card, 'wasm', {}, undefined, { start: starter({}).start, storage, maxThreads: 1 });
    for (const k of storage.items.keys()) storage.items.set(k, '{not json');
    await expect(startTuned(model, 'sha', card, 'wasm', {}, undefined, { start: starter({}).start, storage, maxThreads: 1 })).resolves.toMatchObject({ tuning: { batch: 8 } });
    await expect(startTuned(model, 'sha', card, 'webgpu', {}, undefined, { start: starter({}, 'webgpu').start })).resolves.toMatchObject({ tuning: { batch: 8 } });
  });

  it('tries no other thread count on WebGPU or with a fixed batch', async () => {
    const gpu = starter({}, 'webgpu');
    await startTuned(model, 'sha', card, 'auto', {}, undefined, { start: gpu.start, storage: null, maxThreads: 4 });
    expect(gpu.started).toHaveLength(1);
    const fixed = starter({ 4: { tune: new Error('must not warm up') } });
    const r = await startTuned(model, 'sha', card, 'wasm', { batch: 32 }, undefined, { start: fixed.start, storage: null, maxThreads: 4 });
    expect(r.tuning).toMatchObject({ threads: 4, batch: 32 });
    expect(fixed.started).toHaveLength(1);
  });
});

describe('startTuned: a thread must pay for the core it takes from the decoders', () => {
  it('keeps fewer threads unless more are at least 25 % faster at inference', async () => {
    // 2 threads 10 % faster (a tiny, decode-bound model): 1 thread kept.
    const near = starter({ 2: { tune: { batch: 8, msPerImage: { 1: 10, 8: 1 / 1.1 } } }, 1: { tune: { batch: 8, msPerImage: { 1: 10, 8: 1 } } } });
    expect((await startTuned(model, 'sha', card, 'wasm', {}, undefined, { start: near.start, storage: null, maxThreads: 2 })).tuning.threads).toBe(1);
    // 2 threads 2.2× faster (MobileNetV2-int8 measured): 2 kept.
    const far = starter({ 2: { tune: { batch: 8, msPerImage: { 1: 10, 8: 1 / 2.2 } } }, 1: { tune: { batch: 8, msPerImage: { 1: 10, 8: 1 } } } });
    const { engine, tuning } = await startTuned(model, 'sha', card, 'wasm', {}, undefined, { start: far.start, storage: null, maxThreads: 2 });
    expect(tuning.threads).toBe(2);
    expect(engine).toBe(far.started[0]);
    expect(far.started.map((e) => e.disposed)).toEqual([0, 1]);
  });

  it('better(): the 25 % rule both ways, and 3 % between equal thread counts', () => {
    expect(better({ threads: 2, imagesPerSec: 125 }, { threads: 1, imagesPerSec: 100 })).toBe(true);
    expect(better({ threads: 2, imagesPerSec: 124 }, { threads: 1, imagesPerSec: 100 })).toBe(false);
    expect(better({ threads: 1, imagesPerSec: 100 }, { threads: 2, imagesPerSec: 124 })).toBe(true);
    expect(better({ threads: 1, imagesPerSec: 100 }, { threads: 2, imagesPerSec: 125 })).toBe(false);
    expect(better({ threads: 2, imagesPerSec: 104 }, { threads: 2, imagesPerSec: 100 })).toBe(true);
    expect(better({ threads: 2, imagesPerSec: 102 }, { threads: 2, imagesPerSec: 100 })).toBe(false);
  });
});
