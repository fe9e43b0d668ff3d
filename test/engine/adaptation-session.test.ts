/**
 * Test-time adaptation in the evaluation session (Node, fakes for the workers and IndexedDB): the batch protocol
 * (each cell its own domain, batches of B in path order that never straddle cells, the last one smaller, reset at
 * each cell's first batch, unreadable images left out of adapted batches), source and adapted side by side on the
 * same decoded batches, cache keys per setting (method, parameters and B), adapted cells reused only whole, and
 * the result and per-image export recording the setting.
 */
import { describe, expect, it } from 'vitest';
import { EvaluationSession, type PipelineEngine, type PipelinePool, type RunInputs, type SessionDeps } from '../../src/engine/evaluation-session';
import { FileListSource } from '../../src/engine/dataset-source';
import { DEFAULT_CARD } from '../../src/core/model-card';
import { evaluationIdKey, type CachedPrediction, type CellSummary, type EvaluationKey, type RunRecord } from '../../src/core/cache-keys';
import type { PickedFile } from '../../src/engine/picked-files';
import type { Adaptation } from '../../src/core/tta/adaptation';
import { AdaptationError } from '../../src/core/tta/adaptation';
import { BN_FOLDED_MESSAGE } from '../../src/core/tta/bn-adapt';
import type { PredictOptions } from '../../workers/protocol/inference';

const WNIDS = ['n01', 'n02', 'n03', 'n04', 'n05'];
const LABELS = { wnids: WNIDS, names: WNIDS, source: 'test' };
const image = (path: string, predicted: number, lastModified = 1000): PickedFile => ({
  path,
  file: new File([new Uint8Array([predicted, 1, 2])], path.split('/').pop()!, { lastModified }),
});

/** fog/3 and snow/1 × 5 classes × 3 images (15 per cell) + one unreadable file in fog/3/n02 (between img1 and img2). */
function dataset(lastModified: (path: string) => number = () => 1000): PickedFile[] {
  const out: PickedFile[] = [];
  for (const c of ['fog/3', 'snow/1']) {
    WNIDS.forEach((w, label) => {
      for (let j = 0; j < 3; j++) {
        const path = `c/${c}/${w}/img${j}.JPEG`;
        out.push(image(path, label, lastModified(path)));
      }
    });
  }
  out.push({ path: 'c/fog/3/n02/img1b.JPEG', file: new File([], 'img1b.JPEG', { lastModified: 1000 }) });
  return out;
}

interface Call {
  /** The images of the batch sent, by file name (readable ones only: what the model saw). */
  images: string[];
  reset: boolean;
  run: readonly boolean[] | undefined;
  variantsCall: boolean;
}

interface World {
  cache: Map<string, CachedPrediction>;
  /** Cell summaries (cache-keys.ts) and the key prefixes read image by image. */
  summaries: Map<string, CellSummary>;
  prefixReads: string[];
  runs: Map<string, RunRecord>;
  ids: Map<string, number>;
  calls: Call[];
  loaded: (readonly Adaptation[])[];
  /** File names in the order the decode pool got them (batch after batch). */
  decoded: string[];
  startFails?: Error;
  /** Called after each predict with the number of predicts so far (e.g. to cancel mid-run). */
  onCall?: (calls: number) => void;
}

function fakes(world: World): SessionDeps {
  const namesOf = new WeakMap<Float32Array, string[]>();
  const topFor = (tensor: Float32Array, n: number, shift: number) => {
    const k = 5;
    const topIndices = new Int32Array(n * k);
    const topLogits = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
      // Source: right for every image; the adapted setting (shift 1) wrong for every image.
      topIndices[i * k + j] = (tensor[i] + shift + j) % 5;
      topLogits[i * k + j] = 10 - j + shift / 10;
    }
    return { topIndices, topLogits };
  };
  let variants: readonly Adaptation[] = [];
  const names = (tensor: Float32Array, n: number) => namesOf.get(tensor) ?? Array.from({ length: n }, (_, i) => `#${tensor[i]}`);
  const engine: PipelineEngine = {
    loaded: { backend: 'wasm', threads: 1, io: { inputName: 'x', logitsOutput: 'y', numClasses: 5, inputSize: 1, fixedBatch: null } as never, inputs: [], outputs: [] },
    notes: [],
    async predict(tensor: Float32Array, n: number, _subset?: Int32Array, reset = false) {
      world.calls.push({ images: names(tensor, n), reset, run: undefined, variantsCall: false });
      return { ...topFor(tensor, n, variants[0].method === 'none' ? 0 : 1), k: 5, inferMs: 0 };
    },
    async predictVariants(tensor: Float32Array, n: number, _subset: Int32Array | undefined, options: PredictOptions) {
      world.calls.push({ images: names(tensor, n), reset: !!options.reset, run: options.run, variantsCall: true });
      world.onCall?.(world.calls.length);
      return { k: 5, inferMs: 0, variants: variants.map((a, vi) => (options.run && !options.run[vi] ? null : topFor(tensor, n, a.method === 'none' ? 0 : 1))) };
    },
    async restart() {},
    dispose() {},
  };
  const pool: PipelinePool = {
    size: 1,
    async decode(_slot, jobs) {
      const tensor = new Float32Array(jobs.length);
      const failures: (string | null)[] = [];
      const ns: string[] = [];
      for (const [i, job] of jobs.entries()) {
        const bytes = new Uint8Array(await job.file.arrayBuffer());
        if (bytes.length === 0) failures.push('empty file');
        else {
          tensor[i] = bytes[0];
          failures.push(null);
        }
        ns.push(`${(job.file as File).name}`);
      }
      // The engine sees packed rows when unreadable ones are left out: name rows by value, which the tests do not need.
      namesOf.set(tensor, ns);
      world.decoded.push(...ns);
      return { tensor, failures, decodeMs: 0 };
    },
    stop() {},
  };
  return {
    startEngine: async (_m, _s, _c, _b, fixed, _on, v = [{ method: 'none' }]) => {
      if (world.startFails) throw world.startFails;
      variants = v;
      world.loaded.push(v);
      return { engine, tuning: { batch: fixed.batch ?? 4 } };
    },
    decoderPool: () => pool,
    evaluationId: async (e: EvaluationKey) => {
      const key = evaluationIdKey(e);
      if (!world.ids.has(key)) world.ids.set(key, world.ids.size + 1);
      return world.ids.get(key)!;
    },
    readPrefix: async (prefix) => {
      world.prefixReads.push(prefix);
      return new Map([...world.cache].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    },
    readSummary: async (key) => world.summaries.get(key),
    readRecords: async (keys) => keys.map((k) => world.cache.get(k)),
    getRun: async (key) => world.runs.get(key),
    store: async (entries, run, summaries = []) => {
      for (const [k, v] of entries) world.cache.set(k, v);
      for (const [k, v] of summaries) world.summaries.set(k, v);
      world.runs.set(run.key, run);
    },
    saveInputs: async () => {},
    forgetInputs: async () => {},
    requestPersistence: async () => true,
    cores: () => 2,
    lock: async () => () => {},
  };
}

const inputs = (files: PickedFile[], extra: Partial<RunInputs> = {}): RunInputs => ({
  modelName: 'm.onnx',
  model: new Blob([new Uint8Array(64)]),
  sha256: 'a'.repeat(64),
  card: { ...DEFAULT_CARD, inputSize: 1 },
  cardJson: '{}',
  labels: LABELS,
  labelsText: null,
  corrupted: new FileListSource(files),
  clean: null,
  backend: 'wasm',
  batchSize: null,
  threads: null,
  subset: { kind: 'all' },
  ...extra,
});

const newWorld = (): World => ({ cache: new Map(), summaries: new Map(), prefixReads: [], runs: new Map(), ids: new Map(), calls: [], loaded: [], decoded: [] });
const BN: Adaptation = { method: 'bn', prior: 16, batch: 4 };
const FOG = ['n01/img0', 'n01/img1', 'n01/img2', 'n02/img0', 'n02/img1', 'n02/img1b', 'n02/img2', 'n03/img0', 'n03/img1', 'n03/img2', 'n04/img0', 'n04/img1', 'n04/img2', 'n05/img0', 'n05/img1', 'n05/img2'];

describe('test-time adaptation in the session (Node, fakes)', () => {
  it('batches of B per cell in path order (last one smaller), reset at each cell start, unreadable rows left out', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset(), { adaptation: BN }));
    expect(s.current.status).toBe('done');
    expect(world.loaded).toEqual([[BN]]);
    // Catalogue order: snow/1 (15 images) 4, 4, 4, 3; then fog/3 (16 files, one unreadable): 4, then 4 of which the
    // unreadable one is left out (3 rows), 4, 4.
    const batches = world.calls.map((c) => c.images.length);
    expect(batches).toEqual([4, 4, 4, 3, 4, 3, 4, 4]);
    expect(world.calls.map((c) => c.reset)).toEqual([true, false, false, false, true, false, false, false]);
    // Path order within each cell: what the decode pool got, batch by batch.
    const names = (cell: string[]) => cell.map((p) => p.split('/')[1] + '.JPEG');
    expect(world.decoded).toEqual([...names(FOG.filter((p) => !p.includes('img1b'))), ...names(FOG)]);
    const r = s.current.result!;
    expect(r.adaptation).toEqual(BN);
    expect(r.corruptions.fog.severities['3']).toEqual({ n: 15, errors: 15 });
    expect(r.counts.unreadable).toBe(1);
    expect(r.notes?.some((n) => n.includes('BN-adapted (N=16, B=4)') && n.includes('path order'))).toBe(true);
    expect(s.current.results).toHaveLength(1);
  });

  it('a seeded shuffle changes the order within a cell, not the batches per cell, and is recorded', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset(), { adaptation: { ...BN, shuffleSeed: 5 } as Adaptation }));
    expect(s.current.status).toBe('done');
    const snow = world.decoded.slice(0, 15);
    const pathOrder = FOG.filter((p) => !p.includes('img1b')).map((p) => p.split('/')[1] + '.JPEG');
    expect(snow).not.toEqual(pathOrder);
    expect([...snow].sort()).toEqual([...pathOrder].sort());
    expect(world.calls.map((c) => c.reset).filter(Boolean)).toHaveLength(2);
    expect(s.current.result!.adaptation).toMatchObject({ shuffleSeed: 5 });
    expect(s.current.result!.notes?.some((n) => n.includes('seed 5'))).toBe(true);
  });

  it('cache keys differ by method, parameters and B; the source keys are those of earlier versions', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    await s.run(inputs(dataset(), { adaptation: BN }));
    await s.run(inputs(dataset(), { adaptation: { ...BN, prior: 0 } }));
    await s.run(inputs(dataset(), { adaptation: { ...BN, batch: 8 } }));
    await s.run(inputs(dataset(), { adaptation: { method: 'entropy', batch: 4, lr: 0.00025 / 16, momentum: 0.9 } }));
    const keys = [...world.ids.keys()];
    expect(keys).toHaveLength(5);
    expect(keys[0]).not.toContain('|a:');
    expect(keys.slice(1).map((k) => k.split('|a:')[1])).toEqual(['bn;N=16;B=4', 'bn;N=0;B=4', 'bn;N=16;B=8', 'entropy;B=4;lr=0.000015625;m=0.9;nesterov=0']);
    expect(world.runs.size).toBe(5);
  });

  it('compare: source and BN-adapted on the same decoded batches, two results side by side, both cached', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset(), { compare: true, compareBn: { prior: 16, batch: 4 } }));
    expect(s.current.status).toBe('done');
    expect(world.loaded).toEqual([[{ method: 'none' }, BN]]);
    expect(world.calls.every((c) => c.variantsCall && c.run?.every(Boolean))).toBe(true);
    expect(world.calls).toHaveLength(8); // decoded once: one call per batch for both settings
    const [source, adapted] = s.current.results;
    expect(source).toBe(s.current.result);
    expect(source.adaptation).toBeUndefined();
    expect(source.corruptions.fog.severities['3']).toEqual({ n: 15, errors: 0 });
    expect(adapted.adaptation).toEqual(BN);
    expect(adapted.corruptions.fog.severities['3']).toEqual({ n: 15, errors: 15 });
    expect(world.ids.size).toBe(2);
    const lines = (await (await s.completed!.predictionsJsonl()).text()).trim().split('\n').map((l) => JSON.parse(l));
    const line = lines.find((l) => l.path === 'c/fog/3/n01/img0.JPEG');
    expect(line).toMatchObject({ top5: [0, 1, 2, 3, 4], adapted_adaptation: 'bn;N=16;B=4', adapted_top5: [1, 2, 3, 4, 0] });
    expect(line.adapted_logits_top5[0]).toBeCloseTo(10.1, 5);

    // A second run reads both from the cache.
    world.calls = [];
    await s.run(inputs(dataset(), { compare: true, compareBn: { prior: 16, batch: 4 } }));
    expect(world.calls).toHaveLength(0);
    expect(s.current.results.map((r) => r.counts.fromCache)).toEqual([30, 30]);
  });

  it('compare, cancelled: source and adapted are each kept as a partial result', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    world.onCall = (n) => {
      if (n === 3) s.cancel();
    };
    await s.run(inputs(dataset(), { compare: true, compareBn: { prior: 16, batch: 4 } }));
    expect(s.current.status).toBe('cancelled');
    const [source, adapted] = s.current.partials;
    expect(s.current.partials).toHaveLength(2);
    expect(source).toBe(s.current.partial);
    expect(source.adaptation).toBeUndefined();
    expect(adapted.adaptation).toEqual(BN);
    // The same images in both: the batches both settings saw before the cancel.
    expect(adapted.counts.images).toBe(source.counts.images);
    expect(source.counts.images).toBeGreaterThanOrEqual(8);
    expect(source.counts.images).toBeLessThan(31);
    expect(adapted.notes?.some((n) => n.startsWith('cancelled'))).toBe(true);
  });

  it('a changed file re-infers it for the source model but its whole cell for the adapted setting', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset(), { compare: true, compareBn: { prior: 16, batch: 4 } }));
    world.calls = [];
    await s.run(inputs(dataset((p) => (p === 'c/snow/1/n03/img1.JPEG' ? 2000 : 1000)), { compare: true, compareBn: { prior: 16, batch: 4 } }));
    expect(s.current.status).toBe('done');
    // snow/1 again in 4 batches; the source runs only on the batch holding the changed file.
    expect(world.calls.map((c) => c.images.length)).toEqual([4, 4, 4, 3]);
    expect(world.calls.map((c) => c.run)).toEqual([
      [false, true],
      [true, true], // images 4–7 of the cell: n02/img1, n02/img2, n03/img0, n03/img1 (changed)
      [false, true],
      [false, true],
    ]);
    expect(world.calls[0].reset).toBe(true);
    const [source, adapted] = s.current.results;
    expect(source.counts).toMatchObject({ inferred: 1, fromCache: 29 });
    expect(adapted.counts).toMatchObject({ inferred: 15, fromCache: 15 });
  });

  it('cell summaries are per setting: a side-by-side re-run reads each setting\'s own, none image by image, same results', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    const compare = { compare: true, compareBn: { prior: 16, batch: 4 } };
    await s.run(inputs(dataset(), compare));
    const first = s.current.results;
    // Evaluation 1 is the source model's, 2 the BN-adapted one's: each cell summarised under both.
    expect([...world.summaries.keys()].sort()).toEqual(['s1|c/fog/3/', 's1|c/snow/1/', 's2|c/fog/3/', 's2|c/snow/1/']);
    expect(world.summaries.get('s1|c/fog/3/')!.top[0]).toBe(0);
    expect(world.summaries.get('s2|c/fog/3/')!.top[0]).toBe(1);
    world.calls = [];
    world.prefixReads = [];
    await s.run(inputs(dataset(), compare));
    expect(world.calls).toHaveLength(0);
    expect(world.prefixReads).toEqual([]);
    const again = s.current.results;
    expect(again.map((r) => r.counts.fromCache)).toEqual([30, 30]);
    expect(again.map((r) => r.corruptions)).toEqual(first.map((r) => r.corruptions));
    expect(again.map((r) => r.outcomes)).toEqual(first.map((r) => r.outcomes));
    expect(again.map((r) => r.unreadable)).toEqual(first.map((r) => r.unreadable));
    // The adapted setting alone reads only its own summaries too (the source's are not its outcomes).
    world.prefixReads = [];
    await s.run(inputs(dataset(), { adaptation: BN }));
    expect(world.calls).toHaveLength(0);
    expect(world.prefixReads).toEqual([]);
    expect(s.current.result!.corruptions).toEqual(first[1].corruptions);
  });

  it('an adapted setting fixes the batch size; a folded model fails with the BN-folded message', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset(), { adaptation: { ...BN, batch: 8 }, batchSize: 2 }));
    expect(s.current.result!.timing?.batchSize).toBe(8);
    world.startFails = new AdaptationError(BN_FOLDED_MESSAGE);
    await s.run(inputs(dataset(), { adaptation: BN }));
    expect(s.current.status).toBe(`error: ${BN_FOLDED_MESSAGE}`);
  });
});
