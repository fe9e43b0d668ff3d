/**
 * Per-image top-1 outcomes of a run, compact enough to ship inside the result JSON: the bootstrap resamples images
 * from them and shards of a run are merged by them.
 *
 * `keys` are the sorted image identities (class folder + file stem, the same key for an image in every corruption
 * cell and for its clean original). Each cell holds 2 bits per key, key i in bits 2(i mod 4)…2(i mod 4)+1 of byte
 * ⌊i/4⌋, as padded base64: 50 000 keys × 96 cells ≈ 1.6 MB of text.
 */
import { isTop1Error, type ImagePrediction } from './aggregate';
import { decodeBase64, encodeBase64 } from './base64';
import { ALL_CORRUPTIONS, SEVERITIES, corruptionInfo } from './corruption-catalog';
import { SHIFT_KINDS, parseShiftCellId, shiftCellId, type ShiftKind } from './shift-datasets';
import type { CellCounts } from './metrics';

export interface ImageOutcomes {
  keys: string[];
  /** cellId (`"<corruption>/<severity>"`, `"clean"` or `"shift:<kind>"`) → encoded states, one per key. */
  cells: Record<string, string>;
}

/** Per-key states in a decoded cell. */
export const ABSENT = 0;
export const CORRECT = 1;
export const WRONG = 2;
export type OutcomeState = typeof ABSENT | typeof CORRECT | typeof WRONG;

export const CLEAN_CELL = 'clean';

export function cellId(corruption: string | null, severity: number | null): string {
  return corruption === null ? CLEAN_CELL : `${corruption}/${severity}`;
}

/** The cell of a prediction: its corruption × severity, the clean folder, or its shift dataset. */
export function predictionCellId(p: { corruption: string | null; severity: number | null; shift?: ShiftKind }): string {
  return p.shift ? shiftCellId(p.shift) : cellId(p.corruption, p.severity);
}

/** Every cell id a result can have, in catalogue order (corruptions by severity, then clean, then shift datasets). */
export const ALL_CELL_IDS: readonly string[] = [
  ...ALL_CORRUPTIONS.flatMap((c) => SEVERITIES.map((s) => cellId(c.name, s))),
  CLEAN_CELL,
  ...SHIFT_KINDS.map(shiftCellId),
];

/** `{corruption, severity}` of a corruption cell id; null for "clean", a shift cell and anything that is not a cell id. */
export function parseCellId(id: string): { corruption: string; severity: number } | null {
  const m = /^([a-z0-9_]+)\/([1-5])$/.exec(id);
  return m && corruptionInfo(m[1]) ? { corruption: m[1], severity: Number(m[2]) } : null;
}

export function isCellId(id: string): boolean {
  return id === CLEAN_CELL || parseCellId(id) !== null || parseShiftCellId(id) !== null;
}

export class OutcomesError extends Error {}

export function encodeCell(states: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(states.length / 4));
  for (let i = 0; i < states.length; i++) bytes[i >> 2] |= states[i] << ((i & 3) << 1);
  return encodeBase64(bytes);
}

/** One state per key. Throws OutcomesError when the text is not a cell of `keyCount` keys. */
export function decodeCell(encoded: string, keyCount: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(encoded);
  } catch (e) {
    throw new OutcomesError((e as Error).message);
  }
  if (bytes.length !== Math.ceil(keyCount / 4)) {
    throw new OutcomesError(`holds ${bytes.length} bytes, expected ${Math.ceil(keyCount / 4)} for ${keyCount} images`);
  }
  const states = new Uint8Array(keyCount);
  for (let i = 0; i < keyCount; i++) {
    const s = (bytes[i >> 2] >> ((i & 3) << 1)) & 3;
    if (s === 3) throw new OutcomesError(`invalid state for image ${i}`);
    states[i] = s;
  }
  // Padding bits past the last key must be zero, so one set of outcomes has exactly one encoding.
  if (keyCount & 3 && bytes[bytes.length - 1] >> ((keyCount & 3) << 1)) throw new OutcomesError('non-zero padding bits');
  return states;
}

export function countStates(states: Uint8Array): CellCounts {
  let n = 0;
  let errors = 0;
  for (let i = 0; i < states.length; i++) {
    if (states[i] !== ABSENT) n++;
    if (states[i] === WRONG) errors++;
  }
  return { n, errors };
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Outcomes of readable predictions (unreadable images are absent, as they are from every count). Throws
 * OutcomesError when one cell has two images with the same identity (e.g. `x.JPEG` and `x.png` in one class folder):
 * keys must name one image per cell.
 */
export function outcomesFromPredictions(preds: Iterable<ImagePrediction>): ImageOutcomes {
  const byCell = new Map<string, Map<string, boolean>>();
  const keySet = new Set<string>();
  for (const p of preds) {
    if (p.unreadable !== undefined) continue;
    const id = predictionCellId(p);
    let cell = byCell.get(id);
    if (!cell) byCell.set(id, (cell = new Map()));
    if (cell.has(p.identity)) throw new OutcomesError(`two images with the identity "${p.identity}" in ${id}`);
    cell.set(p.identity, p.shift && p.maskedTop1 !== undefined ? p.maskedTop1 !== p.label : isTop1Error(p));
    keySet.add(p.identity);
  }
  const keys = [...keySet].sort(byCodeUnits);
  const cells: Record<string, string> = {};
  for (const id of ALL_CELL_IDS) {
    const cell = byCell.get(id);
    if (!cell) continue;
    const states = new Uint8Array(keys.length);
    keys.forEach((k, i) => {
      const wrong = cell.get(k);
      if (wrong !== undefined) states[i] = wrong ? WRONG : CORRECT;
    });
    cells[id] = encodeCell(states);
  }
  return { keys, cells };
}

/** Decoded form: one state array per cell. */
export interface DecodedOutcomes {
  keys: string[];
  cells: Map<string, Uint8Array>;
}

export function decodeOutcomes(o: ImageOutcomes): DecodedOutcomes {
  const cells = new Map<string, Uint8Array>();
  for (const id of ALL_CELL_IDS) if (o.cells[id] !== undefined) cells.set(id, decodeCell(o.cells[id], o.keys.length));
  return { keys: o.keys, cells };
}

export function encodeOutcomes(d: DecodedOutcomes): ImageOutcomes {
  const cells: Record<string, string> = {};
  for (const id of ALL_CELL_IDS) {
    const s = d.cells.get(id);
    if (s) cells[id] = encodeCell(s);
  }
  return { keys: d.keys, cells };
}

/** Keys present in at least one corruption cell: the images whose clean originals make up `cleanMatched`. */
export function corruptedKeyMask(d: DecodedOutcomes): Uint8Array {
  const mask = new Uint8Array(d.keys.length);
  for (const [id, states] of d.cells) {
    if (!parseCellId(id)) continue;
    for (let i = 0; i < states.length; i++) if (states[i] !== ABSENT) mask[i] = 1;
  }
  return mask;
}

/** Clean counts over the clean originals of corrupted images; null when there are none (as `aggregate`). */
export function cleanMatchedCounts(d: DecodedOutcomes): CellCounts | null {
  const clean = d.cells.get(CLEAN_CELL);
  if (!clean) return null;
  const mask = corruptedKeyMask(d);
  let n = 0;
  let errors = 0;
  for (let i = 0; i < clean.length; i++) {
    if (!mask[i] || clean[i] === ABSENT) continue;
    n++;
    if (clean[i] === WRONG) errors++;
  }
  return n ? { n, errors } : null;
}

export const MAX_OUTCOME_KEYS = 2_000_000;
const MAX_KEY_LENGTH = 1000;

/**
 * Structural checks of untrusted outcomes (sorted unique string keys, known cell ids, decodable cells). Returns the
 * decoded outcomes, or null after pushing the problems.
 */
export function checkOutcomes(raw: unknown, problems: string[]): DecodedOutcomes | null {
  const before = problems.length;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push('outcomes: expected {"keys": [...], "cells": {...}}');
    return null;
  }
  const { keys, cells } = raw as Record<string, unknown>;
  if (!Array.isArray(keys) || keys.length > MAX_OUTCOME_KEYS) {
    problems.push(`outcomes.keys: expected an array of at most ${MAX_OUTCOME_KEYS} image identities`);
    return null;
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (typeof k !== 'string' || k.length === 0 || k.length > MAX_KEY_LENGTH) {
      problems.push(`outcomes.keys[${i}]: expected a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
      return null;
    }
    if (i > 0 && !(keys[i - 1] < k)) {
      problems.push(`outcomes.keys[${i}]: keys must be sorted and unique`);
      return null;
    }
  }
  if (!cells || typeof cells !== 'object' || Array.isArray(cells)) {
    problems.push('outcomes.cells: expected an object');
    return null;
  }
  const decoded = new Map<string, Uint8Array>();
  for (const [id, text] of Object.entries(cells)) {
    const where = `outcomes.cells[${JSON.stringify(id.slice(0, 40))}]`;
    if (!isCellId(id)) problems.push(`${where}: not a cell ("<corruption>/<1–5>", "clean" or "shift:<kind>")`);
    else if (typeof text !== 'string') problems.push(`${where}: expected a base64 string`);
    else {
      try {
        decoded.set(id, decodeCell(text, keys.length));
      } catch (e) {
        problems.push(`${where}: ${(e as Error).message}`);
      }
    }
  }
  if (problems.length > before) return null;
  const ordered = new Map<string, Uint8Array>();
  for (const id of ALL_CELL_IDS) if (decoded.has(id)) ordered.set(id, decoded.get(id)!);
  return { keys: keys as string[], cells: ordered };
}

type CountedCells = {
  corruptions: Record<string, { severities: Record<string, CellCounts> }>;
  clean?: CellCounts;
  cleanMatched?: CellCounts;
  shifts?: Partial<Record<ShiftKind, CellCounts>>;
};

/** Where decoded outcomes disagree with a result's per-cell counts (empty when they agree). */
export function outcomesProblems(d: DecodedOutcomes, doc: CountedCells): string[] {
  const problems: string[] = [];
  const same = (a: CellCounts | undefined | null, b: CellCounts | undefined | null) => (a?.n ?? 0) === (b?.n ?? 0) && (a?.errors ?? 0) === (b?.errors ?? 0);
  const show = (c: CellCounts | undefined | null) => `${c?.errors ?? 0}/${c?.n ?? 0}`;
  const docCells = new Map<string, CellCounts | undefined>();
  for (const [name, entry] of Object.entries(doc.corruptions)) {
    for (const [s, cell] of Object.entries(entry.severities)) docCells.set(cellId(name, Number(s)), cell);
  }
  docCells.set(CLEAN_CELL, doc.clean);
  for (const kind of SHIFT_KINDS) docCells.set(shiftCellId(kind), doc.shifts?.[kind]);
  for (const id of ALL_CELL_IDS) {
    const states = d.cells.get(id);
    const counted = states ? countStates(states) : undefined;
    if (states && !docCells.get(id)) problems.push(`outcomes: cell ${id} has no counts in the result`);
    else if (!same(counted, docCells.get(id))) {
      problems.push(`outcomes: cell ${id} gives ${show(counted)} errors, the counts say ${show(docCells.get(id))}`);
    }
  }
  const matched = cleanMatchedCounts(d);
  if (!same(matched, doc.cleanMatched)) {
    problems.push(`outcomes: the clean originals of the corrupted images give ${show(matched)} errors, cleanMatched says ${show(doc.cleanMatched)}`);
  }
  const used = new Uint8Array(d.keys.length);
  for (const states of d.cells.values()) for (let i = 0; i < states.length; i++) if (states[i] !== ABSENT) used[i] = 1;
  const unused = used.indexOf(0);
  if (unused >= 0) problems.push(`outcomes: image ${JSON.stringify(d.keys[unused].slice(0, 80))} is in no cell`);
  return problems;
}
