/**
 * Bootstrap over images: each resample draws images with replacement (one draw applied to every cell, so the
 * correlation between cells — the same images under every corruption — is kept) and recomputes every error and
 * metric with the ordinary metric functions. 95 % intervals are percentile intervals.
 *
 * Images are drawn in strata of fixed size: those evaluated under some corruption, clean-only images (a clean folder
 * larger than the corrupted set), and the images of each shift dataset (ImageNet-R, -A, …: images of their own, never
 * the clean original of anything). So a corrupted cell resamples the corrupted images, the clean error of the whole
 * clean folder resamples both, and a shift dataset's error resamples its own images.
 *
 * Speed: a resample's multinomial weights w (draw counts per image) give a cell's Σw·present and Σw·wrong. Each cell
 * stores the index lists of its two smaller state classes (absent / correct / wrong) and gets the largest class from
 * the total weight, so a resample costs at most ⅔ of images × cells additions.
 */
import { CORRUPTIONS, corruptionInfo } from './corruption-catalog';
import { computeMetrics, type CellCounts, type CorruptionCounts, type Metrics } from './metrics';
import { ABSENT, CLEAN_CELL, CORRECT, WRONG, corruptedKeyMask, decodeOutcomes, parseCellId, type DecodedOutcomes } from './outcomes';
import { SHIFT_KINDS, parseShiftCellId, shiftCellId, type ShiftKind } from './shift-datasets';
import type { ResultDocument } from './result-document';
import { xoshiro128 } from './xoshiro128';

/** In percent. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  /** Default and minimum 1000. */
  resamples?: number;
  seed?: number;
  /** Default 0.95. */
  level?: number;
}

export interface BootstrapResult {
  resamples: number;
  seed: number;
  level: number;
  /** Images resampled: those evaluated under some corruption, clean-only images, and each shift dataset's (strata). */
  images: { corrupted: number; cleanOnly: number; shifts?: Partial<Record<ShiftKind, number>> };
  /** Error per cell (`"<corruption>/<severity>"`, `"clean"`) that has images. */
  cells: Record<string, Interval>;
  ce: Record<string, Interval | null>;
  relativeCe: Record<string, Interval | null>;
  meanError: Record<string, Interval | null>;
  mCE: Interval | null;
  relativeMCE: Interval | null;
  meanError15: Interval | null;
  meanError19: Interval | null;
  /** Clean error of all clean images. */
  clean: Interval | null;
  /** Error of each shift dataset (for ImageNet-R and -A the 200-class error, their outcome). */
  shifts?: Partial<Record<ShiftKind, Interval>>;
}

export interface PairedDifference {
  /** a.mCE − b.mCE in points (negative: a is better), on the images both runs evaluated. */
  difference: Interval;
  commonImages: number;
  /** Share of resamples in which a's mCE is lower than b's (ties count half). */
  pBetter: number;
}

export class BootstrapError extends Error {}

export const DEFAULT_SEED = 20_190_101;

function options(opts: BootstrapOptions): Required<BootstrapOptions> {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(resamples) || resamples < 1000 || resamples > 1_000_000) throw new BootstrapError(`resamples must be a whole number from 1000 to 1 000 000, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new BootstrapError(`level must be between 0 and 1, got ${level}`);
  if (!Number.isInteger(seed)) throw new BootstrapError(`seed must be a whole number, got ${seed}`);
  return { resamples, level, seed };
}

/** A cell's weighted counts from the index lists of its two smaller state classes. */
interface CellPlan {
  listA: Int32Array;
  listB: Int32Array;
  /** Which states listA / listB hold; the third (largest) class is the total minus both. */
  stateA: number;
  stateB: number;
}

function planCell(states: Uint8Array): CellPlan {
  const sizes = [0, 0, 0];
  for (let i = 0; i < states.length; i++) sizes[states[i]]++;
  const largest = sizes.indexOf(Math.max(...sizes));
  const [stateA, stateB] = [ABSENT, CORRECT, WRONG].filter((s) => s !== largest);
  const listA = new Int32Array(sizes[stateA]);
  const listB = new Int32Array(sizes[stateB]);
  let a = 0;
  let b = 0;
  for (let i = 0; i < states.length; i++) {
    if (states[i] === stateA) listA[a++] = i;
    else if (states[i] === stateB) listB[b++] = i;
  }
  return { listA, listB, stateA, stateB };
}

const sumAt = (w: Int32Array, list: Int32Array) => {
  let s = 0;
  for (let j = 0; j < list.length; j++) s += w[list[j]];
  return s;
};

/** Σw over present images and over wrong ones, `total` = Σw over all images. */
function weighted(plan: CellPlan, w: Int32Array, total: number, out: CellCounts): void {
  const sums = [0, 0, 0];
  sums[plan.stateA] = sumAt(w, plan.listA);
  sums[plan.stateB] = sumAt(w, plan.listB);
  sums[3 - plan.stateA - plan.stateB] = total - sums[plan.stateA] - sums[plan.stateB];
  out.n = total - sums[ABSENT];
  out.errors = sums[WRONG];
}

/** Percentile interval (linear interpolation between order statistics, numpy's default) of the finite values. */
function percentile(values: Float64Array, level: number, estimate: number | null): Interval | null {
  if (estimate === null) return null;
  const v = values.filter(Number.isFinite).sort();
  if (!v.length) return null;
  const at = (q: number) => {
    const h = (v.length - 1) * q;
    const i = Math.floor(h);
    return i + 1 < v.length ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[i];
  };
  return { estimate, lo: at((1 - level) / 2), hi: at((1 + level) / 2) };
}

/**
 * Keys reordered by stratum: 0 = `inFirst` (corrupted), 1 = the rest (clean-only), then one per shift dataset (keys
 * present in its cell); each cell's states in that order, and the strata's sizes.
 */
function stratify(d: DecodedOutcomes, inFirst: Uint8Array): { cells: Map<string, Uint8Array>; first: number; total: number; sizes: number[]; shiftSizes: Partial<Record<ShiftKind, number>> } {
  const stratum = new Uint8Array(inFirst.length);
  for (let i = 0; i < inFirst.length; i++) stratum[i] = inFirst[i] ? 0 : 1;
  SHIFT_KINDS.forEach((kind, k) => {
    const states = d.cells.get(shiftCellId(kind));
    if (states) for (let i = 0; i < states.length; i++) if (states[i] !== ABSENT && !inFirst[i]) stratum[i] = 2 + k;
  });
  const order: number[] = [];
  const sizes: number[] = [];
  for (let s = 0; s < 2 + SHIFT_KINDS.length; s++) {
    const before = order.length;
    for (let i = 0; i < stratum.length; i++) if (stratum[i] === s) order.push(i);
    sizes.push(order.length - before);
  }
  const shiftSizes: Partial<Record<ShiftKind, number>> = {};
  SHIFT_KINDS.forEach((kind, k) => {
    if (sizes[2 + k]) shiftSizes[kind] = sizes[2 + k];
  });
  const cells = new Map<string, Uint8Array>();
  for (const [id, states] of d.cells) cells.set(id, Uint8Array.from(order, (i) => states[i]));
  return { cells, first: sizes[0], total: order.length, sizes, shiftSizes };
}

/** Draws `sizes[k]` images with replacement within each consecutive stratum k; w[i] = times image i was drawn. */
function drawWeights(w: Int32Array, sizes: readonly number[], rng: ReturnType<typeof xoshiro128>): void {
  w.fill(0);
  let offset = 0;
  for (const size of sizes) {
    for (let j = 0; j < size; j++) w[offset + rng.below(size)]++;
    offset += size;
  }
}

const pct = (x: number | null) => (x === null ? NaN : 100 * x);

function outcomesOf(doc: ResultDocument): DecodedOutcomes {
  if (!doc.outcomes) throw new BootstrapError('this result has no per-image outcomes (exported by an older version?), so it cannot be bootstrapped');
  return decodeOutcomes(doc.outcomes);
}

/** Intervals for every cell error and metric of a result with outcomes; throws BootstrapError without them. */
export function bootstrapResult(doc: ResultDocument, opts: BootstrapOptions = {}): BootstrapResult {
  const { resamples, level, seed } = options(opts);
  const decoded = outcomesOf(doc);
  const corrupted = corruptedKeyMask(decoded);
  const { cells: states, first, total, sizes, shiftSizes } = stratify(decoded, corrupted);
  const ids = [...states.keys()].filter((id) => states.get(id)!.some((s) => s !== ABSENT));
  const plans = ids.map((id) => planCell(states.get(id)!));
  const cleanStates = states.get(CLEAN_CELL);
  // Clean originals of the corrupted images: the clean cell restricted to stratum 0, for relative CE.
  const matchedPlan = cleanStates && doc.cleanMatched?.n ? planCell(cleanStates.map((s, i) => (i < first ? s : ABSENT))) : null;

  const cellCounts = ids.map(() => ({ n: 0, errors: 0 }));
  const counts: CorruptionCounts = {};
  ids.forEach((id, k) => {
    const c = parseCellId(id);
    if (c) (counts[c.corruption] ??= {})[c.severity] = cellCounts[k];
  });
  const cleanIndex = ids.indexOf(CLEAN_CELL);
  const matched: CellCounts = { n: 0, errors: 0 };

  const cellValues = ids.map(() => new Float64Array(resamples));
  const per = () => Object.fromEntries(CORRUPTIONS.map((c) => [c.name, new Float64Array(resamples)]));
  const ceValues = per();
  const relativeCeValues = per();
  const meanErrorValues = per();
  const scalar = { mCE: new Float64Array(resamples), relativeMCE: new Float64Array(resamples), meanError15: new Float64Array(resamples), meanError19: new Float64Array(resamples) };

  const rng = xoshiro128(seed);
  const w = new Int32Array(total);
  for (let r = 0; r < resamples; r++) {
    drawWeights(w, sizes, rng);
    plans.forEach((plan, k) => {
      weighted(plan, w, total, cellCounts[k]);
      cellValues[k][r] = cellCounts[k].n ? (100 * cellCounts[k].errors) / cellCounts[k].n : NaN;
    });
    let cleanError: number | null = null;
    if (matchedPlan) {
      weighted(matchedPlan, w, total, matched);
      cleanError = matched.n ? matched.errors / matched.n : null;
    } else if (cleanIndex >= 0 && cellCounts[cleanIndex].n) cleanError = cellCounts[cleanIndex].errors / cellCounts[cleanIndex].n;
    const m: Metrics = computeMetrics(counts, cleanError);
    for (const c of m.corruptions) {
      ceValues[c.name][r] = pct(c.ce);
      relativeCeValues[c.name][r] = pct(c.relativeCe);
      meanErrorValues[c.name][r] = pct(c.meanError);
    }
    scalar.mCE[r] = pct(m.mCE);
    scalar.relativeMCE[r] = pct(m.relativeMCE);
    scalar.meanError15[r] = pct(m.meanError15);
    scalar.meanError19[r] = pct(m.meanError19);
  }

  const cellsOut: Record<string, Interval> = {};
  ids.forEach((id, k) => {
    const c = parseCellId(id);
    const kind = parseShiftCellId(id);
    const full = c ? doc.corruptions[c.corruption]?.severities[String(c.severity)] : kind ? doc.shifts?.[kind] : doc.clean;
    const interval = full?.n ? percentile(cellValues[k], level, (100 * full.errors) / full.n) : null;
    if (interval) cellsOut[id] = interval;
  });
  const perOut = (values: Record<string, Float64Array>, estimates: Record<string, number | null>) =>
    Object.fromEntries(CORRUPTIONS.map((c) => [c.name, percentile(values[c.name], level, estimates[c.name] ?? null)]));
  const mt = doc.metrics;
  const shiftIntervals: Partial<Record<ShiftKind, Interval>> = {};
  for (const kind of SHIFT_KINDS) if (cellsOut[shiftCellId(kind)]) shiftIntervals[kind] = cellsOut[shiftCellId(kind)];
  const hasShifts = Object.keys(shiftIntervals).length > 0;
  return {
    resamples,
    seed,
    level,
    images: { corrupted: first, cleanOnly: sizes[1], ...(Object.keys(shiftSizes).length ? { shifts: shiftSizes } : {}) },
    cells: cellsOut,
    ce: perOut(ceValues, mt.ce),
    relativeCe: perOut(relativeCeValues, mt.relativeCe),
    meanError: perOut(meanErrorValues, mt.meanError),
    mCE: percentile(scalar.mCE, level, mt.mCE),
    relativeMCE: percentile(scalar.relativeMCE, level, mt.relativeMCE),
    meanError15: percentile(scalar.meanError15, level, mt.meanError15),
    meanError19: percentile(scalar.meanError19, level, mt.meanError19),
    clean: cleanIndex >= 0 ? (cellsOut[CLEAN_CELL] ?? null) : null,
    ...(hasShifts ? { shifts: shiftIntervals } : {}),
  };
}

/** The common-corruption cells of `d` on the keys `keys` (sorted), as states over those keys. */
function restrict(d: DecodedOutcomes, keys: readonly string[]): Map<string, Uint8Array> {
  const index = new Map(d.keys.map((k, i) => [k, i]));
  const at = keys.map((k) => index.get(k)!);
  const out = new Map<string, Uint8Array>();
  for (const [id, states] of d.cells) {
    const c = parseCellId(id);
    if (!c || !corruptionInfo(c.corruption)!.common) continue;
    out.set(id, Uint8Array.from(at, (i) => states[i]));
  }
  return out;
}

function mceOf(plans: Map<string, CellPlan>, w: Int32Array, total: number): number | null {
  const counts: CorruptionCounts = {};
  for (const [id, plan] of plans) {
    const c = parseCellId(id)!;
    const cell = { n: 0, errors: 0 };
    weighted(plan, w, total, cell);
    if (cell.n) (counts[c.corruption] ??= {})[c.severity] = cell;
  }
  return computeMetrics(counts, null).mCE;
}

/**
 * Paired bootstrap of a.mCE − b.mCE over the images both runs evaluated under some corruption: one draw of images
 * per resample for both runs, so what the runs share (the same hard images) cancels. Null when either run lacks
 * outcomes, they share no images, or mCE is not computable for either on the shared images.
 */
export function pairedMceDifference(a: ResultDocument, b: ResultDocument, opts: BootstrapOptions = {}): PairedDifference | null {
  const { resamples, level, seed } = options(opts);
  if (!a.outcomes || !b.outcomes) return null;
  const da = decodeOutcomes(a.outcomes);
  const db = decodeOutcomes(b.outcomes);
  const inA = corruptedKeyMask(da);
  const inB = corruptedKeyMask(db);
  const bIndex = new Map(db.keys.map((k, i) => [k, i]));
  const common = da.keys.filter((k, i) => inA[i] && inB[bIndex.get(k) ?? -1] === 1);
  if (!common.length) return null;
  const cellsA = restrict(da, common);
  const cellsB = restrict(db, common);
  const plansA = new Map([...cellsA].map(([id, s]) => [id, planCell(s)]));
  const plansB = new Map([...cellsB].map(([id, s]) => [id, planCell(s)]));
  const n = common.length;
  const w = new Int32Array(n).fill(1);
  const mceA = mceOf(plansA, w, n);
  const mceB = mceOf(plansB, w, n);
  if (mceA === null || mceB === null) return null;
  const rng = xoshiro128(seed);
  const diffs = new Float64Array(resamples);
  let better = 0;
  for (let r = 0; r < resamples; r++) {
    drawWeights(w, [n], rng);
    const ra = mceOf(plansA, w, n);
    const rb = mceOf(plansB, w, n);
    diffs[r] = ra === null || rb === null ? NaN : 100 * (ra - rb);
    if (diffs[r] < 0) better++;
    else if (diffs[r] === 0) better += 0.5;
  }
  const difference = percentile(diffs, level, 100 * (mceA - mceB))!;
  return { difference, commonImages: n, pBetter: better / resamples };
}
