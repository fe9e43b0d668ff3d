import { describe, expect, it } from 'vitest';
import { aggregate, type ImagePrediction } from '../../src/core/aggregate';
import { CORRUPTIONS } from '../../src/core/corruption-catalog';
import { MergeError, mergeResults } from '../../src/core/merge-results';
import { buildResult, validateResult, type ResultDocument } from '../../src/core/result-document';
import { describeFixtures } from '../support/fixtures';
import { referenceImagePredictions, referenceMeta, referenceResult } from '../support/reference-predictions';

const FIRST_HALF = new Set(CORRUPTIONS.slice(0, 10).map((c) => c.name));
const inFirstHalf = (p: ImagePrediction) => p.corruption !== null && FIRST_HALF.has(p.corruption);
const inSecondHalf = (p: ImagePrediction) => p.corruption !== null && !FIRST_HALF.has(p.corruption);
const isClean = (p: ImagePrediction) => p.corruption === null;

/** What merging must reproduce: everything derived from the images, not when or where the shards ran. */
const essence = (d: ResultDocument) => ({
  corruptions: d.corruptions,
  clean: d.clean,
  cleanMatched: d.cleanMatched,
  metrics: d.metrics,
  outcomes: d.outcomes,
  images: d.counts.images,
  unreadable: d.unreadable,
});

const withoutOutcomes = (d: ResultDocument): ResultDocument => {
  const { outcomes: _, ...rest } = d;
  return rest;
};

describeFixtures('merging halves of the fixture reference runs equals the full run', () => {
  for (const model of ['mobilenetv2-12-int8', 'squeezenet1.1-caffe2-fp32']) {
    const full = referenceResult(model);

    it(`${model}: corruptions 1–10 + clean and 11–19 + clean, with outcomes`, () => {
      const a = referenceResult(model, (p) => inFirstHalf(p) || isClean(p), { createdAt: '2025-01-01T00:00:00.000Z' });
      const b = referenceResult(model, (p) => inSecondHalf(p) || isClean(p), { createdAt: '2025-01-03T00:00:00.000Z' });
      expect(a.metrics.mCE).toBeNull();
      const merged = mergeResults([a, b]);
      expect(essence(merged)).toEqual(essence(full));
      expect(merged.createdAt).toBe('2025-01-03T00:00:00.000Z');
      expect(merged.notes![0]).toMatch(/^merged from 2 results/);
      expect(validateResult(JSON.parse(JSON.stringify(merged)))).toEqual(merged);
    });

    it(`${model}: clean in one shard only; shards in either order`, () => {
      const a = referenceResult(model, (p) => inFirstHalf(p) || isClean(p));
      const b = referenceResult(model, inSecondHalf);
      expect(b.cleanMatched).toBeUndefined();
      expect(essence(mergeResults([a, b]))).toEqual(essence(full));
      expect(essence(mergeResults([b, a]))).toEqual(essence(full));
    });

    it(`${model}: without outcomes (older exports), counts and metrics still equal the full run`, () => {
      const a = withoutOutcomes(referenceResult(model, (p) => inFirstHalf(p) || isClean(p)));
      const b = withoutOutcomes(referenceResult(model, (p) => inSecondHalf(p) || isClean(p)));
      expect(essence(mergeResults([a, b]))).toEqual(essence(withoutOutcomes(full)));
    });
  }

  it('three overlapping shards with outcomes: a shared image counts once', () => {
    const model = 'mobilenetv2-12-int8';
    const full = referenceResult(model);
    const shards = [
      referenceResult(model, (p) => inFirstHalf(p) || isClean(p)),
      referenceResult(model, (p) => p.corruption === 'fog' || p.corruption === 'snow'),
      referenceResult(model, (p) => inSecondHalf(p) || p.corruption === 'fog'),
    ];
    const merged = mergeResults(shards);
    expect(essence(merged)).toEqual(essence(full));
    // The dataset is the distinct images, not the sum over overlapping shards.
    expect(merged.dataset.images).toBe(full.counts.images);
    expect(merged.counts.images).toBe(full.counts.images);
  });

  it('a shard split inside a cell (images 0–24 and 25–49 of every cell) merges by image', () => {
    const model = 'squeezenet1.1-caffe2-fp32';
    const ids = [...new Set(referenceImagePredictions(model).filter((p) => p.corruption).map((p) => p.identity))].sort();
    const firstImages = new Set(ids.slice(0, 25));
    const a = referenceResult(model, (p) => isClean(p) || firstImages.has(p.identity));
    const b = referenceResult(model, (p) => isClean(p) || !firstImages.has(p.identity));
    expect(a.corruptions.fog.severities['1'].n).toBe(25);
    expect(essence(mergeResults([a, b]))).toEqual(essence(referenceResult(model)));
  });
});

describe('mergeResults refuses what is not shards of one evaluation', () => {
  const pred = (corruption: string | null, severity: number | null, identity: string, wrong: boolean): ImagePrediction => ({
    path: `${corruption}/${severity}/${identity}.JPEG`, corruption, severity, label: 1, identity, top: [wrong ? 2 : 1], topLogits: [0],
  });
  const doc = (preds: ImagePrediction[], over: Parameters<typeof referenceMeta>[1] = {}) =>
    buildResult(aggregate(preds), referenceMeta('mobilenetv2-12-int8', over), preds);
  const fogA = [pred('fog', 1, 'a/x', false), pred('fog', 1, 'a/y', true)];
  const snow = [pred('snow', 2, 'a/x', true)];

  it('different models, naming both', () => {
    const other = doc(snow, { model: { ...referenceMeta('squeezenet1.1-caffe2-fp32').model } });
    expect(() => mergeResults([doc(fogA), other])).toThrow(
      /cannot merge results of different models: result 1 \(mobilenetv2-12-int8, .*\) has sha256 aaaaaaaaaaaa…, result 2 \(squeezenet1\.1-caffe2-fp32, .*\) has sha256 bbbbbbbbbbbb…/,
    );
  });

  it('different datasets and preprocessing', () => {
    const other = doc(snow, { dataset: { name: 'imagenet-c', layout: 'flat', images: 1, ignoredFiles: 0 } });
    expect(() => mergeResults([doc(fogA), other])).toThrow(/different datasets: .* has "imagenet-c-mini", .* has "imagenet-c"/);
    const pre = referenceMeta('mobilenetv2-12-int8').preprocessing;
    expect(() => mergeResults([doc(fogA), doc(snow, { preprocessing: { ...pre, mean: [0.5, 0.5, 0.5] } })])).toThrow(/different preprocessing/);
  });

  it('models that differ past the 12th hex digit of their sha256', () => {
    const m = referenceMeta('mobilenetv2-12-int8').model;
    const other = doc(snow, { model: { ...m, sha256: `${m.sha256.slice(0, 12)}${'f'.repeat(52)}` } });
    expect(() => mergeResults([doc(fogA), other])).toThrow(/different models/);
  });

  it('a different clean resize filter or label list', () => {
    const pre = referenceMeta('mobilenetv2-12-int8').preprocessing;
    expect(() => mergeResults([doc(fogA), doc(snow, { preprocessing: { ...pre, interpolation: 'bicubic' } })])).toThrow(/different preprocessing/);
    // an older file without the filter is bilinear
    expect(() => mergeResults([doc(fogA, { preprocessing: { ...pre, interpolation: 'bilinear' } }), doc(snow)])).not.toThrow();
    const labels = referenceMeta('mobilenetv2-12-int8').labels;
    const a = doc(fogA, { labels: { ...labels, sha256: 'a'.repeat(64) } });
    const b = doc(snow, { labels: { ...labels, sha256: 'b'.repeat(64) } });
    expect(() => mergeResults([a, b])).toThrow(/different label lists: .* has labels sha256 aaaaaaaaaaaa…, .* has labels sha256 bbbbbbbbbbbb…/);
    expect(() => mergeResults([a, doc(snow)])).toThrow(/different label lists/);
  });

  it('the same image with different outcomes, naming the image and cell', () => {
    expect(() => mergeResults([doc(fogA), doc([pred('fog', 1, 'a/x', true)])])).toThrow(/image "a\/x" in fog\/1 is correct in result 1 .* but wrong in result 2/);
  });

  it('without outcomes: an overlapping cell must have equal counts', () => {
    const a = withoutOutcomes(doc(fogA));
    const b = withoutOutcomes(doc([pred('fog', 1, 'a/x', true), pred('fog', 1, 'a/y', true)]));
    expect(() => mergeResults([a, b])).toThrow(/fog\/1 has 1\/2 errors in result 1 .* but 2\/2 in result 2/);
    expect(mergeResults([a, withoutOutcomes(doc(fogA))]).corruptions.fog.severities['1']).toEqual({ n: 2, errors: 1 });
  });

  it('mixing results with and without outcomes merges the counts and says the outcomes were dropped', () => {
    const m = mergeResults([doc(fogA), withoutOutcomes(doc(snow))]);
    expect(m.outcomes).toBeUndefined();
    expect(m.notes).toContain('per-image outcomes dropped: not every merged result has them');
    expect(Object.keys(m.corruptions)).toEqual(['snow', 'fog']);
  });

  it('nothing to merge', () => {
    expect(() => mergeResults([])).toThrow(MergeError);
  });
});
