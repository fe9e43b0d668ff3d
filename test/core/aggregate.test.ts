import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { aggregate, isTop1Error, type ImagePrediction } from '../../src/core/aggregate';
import { computeMetrics } from '../../src/core/metrics';
import { referenceImagePredictions } from '../support/reference-predictions';
import { describeFixtures, fixture } from '../support/fixtures';

const pred = (
  path: string,
  corruption: string | null,
  severity: number | null,
  label: number,
  top1: number,
  identity: string,
  unreadable?: string,
): ImagePrediction => ({
  path,
  corruption,
  severity,
  label,
  identity,
  top: unreadable === undefined ? [top1, top1 + 1, top1 + 2] : [],
  topLogits: unreadable === undefined ? [3, 2, 1] : [],
  ...(unreadable === undefined ? {} : { unreadable }),
});

describe('isTop1Error', () => {
  it('only the first prediction counts', () => {
    expect(isTop1Error({ top: [5, 3], label: 5 })).toBe(false);
    expect(isTop1Error({ top: [3, 5], label: 5 })).toBe(true);
    expect(isTop1Error({ top: [], label: 0 })).toBe(true);
  });
});

describe('aggregate', () => {
  const preds: ImagePrediction[] = [
    // fog/1: 3 images, 1 wrong
    pred('fog/1/a/x.JPEG', 'fog', 1, 0, 0, 'a/x'),
    pred('fog/1/a/y.JPEG', 'fog', 1, 0, 7, 'a/y'),
    pred('fog/1/b/z.JPEG', 'fog', 1, 1, 1, 'b/z'),
    // fog/3: 2 images, 2 wrong
    pred('fog/3/a/x.JPEG', 'fog', 3, 0, 9, 'a/x'),
    pred('fog/3/a/y.JPEG', 'fog', 3, 0, 9, 'a/y'),
    // snow/5: 1 image, correct; 1 unreadable
    pred('snow/5/a/x.JPEG', 'snow', 5, 0, 0, 'a/x'),
    pred('snow/5/b/bad.JPEG', 'snow', 5, 1, 0, 'b/bad', 'decode failed'),
    // clean: a/x wrong, a/y correct, b/z correct (these 3 have corrupted versions), c/w wrong, d/v correct (no corrupted version)
    pred('val/a/x.JPEG', null, null, 0, 4, 'a/x'),
    pred('val/a/y.JPEG', null, null, 0, 0, 'a/y'),
    pred('val/b/z.JPEG', null, null, 1, 1, 'b/z'),
    pred('val/c/w.JPEG', null, null, 2, 0, 'c/w'),
    pred('val/d/v.JPEG', null, null, 3, 3, 'd/v'),
    pred('val/a/broken.JPEG', null, null, 0, 0, 'a/broken', 'zero-size'),
  ];
  const agg = aggregate(preds);

  it('counts per corruption and severity', () => {
    expect(agg.corruptions).toEqual({
      fog: { 1: { n: 3, errors: 1 }, 3: { n: 2, errors: 2 } },
      snow: { 5: { n: 1, errors: 0 } },
    });
  });

  it('clean counts all readable clean images', () => {
    // 5 readable clean, wrong: a/x and c/w
    expect(agg.clean).toEqual({ n: 5, errors: 2 });
  });

  it('cleanMatched only counts clean images whose identity was seen corrupted', () => {
    // a/x (wrong), a/y (right), b/z (right); not c/w or d/v
    expect(agg.cleanMatched).toEqual({ n: 3, errors: 1 });
  });

  it('unreadable images are excluded from all counts and listed, sorted by path', () => {
    expect(agg.unreadable).toEqual([
      { path: 'snow/5/b/bad.JPEG', reason: 'decode failed' },
      { path: 'val/a/broken.JPEG', reason: 'zero-size' },
    ]);
  });

  it('an unreadable corrupted image does not make its clean original "matched"', () => {
    const a = aggregate([
      pred('fog/1/b/bad.JPEG', 'fog', 1, 1, 0, 'b/bad', 'decode failed'),
      pred('val/b/bad.JPEG', null, null, 1, 0, 'b/bad'),
    ]);
    expect(a.clean).toEqual({ n: 1, errors: 1 });
    expect(a.cleanMatched).toBeNull();
    expect(a.corruptions).toEqual({});
  });

  it('no clean images → clean and cleanMatched null; order of input does not matter', () => {
    const corruptedOnly = preds.filter((p) => p.corruption !== null);
    const a = aggregate([...corruptedOnly].reverse());
    expect(a.clean).toBeNull();
    expect(a.cleanMatched).toBeNull();
    expect(a.corruptions).toEqual(agg.corruptions);
  });

  it('empty input', () => {
    expect(aggregate([])).toEqual({ corruptions: {}, clean: null, cleanMatched: null, unreadable: [] });
  });

  it('accepts any iterable (a generator)', () => {
    function* gen() {
      yield pred('fog/2/a/x.JPEG', 'fog', 2, 0, 1, 'a/x');
    }
    expect(aggregate(gen()).corruptions).toEqual({ fog: { 2: { n: 1, errors: 1 } } });
  });
});


describeFixtures('aggregate of the reference predictions reproduces the reference summary', () => {
  for (const model of ['mobilenetv2-12-int8', 'squeezenet1.1-caffe2-fp32']) {
    it(model, () => {
      const preds: ImagePrediction[] = referenceImagePredictions(model);
      const agg = aggregate(preds);
      const summary = JSON.parse(readFileSync(fixture('reference', `${model}-summary.json`), 'utf8'));
      for (const [name, entry] of Object.entries(summary['imagenet-c-mini'] as Record<string, Record<string, { n: number; top1_errors: number }>>)) {
        for (const s of [1, 2, 3, 4, 5]) {
          expect(agg.corruptions[name][s], `${name}/${s}`).toEqual({ n: entry[String(s)].n, errors: entry[String(s)].top1_errors });
        }
      }
      const cleanAll = summary.clean['imagenet-val-sample'];
      const devKey = Object.keys(summary.clean).find((k) => k.includes('DEV-C'))!;
      expect(agg.clean).toEqual({ n: cleanAll.n, errors: cleanAll.top1_errors });
      expect(agg.cleanMatched).toEqual({ n: summary.clean[devKey].n, errors: summary.clean[devKey].top1_errors });
      const m = computeMetrics(agg.corruptions, agg.cleanMatched!.errors / agg.cleanMatched!.n);
      expect(Math.abs(m.mCE! - summary.mCE)).toBeLessThan(1e-12);
      expect(Math.abs(m.relativeMCE! - summary.relative_mCE)).toBeLessThan(1e-12);
    });
  }
});
