/**
 * One evaluation, from Run to result, outside any view: the state machine the page subscribes to.
 *
 * It streams. Cells (corruption × severity folders, then the clean folder) are listed when the pipeline reaches
 * them (one cell ahead), each cell's cached predictions come from one key-range read, the rest is decoded in a
 * worker pool (`getFile()` only for the batch being decoded) while the inference worker runs the previous batch,
 * and each batch is folded into the run's ImageIndex (a few bytes per image) as it arrives. Per-image top-5 and
 * logits live in IndexedDB only; the inspector, the per-image export and SSIM read them back from there.
 *
 * Reuse rule (resume at full size without a `getFile()` per file): a cached prediction is keyed by the image's
 * path and stores the file's size and last-modified time. When a cell is reached, up to SPOT_CHECKS of its
 * cached images, evenly spread, are opened and compared; if all match, the cell's other cached predictions are
 * reused unopened; if any differs, every cached image of that cell is opened and checked, and those that changed
 * are evaluated again. A cached prediction made against another label is never reused.
 *
 * Cell summaries (re-run from a full cache): once a cell has an outcome for every image under a setting, its outcomes
 * are also stored as one record (`CellSummary`, cache-keys.ts, keyed by the setting's evaluation number, so an
 * adapted setting's summaries are its own) with a digest of the cell's images and labels. When a re-run lists the
 * cell with the same digest, up to SPOT_CHECKS of its images, evenly spread, are checked — their per-image
 * predictions must be there and agree, and their files must match in size and date — and the cell's outcomes come
 * from the summary: one read instead of 50,000. Anything else falls back to the per-image rule above. (Shift
 * datasets keep outcomes of their own per image and are always read image by image.)
 */
import { indexOfClass, resolveLabels, type LabelSet } from '../core/labels';
import type { ModelCard } from '../core/model-card';
import { ImageIndex, drainYielding, isCleanCell, PENDING, STATE_CORRECT, STATE_UNREADABLE, STATE_WRONG, type CellSpec } from '../core/image-index';
import { SHIFT_KINDS } from '../core/shift-datasets';
import { imagePreprocessing } from '../core/inspector-images';
import { addShiftCells, checkShiftListing, maskedTop1Of, recordOutcome, reusableFor, type ShiftCachedPrediction, type ShiftInput } from './shift-run';
import { buildResult, predictionLine, type ResultDocument, type RunTiming } from '../core/result-document';
import { OutcomesError, decodeOutcomes, outcomesProblems } from '../core/outcomes';
import { sanityCheck, type SanityWarning } from '../core/sanity-check';
import { cellSummaryKey, folderPrefix, preprocessingId, runKey, shortPredictionKey, type CachedPrediction, type CellSummary, type EvaluationKey, type RunRecord } from '../core/cache-keys';
import { selectInClass, describeSubset, type SubsetSpec } from '../core/subsets';
import { robustbenchMce, robustbenchMissing, ROBUSTBENCH_SUBSET_SIZE } from '../core/robustbench';
import type { ImagePrediction } from '../core/aggregate';
import { cellSsimPairs, type SsimPair } from '../core/ssim-plan';
import { sha256Hex } from '../core/sha256';
import { preprocessingOf } from '../core/preprocessing';
import { CacheWriter } from './cache-writer';
import type { ByteSink } from './jsonl-sink';
import { predictionsJsonlBlob, shiftFields, writePredictionsJsonl, type ExportSnapshot, type ExportSource } from './predictions-export';
import { evaluationId, getRun, prefixChunks, readPrefix, readRecords, readSummary, requestPersistence, storePredictions } from './prediction-cache';
import { IgnoredFiles, datasetDigest, type ClassListing, type DatasetScan, type DatasetSource } from './dataset-source';
import { DECODER_DESCRIPTION, type Preprocessing } from './decode-image';
import { DecoderPool } from './decoder-pool';
import { InferenceEngine, shouldRestart } from './inference-engine';
import { RunCancelled } from './errors';
import { startTuned } from './auto-tune';
import { yieldIfBusy } from './main-thread';
import { forgetInputs, saveInputs, savedShifts, withoutHandles } from './saved-inputs';
import type { BackendChoice, VariantTop } from '../../workers/protocol/inference';
import { AdaptationError, SOURCE, adaptationId, adaptationLabel, cellBatches, cellOrder, checkAdaptation, isAdapted, isSelfLearning, runVariants, type Adaptation } from '../core/tta/adaptation';
import type { DecodeJob, DecodedBatch } from '../../workers/protocol/decode';

export const APP_VERSION = '0.1.0';
const SPOT_CHECKS = 4;
/** The per-image export's file in the origin's private file system (replaced by the next export). */
export { PREDICTIONS_EXPORT_FILE } from './predictions-export';

export interface RunInputs {
  readonly modelName: string;
  readonly model: Blob;
  readonly sha256?: string;
  readonly card: ModelCard;
  readonly cardJson: string;
  readonly labels: LabelSet | null;
  readonly labelsText: { text: string; name: string } | null;
  readonly corrupted: DatasetSource | null;
  readonly clean: DatasetSource | null;
  /** Notes that travel with the result (e.g. how a generated set was made). */
  readonly datasetNotes?: string[];
  readonly backend: BackendChoice;
  readonly batchSize: number | null;
  readonly threads: number | null;
  readonly subset: SubsetSpec;
  /** Shift datasets (ImageNet-R, -A, -V2, -Sketch, …), evaluated with the clean protocol; none when absent. */
  readonly shifts?: readonly ShiftInput[];
  /** Test-time adaptation (src/core/tta/adaptation.ts); absent: the source model. */
  readonly adaptation?: Adaptation;
  /**
   * Evaluate the source model and the adapted one side by side, on the same decoded batches (with adaptation
   * 'none', BN adaptation with `compareBn`).
   */
  readonly compare?: boolean;
  readonly compareBn?: { prior: number; batch: number };
}

export interface RunProgress {
  readonly done: number;
  /** Images known so far; while cells remain unlisted, an estimate (`estimated`). */
  readonly total: number;
  readonly estimated: boolean;
  readonly fromCache: number;
  /** Inference rate of this session (cached images excluded). */
  readonly imagesPerSec: number;
  readonly etaSec: number | null;
  /** What the pipeline is doing: listing a cell, reading the cache, inferring. */
  readonly phase: string;
}

export type SessionStatus = 'idle' | 'loading model' | 'running' | 'paused' | 'done' | 'cancelled' | `error: ${string}`;

export interface SessionState {
  readonly status: SessionStatus;
  readonly problem: string;
  readonly warnings: readonly string[];
  readonly paused: string;
  readonly progress: RunProgress | null;
  readonly engineInfo: string;
  readonly tuningInfo: string;
  readonly ignored: { count: number; examples: readonly { path: string; reason: string }[] };
  readonly result: ResultDocument | null;
  readonly sanity: readonly SanityWarning[];
  /** A cancelled run kept as partial (it still needs saving to the runs library by the caller). */
  readonly partial: ResultDocument | null;
  /**
   * Every setting's partial result of a cancelled run that compared source and adapted side by side (`partials[0]`
   * is `partial`); `[partial]` otherwise, empty when nothing was evaluated.
   */
  readonly partials: readonly ResultDocument[];
  /**
   * Every setting's result of a run that compared source and adapted side by side, in order (`results[0]` is
   * `result`); just `[result]` otherwise, empty before a result.
   */
  readonly results: readonly ResultDocument[];
}

const INITIAL: SessionState = {
  status: 'idle',
  problem: '',
  warnings: [],
  paused: '',
  progress: null,
  engineInfo: '',
  tuningInfo: '',
  ignored: { count: 0, examples: [] },
  result: null,
  sanity: [],
  partial: null,
  partials: [],
  results: [],
};

export class PlanError extends Error {}

/** What the pipeline needs of the inference engine (InferenceEngine; Node tests give a fake). */
export type PipelineEngine = Pick<InferenceEngine, 'loaded' | 'notes' | 'predict' | 'restart' | 'dispose'> & Partial<Pick<InferenceEngine, 'predictVariants'>>;
/** What the pipeline needs of the decode pool (DecoderPool; Node tests give a fake). */
export type PipelinePool = Pick<DecoderPool, 'size' | 'decode' | 'stop'>;

/**
 * Everything the session reaches outside itself, so the orchestration runs in Node with fakes. The defaults are
 * the browser's: workers, IndexedDB, the Web Locks API.
 */
export interface SessionDeps {
  /** `variants`: the adaptation settings to load side by side (default: the source model alone). */
  startEngine(
    model: Blob,
    sha256: string,
    card: ModelCard,
    backend: BackendChoice,
    fixed: { threads?: number; batch?: number },
    onStatus: (m: string) => void,
    variants?: readonly Adaptation[],
  ): Promise<{ engine: PipelineEngine; tuning: { batch: number } }>;
  decoderPool(size: number): PipelinePool;
  evaluationId(e: EvaluationKey): Promise<number>;
  readPrefix(prefix: string): Promise<Map<string, CachedPrediction>>;
  /**
   * A cell's summary (one record) and predictions by key (its spot checks). Without both, no summary is read (every
   * cell goes by the per-image rule); summaries are still handed to `store`.
   */
  readSummary?(key: string): Promise<CellSummary | undefined>;
  readRecords?(keys: readonly string[]): Promise<(CachedPrediction | undefined)[]>;
  /** A key prefix's records in key order, `size` at a time (the per-image export); absent: readPrefix. */
  prefixChunks?(prefix: string, size?: number, readAhead?: boolean): AsyncIterable<[string[], CachedPrediction[]]>;
  getRun(key: string): Promise<RunRecord | undefined>;
  store(entries: readonly [string, CachedPrediction][], run: RunRecord, summaries?: readonly [string, CellSummary][]): Promise<void>;
  saveInputs(s: Parameters<typeof saveInputs>[0]): Promise<unknown>;
  /** Frees the copy of the model kept for resuming (a finished run has nothing to resume). */
  forgetInputs(): Promise<unknown>;
  requestPersistence(): Promise<unknown>;
  cores(): number;
  /** Takes the run's lock (one tab per evaluation) or throws; resolves to its release. */
  lock(key: string): Promise<() => void>;
}

export const browserDeps: SessionDeps = {
  startEngine: (model, sha, card, backend, fixed, onStatus, variants = [SOURCE]) =>
    startTuned<InferenceEngine>(model, sha, card, backend, fixed, onStatus, { start: (m, c, b, t) => InferenceEngine.start(m, c, b, t, undefined, variants) }),
  decoderPool: (size) => new DecoderPool(size),
  evaluationId,
  readPrefix,
  readSummary,
  readRecords,
  prefixChunks,
  getRun,
  store: storePredictions,
  saveInputs,
  forgetInputs,
  requestPersistence,
  cores: () => globalThis.navigator?.hardwareConcurrency || 2,
  lock: (key) => runLock(key),
};

/** A cell of the run and where its files come from. */
interface RunCell {
  readonly spec: CellSpec;
  readonly source: DatasetSource;
}

/** What a finished (or cancelled) run leaves for the inspector, SSIM and the per-image export. */
export class CompletedRun {
  constructor(
    readonly index: ImageIndex,
    private readonly cellSources: readonly DatasetSource[],
    readonly evaluationId: number,
    /** The model file (read again by the inspector's CAM engine; the page keeps no copy of its bytes). */
    readonly model: { file: Blob; card: ModelCard; logitsOutput: string; backend: BackendChoice },
    readonly labels: LabelSet,
    private readonly read: (prefix: string) => Promise<Map<string, CachedPrediction>> = readPrefix,
    /** Every setting of the run (the first is this run's own index and evaluation): source and adapted side by side. */
    readonly settings: readonly { adaptation: Adaptation; evaluationId: number; index: ImageIndex }[] = [{ adaptation: SOURCE, evaluationId, index }],
    /** A key prefix's records in key order, in chunks (the per-image export); absent: `read` as one chunk. */
    private readonly readChunks?: (prefix: string, size?: number, readAhead?: boolean) => AsyncIterable<[string[], CachedPrediction[]]>,
  ) {}

  private async *chunks(prefix: string): AsyncGenerator<[string[], CachedPrediction[]]> {
    if (this.readChunks) {
      // 5,000 records a chunk, the next one read ahead. (1,000 without read-ahead was tried at 4.75 M: 1.7× slower,
      // and the same 0.7–1.1 s major collections: what reaches the old generation is not the chunks.)
      yield* this.readChunks(prefix);
      return;
    }
    const all = await this.read(prefix);
    yield [[...all.keys()], [...all.values()]];
  }

  /** The first setting's adaptation ('none' for the source model). */
  get adaptation(): Adaptation {
    return this.settings[0]?.adaptation ?? SOURCE;
  }

  private locate(path: string): { cell: number; classFolder: string; fileName: string } | null {
    const cells = this.index.cells;
    for (let k = 0; k < cells.length; k++) {
      const dir = cells[k].spec.dir;
      if (!path.startsWith(`${dir}/`)) continue;
      const rest = path.slice(dir.length + 1).split('/');
      if (rest.length === 2) return { cell: k, classFolder: rest[0], fileName: rest[1] };
    }
    return null;
  }

  /** Opens an image of the run by its path (through the folder handle: nothing is kept open). */
  async fileOf(path: string): Promise<File> {
    const at = this.locate(path);
    if (!at) throw new Error(`${path} is not an image of this run`);
    return this.cellSources[at.cell].file(this.index.cells[at.cell].spec, at.classFolder, at.fileName);
  }

  /** The cached predictions of one cell, by `<class>/<file>`. */
  private cellCache(k: number): Promise<Map<string, CachedPrediction>> {
    return this.read(folderPrefix(this.evaluationId, this.index.cells[k].spec.dir));
  }

  /**
   * Per-image predictions (top-5, logits) of the cells that `want` accepts, read back from IndexedDB. The inspector
   * asks for one corruption and the clean images at a time, so a full ImageNet-C run never becomes 4.75 M objects.
   */
  async predictions(want: (spec: CellSpec) => boolean): Promise<ImagePrediction[]> {
    const out: ImagePrediction[] = [];
    const ix = this.index;
    for (let k = 0; k < ix.cells.length; k++) {
      const cell = ix.cells[k];
      if (!want(cell.spec)) continue;
      const cached = await this.cellCache(k);
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        const state = ix.stateOf(i);
        if (state !== STATE_CORRECT && state !== STATE_WRONG && state !== STATE_UNREADABLE) continue;
        const c = cached.get(ix.relative(i));
        const base = { path: ix.path(i, cell), corruption: cell.spec.corruption, severity: cell.spec.severity, label: ix.label(i), identity: ix.identity(i), ...shiftFields(cell.spec, c) };
        if (state === STATE_UNREADABLE) out.push({ ...base, top: [], topLogits: [], unreadable: ix.unreadable.get(i) ?? c?.u ?? 'unreadable' });
        else out.push({ ...base, top: c?.t ?? [ix.top1(i)], topLogits: c?.l ?? [] });
        if ((i & 1023) === 0) await yieldIfBusy();
      }
    }
    return out;
  }

  /**
   * The per-image predictions as JSON lines (`path`, `label`, `top5`, `logits_top5`); see predictions-export.ts. This
   * writes them here (Node, the tests, and the page's fallback); the page exports through predictionsJsonlOffPage
   * (export-client.ts), which writes them in a worker from exportSnapshot().
   */
  predictionsJsonl(onProgress?: (done: number, total: number) => void): Promise<Blob> {
    return predictionsJsonlBlob(this.exportSource(), onProgress);
  }

  /** Writes the JSON lines to `sink` (see writePredictionsJsonl in predictions-export.ts). */
  writePredictionsJsonl(sink: ByteSink, onProgress?: (done: number, total: number) => void): Promise<void> {
    return writePredictionsJsonl(this.exportSource(), sink, onProgress);
  }

  /** What the per-image export needs, as plain data a worker can receive (the index is revived there). */
  exportSnapshot(): ExportSnapshot {
    const other = this.settings.length > 1 ? this.settings[1] : null;
    return { index: this.index, evaluationId: this.evaluationId, adaptation: this.adaptation, other: other ? { adaptation: other.adaptation, evaluationId: other.evaluationId } : null };
  }

  private exportSource(): ExportSource {
    return { ...this.exportSnapshot(), chunks: (prefix) => this.chunks(prefix), read: this.read };
  }

  /**
   * SSIM pairs: corrupted images whose clean original is in the run, at most `cap` per cell, spread evenly over the
   * cell's images sorted by identity (as planSsimPairs), built one cell at a time.
   */
  ssimPairs(cap: number | null): SsimPair[] {
    const ix = this.index;
    const cleanOf = new Map<string, string>();
    for (const cell of ix.cells) {
      if (cell.spec.corruption !== null) continue;
      for (let i = cell.start; i < cell.start + cell.count; i++) cleanOf.set(ix.identity(i), ix.path(i, cell));
    }
    const byCell = new Map<string, { identity: string; path: string }[]>();
    for (const cell of ix.cells) {
      if (cell.spec.corruption === null) continue;
      const id = `${cell.spec.corruption}/${cell.spec.severity}`;
      const list = byCell.get(id) ?? [];
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        const identity = ix.identity(i);
        if (cleanOf.has(identity)) list.push({ identity, path: ix.path(i, cell) });
      }
      byCell.set(id, list);
    }
    const pairs: SsimPair[] = [];
    for (const [cell, list] of byCell) pairs.push(...cellSsimPairs(cell, list, cleanOf, cap));
    return pairs;
  }

  get hasCleanAndCorrupted(): boolean {
    return this.index.cells.some((c) => isCleanCell(c.spec)) && this.index.cells.some((c) => c.spec.corruption !== null);
  }
}

function describeEngine(e: PipelineEngine, choice: BackendChoice): string {
  const io = e.loaded.io;
  const backend = `${e.loaded.backend}${e.loaded.backend === 'wasm' ? `, ${e.loaded.threads} thread(s)` : ''}`;
  const why = e.loaded.fallbackReason && choice !== 'wasm' ? ` · WebGPU not used: ${e.loaded.fallbackReason}` : '';
  return `${backend} · input ${io.inputName} · logits ${io.logitsOutput} (${io.numClasses} classes)${why}${e.notes.length ? ` · ${e.notes.join('; ')}` : ''}`;
}

const mark = (name: string) => {
  try {
    performance.mark(`shiftlens:${name}`);
  } catch {
    // marks are for the benchmark only
  }
};


export class EvaluationSession {
  private state: SessionState = INITIAL;
  private readonly listeners = new Set<(s: SessionState) => void>();
  private controller: AbortController | null = null;
  private writers: CacheWriter[] = [];
  /** The run shown (finished or cancelled), for the inspector, SSIM and the per-image export. */
  completed: CompletedRun | null = null;

  constructor(private readonly deps: SessionDeps = browserDeps) {}

  get current(): SessionState {
    return this.state;
  }

  get running(): boolean {
    const s = this.state.status;
    return s === 'loading model' || s === 'running' || s === 'paused';
  }

  subscribe(fn: (s: SessionState) => void): () => void {
    this.listeners.add(fn);
    fn(this.state);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn(this.state);
  }

  fail(message: string): void {
    this.set({ problem: message, status: `error: ${message}` });
  }

  /** Shows a result that was not evaluated here (the runs library, a merge). */
  show(result: ResultDocument, status: SessionStatus): void {
    this.completed = null;
    this.set({ ...INITIAL, result, status });
  }

  clearResult(): void {
    if (!this.running) this.set({ result: null });
  }

  /** Cancel: stops at the next batch; what was computed is still written to the cache. */
  cancel(): void {
    this.controller?.abort();
  }

  /** After the user freed storage: try the pending writes again. */
  continueAfterStorage(): void {
    for (const w of this.writers) w.retry();
  }

  /** Replaces the result shown (e.g. with SSIM added). */
  updateResult(result: ResultDocument): void {
    this.set({ result });
  }

  async run(inputs: RunInputs): Promise<void> {
    if (this.running) return;
    this.completed = null;
    this.set({ ...INITIAL, status: 'loading model' });
    if (!inputs.corrupted && !inputs.clean && !inputs.shifts?.length) return this.fail('choose an ImageNet-C folder (and optionally a clean folder), or a shift dataset');
    mark('run-start');
    const controller = (this.controller = new AbortController());
    let engine: PipelineEngine | null = null;
    let finishPartial: (() => Promise<ResultDocument[]>) | null = null;
    let release: (() => void) | null = null;
    try {
      // The model is read where it is used (the inference worker; the inspector's analysis worker): the page reads its
      // first bytes only, to name an unreadable file here. (Reading a 100 MB model here was a 0.3 s main-thread task.)
      const read = (blob: Blob) =>
        blob.arrayBuffer().catch((e: Error) => {
          throw new Error(`could not read ${inputs.modelName}: ${e.message}`);
        });
      await read(inputs.model.slice(0, 16));
      if (inputs.model.size < 16) throw new Error(`${inputs.modelName} is not an ONNX model (${inputs.model.size} bytes)`);
      const sha256 = inputs.sha256 ?? (await sha256Hex(await read(inputs.model)));
      const card = inputs.card;
      // The settings evaluated: the chosen one, or source and adapted side by side. An adapted setting fixes the
      // batch size (its predictions depend on it): no warm-up picks it.
      const settings = runVariants(checkAdaptation(inputs.adaptation ?? SOURCE), !!inputs.compare, inputs.compareBn);
      const adaptedSetting = settings.find(isAdapted);
      const tuned = await this.deps.startEngine(
        inputs.model,
        sha256,
        card,
        inputs.backend,
        { threads: inputs.threads ?? undefined, batch: adaptedSetting?.batch ?? inputs.batchSize ?? undefined },
        (m) => this.set({ tuningInfo: m }),
        settings,
      );
      engine = tuned.engine;
      const batchSize = tuned.tuning.batch;
      if (adaptedSetting && engine.loaded.io.fixedBatch) {
        throw new AdaptationError(`this model fixes its batch size to ${engine.loaded.io.fixedBatch}: test-time adaptation needs a dynamic batch dimension (re-export it with tools/export-onnx)`);
      }
      this.set({
        tuningInfo: `batch ${batchSize}${adaptedSetting ? ` (B of ${adaptationLabel(adaptedSetting)})` : inputs.batchSize ? '' : ' (auto)'}${engine.loaded.backend === 'wasm' ? `, ${engine.loaded.threads} thread(s)${inputs.threads ? '' : ' (auto)'}` : ''}`,
        engineInfo: describeEngine(engine, inputs.backend),
      });
      const io = engine.loaded.io;
      const evaluations: EvaluationKey[] = settings.map((a) => ({
        modelSha256: sha256,
        preprocessing: preprocessingId(card),
        logitsOutput: io.logitsOutput,
        ...(isAdapted(a) ? { adaptation: adaptationId(a) } : {}),
      }));
      const evaluation = evaluations[0];
      const datasets = [inputs.corrupted?.name, inputs.clean?.name, ...(inputs.shifts ?? []).map((x) => `${x.kind}:${x.source.name}`)].filter((x): x is string => !!x);
      // One tab at a time per evaluation of folders of these names, taken before any listing: a second tab would
      // infer the same images twice.
      release = await this.deps.lock(runKey(evaluation, datasets));

      // Structure first: which cells exist (no file opened, no cell listed yet).
      const ignored = new IgnoredFiles();
      const warnings: string[] = [];
      const corruptedScan = inputs.corrupted ? await inputs.corrupted.scan('corrupted', ignored) : null;
      const cleanScan = inputs.clean ? await inputs.clean.scan('clean', ignored) : null;
      this.checkStructure(inputs, corruptedScan, cleanScan, ignored);
      const cells: RunCell[] = [
        ...(corruptedScan?.cells ?? []).map((spec) => ({ spec, source: inputs.corrupted! })),
        ...(cleanScan?.cells ?? []).map((spec) => ({ spec, source: inputs.clean! })),
      ];
      // The class order: the labels file, the card's labels, or — only when every class is there — the sorted folders.
      // Without labels the class folders of the first cell of each folder are counted (listed once, reused below).
      const listed = new Map<number, ClassListing[]>();
      const given = inputs.labels ?? (card.labels ? { wnids: card.labels, names: card.labels, source: 'model card' } : null);
      const firstOf = [0, corruptedScan?.cells.length ?? 0].filter((k, j, all) => k < cells.length && all.indexOf(k) === j);
      for (const k of firstOf) listed.set(k, await cells[k].source.listCell(cells[k].spec, ignored));
      // Shift datasets (ImageNet-R, -A, …) come last, each listed now (its class folders must fit its kind).
      const shiftDigests = await addShiftCells(inputs.shifts ?? [], cells, listed, ignored, datasetDigest);
      // The run is identified by what its folders contain, not by their names (two folders called imagenet-c are two runs).
      const digests = [inputs.corrupted, inputs.clean].flatMap((src, j) =>
        src ? [datasetDigest(src.name, (j === 0 ? corruptedScan : cleanScan)!, listed.get(j === 0 ? 0 : (corruptedScan?.cells.length ?? 0)) ?? [])] : [],
      );
      const key = runKey(evaluation, datasets.map((d, j) => `${d}#${[...digests, ...shiftDigests][j]}`));
      const resolved = resolveLabels(given, firstOf.flatMap((k) => listed.get(k)!.map((c) => c.folder)), io.numClasses);
      const labels = resolved.labels;
      warnings.push(...resolved.warnings);
      for (const [k, listing] of listed) checkShiftListing(cells[k].spec, listing, labels.wnids);
      if (corruptedScan?.missingSeverities.length) {
        warnings.push(`missing severities: ${corruptedScan.missingSeverities.map((m) => `${m.corruption}/${m.severity}`).join(', ')} — CE uses the severities present`);
      }
      if (corruptedScan && corruptedScan.cells.length && corruptedScan.missingCorruptions.length) {
        warnings.push(`corruptions not in the folder: ${corruptedScan.missingCorruptions.join(', ')}`);
      }
      if (inputs.subset.kind !== 'all') warnings.push(`evaluating a subset: ${describeSubset(inputs.subset)}`);
      this.set({ warnings });

      const classIndex = indexOfClass(labels);
      const index = new ImageIndex(classIndex);
      const labelsSha256 = await sha256Hex(new TextEncoder().encode(labels.wnids.join('\n')));
      const evalIds: number[] = [];
      for (const e of evaluations) evalIds.push(await this.deps.evaluationId(e));
      const evalId = evalIds[0];
      void this.deps.requestPersistence();
      const saved = {
        model: { name: inputs.modelName, blob: inputs.model, sha256 },
        cardJson: inputs.cardJson,
        labels: inputs.labelsText,
        datasetName: inputs.corrupted?.name ?? null,
        cleanName: inputs.clean?.name ?? null,
        datasetHandle: inputs.corrupted?.handle,
        cleanHandle: inputs.clean?.handle,
        ...(inputs.shifts?.length ? { shifts: savedShifts(inputs.shifts) } : {}),
        backend: inputs.backend,
        batchSize: inputs.batchSize ?? 0,
        runKey: key,
        ...(inputs.adaptation && isAdapted(inputs.adaptation) ? { adaptation: inputs.adaptation } : {}),
        ...(inputs.compare ? { compare: true } : {}),
      };
      // Resuming is a convenience: a full disk must not stop the run, and a handle IndexedDB cannot keep (not a
      // real one) only costs the one-click resume: the folders are then picked again.
      await this.deps
        .saveInputs(saved)
        .catch(() => this.deps.saveInputs(withoutHandles(saved)))
        .catch(() => {});
      const now = new Date().toISOString();
      const keyed = datasets.map((d, j) => `${d}#${[...digests, ...shiftDigests][j]}`);
      const variants: VariantRun[] = [];
      for (const [vi, adaptation] of settings.entries()) {
        const k = vi === 0 ? key : runKey(evaluations[vi], keyed);
        const previous = await this.deps.getRun(k);
        const record: RunRecord = previous
          ? { ...previous, finished: false, evaluationId: evalIds[vi] }
          : { key: k, evaluation: evaluations[vi], modelName: card.name, modelSha256: sha256, datasets, total: 0, inferredStored: 0, startedAt: now, updatedAt: now, finished: false, evaluationId: evalIds[vi] };
        variants.push({ adaptation, evalId: evalIds[vi], index: vi === 0 ? index : new ImageIndex(classIndex), record, counters: { inferred: 0, fromCache: 0 } });
      }
      const completed = new CompletedRun(
        index,
        [],
        evalId,
        { file: inputs.model, card, logitsOutput: io.logitsOutput, backend: inputs.backend },
        labels,
        this.deps.readPrefix,
        variants.map((v) => ({ adaptation: v.adaptation, evaluationId: v.evalId, index: v.index })),
        this.deps.prefixChunks,
      );
      const cellSources: DatasetSource[] = (completed as unknown as { cellSources: DatasetSource[] }).cellSources;

      const makeResult = async (
        variant: VariantRun,
        c: { inferred: number; fromCache: number; inferredAllSessions?: number; timing?: RunTiming; partial?: boolean },
      ): Promise<ResultDocument> => {
        const index = variant.index;
        const counts = index.counts();
        const cleanMatched = await drainYielding(index.cleanMatchedSteps(), yieldIfBusy);
        const unreadable = index.unreadableList();
        const notes = [...(engine?.notes ?? []), ...(inputs.datasetNotes ?? [])];
        if (c.partial) notes.push(`cancelled: ${(c.inferred + c.fromCache + unreadable.length).toLocaleString()} images evaluated`);
        if (isAdapted(variant.adaptation)) {
          notes.push(
            `test-time adaptation: ${adaptationLabel(variant.adaptation, { batch: true })}; each corruption × severity cell (and the clean folder, each shift dataset) ` +
              `is its own target domain, ${isSelfLearning(variant.adaptation) ? 'state reset at its start, ' : ''}images in ${variant.adaptation.shuffleSeed !== undefined ? `an order shuffled with seed ${variant.adaptation.shuffleSeed}` : 'path order'}, ` +
              `consecutive batches of ${variant.adaptation.batch} (the last one smaller; unreadable images left out)`,
          );
        }
        if (settings.length > 1) notes.push(`evaluated side by side: ${settings.map((a) => adaptationLabel(a)).join(' vs ')} (the same decoded batches)`);
        if (inputs.subset.kind !== 'all') notes.push(`subset: ${describeSubset(inputs.subset)}`);
        const doc = buildResult(
          { corruptions: counts.corruptions, clean: counts.clean, cleanMatched, unreadable, shifts: counts.shifts },
          {
            appVersion: APP_VERSION,
            createdAt: new Date().toISOString(),
            model: { name: card.name, file: inputs.modelName, bytes: inputs.model.size, sha256, inputName: io.inputName, logitsOutput: io.logitsOutput, card: card as unknown as Record<string, unknown> },
            backend: engine!.loaded.backend,
            labels: { source: labels.source, count: labels.wnids.length, sha256: labelsSha256 },
            dataset: { name: inputs.corrupted?.name ?? '', layout: corruptedScan?.layout ?? 'empty', images: index.size, ignoredFiles: ignored.count },
            preprocessing: {
              mean: [...card.mean],
              std: [...card.std],
              inputSize: card.inputSize,
              cleanResize: card.resizeTo,
              interpolation: card.interpolation === 'bicubic' ? 'bicubic' : 'bilinear',
              decoder: DECODER_DESCRIPTION,
            },
            cleanDatasetName: inputs.clean?.name,
            shiftDatasets: Object.fromEntries((inputs.shifts ?? []).map((x) => [x.kind, x.source.name])),
            counts: { inferred: c.inferred, fromCache: c.fromCache, inferredAllSessions: c.inferredAllSessions },
            timing: c.timing,
            notes,
          },
        );
        try {
          const outcomes = await drainYielding(index.outcomesSteps(), yieldIfBusy);
          const mismatch = outcomesProblems(decodeOutcomes(outcomes), doc);
          if (mismatch.length) throw new OutcomesError(mismatch[0]);
          doc.outcomes = outcomes;
        } catch (e) {
          if (!(e instanceof OutcomesError)) throw e;
          doc.notes = [...(doc.notes ?? []), `per-image outcomes left out (no uncertainty intervals or merging for this result): ${e.message}`];
        }
        if (inputs.subset.kind !== 'all') doc.subset = { ...inputs.subset };
        if (isAdapted(variant.adaptation)) doc.adaptation = { ...variant.adaptation };
        if (inputs.subset.kind === 'robustbench') {
          const rb = robustbenchMce(counts.corruptions);
          const seen = new Set<string>();
          for (let i = 0; i < index.size; i++) if (index.stateOf(i) !== 0) seen.add(index.identity(i));
          const missing = robustbenchMissing(seen);
          doc.robustbench = { mCE: rb.mCE, perCorruption: rb.perCorruption, complete: rb.complete, missingIds: missing.length, subsetSize: ROBUSTBENCH_SUBSET_SIZE };
          if (missing.length) doc.notes = [...(doc.notes ?? []), `${missing.length} of the ${ROBUSTBENCH_SUBSET_SIZE} RobustBench ids are not in the folder (first: ${missing.slice(0, 3).join(', ')})`];
        }
        return doc;
      };

      // Cancelled: each setting that evaluated anything is kept as a partial run (the adapted one of a side-by-side run
      // too: its predictions are cached, and its cells are as far as the source's).
      finishPartial = async () => {
        const out: ResultDocument[] = [];
        for (const v of variants) if (v.counters.inferred + v.counters.fromCache > 0) out.push(await makeResult(v, { ...v.counters, partial: true }));
        return out;
      };
      // Room for the whole run up front (from the first cell listed): growing the index's arrays past millions of
      // images re-allocates and copies all of them in one task.
      const firstCount = (listed.get(0) ?? []).reduce((n, c) => n + c.files.length, 0);
      if (inputs.subset.kind === 'all') for (const v of variants) v.index.reserveImages(Math.min(firstCount * cells.length, 6_000_000));
      this.set({ status: 'running' });
      const evaluated = await this.pipeline({
          engine: engine!,
          cells,
          listed,
          variants,
          cellSources,
          ignored,
          prep: preprocessingOf(card),
          batchSize,
          signal: controller.signal,
          subset: inputs.subset,
          estimatedCells: cells.length,
        });
      this.completed = completed;
      const results: ResultDocument[] = [];
      for (const [vi, v] of variants.entries()) {
        results.push(
          await makeResult(v, {
            inferred: v.counters.inferred,
            fromCache: v.counters.fromCache,
            inferredAllSessions: evaluated.records[vi].inferredStored,
            timing: {
              seconds: evaluated.seconds,
              breakdown: evaluated.breakdown,
              inferredPerSec: v.counters.inferred / Math.max(evaluated.seconds, 1e-9),
              batchSize,
              threads: engine.loaded.backend === 'wasm' ? engine.loaded.threads : null,
            },
          }),
        );
      }
      let result = results[0];
      const cleanTops: number[] = [];
      const allTops: number[] = [];
      for (const cell of index.cells) {
        for (let i = cell.start; i < cell.start + cell.count; i++) {
          const s = index.stateOf(i);
          if (s !== STATE_CORRECT && s !== STATE_WRONG) continue;
          if (cell.spec.shift) continue;
          if (cell.spec.corruption === null) cleanTops.push(index.top1(i));
          else if (allTops.length < 200_000) allTops.push(index.top1(i));
        }
        await yieldIfBusy(); // 4.75 M images: one cell of 50,000 a step
      }
      const sanity = sanityCheck({
        cleanAccuracy: result.clean && result.clean.n ? 1 - result.clean.errors / result.clean.n : null,
        cleanImages: result.clean?.n ?? 0,
        reportedTop1: card.reportedTop1,
        predictions: cleanTops.length ? cleanTops : allTops,
        names: labels.names,
      });
      if (sanity.length) result = { ...result, notes: [...(result.notes ?? []), ...sanity.map((w) => w.message)] };
      mark('done');
      await this.deps.forgetInputs().catch(() => {});
      this.set({
        status: 'done',
        result,
        results: [result, ...results.slice(1)],
        sanity,
        engineInfo: describeEngine(engine, inputs.backend),
        ignored: { count: ignored.count, examples: ignored.examples },
        warnings: [...warnings, ...(ignored.count ? [] : [])],
      });
    } catch (err) {
      if (err instanceof RunCancelled) {
        const partials = (await finishPartial?.()) ?? [];
        this.set({ status: 'cancelled', partial: partials[0] ?? null, partials, result: null });
      } else this.fail((err as Error).message);
    } finally {
      release?.();
      engine?.dispose();
      this.controller = null;
      this.writers = [];
    }
  }

  private checkStructure(inputs: RunInputs, c: DatasetScan | null, clean: DatasetScan | null, ignored: IgnoredFiles): void {
    const first = ignored.examples[0];
    if (c && c.cells.length === 0) {
      const among = c.fileCount !== null ? `among ${c.fileCount} files` : `in ${inputs.corrupted!.name}`;
      throw new PlanError(
        `no ImageNet-C images found ${among}: expected <corruption>/<severity 1–5>/<class>/<image> ` +
          `(e.g. fog/3/n01440764/x.JPEG), optionally under <group>/.${first ? ` First problem: ${first.path} — ${first.reason}` : ''}`,
      );
    }
    if (clean && clean.cells.length === 0) {
      throw new PlanError(`no clean images found ${clean.fileCount !== null ? `among ${clean.fileCount} files` : `in ${inputs.clean!.name}`}: expected <class>/<image> or val/<class>/<image>`);
    }
  }

  private async pipeline(o: PipelineOptions): Promise<{ records: RunRecord[]; seconds: number; breakdown: RunTiming['breakdown'] & object }> {
    const { engine, cells, variants } = o;
    const index = variants[0].index;
    const writers = (this.writers = variants.map(
      (v) =>
        new CacheWriter(
          v.record,
          (m) => this.set({ paused: m, status: 'paused' }),
          () => this.set({ paused: '', status: 'running' }),
          this.deps.store,
        ),
    ));
    const adapted = variants.map((v) => isAdapted(v.adaptation));
    const anyAdapted = adapted.some(Boolean);
    const stateful = variants.some((v) => isSelfLearning(v.adaptation));
    const shuffleSeed = variants.map((v) => v.adaptation).find(isAdapted)?.shuffleSeed;
    const fixedBatch = engine.loaded.io.fixedBatch;
    const batchSize = fixedBatch ?? o.batchSize;
    const pool = this.deps.decoderPool(Math.max(1, this.deps.cores() - engine.loaded.threads));
    const t0 = performance.now();
    const stalls = { decode: 0, inference: 0, storage: 0 };
    let listedCells = 0;
    let phase = 'listing';
    let lastReport = 0;
    let firstInference = true;
    /** Images every setting has a prediction (or an unreadable mark) for. */
    const doneOf = (v: VariantRun) => v.counters.inferred + v.counters.fromCache + v.index.unreadable.size;
    const report = (force = false) => {
      const now = performance.now();
      if (!force && now - lastReport < 250) return;
      lastReport = now;
      const inferred = Math.min(...variants.map((v) => v.counters.inferred));
      const rate = inferred / Math.max((now - t0) / 1000, 1e-6);
      const known = index.size;
      const estimated = listedCells < cells.length;
      const total = estimated && listedCells ? Math.round((known / listedCells) * cells.length) : known;
      const done = Math.min(...variants.map(doneOf));
      for (const w of writers) w.setTotal(Math.max(total, done));
      this.set({
        progress: { done, total: Math.max(total, done), estimated, fromCache: Math.min(...variants.map((v) => v.counters.fromCache)), imagesPerSec: rate, etaSec: rate > 0 ? (total - done) / rate : null, phase },
      });
    };

    /**
     * A cell's listing and cached predictions (one read per setting), fetched up to LOOKAHEAD cells ahead: a resumed
     * run whose first cells are all cached reads them back to back instead of one after the other.
     */
    const LOOKAHEAD = 3;
    const fetched = new Map<number, Promise<[ClassListing[], SettingCache[]]>>();
    const { readSummary, readRecords } = this.deps;
    /** A summary's spot checks: each spot's stored prediction and its file's size and date (null: could not open). */
    const readSpots = async (evalId: number, spec: CellSpec, source: DatasetSource, sum: CellSummary): Promise<SpotRead[]> => {
      const records = await readRecords!(sum.spots.map(([, rel]) => shortPredictionKey(evalId, `${spec.dir}/${rel}`)));
      return Promise.all(
        sum.spots.map(async ([, rel], j) => {
          const cut = rel.indexOf('/');
          const file = await source.file(spec, rel.slice(0, cut), rel.slice(cut + 1)).then(
            (f) => ({ size: f.size, lastModified: f.lastModified }),
            () => null,
          );
          return { record: records[j], file };
        }),
      );
    };
    /** One setting's cache for a cell: its summary and spot checks when it has one, else its per-image predictions. */
    const readSetting = async (evalId: number, spec: CellSpec, source: DatasetSource): Promise<SettingCache> => {
      const summary = readSummary && readRecords && summarised(spec) ? await readSummary(cellSummaryKey(evalId, spec.dir)).catch(() => undefined) : undefined;
      if (summary?.spots?.length) {
        const spots = await readSpots(evalId, spec, source, summary).catch(() => null);
        if (spots) return { summary, spots, perImage: null };
      }
      return { summary: undefined, spots: null, perImage: await this.deps.readPrefix(folderPrefix(evalId, spec.dir)) };
    };
    const fetchCell = (k: number) => {
      if (k >= cells.length || fetched.has(k)) return;
      const { spec, source } = cells[k];
      const known = o.listed.get(k);
      o.listed.delete(k);
      const p = Promise.all([
        known ? Promise.resolve(known) : source.listCell(spec, o.ignored),
        Promise.all(variants.map((v) => readSetting(v.evalId, spec, source))),
      ]);
      p.catch(() => {}); // awaited (and rethrown) by prepare; a cancelled run must not leave an unhandled rejection
      fetched.set(k, p);
    };
    /** Per setting, images of a cell still without an outcome; the cell's summary is stored when it reaches 0. */
    const remaining = variants.map(() => new Map<number, number>());
    const digests = new Map<number, string>();
    const digestOf = (cellIdx: number) => {
      let d = digests.get(cellIdx);
      if (d === undefined) digests.set(cellIdx, (d = index.cellDigest(cellIdx)));
      return d;
    };
    const storeSummary = (vi: number, cellIdx: number) => {
      const cell = index.cells[cellIdx];
      if (!summarised(cell.spec) || !cell.count) return;
      const { state, top, unreadable } = variants[vi].index.cellOutcomes(cellIdx);
      // The spot checks of a later re-run: SPOT_CHECKS images with an outcome, evenly spread.
      const done: number[] = [];
      for (let d = 0; d < cell.count; d++) if (state[d] !== PENDING) done.push(d);
      const n = Math.min(SPOT_CHECKS, done.length);
      const spots = Array.from({ length: n }, (_, j): [number, string] => {
        const d = done[Math.floor((j * done.length) / n)];
        return [d, index.relative(cell.start + d)];
      });
      writers[vi].enqueueSummary(cellSummaryKey(variants[vi].evalId, cell.spec.dir), { v: 1, digest: digestOf(cellIdx), state, top, unreadable, spots });
    };
    /**
     * A setting's outcomes of a cell from its summary, when the summary is of these very images and labels and its
     * spot checks pass (an adapted setting's only when whole); false otherwise, and nothing is set.
     */
    const fromSummary = (vi: number, cellIdx: number, c: SettingCache): boolean => {
      const { summary, spots: reads } = c;
      const cell = index.cells[cellIdx];
      const v = variants[vi];
      if (!summary || !reads || summary.v !== 1 || summary.state?.length !== cell.count || summary.top?.length !== cell.count) return false;
      if (summary.digest !== digestOf(cellIdx)) return false;
      if (adapted[vi] && summary.state.some((st) => st === PENDING)) return false;
      const ok = summary.spots.every(([d, rel], j) => {
        const { record: r, file } = reads[j] ?? {};
        const i = cell.start + d;
        if (!r || !file || d >= cell.count || index.relative(i) !== rel || r.y !== index.label(i)) return false;
        if (summary.state[d] === STATE_UNREADABLE ? r.u === undefined : r.u !== undefined || r.t[0] !== summary.top[d]) return false;
        return file.size === r.s && file.lastModified === r.m;
      });
      if (!ok) return false;
      v.counters.fromCache += v.index.applyCellOutcomes(cellIdx, summary);
      return true;
    };
    /**
     * Lists cell k, folds in its cached predictions (see the reuse rule above) and returns the images still to do,
     * in the order they are batched, with what each setting needs. An adapted setting reuses a cell only whole: its
     * predictions depend on the batches, so one image to redo means the whole cell again.
     */
    const prepare = async (k: number): Promise<PreparedCell> => {
      const { spec, source } = cells[k];
      for (let d = 0; d <= LOOKAHEAD; d++) fetchCell(k + d);
      phase = `listing ${spec.dir}`;
      const [listing, cachePerVariant] = await fetched.get(k)!;
      fetched.delete(k);
      const classes: { folder: string; files: string[] }[] = [];
      for (const c of listing) {
        if (index.labelFor(c.folder, spec.shift) < 0) {
          if (c.files.length) o.ignored.add(`${spec.dir}/${c.folder}/ (${c.files.length} images)`, `class folder "${c.folder}" is not in the label list`);
          continue;
        }
        // RobustBench's subset names ImageNet validation images: a shift dataset is evaluated whole.
        const files = spec.shift && o.subset.kind === 'robustbench' ? c.files : selectInClass(o.subset, c.folder, c.files);
        if (files.length) classes.push({ folder: c.folder, files });
      }
      const cellIdx = await drainYielding(index.addCellSteps(spec, classes), yieldIfBusy);
      for (const v of variants.slice(1)) await drainYielding(v.index.addCellSteps(spec, classes), yieldIfBusy);
      o.cellSources.push(source);
      listedCells++;
      const cell = index.cells[cellIdx];
      phase = `reading the cache for ${spec.dir}`;
      // A file's size and date, read once per cell however many settings check it.
      const metaOf = new Map<number, Promise<{ s: number; m: number } | null>>();
      const fileMeta = (i: number) => {
        let p = metaOf.get(i);
        if (!p) {
          p = source.file(spec, index.classFolder(i), index.fileName(i)).then(
            (f) => ({ s: f.size, m: f.lastModified }),
            () => null,
          );
          metaOf.set(i, p);
        }
        return p;
      };
      const need: Uint8Array[] = [];
      for (const [vi, v] of variants.entries()) {
        if (fromSummary(vi, cellIdx, cachePerVariant[vi])) {
          const needs = new Uint8Array(cell.count);
          let left = 0;
          for (let d = 0; d < cell.count; d++) {
            if (v.index.stateOf(cell.start + d) !== PENDING) continue;
            needs[d] = 1;
            left++;
          }
          remaining[vi].set(cellIdx, left);
          need.push(needs);
          continue;
        }
        const cached = cachePerVariant[vi].perImage ?? (await this.deps.readPrefix(folderPrefix(v.evalId, spec.dir)));
        const candidates: number[] = [];
        const values: CachedPrediction[] = [];
        for (let i = cell.start; i < cell.start + cell.count; i++) {
          const c = cached.size ? cached.get(index.relative(i)) : undefined;
          if (c && c.y === index.label(i) && reusableFor(spec, c)) {
            candidates.push(i);
            values.push(c);
          }
          if ((i & 1023) === 0) await yieldIfBusy();
        }
        cached.clear();
        const fresh = new Uint8Array(candidates.length).fill(1);
        const check = async (j: number) => {
          const m = await fileMeta(candidates[j]);
          fresh[j] = m && m.s === values[j].s && m.m === values[j].m ? 1 : 0;
        };
        if (candidates.length && (!adapted[vi] || candidates.length === cell.count)) {
          const spots = Math.min(SPOT_CHECKS, candidates.length);
          const picks = Array.from({ length: spots }, (_, s) => Math.floor((s * candidates.length) / spots));
          await Promise.all(picks.map(check));
          if (picks.some((j) => !fresh[j])) {
            phase = `checking changed files in ${spec.dir}`;
            for (let j = 0; j < candidates.length; j += 64) await Promise.all(Array.from({ length: Math.min(64, candidates.length - j) }, (_, d) => check(j + d)));
          }
        }
        const whole = candidates.length === cell.count && fresh.every((f) => f === 1);
        const needs = new Uint8Array(cell.count).fill(1);
        if (!adapted[vi] || whole) {
          for (let j = 0; j < candidates.length; j++) {
            if (!fresh[j]) continue;
            const i = candidates[j];
            const val = values[j];
            if (val.u !== undefined) v.index.setUnreadable(i, val.u);
            else {
              recordOutcome(v.index, i, spec, val.t, (val as ShiftCachedPrediction).r);
              v.counters.fromCache++;
            }
            needs[i - cell.start] = 0;
          }
        }
        need.push(needs);
        // A cell finished from its per-image predictions gets its summary now; one with images to do, when they are done.
        let left = 0;
        for (let d = 0; d < cell.count; d++) left += needs[d];
        remaining[vi].set(cellIdx, left);
        if (left === 0) storeSummary(vi, cellIdx);
      }
      const anyAdaptedNeeds = need.some((n, vi) => adapted[vi] && n.some((x) => x === 1));
      // Path order, or the seeded shuffle of an adapted cell (only then are the cell's 50,000 paths made).
      const order = anyAdaptedNeeds ? cellOrder(Array.from({ length: cell.count }, (_, d) => index.relative(cell.start + d)), shuffleSeed) : null;
      const todo: number[] = [];
      for (let j = 0; j < cell.count; j++) {
        const d = order ? order[j] : j;
        if (anyAdaptedNeeds || need.some((n) => n[d] === 1)) todo.push(cell.start + d);
      }
      report();
      return { cell: cellIdx, todo, need, run: need.map((n, vi) => (adapted[vi] ? n.some((x) => x === 1) : null)) };
    };

    // Batches never straddle cells (each cell is its own target domain); the next cell is listed while this one is inferred.
    async function* batches(): AsyncGenerator<Batch> {
      let next: Promise<PreparedCell> | null = cells.length ? prepare(0) : null;
      for (let k = 0; k < cells.length; k++) {
        const cur = await next!;
        next = k + 1 < cells.length ? prepare(k + 1) : null;
        // An unhandled rejection of the look-ahead must not escape if this loop stops first.
        next?.catch(() => {});
        for (const [j, images] of cellBatches(cur.todo, batchSize).entries()) yield { cell: cur.cell, images, first: j === 0, prepared: cur };
      }
    }

    const openBatch = async (b: Batch) => {
      const { spec } = index.cells[b.cell];
      const source = o.cellSources[b.cell];
      const opened = await Promise.all(
        b.images.map(async (i) => {
          try {
            return { file: await source.file(spec, index.classFolder(i), index.fileName(i)), error: null };
          } catch (e) {
            return { file: null, error: `could not open the file: ${(e as Error).message}` };
          }
        }),
      );
      return opened;
    };
    let slot = 0;
    const decode = async (b: Batch) => {
      const opened = await openBatch(b);
      const kind = imagePreprocessing(index.cells[b.cell].spec);
      const jobs: DecodeJob[] = opened.map((x) => ({ file: x.file ?? new Blob([]), kind }));
      const decoded = await pool.decode(slot++, jobs, o.prep);
      // Files are let go of here: only their size and date travel on, into the cache.
      const meta = opened.map((x) => (x.file ? { s: x.file.size, m: x.file.lastModified } : null));
      const failures = decoded.failures.map((f, i) => opened[i].error ?? f);
      return { batch: b, decoded: { ...decoded, failures } as DecodedBatch, meta };
    };

    /** The top-5 of the batch's readable images under each setting (null: not run), one inference call. */
    const infer = async (item: Awaited<ReturnType<typeof decode>>): Promise<{ tops: (VariantTop | null)[]; k: number; rows: number[] }> => {
      const b = item.batch;
      const cell = index.cells[b.cell];
      const subset = index.subsetFor(cell.spec);
      // Unreadable images are left out of an adapted batch: their zero rows must not enter its statistics. (The
      // source model sees them, as before adaptation existed: its predictions of the other rows do not depend on them.)
      const rows = anyAdapted ? item.decoded.failures.flatMap((f, j) => (f === null ? [j] : [])) : b.images.map((_, j) => j);
      if (!rows.length) return { tops: variants.map(() => null), k: 5, rows };
      const n = rows.length;
      const tensor = rows.length === b.images.length ? item.decoded.tensor : compact(item.decoded.tensor, b.images.length, rows);
      if (variants.length === 1) {
        const pred = await engine.predict(padded(tensor, n, fixedBatch), fixedBatch ?? n, subset, b.first);
        return { tops: [pred], k: pred.k, rows };
      }
      const run = variants.map((_, vi) => b.prepared.run[vi] ?? b.images.some((i) => b.prepared.need[vi][i - cell.start] === 1));
      if (!engine.predictVariants) throw new Error('this inference engine cannot run settings side by side');
      const pred = await engine.predictVariants(padded(tensor, n, fixedBatch), fixedBatch ?? n, subset, { reset: b.first, run });
      return { tops: [...pred.variants], k: pred.k, rows };
    };

    const prefetch = pool.size + 1;
    const inFlight: Promise<Awaited<ReturnType<typeof decode>>>[] = [];
    const source = batches();
    let exhausted = false;
    const refill = async () => {
      while (!exhausted && inFlight.length < prefetch) {
        const n = await source.next();
        if (n.done) exhausted = true;
        else {
          const p = decode(n.value);
          p.catch(() => {});
          inFlight.push(p);
        }
      }
    };
    report(true);
    try {
      await refill();
      while (inFlight.length) {
        if (o.signal.aborted) throw new RunCancelled();
        let w0 = performance.now();
        for (const w of writers) await w.gate();
        stalls.storage += performance.now() - w0;
        w0 = performance.now();
        let item = await inFlight.shift()!;
        stalls.decode += performance.now() - w0;
        const refilling = refill();
        phase = 'inferring';
        const i0 = performance.now();
        let pred: Awaited<ReturnType<typeof infer>>;
        try {
          pred = await infer(item);
        } catch (e) {
          if (!shouldRestart(e)) throw e;
          // Self-learning state lives in the worker: a restart in the middle of a cell would continue from the source
          // parameters, which is not the protocol.
          if (stateful && !item.batch.first) throw new Error(`the inference worker stopped in the middle of a cell (${(e as Error).message}); self-learning state was lost: run again`);
          // The worker died or the GPU was lost: the tensor went with it. Restart (on WASM), decode again, retry once.
          await engine.restart((e as Error).message);
          item = await decode(item.batch);
          pred = await infer(item);
        }
        stalls.inference += performance.now() - i0;
        if (firstInference) {
          firstInference = false;
          mark('first-inference');
        }
        const cell = index.cells[item.batch.cell];
        const rowOf = new Map(pred.rows.map((j, r) => [j, r]));
        for (const [vi, v] of variants.entries()) {
          const entries: [string, CachedPrediction][] = [];
          const needs = item.batch.prepared.need[vi];
          const top = pred.tops[vi];
          item.batch.images.forEach((i, j) => {
            if (!needs[i - cell.start]) return;
            const failure = item.decoded.failures[j];
            const meta = item.meta[j];
            const y = v.index.label(i);
            let c: CachedPrediction;
            if (failure !== null) {
              v.index.setUnreadable(i, failure);
              c = { t: [], l: [], y, u: failure, ...(meta ?? {}) };
            } else {
              const r = rowOf.get(j)!;
              if (!top) throw new Error(`no prediction for ${index.path(i, cell)} under ${adaptationLabel(v.adaptation)}`);
              const t = Array.from(top.topIndices.subarray(r * pred.k, (r + 1) * pred.k));
              const l = Array.from(top.topLogits.subarray(r * pred.k, (r + 1) * pred.k));
              const m = maskedTop1Of(cell.spec, top, r);
              recordOutcome(v.index, i, cell.spec, t, m);
              v.counters.inferred++;
              c = { t, l, y, ...(m !== undefined ? { r: m } : {}), ...(meta ?? {}) } as ShiftCachedPrediction;
            }
            entries.push([shortPredictionKey(v.evalId, index.path(i, cell)), c]);
          });
          if (!entries.length) continue;
          writers[vi].enqueue(entries);
          const left = (remaining[vi].get(item.batch.cell) ?? 0) - entries.length;
          remaining[vi].set(item.batch.cell, left);
          if (left === 0) storeSummary(vi, item.batch.cell);
        }
        report();
        await refilling;
      }
      if (o.signal.aborted) throw new RunCancelled();
      for (const w of writers) w.setTotal(index.size);
      for (const w of writers) await w.finish(true);
    } catch (e) {
      for (const writer of writers) {
        if (e instanceof RunCancelled) {
          // Cancelled: what was computed is still written (unless storage is full: then it is as if the tab closed).
          if (!writer.isPaused) await writer.finish(false).catch(() => {});
          else writer.abort(e);
        } else writer.abort(e);
      }
      throw e;
    } finally {
      pool.stop();
      await source.return(undefined).catch(() => {});
      report(true);
    }
    return {
      records: writers.map((w) => w.record),
      seconds: (performance.now() - t0) / 1000,
      breakdown: { waitingForDecodeSeconds: stalls.decode / 1000, inferenceSeconds: stalls.inference / 1000, waitingForStorageSeconds: stalls.storage / 1000 },
    };
  }
}

/** A summary's spot check as read: the image's stored prediction and its file's size and date (null: not opened). */
interface SpotRead {
  record: CachedPrediction | undefined;
  file: { size: number; lastModified: number } | null;
}

/** One setting's cache of a cell: its summary with its spot checks, or (none, or unreadable) its per-image predictions. */
interface SettingCache {
  summary: CellSummary | undefined;
  spots: SpotRead[] | null;
  perImage: Map<string, CachedPrediction> | null;
}

/** One adaptation setting of a run: its own evaluation number, image index, counters and cache writer's record. */
interface VariantRun {
  adaptation: Adaptation;
  evalId: number;
  index: ImageIndex;
  record: RunRecord;
  counters: { inferred: number; fromCache: number };
}

/** A listed cell: the images to infer in batch order, per setting which of the cell's images it needs. */
interface PreparedCell {
  cell: number;
  todo: number[];
  /** Per setting, per image of the cell (position from cell.start): 1 = to infer. */
  need: Uint8Array[];
  /** Per setting: for an adapted one whether it runs on every batch of the cell; null: per batch, where it needs images. */
  run: (boolean | null)[];
}

interface Batch {
  cell: number;
  images: number[];
  /** The first batch of its cell: adaptation state is reset before it. */
  first: boolean;
  prepared: PreparedCell;
}

interface PipelineOptions {
  engine: PipelineEngine;
  cells: RunCell[];
  /** Cells already listed (to resolve labels), by position. */
  listed: Map<number, ClassListing[]>;
  /** The settings evaluated side by side; the first one's index drives listing and progress. */
  variants: VariantRun[];
  cellSources: DatasetSource[];
  ignored: IgnoredFiles;
  prep: Preprocessing;
  batchSize: number;
  signal: AbortSignal;
  subset: SubsetSpec;
  estimatedCells: number;
}

/** The rows `rows` of a batch tensor of `n` images, packed. */
function compact(tensor: Float32Array, n: number, rows: readonly number[]): Float32Array {
  const stride = tensor.length / n;
  const out = new Float32Array(stride * rows.length);
  rows.forEach((j, r) => out.set(tensor.subarray(j * stride, (j + 1) * stride), r * stride));
  return out;
}

/**
 * Whether a cell's outcomes are kept as a cell summary: a cell whose per-image outcome is its top-1 alone (a cell
 * of a shift dataset, with outcomes of its own, is not summarised and is always read image by image).
 */
function summarised(spec: CellSpec): boolean {
  return !spec.shift;
}

/** A model with a fixed batch dimension gets a zero-padded last batch; the padding is discarded. */
function padded(tensor: Float32Array, n: number, fixedBatch: number | null): Float32Array {
  if (!fixedBatch || n >= fixedBatch) return tensor;
  const out = new Float32Array((tensor.length / n) * fixedBatch);
  out.set(tensor);
  return out;
}

/**
 * One tab at a time per evaluation (Web Locks): resolves to the lock's release, or throws when another tab of this
 * origin holds it. Without the Locks API there is nothing to hold.
 */
function runLock(key: string): Promise<() => void> {
  const locks = (globalThis.navigator as (Navigator & { locks?: LockManager }) | undefined)?.locks;
  if (!locks) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks
      .request(`shiftlens:${key}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          reject(new Error('this evaluation is already running in another tab of ShiftLens; let it finish there (its results land in the same cache)'));
          return;
        }
        // Held until the run releases it.
        return new Promise<void>((release) => resolve(release));
      })
      .catch(reject);
  });
}
