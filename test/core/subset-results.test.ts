import { describe, expect, it } from 'vitest';
import { mergeResults, MergeError } from '../../src/core/merge-results';
import { validateResult } from '../../src/core/result-document';
import { ROBUSTBENCH_CORRUPTIONS, robustbenchMce } from '../../src/core/robustbench';
import { resultFromStates, syntheticKeys } from '../support/synthetic-result';

const keys = syntheticKeys(40);
const states = (seed: number) => Uint8Array.from(keys, (_, i) => ((i * 7 + seed) % 3 === 0 ? 2 : 1));

function rbDoc(seed: number) {
  const cells: Record<string, Uint8Array> = {};
  for (const c of ROBUSTBENCH_CORRUPTIONS) for (let s = 1; s <= 5; s++) cells[`${c}/${s}`] = states(seed + s);
  const doc = resultFromStates(keys, cells);
  return JSON.parse(JSON.stringify({ ...doc, subset: { kind: 'robustbench' }, robustbench: { mCE: 1, perCorruption: {}, complete: true, missingIds: 4960, subsetSize: 5000 } }));
}

describe('subset results', () => {
  it('an imported RobustBench result gets its RobustBench mCE recomputed from the counts, never taken from the file', () => {
    const doc = validateResult(rbDoc(0));
    expect(doc.subset).toEqual({ kind: 'robustbench' });
    const counts = Object.fromEntries(Object.entries(doc.corruptions).map(([c, e]) => [c, Object.fromEntries(Object.entries(e.severities).map(([s, v]) => [Number(s), v]))]));
    expect(doc.robustbench!.mCE).toBeCloseTo(robustbenchMce(counts).mCE!, 10);
    expect(doc.robustbench!.mCE).not.toBe(1);
    expect(doc.robustbench!.missingIds).toBe(4960);
    // the standard mCE stays the standard one: different normalisation, different number
    expect(doc.metrics.mCE).not.toBeCloseTo(doc.robustbench!.mCE!, 3);
  });

  it('a bad subset spec is dropped on import', () => {
    const raw = rbDoc(0);
    raw.subset = { kind: 'stratified', perClass: -3, seed: 1 };
    const doc = validateResult(raw);
    expect(doc.subset).toBeUndefined();
    expect(doc.robustbench).toBeUndefined();
  });

  it('merge refuses to join a subset run with a full run, or two different samples', () => {
    const a = validateResult(rbDoc(0));
    const full = validateResult({ ...rbDoc(1), subset: undefined, robustbench: undefined });
    expect(() => mergeResults([a, full])).toThrow(MergeError);
    expect(() => mergeResults([a, full])).toThrow(/image selections/);
    const s1 = validateResult({ ...rbDoc(1), subset: { kind: 'stratified', perClass: 5, seed: 1 } });
    const s2 = validateResult({ ...rbDoc(1), subset: { kind: 'stratified', perClass: 5, seed: 2 } });
    expect(() => mergeResults([s1, s2])).toThrow(/image selections/);
    const merged = mergeResults([a, validateResult(rbDoc(0))]);
    expect(merged.subset).toEqual({ kind: 'robustbench' });
    expect(merged.robustbench?.mCE).toBeCloseTo(a.robustbench!.mCE!, 10);
  });
});
