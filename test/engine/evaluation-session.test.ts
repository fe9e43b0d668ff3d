/**
 * The evaluation session's orchestration in Node, with fakes for the workers and IndexedDB: streaming over cells,
 * the cache reuse rule, Cancel keeping what was computed, resume without double inference, unreadable files, and
 * which inference errors restart the engine.
 */
import { predictionsJsonlBlob } from '../../src/engine/predictions-export';
import { ImageIndex } from '../../src/core/image-index';
import { describe, expect, it, vi } from 'vitest';
import { EvaluationSession, type PipelineEngine, type PipelinePool, type RunInputs, type SessionDeps } from '../../src/engine/evaluation-session';
import { FileListSource } from '../../src/engine/dataset-source';
import { WorkerCrashed } from '../../src/engine/errors';
import { DEFAULT_CARD } from '../../src/core/model-card';
import type { CachedPrediction, CellSummary, RunRecord } from '../../src/core/cache-keys';
import type { PickedFile } from '../../src/engine/picked-files';

const WNIDS = ['n01', 'n02', 'n03', 'n04', 'n05'];
const LABELS = { wnids: WNIDS, names: WNIDS, source: 'test' };

/** A file whose first byte is the class the fake model predicts for it (an empty file cannot be decoded). */
const image = (path: string, predicted: number, lastModified = 1000): PickedFile => ({
  path,
  file: new File([new Uint8Array([predicted, 1, 2])], path.split('/').pop()!, { lastModified }),
});

/** 2 corruptions × 1 severity × 5 classes × 4 images, plus 3 broken files. Predicted: right for images 0–1. */
function dataset(opts: { lastModified?: (path: string) => number } = {}): PickedFile[] {
  const out: PickedFile[] = [];
  for (const c of ['fog/3', 'snow/1']) {
    WNIDS.forEach((w, label) => {
      for (let j = 0; j < 4; j++) {
        const path = `c/${c}/${w}/img${j}.JPEG`;
        out.push(image(path, j < 2 ? label : (label + 1) % 5, opts.lastModified?.(path) ?? 1000));
      }
    });
  }
  out.push({ path: 'c/fog/3/n02/empty.JPEG', file: new File([], 'empty.JPEG', { lastModified: 1000 }) });
  out.push({ path: 'c/snow/1/n05/empty.JPEG', file: new File([], 'empty.JPEG', { lastModified: 1000 }) });
  out.push({ path: 'c/snow/1/n05/empty2.JPEG', file: new File([], 'empty2.JPEG', { lastModified: 1000 }) });
  return out;
}
const READABLE = 40;

interface World {
  cache: Map<string, CachedPrediction>;
  summaries: Map<string, CellSummary>;
  /** Per-image cache reads (key prefixes) and spot-check reads (keys), in order. */
  prefixReads: string[];
  recordReads: string[];
  runs: Map<string, RunRecord>;
  predicted: string[];
  restarts: number;
  /** Saved-for-resume inputs: set when a run starts, cleared when it finishes. */
  saved: boolean;
  /** Called before each predict with the number of predicts so far; may throw or cancel. */
  beforePredict?: (calls: number) => void;
}

function fakes(world: World): SessionDeps {
  let calls = 0;
  /** The images of each decoded tensor: `predicted` lists what was inferred, not what was decoded ahead. */
  const namesOf = new WeakMap<Float32Array, string[]>();
  const engine: PipelineEngine = {
    loaded: { backend: 'wasm', threads: 1, io: { inputName: 'x', logitsOutput: 'y', numClasses: 5, inputSize: 1, fixedBatch: null } as never, inputs: [], outputs: [] },
    notes: [],
    async predict(tensor: Float32Array, n: number) {
      world.beforePredict?.(calls++);
      world.predicted.push(...(namesOf.get(tensor) ?? []));
      const k = 5;
      const topIndices = new Int32Array(n * k);
      const topLogits = new Float32Array(n * k);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
        topIndices[i * k + j] = (tensor[i] + j) % 5;
        topLogits[i * k + j] = 10 - j;
      }
      return { topIndices, topLogits, k, inferMs: 0 };
    },
    async restart() {
      world.restarts++;
    },
    dispose() {},
  };
  const pool: PipelinePool = {
    size: 2,
    async decode(_slot, jobs) {
      const tensor = new Float32Array(jobs.length);
      const failures: (string | null)[] = [];
      const names: string[] = [];
      for (const [i, job] of jobs.entries()) {
        const bytes = new Uint8Array(await job.file.arrayBuffer());
        if (bytes.length === 0) failures.push('empty file');
        else {
          tensor[i] = bytes[0];
          failures.push(null);
          names.push(`${(job.file as File).name}:${bytes[0]}`);
        }
      }
      namesOf.set(tensor, names);
      return { tensor, failures, decodeMs: 0 };
    },
    stop() {},
  };
  return {
    startEngine: async () => ({ engine, tuning: { batch: 3 } }),
    decoderPool: () => pool,
    evaluationId: async () => 7,
    readPrefix: async (prefix) => {
      world.prefixReads.push(prefix);
      return new Map([...world.cache].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    },
    readSummary: async (key) => world.summaries.get(key),
    readRecords: async (keys) => {
      world.recordReads.push(...keys);
      return keys.map((k) => world.cache.get(k));
    },
    getRun: async (key) => world.runs.get(key),
    store: async (entries, run, summaries = []) => {
      for (const [k, v] of entries) world.cache.set(k, v);
      for (const [k, v] of summaries) {
        // a summary is stored with or after every prediction of its cell
        const dir = k.slice(k.indexOf('|') + 1);
        const stored = [...world.cache.keys()].filter((c) => c.startsWith(`p7|${dir}`)).length;
        expect(stored).toBeGreaterThanOrEqual(v.state.length);
        world.summaries.set(k, v);
      }
      world.runs.set(run.key, run);
    },
    saveInputs: async () => {
      world.saved = true;
    },
    forgetInputs: async () => {
      world.saved = false;
    },
    requestPersistence: async () => true,
    cores: () => 3,
    lock: async () => () => {},
  };
}

const inputs = (files: PickedFile[]): RunInputs => ({
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
});

const newWorld = (): World => ({ cache: new Map(), summaries: new Map(), prefixReads: [], recordReads: [], runs: new Map(), predicted: [], restarts: 0, saved: false });
const inferredKeys = (w: World) => [...w.cache].filter(([, v]) => v.u === undefined).length;

describe('EvaluationSession (Node, fakes)', () => {
  it('evaluates every cell; unreadable files are counted only as unreadable', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    const st = s.current;
    expect(st.status).toBe('done');
    const r = st.result!;
    expect(r.corruptions.fog.severities['3']).toEqual({ n: 20, errors: 10 });
    expect(r.corruptions.snow.severities['1']).toEqual({ n: 20, errors: 10 });
    expect(r.counts.unreadable).toBe(3);
    expect(r.counts.inferred + r.counts.fromCache).toBe(READABLE);
    expect(r.counts.images).toBe(READABLE + 3);
    expect(r.unreadable.map((u) => u.path)).toEqual(['c/fog/3/n02/empty.JPEG', 'c/snow/1/n05/empty.JPEG', 'c/snow/1/n05/empty2.JPEG']);
    expect(r.outcomes?.keys).toHaveLength(20);
    // Short keys: evaluation number + path; size and date in the value.
    expect(world.cache.get('p7|c/fog/3/n01/img0.JPEG')).toMatchObject({ t: [0, 1, 2, 3, 4], y: 0, s: 3, m: 1000 });
    expect(world.saved).toBe(false); // the model copy kept for resuming is freed once the run is finished
    const jsonl = await (await s.completed!.predictionsJsonl()).text();
    expect(jsonl.trim().split('\n')).toHaveLength(READABLE + 3);
  });

  it('Cancel keeps what was computed: every prediction counted in the partial result is in the cache', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    world.beforePredict = (calls) => {
      if (calls === 4) s.cancel();
    };
    await s.run(inputs(dataset()));
    expect(s.current.status).toBe('cancelled');
    const partial = s.current.partial!;
    expect(partial.counts.inferred).toBeGreaterThan(0);
    expect(partial.counts.inferred).toBeLessThan(READABLE);
    expect(inferredKeys(world)).toBe(partial.counts.inferred);
    expect(partial.notes?.some((n) => n.startsWith('cancelled'))).toBe(true);
    expect(world.saved).toBe(true); // a cancelled run can be resumed
  });

  it('resumes from the cache without inferring an image twice; a finished re-run infers nothing', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    world.beforePredict = (calls) => {
      if (calls === 3) s.cancel();
    };
    await s.run(inputs(dataset()));
    const first = inferredKeys(world);
    world.beforePredict = undefined;
    await s.run(inputs(dataset()));
    const r = s.current.result!;
    expect(r.counts.fromCache).toBe(first);
    expect(r.counts.inferred).toBe(READABLE - first);
    expect(r.counts.inferredAllSessions).toBe(READABLE + 3);
    expect(world.predicted).toHaveLength(READABLE); // each readable image decoded for inference once
    await s.run(inputs(dataset()));
    expect(s.current.result!.counts).toMatchObject({ inferred: 0, fromCache: READABLE, unreadable: 3 });
    expect(world.predicted).toHaveLength(READABLE);
  });

  it('re-evaluates the cached images of a cell whose files changed (size or date), and only those', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    expect(world.predicted).toHaveLength(READABLE);
    // Two files of fog/3 changed (one of them a spot-checked one): the whole cell is checked, those two re-inferred.
    const changed = new Set(['c/fog/3/n01/img0.JPEG', 'c/fog/3/n03/img2.JPEG']);
    await s.run(inputs(dataset({ lastModified: (p) => (changed.has(p) ? 2000 : 1000) })));
    expect(s.current.result!.counts).toMatchObject({ inferred: 2, fromCache: READABLE - 2 });
    expect(world.predicted).toHaveLength(READABLE + 2);
  });

  it('fails with the error itself when inference fails for a reason other than a lost worker or GPU', async () => {
    const world = newWorld();
    world.beforePredict = () => {
      throw new Error('invalid input shape');
    };
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    expect(s.current.status).toBe('error: invalid input shape');
    expect(world.restarts).toBe(0);
  });

  it('restarts the engine when its worker crashed, and finishes', async () => {
    const world = newWorld();
    world.beforePredict = (calls) => {
      if (calls === 1) throw new WorkerCrashed('worker error');
    };
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    expect(s.current.status).toBe('done');
    expect(world.restarts).toBe(1);
    expect(s.current.result!.counts.inferred).toBe(READABLE);
  });

  it('the page reads only the first bytes of the model (the workers read the rest); an unreadable or tiny file is named', async () => {
    const reads: number[] = [];
    class CountingBlob extends Blob {
      override slice(start?: number, end?: number, type?: string): Blob {
        const part = super.slice(start, end, type);
        const size = part.size;
        return Object.assign(part, { arrayBuffer: () => (reads.push(size), Blob.prototype.arrayBuffer.call(part)) });
      }
      override arrayBuffer(): Promise<ArrayBuffer> {
        reads.push(this.size);
        return super.arrayBuffer();
      }
    }
    const model = new CountingBlob([new Uint8Array(4096)]);
    const s = new EvaluationSession(fakes(newWorld()));
    await s.run({ ...inputs(dataset()), model });
    expect(s.current.status).toBe('done');
    expect(reads).toEqual([16]);
    expect(s.completed!.model.file).toBe(model); // kept as the file, for the inspector to read again
    // Without a sha256 from the caller the page hashes the file itself.
    reads.length = 0;
    await s.run({ ...inputs(dataset()), model, sha256: undefined });
    expect(reads).toEqual([16, 4096]);

    const unreadable = new Blob([new Uint8Array(64)]);
    unreadable.slice = () => Object.assign(new Blob([]), { arrayBuffer: () => Promise.reject(new Error('NotReadableError: the file changed')) });
    await s.run({ ...inputs(dataset()), model: unreadable });
    expect(s.current.status).toBe('error: could not read m.onnx: NotReadableError: the file changed');
    await s.run({ ...inputs(dataset()), model: new Blob([new Uint8Array(5)]) });
    expect(s.current.status).toBe('error: m.onnx is not an ONNX model (5 bytes)');
  });

  it('evaluates only the chosen subset', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run({ ...inputs(dataset()), subset: { kind: 'stratified', perClass: 2, seed: 3 } });
    const r = s.current.result!;
    expect(r.corruptions.fog.severities['3'].n + r.corruptions.snow.severities['1'].n + r.counts.unreadable).toBe(2 * 5 * 2);
    expect(r.subset).toEqual({ kind: 'stratified', perClass: 2, seed: 3 });
  });
});

describe('per-image export', () => {
  it('writes one line per image, exactly, non-ASCII paths included, across the 1 MB encoding buffer', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    // 5 classes × 700 images with long non-ASCII names: ~0.9 MB of lines per cell, so the buffer fills mid-cell.
    const files: PickedFile[] = [];
    for (const c of ['fog/3', 'snow/1']) WNIDS.forEach((w, label) => {
      for (let j = 0; j < 700; j++) files.push(image(`çà/${c}/${w}/ü${'é'.repeat(60)}${j}.JPEG`, label));
    });
    await s.run(inputs(files));
    expect(s.current.status).toBe('done');
    const text = await (await s.completed!.predictionsJsonl()).text();
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(files.length);
    const parsed = lines.map((l) => JSON.parse(l) as { path: string; label: number; top5: number[] });
    expect(new Set(parsed.map((p) => p.path))).toEqual(new Set(files.map((f) => f.path)));
    expect(parsed.every((p) => p.top5[0] === p.label)).toBe(true);

    // Where the origin's private file system can be written, the lines go there in chunks of at most 1 MB and the
    // Blob is that file; a file that cannot be written falls back to Blob parts. The bytes are the same every way.
    const opfs = (failAt: number) => {
      const chunks: number[] = [];
      let kept: Uint8Array[] = [];
      const root = {
        getFileHandle: async (name: string) => ({
          createWritable: async () => {
            const got: Uint8Array[] = [];
            return {
              write: async (b: Uint8Array) => {
                if (chunks.length + 1 >= failAt) throw new DOMException('quota', 'QuotaExceededError');
                chunks.push(b.length);
                got.push(b.slice());
              },
              close: async () => void (kept = got),
              abort: async () => {},
            };
          },
          getFile: async () => new File(kept as BlobPart[], name),
        }),
        removeEntry: async () => {},
      };
      return { chunks, root };
    };
    // Records read in key order, 7 at a time (as prefixChunks does, 5,000 at a time): the same lines.
    const deps = fakes(world);
    const inKeyOrder = async function* (prefix: string): AsyncGenerator<[string[], CachedPrediction[]]> {
      const all = [...world.cache].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (let j = 0; j < all.length; j += 7) yield [all.slice(j, j + 7).map(([k]) => k.slice(prefix.length)), all.slice(j, j + 7).map(([, v]) => v)];
    };
    const chunked = new EvaluationSession({ ...deps, prefixChunks: inKeyOrder });
    await chunked.run(inputs(files));
    expect(chunked.current.result!.counts.fromCache).toBe(files.length);
    const again = (await (await chunked.completed!.predictionsJsonl()).text()).split('\n');
    expect(again.pop()).toBe('');
    expect([...again].sort()).toEqual([...lines].sort());
    expect(again).toHaveLength(files.length);

    // What the export worker gets (the run's snapshot, structured-cloned) writes the same bytes as the run itself.
    const snapshot = structuredClone(chunked.completed!.exportSnapshot());
    const offPage = await predictionsJsonlBlob({ ...snapshot, index: ImageIndex.revive(snapshot.index), chunks: inKeyOrder, read: deps.readPrefix });
    expect(await offPage.text()).toBe(await (await chunked.completed!.predictionsJsonl()).text());

    try {
      const ok = opfs(Infinity);
      vi.stubGlobal('navigator', { storage: { getDirectory: async () => ok.root } });
      expect(await (await s.completed!.predictionsJsonl()).text()).toBe(text);
      expect(ok.chunks.length).toBeGreaterThan(1);
      expect(Math.max(...ok.chunks)).toBeLessThanOrEqual(1 << 20);
      const full = opfs(2);
      vi.stubGlobal('navigator', { storage: { getDirectory: async () => full.root } });
      expect(await (await s.completed!.predictionsJsonl()).text()).toBe(text);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('cell summaries (re-run from a full cache)', () => {
  it('a finished cell is stored as one summary; a re-run reads it instead of the per-image predictions', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    const first = s.current.result!;
    expect([...world.summaries.keys()].sort()).toEqual(['s7|c/fog/3/', 's7|c/snow/1/']);
    const fog = world.summaries.get('s7|c/fog/3/')!;
    expect(fog.state).toHaveLength(21);
    expect(fog.unreadable).toEqual([[4, 'empty file']]); // n02/empty.JPEG sorts before n02/img0.JPEG
    expect(fog.spots).toEqual([[0, 'n01/img0.JPEG'], [5, 'n02/img0.JPEG'], [10, 'n03/img1.JPEG'], [15, 'n04/img2.JPEG']]);
    world.prefixReads.length = 0;
    await s.run(inputs(dataset()));
    const again = s.current.result!;
    expect(world.prefixReads).toEqual([]);
    expect(world.recordReads).toHaveLength(8); // 4 spot checks per cell
    expect(again.counts).toMatchObject({ inferred: 0, fromCache: READABLE, unreadable: 3 });
    expect(again.corruptions).toEqual(first.corruptions);
    expect(again.unreadable).toEqual(first.unreadable);
    expect(again.outcomes).toEqual(first.outcomes);
    expect(world.predicted).toHaveLength(READABLE);
  });

  it('is not used for a cell whose listing changed: the per-image rule decides, and the cell gets a new summary', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    const before = world.summaries.get('s7|c/fog/3/')!;
    const more = [...dataset(), image('c/fog/3/n03/img9.JPEG', 0)];
    world.prefixReads.length = 0;
    await s.run(inputs(more));
    expect(world.prefixReads).toEqual(['p7|c/fog/3/']);
    expect(s.current.result!.counts).toMatchObject({ inferred: 1, fromCache: READABLE });
    expect(world.predicted.at(-1)).toBe('img9.JPEG:0');
    const after = world.summaries.get('s7|c/fog/3/')!;
    expect(after.state).toHaveLength(22);
    expect(after.digest).not.toBe(before.digest);
  });

  it('is not used when a spot-checked image lost its prediction or its file changed', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    world.cache.delete('p7|c/snow/1/n01/img0.JPEG'); // the first spot check of snow/1
    await s.run(inputs(dataset()));
    expect(s.current.result!.counts).toMatchObject({ inferred: 1, fromCache: READABLE - 1 });
    const changed = 'c/fog/3/n01/img0.JPEG';
    await s.run(inputs(dataset({ lastModified: (p) => (p === changed ? 2000 : 1000) })));
    expect(s.current.result!.counts).toMatchObject({ inferred: 1, fromCache: READABLE - 1 });
    expect(world.predicted).toHaveLength(READABLE + 2);
  });

  it('a cancelled cell has no summary until a resumed run finishes it', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    world.beforePredict = (calls) => {
      if (calls === 2) s.cancel();
    };
    await s.run(inputs(dataset()));
    expect(s.current.status).toBe('cancelled');
    expect(world.summaries.size).toBe(0);
    world.beforePredict = undefined;
    await s.run(inputs(dataset()));
    expect(s.current.status).toBe('done');
    expect(world.summaries.size).toBe(2);
    expect(world.predicted).toHaveLength(READABLE);
  });
});

describe('run identity', () => {
  it('two folders of the same name with other contents are two run records; the same folder again is one', async () => {
    const world = newWorld();
    const s = new EvaluationSession(fakes(world));
    await s.run(inputs(dataset()));
    await s.run(inputs(dataset()));
    expect(world.runs.size).toBe(1);
    const other = dataset().filter((f) => !f.path.includes('/n05/'));
    await s.run(inputs(other));
    expect(world.runs.size).toBe(2);
    expect([...world.runs.keys()].every((k) => k.includes('c#'))).toBe(true);
  });
});
