import { ALL_CORRUPTIONS, SEVERITIES, corruptionInfo } from './corruption-catalog';
import { computeMetrics, errorRate, type CellCounts, type CorruptionCounts, type Metrics } from './metrics';
import type { ImagePrediction } from './aggregate';
import { checkSsimAnalysis, type SsimAnalysis } from './ssim-plan';
import { parseSubsetSpec, type SubsetSpec } from './subsets';
import { robustbenchMce } from './robustbench';
import { SHIFT_KINDS, isMaskedKind, isShiftKind, type ShiftCounts, type ShiftKind } from './shift-datasets';
import { isAdapted, parseAdaptation, type Adaptation } from './tta/adaptation';
import { OutcomesError, checkOutcomes, decodeOutcomes, encodeOutcomes, outcomesFromPredictions, outcomesProblems, type ImageOutcomes } from './outcomes';

export const RESULT_SCHEMA = 'shiftlens.result/v1';

export interface ResultMetricsPercent {
  mCE: number | null;
  relativeMCE: number | null;
  meanError15: number | null;
  meanError19: number | null;
  cleanError: number | null;
  ce: Record<string, number | null>;
  relativeCe: Record<string, number | null>;
  meanError: Record<string, number | null>;
  completeCommon: boolean;
  completeAll: boolean;
  /** ImageNet-C-bar and 3DCC (when the result has their cells): error per corruption and mean error, no AlexNet. */
  otherBenchmarks?: Partial<Record<'imagenet-c-bar' | 'imagenet-3dcc', OtherBenchmarkPercent>>;
  /** Shift datasets' errors in percent (from `shifts`). */
  shifts?: Partial<Record<ShiftKind, { error: number | null; error1000?: number | null; error5?: number | null }>>;
}

export interface OtherBenchmarkPercent {
  /** Mean error over severities per corruption present. */
  meanError: Record<string, number | null>;
  /** Mean over every corruption × severity cell of the benchmark; null unless all of them are present. */
  mean: number | null;
  complete: boolean;
  /** 3DCC only: RobustBench's normalisation (mean error / its AlexNet's on its 5,000-image subset), percent. */
  robustbenchCe?: Record<string, number | null>;
  robustbenchMce?: number | null;
}

/** `shifts.<kind>` of a result: counts of one shift dataset and the folder it came from. */
export type ShiftSection = Partial<Record<ShiftKind, ShiftCounts & { dataset: string }>>;

export interface ResultDocument {
  schema: typeof RESULT_SCHEMA;
  app: { name: 'ShiftLens'; version: string };
  createdAt: string;
  model: { name: string; file: string; bytes: number; sha256: string; inputName: string; logitsOutput: string; card: Record<string, unknown> };
  backend: 'webgpu' | 'wasm';
  /** `sha256`: of the class list (wnids joined by newlines), so results scored against different lists never merge. */
  labels: { source: string; count: number; sha256?: string };
  dataset: { name: string; layout: string; images: number; ignoredFiles: number };
  /** `interpolation`: the clean-image resize filter (absent in older files: bilinear). */
  preprocessing: { mean: number[]; std: number[]; inputSize: number; cleanResize: number; interpolation?: 'bilinear' | 'bicubic'; decoder: string };
  corruptions: Record<string, { group: string; severities: Record<string, CellCounts> }>;
  clean?: CellCounts & { dataset: string };
  /** The clean originals of the corrupted images (same class folder and file stem): used for relative CE. */
  cleanMatched?: CellCounts;
  /**
   * Natural distribution shifts, by kind: `errors` is the top-1 error count (for ImageNet-R and -A over their 200
   * classes only), `errors1000` the 1000-way top-1 errors of R and A, `errors5` the top-5 errors of the others.
   */
  shifts?: ShiftSection;
  metrics: ResultMetricsPercent;
  counts: {
    images: number;
    /** Inferred in the session that exported this. */
    inferred: number;
    fromCache: number;
    unreadable: number;
    /** Inferred and stored over every session of this run (each image once, however often the tab reloaded). */
    inferredAllSessions?: number;
  };
  unreadable: { path: string; reason: string }[];
  /** Things that happened during the run worth knowing (a backend fallback, say). */
  notes?: string[];
  /** How this session's inference went: wall time from the first decode to the last stored prediction. */
  timing?: RunTiming;
  /** Per-image top-1 outcomes (for the bootstrap and for merging shards); consistent with the counts above. */
  outcomes?: ImageOutcomes;
  /** Mean SSIM of corrupted vs clean images per corruption × severity (independent of the model). */
  ssim?: SsimAnalysis;
  /** Which images were evaluated when not all of them (RobustBench's 5,000, or k per class). */
  subset?: SubsetSpec;
  /**
   * RobustBench's normalisation, for a run on its subset: each corruption's mean error over severities divided by
   * AlexNet's mean error measured on that same 5,000-image subset, in percent. Not comparable with `metrics.mCE`
   * (AlexNet on all 50,000 images); always recomputed from the counts.
   */
  robustbench?: RobustbenchSection;
  /**
   * Test-time adaptation the predictions were made with (src/core/tta/adaptation.ts: method and parameters, B, the
   * shuffle seed if any). Absent: the source model (as in every file written before adaptation existed).
   */
  adaptation?: Adaptation;
}

export interface RobustbenchSection {
  mCE: number | null;
  perCorruption: Record<string, number | null>;
  complete: boolean;
  /** How many of the subset's ids were not in the folder. */
  missingIds: number;
  subsetSize: number;
}

export interface RunTiming {
  seconds: number;
  /** Where the run waited: for decoded images, for inference, for storage. */
  breakdown?: { waitingForDecodeSeconds: number; inferenceSeconds: number; waitingForStorageSeconds: number };
  inferredPerSec: number;
  batchSize: number;
  threads: number | null;
}

const pct = (x: number | null) => (x === null ? null : x * 100);

export function cleanErrorForRelative(doc: Pick<ResultDocument, 'clean' | 'cleanMatched'>): number | null {
  return errorRate(doc.cleanMatched?.n ? doc.cleanMatched : doc.clean);
}

export function countsOf(doc: Pick<ResultDocument, 'corruptions'>): CorruptionCounts {
  const out: CorruptionCounts = {};
  for (const [name, entry] of Object.entries(doc.corruptions)) {
    out[name] = {};
    for (const [s, cell] of Object.entries(entry.severities)) out[name][Number(s)] = cell;
  }
  return out;
}

export function metricsToPercent(m: Metrics, shifts?: ShiftSection): ResultMetricsPercent {
  const per = (f: (c: Metrics['corruptions'][number]) => number | null) =>
    Object.fromEntries(m.corruptions.map((c) => [c.name, pct(f(c))]));
  const out: ResultMetricsPercent = {
    mCE: pct(m.mCE),
    relativeMCE: pct(m.relativeMCE),
    meanError15: pct(m.meanError15),
    meanError19: pct(m.meanError19),
    cleanError: pct(m.cleanErrorForRelative),
    ce: per((c) => c.ce),
    relativeCe: per((c) => c.relativeCe),
    meanError: per((c) => c.meanError),
    completeCommon: m.completeCommon,
    completeAll: m.completeAll,
  };
  if (m.otherBenchmarks.length) {
    out.otherBenchmarks = {};
    for (const b of m.otherBenchmarks) {
      out.otherBenchmarks[b.benchmark] = {
        meanError: Object.fromEntries(b.corruptions.map((c) => [c.name, pct(c.meanError)])),
        mean: pct(b.mean),
        complete: b.complete,
        ...(b.robustbenchCe ? { robustbenchCe: b.robustbenchCe, robustbenchMce: b.robustbenchMce ?? null } : {}),
      };
    }
  }
  const kinds = SHIFT_KINDS.filter((k) => shifts?.[k]);
  if (kinds.length) {
    out.shifts = {};
    for (const k of kinds) {
      const c = shifts![k]!;
      const rate = (e: number | undefined) => (e === undefined ? undefined : c.n ? (100 * e) / c.n : null);
      out.shifts[k] = { error: rate(c.errors) ?? null, ...(c.errors1000 !== undefined ? { error1000: rate(c.errors1000) } : {}), ...(c.errors5 !== undefined ? { error5: rate(c.errors5) } : {}) };
    }
  }
  return out;
}

/** A result's `shifts` from aggregated counts and the folder names of the kinds. */
export function shiftSection(counts: Partial<Record<ShiftKind, ShiftCounts>> | undefined, datasets: Partial<Record<ShiftKind, string>> = {}): ShiftSection | undefined {
  const out: ShiftSection = {};
  for (const k of SHIFT_KINDS) {
    const c = counts?.[k];
    if (c) out[k] = { ...c, dataset: datasets[k] ?? '' };
  }
  return Object.keys(out).length ? out : undefined;
}

/** Metrics are always derived from the counts, never taken from a file. */
export function deriveMetrics(doc: Pick<ResultDocument, 'corruptions' | 'clean' | 'cleanMatched'>): Metrics {
  return computeMetrics(countsOf(doc), cleanErrorForRelative(doc));
}

export function corruptionsSection(counts: CorruptionCounts): ResultDocument['corruptions'] {
  const out: ResultDocument['corruptions'] = {};
  for (const info of ALL_CORRUPTIONS) {
    const cells = counts[info.name];
    if (!cells) continue;
    const severities: Record<string, CellCounts> = {};
    for (const s of SEVERITIES) {
      const c = cells[s];
      if (c) severities[String(s)] = { n: c.n, errors: c.errors };
    }
    out[info.name] = { group: info.group, severities };
  }
  return out;
}

export class ResultValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`not a valid ShiftLens result: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A plain-data copy of a small object (a model card): at most 200 000 characters of JSON and 16 levels deep, without
 * `__proto__`/`constructor`/`prototype` keys (a later `Object.assign` must not be able to swap a prototype), or {} when
 * it is not such an object.
 */
function boundedCopy(v: unknown): Record<string, unknown> {
  let budget = 200_000;
  const copy = (x: unknown, depth: number): unknown => {
    if (depth > 16 || (budget -= 8) < 0) throw new RangeError('card too large');
    if (typeof x === 'string') {
      if ((budget -= x.length) < 0) throw new RangeError('card too large');
      return x;
    }
    if (typeof x === 'number') return Number.isFinite(x) ? x : null;
    if (x === null || typeof x === 'boolean') return x;
    if (Array.isArray(x)) return x.map((e) => copy(e, depth + 1));
    if (isObj(x)) {
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(x)) {
        if (FORBIDDEN_KEYS.has(k)) continue;
        if ((budget -= k.length) < 0) throw new RangeError('card too large');
        out[k] = copy(e, depth + 1);
      }
      return out;
    }
    return null;
  };
  if (!isObj(v)) return {};
  try {
    return copy(v, 0) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const MAX_COUNT = 1e9;

function checkCell(v: unknown, where: string, problems: string[]): v is CellCounts {
  if (!isObj(v)) return problems.push(`${where}: expected {"n", "errors"}`), false;
  const { n, errors } = v;
  const ok = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= MAX_COUNT;
  if (!ok(n) || !ok(errors)) return problems.push(`${where}: "n" and "errors" must be whole numbers ≥ 0`), false;
  if ((errors as number) > (n as number)) return problems.push(`${where}: more errors than images`), false;
  return true;
}

/**
 * Validates an imported document. Unknown fields are dropped, metrics recomputed from the counts, and strings are
 * kept as strings (the UI renders them as text, never HTML).
 */
export function validateResult(raw: unknown): ResultDocument {
  const problems: string[] = [];
  if (!isObj(raw)) throw new ResultValidationError(['expected a JSON object']);
  if (raw.schema !== RESULT_SCHEMA) {
    throw new ResultValidationError([`"schema" is ${JSON.stringify(raw.schema)?.slice(0, 60) ?? 'missing'}, expected "${RESULT_SCHEMA}"`]);
  }
  const str = (v: unknown, where: string, max = 500): string => {
    if (typeof v !== 'string') {
      problems.push(`${where}: expected a string`);
      return '';
    }
    return v.slice(0, max);
  };
  const model = isObj(raw.model) ? raw.model : (problems.push('"model" missing'), {});
  const sha256 = str(model.sha256, 'model.sha256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) problems.push('model.sha256: expected 64 hex digits');
  const backend = raw.backend === 'webgpu' || raw.backend === 'wasm' ? raw.backend : (problems.push('"backend" must be "webgpu" or "wasm"'), 'wasm');
  const corruptions: ResultDocument['corruptions'] = {};
  if (!isObj(raw.corruptions)) problems.push('"corruptions" missing');
  else {
    for (const [name, entry] of Object.entries(raw.corruptions)) {
      const info = corruptionInfo(name);
      if (!info) {
        problems.push(`corruptions: unknown corruption ${JSON.stringify(name.slice(0, 40))}`);
        continue;
      }
      if (!isObj(entry) || !isObj(entry.severities)) {
        problems.push(`corruptions.${name}: expected {"severities": {…}}`);
        continue;
      }
      const severities: Record<string, CellCounts> = {};
      for (const [s, cell] of Object.entries(entry.severities)) {
        if (!/^[1-5]$/.test(s)) {
          problems.push(`corruptions.${name}.severities: "${s.slice(0, 10)}" is not 1–5`);
          continue;
        }
        if (checkCell(cell, `corruptions.${name}.severities.${s}`, problems)) severities[s] = { n: cell.n, errors: cell.errors };
      }
      corruptions[name] = { group: info.group, severities };
    }
  }
  let clean: ResultDocument['clean'];
  if (raw.clean !== undefined && checkCell(raw.clean, 'clean', problems)) {
    const c = raw.clean as unknown as Record<string, unknown>;
    clean = { n: c.n as number, errors: c.errors as number, dataset: typeof c.dataset === 'string' ? c.dataset.slice(0, 500) : '' };
  }
  let cleanMatched: CellCounts | undefined;
  if (raw.cleanMatched !== undefined && checkCell(raw.cleanMatched, 'cleanMatched', problems)) {
    const c = raw.cleanMatched as CellCounts;
    cleanMatched = { n: c.n, errors: c.errors };
  }
  const shifts = raw.shifts === undefined ? undefined : checkShifts(raw.shifts, problems);
  let outcomes: ImageOutcomes | undefined;
  if (raw.outcomes !== undefined && !problems.length) {
    const decoded = checkOutcomes(raw.outcomes, problems);
    if (decoded) {
      const mismatch = outcomesProblems(decoded, { corruptions, clean, cleanMatched, shifts });
      if (mismatch.length) problems.push(...mismatch);
      else outcomes = encodeOutcomes(decoded);
    }
  }
  const ssim = raw.ssim === undefined ? undefined : checkSsimAnalysis(raw.ssim, (n) => !!corruptionInfo(n), problems);
  if (problems.length) throw new ResultValidationError(problems);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_COUNT ? v : 0);
  const o = (v: unknown) => (isObj(v) ? v : {});
  const counts = o(raw.counts);
  const dataset = o(raw.dataset);
  const labels = o(raw.labels);
  const pre = o(raw.preprocessing);
  const app = o(raw.app);
  const nums = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'number' && Number.isFinite(x)).slice(0, 3) : []);
  const s = (v: unknown, max = 500) => (typeof v === 'string' ? v.slice(0, max) : '');
  const doc: ResultDocument = {
    schema: RESULT_SCHEMA,
    app: { name: 'ShiftLens', version: s(app.version, 40) },
    createdAt: s(raw.createdAt, 40),
    model: {
      name: s(model.name),
      file: s(model.file),
      bytes: num(model.bytes),
      sha256,
      inputName: s(model.inputName),
      logitsOutput: s(model.logitsOutput),
      card: boundedCopy(model.card),
    },
    backend,
    labels: { source: s(labels.source), count: num(labels.count), ...(typeof labels.sha256 === 'string' && /^[0-9a-f]{64}$/.test(labels.sha256) ? { sha256: labels.sha256 } : {}) },
    dataset: { name: s(dataset.name), layout: s(dataset.layout, 20), images: num(dataset.images), ignoredFiles: num(dataset.ignoredFiles) },
    preprocessing: {
      mean: nums(pre.mean),
      std: nums(pre.std),
      inputSize: num(pre.inputSize),
      cleanResize: num(pre.cleanResize),
      ...(pre.interpolation === 'bicubic' || pre.interpolation === 'bilinear' ? { interpolation: pre.interpolation } : {}),
      decoder: s(pre.decoder),
    },
    corruptions,
    clean,
    cleanMatched,
    metrics: metricsToPercent(computeMetrics(countsOf({ corruptions }), cleanErrorForRelative({ clean, cleanMatched })), shifts),
    counts: {
      images: num(counts.images),
      inferred: num(counts.inferred),
      fromCache: num(counts.fromCache),
      unreadable: num(counts.unreadable),
      ...(counts.inferredAllSessions !== undefined ? { inferredAllSessions: num(counts.inferredAllSessions) } : {}),
    },
    unreadable: Array.isArray(raw.unreadable)
      ? raw.unreadable.filter(isObj).slice(0, 100_000).map((u) => ({ path: s(u.path, 2000), reason: s(u.reason) }))
      : [],
  };
  if (clean === undefined) delete doc.clean;
  if (cleanMatched === undefined) delete doc.cleanMatched;
  if (shifts) doc.shifts = shifts;
  const notes = Array.isArray(raw.notes) ? raw.notes.filter((n): n is string => typeof n === 'string').slice(0, 100).map((n) => n.slice(0, 2000)) : [];
  if (notes.length) doc.notes = notes;
  if (outcomes) doc.outcomes = outcomes;
  if (ssim) doc.ssim = ssim;
  const adaptation = parseAdaptation(raw.adaptation, problems);
  if (problems.length) throw new ResultValidationError(problems);
  if (adaptation && isAdapted(adaptation)) doc.adaptation = adaptation;
  const subset = raw.subset === undefined ? null : parseSubsetSpec(raw.subset);
  if (subset && subset.kind !== 'all') doc.subset = subset;
  if (subset?.kind === 'robustbench') {
    const rb = robustbenchMce(countsOf(doc));
    const given = isObj(raw.robustbench) ? raw.robustbench : {};
    doc.robustbench = { ...rb, missingIds: num(given.missingIds), subsetSize: 5000 };
  }
  return doc;
}

/** `shifts` of an untrusted document: known kinds, whole counts within `n`; the 1000-way errors only for R and A. */
function checkShifts(raw: unknown, problems: string[]): ShiftSection | undefined {
  if (!isObj(raw)) {
    problems.push('"shifts": expected {"<kind>": {"n", "errors", …}}');
    return undefined;
  }
  const out: ShiftSection = {};
  const whole = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= MAX_COUNT;
  for (const [kind, entry] of Object.entries(raw)) {
    const where = `shifts.${kind.slice(0, 40)}`;
    if (!isShiftKind(kind)) {
      problems.push(`shifts: unknown dataset kind ${JSON.stringify(kind.slice(0, 40))} (expected ${SHIFT_KINDS.join(', ')})`);
      continue;
    }
    if (!checkCell(entry, where, problems)) continue;
    const e = entry as unknown as Record<string, unknown>;
    const cell: ShiftCounts & { dataset: string } = { n: e.n as number, errors: e.errors as number, dataset: typeof e.dataset === 'string' ? e.dataset.slice(0, 500) : '' };
    for (const field of ['errors1000', 'errors5'] as const) {
      if (e[field] === undefined) continue;
      if (field === 'errors1000' && !isMaskedKind(kind)) problems.push(`${where}.errors1000: only ImageNet-R and -A have a 1000-way error beside their 200-class one`);
      else if (field === 'errors5' && isMaskedKind(kind)) problems.push(`${where}.errors5: ImageNet-R and -A report no top-5 error`);
      else if (!whole(e[field]) || (e[field] as number) > cell.n) problems.push(`${where}.${field}: expected a whole number from 0 to n`);
      else cell[field] = e[field] as number;
    }
    out[kind] = cell;
  }
  // In the canonical kind order, whatever order the file had.
  return shiftSection(out, Object.fromEntries(SHIFT_KINDS.filter((k) => out[k]).map((k) => [k, out[k]!.dataset])));
}

/** An imported file that is not a ShiftLens result; the message names the file and the first problems. */
export class ResultFileError extends Error {
  constructor(
    readonly fileName: string,
    readonly problems: string[],
  ) {
    super(`${fileName.slice(0, 200)}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
  }
}

/** Far above a full ImageNet-C run with per-image outcomes (about 4 MB). */
export const MAX_RESULT_FILE_CHARS = 100_000_000;

/** JSON.parse + validateResult for an imported file; throws ResultFileError. */
export function parseResultFile(text: string, fileName: string): ResultDocument {
  if (text.length > MAX_RESULT_FILE_CHARS) {
    throw new ResultFileError(fileName, [`${(text.length / 1e6).toFixed(0)} MB is too large for a result file (at most ${MAX_RESULT_FILE_CHARS / 1e6} MB)`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ResultFileError(fileName, [`not JSON (${String((e as Error).message).slice(0, 200)})`]);
  }
  try {
    return validateResult(raw);
  } catch (e) {
    if (e instanceof ResultValidationError) throw new ResultFileError(fileName, ['not a valid ShiftLens result', ...e.problems]);
    throw e;
  }
}

export interface ResultMeta {
  appVersion: string;
  createdAt: string;
  model: ResultDocument['model'];
  backend: ResultDocument['backend'];
  labels: ResultDocument['labels'];
  dataset: ResultDocument['dataset'];
  preprocessing: ResultDocument['preprocessing'];
  cleanDatasetName?: string;
  /** The folder each shift dataset came from. */
  shiftDatasets?: Partial<Record<ShiftKind, string>>;
  counts: { inferred: number; fromCache: number; inferredAllSessions?: number };
  notes?: string[];
  timing?: RunTiming;
}

/**
 * @param predictions the predictions `agg` was aggregated from: when given, their per-image outcomes are stored too
 *   (left out, with a note, when image identities are not unique within a cell).
 */
export function buildResult(agg: import('./aggregate').Aggregate, meta: ResultMeta, predictions?: Iterable<ImagePrediction>): ResultDocument {
  const corruptions = corruptionsSection(agg.corruptions);
  const clean = agg.clean ? { ...agg.clean, dataset: meta.cleanDatasetName ?? '' } : undefined;
  const cleanMatched = agg.cleanMatched ?? undefined;
  const shifts = shiftSection(agg.shifts, meta.shiftDatasets);
  const evaluated =
    Object.values(corruptions).reduce((s, c) => s + Object.values(c.severities).reduce((t, x) => t + x.n, 0), 0) +
    (clean?.n ?? 0) +
    Object.values(shifts ?? {}).reduce((s, c) => s + c.n, 0);
  const doc: ResultDocument = {
    schema: RESULT_SCHEMA,
    app: { name: 'ShiftLens', version: meta.appVersion },
    createdAt: meta.createdAt,
    model: meta.model,
    backend: meta.backend,
    labels: meta.labels,
    dataset: meta.dataset,
    preprocessing: meta.preprocessing,
    corruptions,
    clean,
    cleanMatched,
    metrics: metricsToPercent(deriveMetrics({ corruptions, clean, cleanMatched }), shifts),
    counts: { images: evaluated + agg.unreadable.length, ...meta.counts, unreadable: agg.unreadable.length },
    unreadable: agg.unreadable,
  };
  const notes = [...(meta.notes ?? [])];
  if (predictions) {
    try {
      const outcomes = outcomesFromPredictions(predictions);
      const mismatch = outcomesProblems(decodeOutcomes(outcomes), { corruptions, clean, cleanMatched, shifts });
      if (mismatch.length) throw new OutcomesError(mismatch[0]);
      doc.outcomes = outcomes;
    } catch (e) {
      if (!(e instanceof OutcomesError)) throw e;
      notes.push(`per-image outcomes left out (no uncertainty intervals or merging for this result): ${e.message}`);
    }
  }
  if (notes.length) doc.notes = notes;
  if (meta.timing) doc.timing = meta.timing;
  if (!clean) delete doc.clean;
  if (!cleanMatched) delete doc.cleanMatched;
  if (shifts) doc.shifts = shifts;
  return doc;
}

/**
 * One image as a JSON line, in the format of the reference predictions (`path`, `label`, `top5`, `logits_top5`); a
 * shift image adds its dataset kind (`shift`) and, for ImageNet-R and -A, the argmax over their 200 classes
 * (`top1_masked`, what their error counts).
 */
export function predictionLine(
  p: Pick<ImagePrediction, 'path' | 'label' | 'top' | 'topLogits' | 'unreadable' | 'shift' | 'maskedTop1'> & {
    /** The run's adaptation setting (adaptationId), when it is not the source model. */
    adaptation?: string;
    /** A side-by-side run: the adapted setting's top-5 and logits beside the source's. */
    adapted?: { adaptation: string; top: readonly number[]; topLogits: readonly number[] };
  },
): string {
  const shift = p.shift ? { shift: p.shift } : {};
  const logits = (xs: readonly number[]) => xs.map((v) => Math.round(v * 1e5) / 1e5);
  return JSON.stringify(
    p.unreadable !== undefined
      ? { path: p.path, label: p.label, ...shift, unreadable: p.unreadable }
      : {
          path: p.path,
          label: p.label,
          top5: p.top,
          logits_top5: logits(p.topLogits),
          ...shift,
          ...(p.maskedTop1 !== undefined ? { top1_masked: p.maskedTop1 } : {}),
          ...(p.adaptation ? { adaptation: p.adaptation } : {}),
          ...(p.adapted ? { adapted_adaptation: p.adapted.adaptation, adapted_top5: [...p.adapted.top], adapted_logits_top5: logits(p.adapted.topLogits) } : {}),
        },
  );
}

/** One line per image (predictionLine), for a small set held in memory. */
export function predictionsJsonl(preds: Iterable<ImagePrediction>): string {
  const lines: string[] = [];
  for (const p of preds) lines.push(predictionLine(p));
  return lines.length ? lines.join('\n') + '\n' : '';
}
