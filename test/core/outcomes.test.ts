import { describe, expect, it } from 'vitest';
import type { ImagePrediction } from '../../src/core/aggregate';
import { aggregate } from '../../src/core/aggregate';
import {
  ABSENT,
  CORRECT,
  OutcomesError,
  WRONG,
  checkOutcomes,
  cleanMatchedCounts,
  countStates,
  decodeCell,
  decodeOutcomes,
  encodeCell,
  outcomesFromPredictions,
  outcomesProblems,
  parseCellId,
} from '../../src/core/outcomes';
import { buildResult, countsOf } from '../../src/core/result-document';
import { describeFixtures } from '../support/fixtures';
import { referenceImagePredictions, referenceMeta } from '../support/reference-predictions';

const pred = (corruption: string | null, severity: number | null, identity: string, wrong: boolean, unreadable?: string): ImagePrediction => ({
  path: `${corruption ?? 'val'}/${severity ?? ''}/${identity}.JPEG`,
  corruption,
  severity,
  label: 1,
  identity,
  top: unreadable ? [] : [wrong ? 2 : 1],
  topLogits: unreadable ? [] : [0],
  ...(unreadable ? { unreadable } : {}),
});

describe('cell encoding', () => {
  it('2 bits per key round-trip for every length 0…13, canonical padding', () => {
    for (let n = 0; n <= 13; n++) {
      const states = Uint8Array.from({ length: n }, (_, i) => [ABSENT, CORRECT, WRONG][(i * 7 + n) % 3]);
      const text = encodeCell(states);
      expect(text.length).toBe(4 * Math.ceil(Math.ceil(n / 4) / 3));
      expect(decodeCell(text, n)).toEqual(states);
    }
  });

  it('refuses a wrong length, state 3 and padding bits', () => {
    const text = encodeCell(new Uint8Array([1, 2, 1]));
    expect(() => decodeCell(text, 5)).toThrow(/expected 2 for 5 images/);
    expect(() => decodeCell(Buffer.from([0b11]).toString('base64'), 1)).toThrow(/invalid state/);
    expect(() => decodeCell(Buffer.from([0b01000001]).toString('base64'), 1)).toThrow(/padding/);
    expect(() => decodeCell('%%%%', 1)).toThrow(OutcomesError);
  });

  it('cell ids', () => {
    expect(parseCellId('fog/3')).toEqual({ corruption: 'fog', severity: 3 });
    for (const bad of ['clean', 'fog/6', 'fog/03', 'bogus/1', '__proto__', 'fog/3/x']) expect(parseCellId(bad)).toBeNull();
  });
});

describe('outcomesFromPredictions', () => {
  const preds = [
    pred('fog', 1, 'a/x', false),
    pred('fog', 1, 'b/z', true),
    pred('fog', 1, 'a/y', true, 'decode failed'),
    pred('snow', 5, 'a/y', true),
    pred(null, null, 'a/x', true),
    pred(null, null, 'c/w', false),
  ];
  const o = outcomesFromPredictions(preds);

  it('sorted keys of readable images; cells in catalogue order then clean; unreadable absent', () => {
    expect(o.keys).toEqual(['a/x', 'a/y', 'b/z', 'c/w']);
    expect(Object.keys(o.cells)).toEqual(['snow/5', 'fog/1', 'clean']);
    const d = decodeOutcomes(o);
    expect([...d.cells.get('fog/1')!]).toEqual([CORRECT, ABSENT, WRONG, ABSENT]);
    expect([...d.cells.get('snow/5')!]).toEqual([ABSENT, WRONG, ABSENT, ABSENT]);
    expect([...d.cells.get('clean')!]).toEqual([WRONG, ABSENT, ABSENT, CORRECT]);
  });

  it('per-cell counts and cleanMatched equal aggregate()', () => {
    const agg = aggregate(preds);
    const d = decodeOutcomes(o);
    expect(countStates(d.cells.get('fog/1')!)).toEqual(agg.corruptions.fog[1]);
    expect(countStates(d.cells.get('clean')!)).toEqual(agg.clean);
    expect(cleanMatchedCounts(d)).toEqual(agg.cleanMatched);
  });

  it('two images with one identity in a cell are refused; buildResult then leaves outcomes out with a note', () => {
    const dup = [...preds, { ...pred('fog', 1, 'a/x', true), path: 'fog/1/a/x.png' }];
    expect(() => outcomesFromPredictions(dup)).toThrow(/two images with the identity "a\/x" in fog\/1/);
    const doc = buildResult(aggregate(dup), referenceMeta('mobilenetv2-12-int8'), dup);
    expect(doc.outcomes).toBeUndefined();
    expect(doc.notes?.join()).toMatch(/per-image outcomes left out.*a\/x/);
  });

  it('outcomesProblems finds every disagreement with the counts', () => {
    const doc = buildResult(aggregate(preds), referenceMeta('mobilenetv2-12-int8'), preds);
    const d = decodeOutcomes(doc.outcomes!);
    expect(outcomesProblems(d, doc)).toEqual([]);
    const tampered = structuredClone(doc);
    tampered.corruptions.fog.severities['1'] = { n: 2, errors: 0 };
    expect(outcomesProblems(d, tampered)).toEqual(['outcomes: cell fog/1 gives 1/2 errors, the counts say 0/2']);
    delete tampered.corruptions.snow;
    expect(outcomesProblems(d, tampered)).toContain('outcomes: cell snow/5 has no counts in the result');
    tampered.cleanMatched = { n: 1, errors: 0 };
    expect(outcomesProblems(d, tampered).join()).toMatch(/cleanMatched says 0\/1/);
    const extraKey = { keys: [...d.keys, 'z/z'], cells: new Map([...d.cells].map(([k, v]) => [k, Uint8Array.from([...v, 0])])) };
    expect(outcomesProblems(extraKey, doc)).toEqual(['outcomes: image "z/z" is in no cell']);
  });
});

describe('checkOutcomes (untrusted)', () => {
  const good = outcomesFromPredictions([pred('fog', 1, 'a', false), pred('fog', 2, 'b', true)]);
  const check = (raw: unknown) => {
    const problems: string[] = [];
    return { d: checkOutcomes(raw, problems), problems };
  };
  it('accepts good outcomes', () => expect(check(good).problems).toEqual([]));
  it.each([
    ['not an object', [1], /expected \{"keys"/],
    ['keys not an array', { keys: 'ab', cells: {} }, /outcomes\.keys: expected an array/],
    ['unsorted keys', { ...good, keys: ['b', 'a'] }, /sorted and unique/],
    ['duplicate keys', { ...good, keys: ['a', 'a'] }, /sorted and unique/],
    ['non-string key', { ...good, keys: ['a', 7] }, /outcomes\.keys\[1\]/],
    ['script key is fine but a 2000-char key is not', { ...good, keys: ['<script>', 'x'.repeat(2000)] }, /at most 1000 characters/],
    ['unknown cell', { ...good, cells: { ...good.cells, 'fog/9': good.cells['fog/1'] } }, /"fog\/9"\]: not a cell/],
    ['__proto__ cell', { keys: good.keys, cells: JSON.parse(`{"__proto__": "AA=="}`) }, /"__proto__"\]: not a cell/],
    ['non-string cell', { ...good, cells: { 'fog/1': 5 } }, /expected a base64 string/],
    ['wrong-length cell', { ...good, cells: { 'fog/1': 'AAAA' } }, /holds 3 bytes, expected 1/],
  ])('%s', (_, raw, re) => {
    const { d, problems } = check(raw);
    expect(d).toBeNull();
    expect(problems.join('; ')).toMatch(re);
  });
});

describeFixtures('outcomes of the fixture reference predictions', () => {
  it('mobilenetv2: 487 keys (50 corrupted + 437 clean-only), 96 cells, counts equal aggregate(), compact', () => {
    const preds = referenceImagePredictions('mobilenetv2-12-int8');
    const o = outcomesFromPredictions(preds);
    const agg = aggregate(preds);
    expect(o.keys).toHaveLength(487);
    expect(Object.keys(o.cells)).toHaveLength(96);
    const d = decodeOutcomes(o);
    const doc = buildResult(agg, referenceMeta('mobilenetv2-12-int8'), preds);
    expect(countsOf(doc)).toEqual(agg.corruptions);
    expect(outcomesProblems(d, doc)).toEqual([]);
    expect(cleanMatchedCounts(d)).toEqual({ n: 50, errors: 10 });
    // ⌈487/4⌉ = 122 bytes per cell, 164 base64 characters: a third of a character per image and cell.
    for (const text of Object.values(o.cells)) expect(text).toHaveLength(164);
  });
});
