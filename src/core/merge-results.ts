/**
 * Merges shards of one evaluation (same model file, same dataset: e.g. two machines that each did half the
 * corruptions) into one result, with the metrics recomputed from the merged counts.
 *
 * With per-image outcomes in every shard, cells are merged image by image (an image evaluated in two shards must have
 * the same outcome there, and is counted once) and every count is recounted. Without them, a cell present in several
 * shards must have the same counts in each (the same images evaluated twice) and is taken once.
 */
import { robustbenchMce } from './robustbench';
import type { CellCounts } from './metrics';
import {
  ABSENT,
  CLEAN_CELL,
  cellId,
  cleanMatchedCounts,
  countStates,
  decodeOutcomes,
  encodeOutcomes,
  parseCellId,
  type DecodedOutcomes,
} from './outcomes';
import { corruptionsSection, deriveMetrics, metricsToPercent, type ResultDocument, type ShiftSection } from './result-document';
import { SHIFT_KINDS, parseShiftCellId, shiftCellId } from './shift-datasets';

import type { SsimAnalysis } from './ssim-plan';
import { adaptationId, adaptationLabel, isAdapted } from './tta/adaptation';

export class MergeError extends Error {}

const label = (doc: ResultDocument, i: number) => `result ${i + 1} (${doc.model.name || doc.model.file || 'unnamed model'}, ${doc.createdAt || 'no date'})`;
const STATE_NAMES = ['absent', 'correct', 'wrong'];

/** Compares `value` in full; `show` is how the message names it. */
function requireSame(docs: ResultDocument[], what: string, value: (d: ResultDocument) => string, show = value): void {
  const first = value(docs[0]);
  const other = docs.findIndex((d) => value(d) !== first);
  if (other >= 0) {
    throw new MergeError(`cannot merge results of different ${what}: ${label(docs[0], 0)} has ${show(docs[0])}, ${label(docs[other], other)} has ${show(docs[other])}`);
  }
}

function mergeOutcomes(docs: ResultDocument[]): DecodedOutcomes {
  const decoded = docs.map((d) => decodeOutcomes(d.outcomes!));
  const keys = [...new Set(decoded.flatMap((d) => d.keys))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(keys.map((k, i) => [k, i]));
  const cells = new Map<string, Uint8Array>();
  const origin = new Map<string, Int32Array>();
  decoded.forEach((d, shard) => {
    const at = d.keys.map((k) => index.get(k)!);
    for (const [id, states] of d.cells) {
      let merged = cells.get(id);
      let from = origin.get(id);
      if (!merged || !from) {
        cells.set(id, (merged = new Uint8Array(keys.length)));
        origin.set(id, (from = new Int32Array(keys.length)));
      }
      for (let i = 0; i < states.length; i++) {
        const s = states[i];
        if (s === ABSENT) continue;
        const j = at[i];
        if (merged[j] !== ABSENT && merged[j] !== s) {
          throw new MergeError(
            `image "${keys[j]}" in ${id} is ${STATE_NAMES[merged[j]]} in ${label(docs[from[j]], from[j])} but ${STATE_NAMES[s]} in ${label(docs[shard], shard)}: ` +
              'these are not shards of one evaluation',
          );
        }
        merged[j] = s;
        from[j] = shard;
      }
    }
  });
  return { keys, cells };
}

/** Cells by id from counts only: a cell in several shards must agree. */
function mergeCounts(docs: ResultDocument[]): { cells: Map<string, CellCounts>; cleanMatched: CellCounts | undefined; notes: string[] } {
  const cells = new Map<string, CellCounts>();
  const from = new Map<string, number>();
  const take = (id: string, c: CellCounts, shard: number) => {
    const had = cells.get(id);
    if (had && (had.n !== c.n || had.errors !== c.errors)) {
      throw new MergeError(
        `${id} has ${had.errors}/${had.n} errors in ${label(docs[from.get(id)!], from.get(id)!)} but ${c.errors}/${c.n} in ${label(docs[shard], shard)}; ` +
          'without per-image outcomes in every result overlapping cells cannot be combined',
      );
    }
    cells.set(id, { n: c.n, errors: c.errors });
    from.set(id, shard);
  };
  docs.forEach((d, shard) => {
    for (const [name, entry] of Object.entries(d.corruptions)) for (const [s, c] of Object.entries(entry.severities)) take(cellId(name, Number(s)), c, shard);
    if (d.clean) take(CLEAN_CELL, d.clean, shard);
    for (const kind of SHIFT_KINDS) if (d.shifts?.[kind]) take(shiftCellId(kind), d.shifts[kind]!, shard);
  });
  const matched = docs.map((d) => d.cleanMatched).filter((c): c is CellCounts => !!c);
  const agree = matched.every((c) => c.n === matched[0].n && c.errors === matched[0].errors);
  const notes = agree ? [] : ['the results disagree on the clean originals of the corrupted images; relative CE uses the whole clean set'];
  return { cells, cleanMatched: matched.length && agree ? { ...matched[0] } : undefined, notes };
}

/**
 * One result from shards of the same model (sha256) and dataset (name). Throws MergeError naming what differs or
 * which image or cell conflicts.
 */
export function mergeResults(docs: ResultDocument[]): ResultDocument {
  if (!docs.length) throw new MergeError('nothing to merge');
  requireSame(docs, 'models', (d) => d.model.sha256, (d) => `sha256 ${d.model.sha256.slice(0, 12)}…`);
  requireSame(docs, 'datasets', (d) => JSON.stringify(d.dataset.name));
  requireSame(docs, 'preprocessing', (d) =>
    JSON.stringify([d.preprocessing.mean, d.preprocessing.std, d.preprocessing.inputSize, d.preprocessing.cleanResize, d.preprocessing.interpolation ?? 'bilinear']),
  );
  requireSame(
    docs,
    'label lists',
    (d) => d.labels.sha256 ?? `unrecorded:${d.labels.count}`,
    (d) => (d.labels.sha256 ? `labels sha256 ${d.labels.sha256.slice(0, 12)}…` : `an unrecorded list of ${d.labels.count} classes`),
  );
  // A subset's numbers (and RobustBench's normalisation) must never be mixed with another selection's.
  requireSame(docs, 'image selections', (d) => (d.subset ? JSON.stringify(d.subset) : 'all images'));
  // Source and adapted predictions (or two adaptation settings, or two batch sizes) are different evaluations.
  requireSame(docs, 'test-time adaptation', (d) => adaptationId(d.adaptation), (d) => (isAdapted(d.adaptation) ? `${adaptationLabel(d.adaptation, { batch: true })} [${adaptationId(d.adaptation)}]` : 'the source model (no adaptation)'));
  const notes = [`merged from ${docs.length} results: ${docs.map(label).join('; ')}`];
  const withOutcomes = docs.every((d) => d.outcomes);
  if (!withOutcomes && docs.some((d) => d.outcomes)) notes.push('per-image outcomes dropped: not every merged result has them');

  let cells: Map<string, CellCounts>;
  let cleanMatched: CellCounts | undefined;
  let outcomes: DecodedOutcomes | undefined;
  if (withOutcomes) {
    outcomes = mergeOutcomes(docs);
    cells = new Map([...outcomes.cells].map(([id, s]) => [id, countStates(s)]));
    cleanMatched = cleanMatchedCounts(outcomes) ?? undefined;
  } else {
    const merged = mergeCounts(docs);
    cells = merged.cells;
    cleanMatched = merged.cleanMatched;
    notes.push(...merged.notes);
  }

  const counts: Record<string, Partial<Record<number, CellCounts>>> = {};
  for (const [id, c] of cells) {
    const p = parseCellId(id);
    if (p) (counts[p.corruption] ??= {})[p.severity] = c;
  }
  const corruptions = corruptionsSection(counts);
  const cleanCounts = cells.get(CLEAN_CELL);
  const clean = cleanCounts ? { ...cleanCounts, dataset: docs.find((d) => d.clean?.dataset)?.clean?.dataset ?? '' } : undefined;

  const shifts = mergeShifts(docs, cells, notes);

  const unreadable = [...new Map(docs.flatMap((d) => d.unreadable).map((u) => [u.path, u])).values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const evaluated = [...cells.values()].reduce((s, c) => s + c.n, 0);
  const sum = (f: (d: ResultDocument) => number) => docs.reduce((s, d) => s + f(d), 0);
  const backends = [...new Set(docs.map((d) => d.backend))];
  if (backends.length > 1) notes.push(`the results ran on different backends (${backends.join(', ')}); the first one's is shown`);
  const decoders = [...new Set(docs.map((d) => d.preprocessing.decoder))];
  if (decoders.length > 1) notes.push(`the results used different decoders: ${decoders.join('; ')}`);
  for (const n of docs.flatMap((d) => d.notes ?? [])) if (!notes.includes(n)) notes.push(n);

  const first = docs[0];
  const doc: ResultDocument = {
    schema: first.schema,
    app: { ...first.app },
    createdAt: docs.map((d) => d.createdAt).sort().at(-1)!,
    model: { ...first.model, card: { ...first.model.card } },
    backend: first.backend,
    labels: { ...first.labels },
    // Shards may overlap: the merged dataset is the distinct images evaluated (or unreadable), not the shards' sum.
    dataset: { ...first.dataset, images: evaluated + unreadable.length, ignoredFiles: Math.max(...docs.map((d) => d.dataset.ignoredFiles)) },
    preprocessing: { ...first.preprocessing, mean: [...first.preprocessing.mean], std: [...first.preprocessing.std] },
    corruptions,
    clean,
    cleanMatched,
    metrics: metricsToPercent(deriveMetrics({ corruptions, clean, cleanMatched }), shifts),
    counts: {
      images: evaluated + unreadable.length,
      inferred: sum((d) => d.counts.inferred),
      fromCache: sum((d) => d.counts.fromCache),
      unreadable: unreadable.length,
      ...(docs.some((d) => d.counts.inferredAllSessions !== undefined) ? { inferredAllSessions: sum((d) => d.counts.inferredAllSessions ?? 0) } : {}),
    },
    unreadable,
    notes,
  };
  if (!clean) delete doc.clean;
  if (!cleanMatched) delete doc.cleanMatched;
  if (shifts) doc.shifts = shifts;
  if (outcomes) doc.outcomes = encodeOutcomes(outcomes);
  const ssim = mergeSsim(docs, notes);
  if (ssim) doc.ssim = ssim;
  if (first.subset) doc.subset = { ...first.subset };
  if (isAdapted(first.adaptation)) doc.adaptation = { ...first.adaptation };
  if (first.subset?.kind === 'robustbench') doc.robustbench = { ...robustbenchMce(counts), missingIds: Math.min(...docs.map((d) => d.robustbench?.missingIds ?? 0)), subsetSize: 5000 };
  return doc;
}

/**
 * The shift datasets of the merged cells. Per-image outcomes carry each image's scored outcome only, so the 1000-way
 * (R, A) and top-5 errors beside it are kept when one result holds the dataset, or when every result that holds it
 * has the same counts (the same images); otherwise they are left out, with a note.
 */
function mergeShifts(docs: ResultDocument[], cells: Map<string, CellCounts>, notes: string[]): ShiftSection | undefined {
  const out: ShiftSection = {};
  for (const [id, c] of cells) {
    const kind = parseShiftCellId(id);
    if (!kind) continue;
    const holders = docs.map((d) => d.shifts?.[kind]).filter((x) => !!x);
    const first = holders[0]!;
    const same = holders.every((h) => h.n === c.n && h.errors === c.errors && h.errors1000 === first.errors1000 && h.errors5 === first.errors5);
    out[kind] = { n: c.n, errors: c.errors, dataset: holders.find((h) => h.dataset)?.dataset ?? '' };
    if (same) {
      if (first.errors1000 !== undefined) out[kind]!.errors1000 = first.errors1000;
      if (first.errors5 !== undefined) out[kind]!.errors5 = first.errors5;
    } else if (first.errors1000 !== undefined || first.errors5 !== undefined) {
      notes.push(`${kind}: the results hold different images of it, so its ${first.errors1000 !== undefined ? '1000-way' : 'top-5'} error cannot be merged and is left out`);
    }
  }
  const ordered: ShiftSection = {};
  for (const k of SHIFT_KINDS) if (out[k]) ordered[k] = out[k];
  return Object.keys(ordered).length ? ordered : undefined;
}

/** SSIM cells of the shards side by side (the first shard's value where two measured the same cell). */
function mergeSsim(docs: ResultDocument[], notes: string[]): SsimAnalysis | undefined {
  const parts = docs.map((d) => d.ssim).filter((x): x is SsimAnalysis => !!x);
  if (!parts.length) return undefined;
  const same = parts.filter((p) => p.mode === parts[0].mode && p.perCellCap === parts[0].perCellCap);
  if (same.length < parts.length) notes.push('SSIM of shards measured differently (mode or images per cell) left out; only the first kind kept');
  const cells: SsimAnalysis['cells'] = {};
  for (const p of same) for (const [id, c] of Object.entries(p.cells)) cells[id] ??= { ...c };
  return { mode: parts[0].mode, perCellCap: parts[0].perCellCap, cells };
}
