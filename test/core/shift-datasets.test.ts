import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { IMAGENET_A_WNIDS } from '../../src/core/data/imagenet-a-wnids';
import { IMAGENET_R_WNIDS } from '../../src/core/data/imagenet-r-wnids';
import {
  layoutProblem,
  maskedArgmax,
  recogniseShift,
  scoreShiftImage,
  shiftIdentity,
  shiftLabel,
  subsetIndices,
} from '../../src/core/shift-datasets';
import { aggregate, type ImagePrediction } from '../../src/core/aggregate';
import { buildResult, validateResult } from '../../src/core/result-document';
import { mergeResults } from '../../src/core/merge-results';
import { bootstrapResult } from '../../src/core/bootstrap';
import { decodeOutcomes } from '../../src/core/outcomes';
import { fixture, HAVE_FIXTURES } from '../support/fixtures';
import { referenceMeta } from '../support/reference-predictions';

/** The 1000 ImageNet wnids in class-index order (sorted), as every ImageNet label file has them. */
const LABELS: string[] = HAVE_FIXTURES
  ? Object.values(JSON.parse(readFileSync(fixture('labels', 'imagenet_class_index.json'), 'utf8')) as Record<string, [string, string]>).map((e) => e[0])
  : [...new Set([...IMAGENET_R_WNIDS, ...IMAGENET_A_WNIDS])].sort();
const INDEX = new Map(LABELS.map((w, i) => [w, i]));

describe('the shipped class lists', () => {
  it('ImageNet-R and -A: 200 sorted, unique wnids each, all ImageNet classes', () => {
    for (const list of [IMAGENET_R_WNIDS, IMAGENET_A_WNIDS]) {
      expect(list).toHaveLength(200);
      expect(new Set(list).size).toBe(200);
      expect([...list].sort()).toEqual(list);
      for (const w of list) expect(w).toMatch(/^n\d{8}$/);
    }
  });

  it.runIf(HAVE_FIXTURES)('ImageNet-R in class-index order gives eval.py\'s commented imagenet_r_indices; ImageNet-A the keys of thousand_k_to_200', () => {
    const r = Array.from(subsetIndices('imagenet-r', INDEX)!);
    // hendrycks/imagenet-r eval.py (commented list), first and last entries and its length.
    expect(r.slice(0, 12)).toEqual([1, 2, 4, 6, 8, 9, 11, 13, 22, 23, 26, 29]);
    expect(r.slice(-5)).toEqual([965, 967, 980, 981, 983, 988].slice(-5));
    const a = Array.from(subsetIndices('imagenet-a', INDEX)!);
    // natural-adv-examples eval.py thousand_k_to_200: 6 → 0, 11 → 1, 13 → 2, …, 988 → 199.
    expect(a.slice(0, 4)).toEqual([6, 11, 13, 15]);
    expect(a.at(-1)).toBe(988);
    expect(a).toHaveLength(200);
  });
});

describe('recognising a folder from its class folders', () => {
  const someR = IMAGENET_R_WNIDS.filter((w) => !IMAGENET_A_WNIDS.includes(w)).slice(0, 5);
  const someA = IMAGENET_A_WNIDS.filter((w) => !IMAGENET_R_WNIDS.includes(w)).slice(0, 5);
  const both = IMAGENET_R_WNIDS.filter((w) => IMAGENET_A_WNIDS.includes(w)).slice(0, 3);
  const neither = LABELS.filter((w) => !IMAGENET_R_WNIDS.includes(w) && !IMAGENET_A_WNIDS.includes(w)).slice(0, 3);

  it('wnids inside the 200 of ImageNet-R → imagenet-r; of ImageNet-A → imagenet-a', () => {
    expect(recogniseShift(someR, LABELS)).toMatchObject({ kind: 'imagenet-r', problem: null });
    expect(recogniseShift(someA, LABELS)).toMatchObject({ kind: 'imagenet-a', problem: null });
    expect(recogniseShift(IMAGENET_R_WNIDS, LABELS).kind).toBe('imagenet-r');
    expect(recogniseShift(IMAGENET_A_WNIDS, LABELS).kind).toBe('imagenet-a');
  });

  it('classes in both lists: the folder name decides, else ImageNet-R', () => {
    expect(recogniseShift(both, LABELS).kind).toBe('imagenet-r');
    expect(recogniseShift(both, LABELS, 'imagenet-a').kind).toBe('imagenet-a');
    expect(recogniseShift(both, LABELS, 'imagenet-r').kind).toBe('imagenet-r');
  });

  it('other wnids → wnid-folders, or imagenet-sketch when the folder is named so', () => {
    expect(recogniseShift([...someR, ...neither], LABELS)).toMatchObject({ kind: 'wnid-folders', problem: null });
    expect(recogniseShift(LABELS, LABELS, 'imagenet-sketch')).toMatchObject({ kind: 'imagenet-sketch', problem: null });
    expect(recogniseShift(neither, LABELS, 'sketch').kind).toBe('imagenet-sketch');
  });

  it('numeric folders → imagenet-v2, the folder name being the class index', () => {
    const v2 = Array.from({ length: 1000 }, (_, i) => String(i));
    expect(recogniseShift(v2, LABELS)).toMatchObject({ kind: 'imagenet-v2', problem: null });
    expect(shiftLabel('imagenet-v2', '0', INDEX, 1000)).toBe(0);
    expect(shiftLabel('imagenet-v2', '999', INDEX, 1000)).toBe(999);
    expect(shiftLabel('imagenet-v2', '1000', INDEX, 1000)).toBe(-1);
    expect(shiftLabel('imagenet-v2', '007', INDEX, 1000)).toBe(-1);
    expect(shiftLabel('imagenet-sketch', LABELS[5], INDEX, 1000)).toBe(5);
    expect(shiftLabel('imagenet-r', 'n99999999', INDEX, 1000)).toBe(-1);
  });

  it('wrong layouts get a message naming the problem', () => {
    const beyond = recogniseShift(['0', '5', '1000', '1203'], LABELS);
    expect(beyond.problem).toMatch(/numeric class folders beyond the 1000 classes of the label list: "1000", "1203"/);
    const unknown = recogniseShift([LABELS[0], 'n99999999', 'cats'], LABELS);
    expect(unknown.kind).toBeNull();
    expect(unknown.problem).toMatch(/2 class folders not in the model's label list: "cats", "n99999999"/);
    const mix = recogniseShift(['3', '17', LABELS[2]], LABELS);
    expect(mix.kind).toBeNull();
    expect(mix.problem).toMatch(/a mix of numeric class folders .*"3".* and named ones .*n01484850/);
    expect(recogniseShift([], LABELS).problem).toMatch(/no <class>\/<image> folders/);
  });

  it('an override must fit the folder: V2 needs numbers, R and A their 200 classes', () => {
    expect(layoutProblem('imagenet-v2', someR, LABELS)).toMatch(/ImageNet-V2 class folders are class indices 0 … 999, but this folder has named ones/);
    expect(layoutProblem('imagenet-sketch', ['1', '2'], LABELS)).toMatch(/numeric class folders .* are ImageNet-V2's layout/);
    expect(layoutProblem('imagenet-a', someR, LABELS)).toMatch(/5 class folders outside ImageNet-A's 200 classes/);
    expect(layoutProblem('imagenet-r', someR, LABELS)).toBeNull();
    expect(layoutProblem('wnid-folders', someA, LABELS)).toBeNull();
    expect(layoutProblem('imagenet-v2', ['0', '1', '2000'], LABELS)).toMatch(/beyond the 1000 classes/);
  });
});

describe('scoring', () => {
  it('masked argmax: over the subset only, first maximum (lowest class index) wins a tie, NaN never wins', () => {
    const logits = new Float32Array(10);
    logits.set([9, 1, 5, 5, 0, 7, NaN, 2, 5, 3]);
    expect(maskedArgmax(logits, [1, 2, 3, 8])).toBe(2); // 5 at 2, 3 and 8: the lowest index
    expect(maskedArgmax(logits, [6, 7])).toBe(7);
    expect(maskedArgmax(logits, [0, 5])).toBe(0);
    // Offset into a batch.
    const batch = new Float32Array([0, 0, 0, 1, 0, 2]);
    expect(maskedArgmax(batch, [0, 2], 3)).toBe(2);
    expect(maskedArgmax(logits, [6])).toBe(6); // a subset of only NaN still names a class
  });

  it('R/A count the masked outcome and the 1000-way one beside it; the others top-1 and top-5', () => {
    expect(scoreShiftImage('imagenet-r', 4, [7, 4, 1, 2, 3], 4)).toEqual({ wrong: false, wrong1000: true });
    expect(scoreShiftImage('imagenet-a', 4, [4, 7, 1, 2, 3], 7)).toEqual({ wrong: true, wrong1000: false });
    expect(scoreShiftImage('imagenet-v2', 4, [7, 4, 1, 2, 3])).toEqual({ wrong: true, wrong5: false });
    expect(scoreShiftImage('imagenet-sketch', 9, [7, 4, 1, 2, 3])).toEqual({ wrong: true, wrong5: true });
  });
});

/** A small run: 4 ImageNet-C images of fog/1, 4 clean, 3 ImageNet-R, 3 ImageNet-V2 images. */
function predictions(): ImagePrediction[] {
  const out: ImagePrediction[] = [];
  const img = (over: Partial<ImagePrediction> & Pick<ImagePrediction, 'path' | 'label' | 'top' | 'identity'>): ImagePrediction => ({ corruption: null, severity: null, topLogits: over.top.map(() => 0), ...over });
  for (let i = 0; i < 4; i++) {
    out.push(img({ path: `c/fog/1/n0/x${i}.JPEG`, corruption: 'fog', severity: 1, label: 0, top: [i % 2, 1, 2, 3, 4], identity: `n0/x${i}` }));
    out.push(img({ path: `v/n0/x${i}.JPEG`, label: 0, top: [0, 1, 2, 3, 4], identity: `n0/x${i}` }));
  }
  // R: the same file names as the clean images, but their own identities.
  out.push(img({ path: 'r/n01443537/x0.jpg', shift: 'imagenet-r', label: 1, top: [0, 1, 2, 3, 4], maskedTop1: 1, identity: shiftIdentity('imagenet-r', 'n01443537', 'x0.jpg') }));
  out.push(img({ path: 'r/n01443537/x1.jpg', shift: 'imagenet-r', label: 1, top: [1, 0, 2, 3, 4], maskedTop1: 1, identity: shiftIdentity('imagenet-r', 'n01443537', 'x1.jpg') }));
  out.push(img({ path: 'r/n01484850/x2.jpg', shift: 'imagenet-r', label: 2, top: [0, 1, 3, 4, 5], maskedTop1: 1, identity: shiftIdentity('imagenet-r', 'n01484850', 'x2.jpg') }));
  out.push(img({ path: 'v2/5/a.jpeg', shift: 'imagenet-v2', label: 5, top: [5, 1, 2, 3, 4], identity: shiftIdentity('imagenet-v2', '5', 'a.jpeg') }));
  out.push(img({ path: 'v2/5/b.jpeg', shift: 'imagenet-v2', label: 5, top: [1, 5, 2, 3, 4], identity: shiftIdentity('imagenet-v2', '5', 'b.jpeg') }));
  out.push(img({ path: 'v2/6/c.jpeg', shift: 'imagenet-v2', label: 6, top: [1, 5, 2, 3, 4], identity: shiftIdentity('imagenet-v2', '6', 'c.jpeg') }));
  return out;
}

describe('shifts in the result JSON', () => {
  const preds = predictions();
  const meta = referenceMeta('mobilenetv2-12-int8', { shiftDatasets: { 'imagenet-r': 'r', 'imagenet-v2': 'v2' } });
  const doc = buildResult(aggregate(preds), meta, preds);

  it('shifts.<kind> = { n, errors, errors1000 (R/A) or errors5, dataset }; clean-matched ignores shift images', () => {
    expect(doc.shifts).toEqual({
      'imagenet-r': { n: 3, errors: 1, errors1000: 2, dataset: 'r' },
      'imagenet-v2': { n: 3, errors: 2, errors5: 1, dataset: 'v2' },
    });
    expect(doc.cleanMatched).toEqual({ n: 4, errors: 0 });
    expect(doc.counts.images).toBe(14);
    expect(doc.metrics.shifts!['imagenet-r']).toEqual({ error: 100 / 3, error1000: 200 / 3 });
    expect(doc.metrics.shifts!['imagenet-v2']!.error5).toBeCloseTo(100 / 3, 12);
    const cells = decodeOutcomes(doc.outcomes!).cells;
    expect([...cells.keys()]).toEqual(['fog/1', 'clean', 'shift:imagenet-r', 'shift:imagenet-v2']);
  });

  it('survives export → import; bad shift entries are refused with their path', () => {
    const back = validateResult(JSON.parse(JSON.stringify(doc)));
    expect(back.shifts).toEqual(doc.shifts);
    expect(back.metrics).toEqual(doc.metrics);
    expect(back.outcomes).toEqual(doc.outcomes);
    const bad = (shifts: unknown) => () => validateResult({ ...JSON.parse(JSON.stringify(doc)), shifts, outcomes: undefined });
    expect(bad({ 'imagenet-x': { n: 1, errors: 0 } })).toThrow(/shifts: unknown dataset kind "imagenet-x"/);
    expect(bad({ 'imagenet-r': { n: 1, errors: 2 } })).toThrow(/shifts.imagenet-r: more errors than images/);
    expect(bad({ 'imagenet-v2': { n: 3, errors: 1, errors1000: 1 } })).toThrow(/only ImageNet-R and -A have a 1000-way error/);
    expect(bad({ 'imagenet-r': { n: 3, errors: 1, errors1000: 4 } })).toThrow(/errors1000: expected a whole number from 0 to n/);
    // Outcomes that disagree with the shift counts are caught.
    const tampered = JSON.parse(JSON.stringify(doc));
    tampered.shifts['imagenet-r'].errors = 0;
    expect(() => validateResult(tampered)).toThrow(/outcomes: cell shift:imagenet-r gives 1\/3 errors, the counts say 0\/3/);
  });

  it('merge: shards with different shift datasets combine; the same one in both counts once', () => {
    const a = buildResult(aggregate(preds.filter((p) => p.shift !== 'imagenet-v2')), meta, preds.filter((p) => p.shift !== 'imagenet-v2'));
    const b = buildResult(aggregate(preds.filter((p) => p.shift !== 'imagenet-r')), meta, preds.filter((p) => p.shift !== 'imagenet-r'));
    const merged = mergeResults([a, b]);
    expect(merged.shifts).toEqual(doc.shifts);
    expect(merged.metrics).toEqual(doc.metrics);
    expect(merged.outcomes).toEqual(doc.outcomes);
    // Without outcomes too.
    const strip = (d: typeof a) => ({ ...d, outcomes: undefined });
    expect(mergeResults([strip(a), strip(b)]).shifts).toEqual(doc.shifts);
  });

  it('bootstrap: each shift dataset is its own stratum, with an interval around its error', () => {
    const boot = bootstrapResult(doc, { seed: 1 });
    expect(boot.images).toEqual({ corrupted: 4, cleanOnly: 0, shifts: { 'imagenet-r': 3, 'imagenet-v2': 3 } });
    expect(boot.shifts!['imagenet-r']!.estimate).toBeCloseTo(100 / 3, 12);
    expect(boot.shifts!['imagenet-v2']!.estimate).toBeCloseTo(200 / 3, 12);
    for (const i of Object.values(boot.shifts!)) expect(i.lo <= i.estimate && i.estimate <= i.hi).toBe(true);
    // The corrupted stratum is unchanged by the shift images: same intervals as without them.
    const without = preds.filter((p) => !p.shift);
    const plain = bootstrapResult(buildResult(aggregate(without), meta, without), { seed: 1 });
    expect(boot.cells['fog/1']).toEqual(plain.cells['fog/1']);
  });
});

describe('report: effective robustness across runs', () => {
  it('fits logit(shifted) = a·logit(clean) + b; a run on the line has 0, one above it a positive value', async () => {
    const { effectiveRobustness, fitTrend, reportCsv, trendAt } = await import('../../src/core/shift-report');
    const logit = (p: number) => Math.log(p / 100 / (1 - p / 100));
    const sig = (x: number) => 100 / (1 + Math.exp(-x));
    // Three runs exactly on logit(y) = 0.8·logit(x) − 1, one 5 points above.
    const on = (clean: number) => sig(0.8 * logit(clean) - 1);
    const t = fitTrend([60, 70, 80].map((c) => ({ clean: c, shifted: on(c) })))!;
    expect(t.slope).toBeCloseTo(0.8, 10);
    expect(t.intercept).toBeCloseTo(-1, 10);
    expect(trendAt(t, 75)).toBeCloseTo(on(75), 10);
    expect(fitTrend([{ clean: 60, shifted: 20 }])).toBeNull();
    const row = (id: string, clean: number | null, r: number | null) => ({ id, name: id, model: id, cleanAccuracy: clean, mCE: null, shifts: r === null ? {} : { 'imagenet-r': { accuracy: r, accuracy1000: r - 3, n: 10 } } });
    const rows = [row('a', 60, on(60)), row('b', 80, on(80)), row('c', null, 50), row('d', 70, on(70))];
    const er = effectiveRobustness(rows)['imagenet-r']!;
    expect(er.trend.n).toBe(3);
    for (const id of ['a', 'b', 'd']) expect(er.byRun[id]).toBeCloseTo(0, 9);
    expect(er.byRun.c).toBeUndefined(); // no clean accuracy: not on the plot
    const csv = reportCsv(rows).trim().split('\n');
    expect(csv[0]).toBe('run,model,clean_accuracy,imagenet_c_mce,imagenet-r_accuracy,imagenet-r_n,imagenet-r_accuracy_1000way,imagenet-r_effective_robustness');
    expect(csv[3].startsWith('c,c,,,50,10,47,')).toBe(true);
  });
});
