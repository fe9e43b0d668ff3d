/**
 * Shift datasets through the evaluation session in Node, with fakes for the workers and IndexedDB: ImageNet-R (masked
 * 200-class argmax from the worker, 1000-way beside it), ImageNet-V2 (numeric folders = class index), Sketch-like
 * wnid folders, in the same run as an ImageNet-C cell; reuse from the cache; wrong layouts refused with a message.
 */
import { describe, expect, it } from 'vitest';
import { EvaluationSession, type PipelineEngine, type PipelinePool, type RunInputs, type SessionDeps } from '../../src/engine/evaluation-session';
import { FileListSource, HandleSource } from '../../src/engine/dataset-source';
import { savedFolderNames, shiftsToRestore, type SavedInputs } from '../../src/engine/saved-inputs';
import { fakeDirectory, type Tree } from '../support/fake-handles';
import { DEFAULT_CARD } from '../../src/core/model-card';
import type { CachedPrediction } from '../../src/core/cache-keys';
import type { PickedFile } from '../../src/engine/picked-files';
import { IMAGENET_R_WNIDS } from '../../src/core/data/imagenet-r-wnids';
import { IMAGENET_A_WNIDS } from '../../src/core/data/imagenet-a-wnids';
import { decodeOutcomes } from '../../src/core/outcomes';

/** A label list holding both 200-lists and a few classes in neither (indices in sorted order, as ImageNet's). */
const WNIDS = [...new Set([...IMAGENET_R_WNIDS, ...IMAGENET_A_WNIDS, 'n01440764', 'n15075141'])].sort();
const LABELS = { wnids: WNIDS, names: WNIDS, source: 'test' };
const C = WNIDS.length;
const idx = (w: string) => WNIDS.indexOf(w);

/** The fake model's answer for a file is in the file: its 1000-way top-1 and its argmax over the 200 classes. */
const image = (path: string, top: number, masked = top): PickedFile => ({
  path,
  file: new File([JSON.stringify({ top, masked })], path.split('/').pop()!, { lastModified: 1000 }),
});

interface World {
  cache: Map<string, CachedPrediction>;
  predicted: number;
  subsetsSeen: (number | null)[];
}

function fakes(world: World): SessionDeps {
  const engine: PipelineEngine = {
    loaded: { backend: 'wasm', threads: 1, io: { inputName: 'x', logitsOutput: 'y', numClasses: C, inputSize: 1, fixedBatch: null } as never, inputs: [], outputs: [] },
    notes: [],
    async predict(tensor: Float32Array, n: number, subset?: Int32Array) {
      world.predicted += n;
      world.subsetsSeen.push(subset ? subset.length : null);
      const k = 5;
      const topIndices = new Int32Array(n * k);
      const topLogits = new Float32Array(n * k);
      const subsetTop1 = subset ? new Int32Array(n) : undefined;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          topIndices[i * k + j] = (tensor[2 * i] + j) % C;
          topLogits[i * k + j] = 10 - j;
        }
        if (subsetTop1) {
          expect([...subset!]).toContain(tensor[2 * i + 1]);
          subsetTop1[i] = tensor[2 * i + 1];
        }
      }
      return { topIndices, topLogits, k, inferMs: 0, ...(subsetTop1 ? { subsetTop1 } : {}) };
    },
    async restart() {},
    dispose() {},
  };
  const pool: PipelinePool = {
    size: 1,
    async decode(_slot, jobs) {
      expect(jobs.every((j) => j.kind === 'clean' || j.kind === 'corrupted')).toBe(true);
      const tensor = new Float32Array(2 * jobs.length);
      const failures: (string | null)[] = [];
      for (const [i, job] of jobs.entries()) {
        const text = await job.file.text();
        if (!text) failures.push('empty file');
        else {
          const { top, masked } = JSON.parse(text);
          tensor[2 * i] = top;
          tensor[2 * i + 1] = masked;
          failures.push(null);
        }
      }
      return { tensor, failures, decodeMs: 0 };
    },
    stop() {},
  };
  const deps = {
    startEngine: async () => ({ engine, tuning: { batch: 4 } }),
    decoderPool: () => pool,
    evaluationId: async () => 3,
    readPrefix: async (prefix: string) => new Map([...world.cache].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v])),
    readSummary: async () => undefined,
    readRecords: async (keys: readonly string[]) => keys.map((k) => world.cache.get(k)),
    getRun: async () => undefined,
    store: async (entries: readonly [string, CachedPrediction][]) => {
      for (const [k, v] of entries) world.cache.set(k, v);
    },
    saveInputs: async () => {},
    forgetInputs: async () => {},
    requestPersistence: async () => true,
    cores: () => 2,
    lock: async () => () => {},
  };
  return deps as unknown as SessionDeps;
}

const R1 = IMAGENET_R_WNIDS.find((w) => !IMAGENET_A_WNIDS.includes(w))!;
const R2 = IMAGENET_R_WNIDS.filter((w) => !IMAGENET_A_WNIDS.includes(w))[1];
const OUTSIDE_R = WNIDS.find((w) => !IMAGENET_R_WNIDS.includes(w))!;

function folders() {
  const corrupted = [image(`c/fog/1/${R1}/a.JPEG`, idx(R1)), image(`c/fog/1/${R1}/b.JPEG`, 0)];
  // R: 4 images. 1000-way right for a only; masked right for a, b, c (b's and c's 1000-way top-1 is a class outside R).
  const r = [
    image(`imagenet-r/${R1}/a.jpg`, idx(R1), idx(R1)),
    image(`imagenet-r/${R1}/b.jpg`, idx(OUTSIDE_R), idx(R1)),
    image(`imagenet-r/${R2}/c.jpg`, idx(OUTSIDE_R), idx(R2)),
    image(`imagenet-r/${R2}/d.jpg`, idx(R1), idx(R1)),
  ];
  // V2: folder = class index. 5 right, 6 wrong but in the top-5 (top = 4 → 4..8), 7 wrong outside the top-5.
  const v2 = [image('v2/5/x.jpeg', 5), image('v2/6/y.jpeg', 4), image('v2/7/z.jpeg', 100)];
  // Sketch-like: 2 images, one right.
  const sketch = [image(`sketch/${OUTSIDE_R}/s1.JPEG`, idx(OUTSIDE_R)), image(`sketch/${OUTSIDE_R}/s2.JPEG`, idx(R1)), { path: `sketch/${OUTSIDE_R}/broken.JPEG`, file: new File([], 'broken.JPEG') }];
  return { corrupted, r, v2, sketch };
}

const inputs = (over: Partial<RunInputs>): RunInputs => ({
  modelName: 'm.onnx',
  model: new Blob([new Uint8Array(64)]),
  sha256: 'b'.repeat(64),
  card: { ...DEFAULT_CARD, inputSize: 1 },
  cardJson: '{}',
  labels: LABELS,
  labelsText: null,
  corrupted: null,
  clean: null,
  backend: 'wasm',
  batchSize: null,
  threads: null,
  subset: { kind: 'all' },
  ...over,
});

describe('shift datasets in the evaluation session (Node, fakes)', () => {
  it('R (masked and 1000-way), V2 (numeric folders), Sketch-like, with an ImageNet-C cell, in one run', async () => {
    const world: World = { cache: new Map(), predicted: 0, subsetsSeen: [] };
    const s = new EvaluationSession(fakes(world));
    const f = folders();
    await s.run(
      inputs({
        corrupted: new FileListSource(f.corrupted),
        shifts: [
          { source: new FileListSource(f.r), kind: 'imagenet-r' },
          { source: new FileListSource(f.v2), kind: 'imagenet-v2' },
          { source: new FileListSource(f.sketch), kind: 'imagenet-sketch' },
        ],
      }),
    );
    expect(s.current.problem).toBe('');
    const r = s.current.result!;
    expect(r.corruptions.fog.severities['1']).toEqual({ n: 2, errors: 1 });
    expect(r.shifts).toEqual({
      'imagenet-r': { n: 4, errors: 1, errors1000: 3, dataset: 'imagenet-r' },
      'imagenet-v2': { n: 3, errors: 2, errors5: 1, dataset: 'v2' },
      'imagenet-sketch': { n: 2, errors: 1, errors5: 1, dataset: 'sketch' },
    });
    expect(r.counts.images).toBe(2 + 4 + 3 + 2 + 1);
    expect(r.unreadable.map((u) => u.path)).toEqual([`sketch/${OUTSIDE_R}/broken.JPEG`]);
    // Only R's batches carry the 200-class subset.
    expect(world.subsetsSeen.filter((x) => x !== null)).toEqual([200]);
    // Outcomes: shift images are their own keys and cells.
    const d = decodeOutcomes(r.outcomes!);
    expect([...d.cells.keys()]).toEqual(['fog/1', 'shift:imagenet-r', 'shift:imagenet-v2', 'shift:imagenet-sketch']);
    expect(d.keys).toContain(`imagenet-r:${R1}/a`);
    expect(d.keys).toContain('imagenet-v2:5/x');
    // Per-image predictions: kind, label from the kind, and R's masked argmax.
    const lines = (await (await s.completed!.predictionsJsonl()).text()).trim().split('\n').map((l) => JSON.parse(l));
    const b = lines.find((l) => l.path === `imagenet-r/${R1}/b.jpg`);
    expect(b).toMatchObject({ label: idx(R1), shift: 'imagenet-r', top1_masked: idx(R1) });
    expect(b.top5[0]).toBe(idx(OUTSIDE_R));
    expect(lines.find((l) => l.path === 'v2/6/y.jpeg')).toMatchObject({ label: 6, shift: 'imagenet-v2', top5: [4, 5, 6, 7, 8] });
    expect(lines.find((l) => l.path === 'v2/6/y.jpeg').top1_masked).toBeUndefined();

    // Again from the cache: nothing inferred, the same numbers (R's masked argmax was kept).
    const before = world.predicted;
    const again = new EvaluationSession(fakes(world));
    await again.run(
      inputs({
        corrupted: new FileListSource(f.corrupted),
        shifts: [
          { source: new FileListSource(f.r), kind: 'imagenet-r' },
          { source: new FileListSource(f.v2), kind: 'imagenet-v2' },
          { source: new FileListSource(f.sketch), kind: 'imagenet-sketch' },
        ],
      }),
    );
    expect(world.predicted).toBe(before);
    expect(again.current.result!.shifts).toEqual(r.shifts);
    expect(again.current.result!.outcomes).toEqual(r.outcomes);
  });

  it('a run of shift datasets only', async () => {
    const world: World = { cache: new Map(), predicted: 0, subsetsSeen: [] };
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs({ shifts: [{ source: new FileListSource(folders().v2), kind: 'imagenet-v2' }] }));
    expect(s.current.status).toBe('done');
    expect(s.current.result!.shifts).toEqual({ 'imagenet-v2': { n: 3, errors: 2, errors5: 1, dataset: 'v2' } });
    expect(s.current.result!.corruptions).toEqual({});
  });

  it('wrong layouts are refused with a message naming the folder and the problem', async () => {
    const run = async (shifts: RunInputs['shifts']) => {
      const s = new EvaluationSession(fakes({ cache: new Map(), predicted: 0, subsetsSeen: [] }));
      await s.run(inputs({ shifts }));
      return s.current.problem;
    };
    const f = folders();
    expect(await run([{ source: new FileListSource([...f.v2, image(`v2/${C + 3}/q.jpeg`, 1)]), kind: 'imagenet-v2' }])).toMatch(
      new RegExp(`v2 \\(as ImageNet-V2\\): numeric class folders beyond the ${C} classes of the label list: "${C + 3}"`),
    );
    expect(await run([{ source: new FileListSource([...f.r, image('imagenet-r/n99999999/q.jpg', 1)]), kind: 'imagenet-r' }])).toMatch(
      /imagenet-r \(as ImageNet-R\): 1 class folder not in the model's label list: "n99999999"/,
    );
    expect(await run([{ source: new FileListSource([...f.sketch.slice(0, 2), image('sketch/12/q.jpg', 1)]), kind: 'imagenet-sketch' }])).toMatch(/a mix of numeric class folders/);
    expect(await run([{ source: new FileListSource(f.sketch.slice(0, 2)), kind: 'imagenet-r' }])).toMatch(/outside ImageNet-R's 200 classes/);
    expect(await run([
      { source: new FileListSource(f.r), kind: 'imagenet-r' },
      { source: new FileListSource(f.sketch.slice(0, 2)), kind: 'imagenet-r' },
    ])).toMatch(/both ImageNet-R: one folder per dataset kind/);
  });
});

describe('shift datasets in the saved inputs for resuming (Node, fakes)', () => {
  const rTree = (): Tree => ({
    [R1]: { 'a.jpg': new TextEncoder().encode(JSON.stringify({ top: idx(R1), masked: idx(R1) })) },
  });

  it('a run saves each shift folder with its kind and, where there is one, its handle', async () => {
    const world: World = { cache: new Map(), predicted: 0, subsetsSeen: [] };
    const deps = fakes(world);
    const saved: SavedInputs[] = [];
    deps.saveInputs = async (s) => void saved.push(s);
    const handle = fakeDirectory('imagenet-r', rTree());
    const f = folders();
    const s = new EvaluationSession(deps);
    await s.run(inputs({ shifts: [{ source: new HandleSource(handle), kind: 'imagenet-r' }, { source: new FileListSource(f.v2), kind: 'imagenet-v2' }] }));
    expect(s.current.problem).toBe('');
    expect(saved).toHaveLength(1);
    expect(saved[0].shifts).toEqual([
      { name: 'imagenet-r', kind: 'imagenet-r', handle },
      { name: 'v2', kind: 'imagenet-v2' },
    ]);
    expect(savedFolderNames(saved[0])).toEqual(['imagenet-r (ImageNet-R)', 'v2 (ImageNet-V2)']);
    // On resume: the handle's folder is reopened, the upload-style one must be picked again.
    expect(shiftsToRestore(saved[0].shifts, [])).toEqual({ reopen: [saved[0].shifts![0]], pickAgain: [saved[0].shifts![1]] });
    // Already picked again (same kind and folder): nothing left to do; another kind for the folder does not count.
    const v2Again = { source: new FileListSource(f.v2), kind: 'imagenet-v2' as const };
    expect(shiftsToRestore(saved[0].shifts, [v2Again]).pickAgain).toEqual([]);
    expect(shiftsToRestore(saved[0].shifts, [{ ...v2Again, kind: 'imagenet-sketch' }]).pickAgain).toHaveLength(1);
  });

  it('a store that cannot keep handles still gets the shift folders, without handles', async () => {
    const world: World = { cache: new Map(), predicted: 0, subsetsSeen: [] };
    const deps = fakes(world);
    const saved: SavedInputs[] = [];
    deps.saveInputs = async (s) => {
      if ([s.datasetHandle, s.cleanHandle, ...(s.shifts ?? []).map((x) => x.handle)].some(Boolean)) throw new DOMException('cannot clone', 'DataCloneError');
      saved.push(s);
    };
    const s = new EvaluationSession(deps);
    await s.run(inputs({ corrupted: new FileListSource(folders().corrupted), shifts: [{ source: new HandleSource(fakeDirectory('imagenet-r', rTree())), kind: 'imagenet-r' }] }));
    expect(s.current.problem).toBe('');
    expect(saved.map((x) => x.shifts)).toEqual([[{ name: 'imagenet-r', kind: 'imagenet-r' }]]);
    expect(saved[0].datasetName).toBe('c');
    expect(savedFolderNames(saved[0])).toEqual(['c', 'imagenet-r (ImageNet-R)']);
    expect(shiftsToRestore(saved[0].shifts, []).pickAgain).toEqual([{ name: 'imagenet-r', kind: 'imagenet-r' }]);
  });

  it('inputs saved before shift datasets existed have none to restore', () => {
    expect(shiftsToRestore(undefined, [])).toEqual({ reopen: [], pickAgain: [] });
    expect(savedFolderNames({ datasetName: 'imagenet-c', cleanName: 'val' })).toEqual(['imagenet-c', 'val']);
  });
});
