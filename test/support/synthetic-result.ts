import type { CorruptionCounts } from '../../src/core/metrics';
import { cleanMatchedCounts, countStates, encodeOutcomes, parseCellId, CLEAN_CELL } from '../../src/core/outcomes';
import { buildResult, type ResultDocument } from '../../src/core/result-document';
import { xoshiro128 } from '../../src/core/xoshiro128';
import { referenceMeta } from './reference-predictions';

/** A result whose outcomes are the given per-key states (0 absent, 1 correct, 2 wrong) per cell id. */
export function resultFromStates(keys: string[], cells: Record<string, Uint8Array>, model = 'mobilenetv2-12-int8'): ResultDocument {
  const decoded = { keys, cells: new Map(Object.entries(cells)) };
  const corruptions: CorruptionCounts = {};
  for (const [id, states] of Object.entries(cells)) {
    const c = parseCellId(id);
    if (c) (corruptions[c.corruption] ??= {})[c.severity] = countStates(states);
  }
  const clean = cells[CLEAN_CELL] ? countStates(cells[CLEAN_CELL]) : null;
  const doc = buildResult({ corruptions, clean, cleanMatched: cleanMatchedCounts(decoded), unreadable: [] }, referenceMeta(model));
  doc.outcomes = encodeOutcomes(decoded);
  return doc;
}

export const syntheticKeys = (n: number) => Array.from({ length: n }, (_, i) => `n${String(i % 100).padStart(8, '0')}/img${String(i).padStart(6, '0')}`).sort();

/** Uniform [0, 1) numbers from a seeded generator. */
export function uniforms(seed: number): () => number {
  const r = xoshiro128(seed);
  return () => r.next() / 4294967296;
}
