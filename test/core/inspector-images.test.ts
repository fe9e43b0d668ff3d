import { describe, expect, it } from 'vitest';
import type { ImagePrediction } from '../../src/core/aggregate';
import { imageCaption, imagePreprocessing, isCleanOriginal, matchesShow, shiftDatasetsOf, shiftFilterValue } from '../../src/core/inspector-images';

const base = { label: 1, top: [1], topLogits: [1] };
const clean: ImagePrediction = { ...base, path: 'val/n01/a.JPEG', corruption: null, severity: null, identity: 'n01/a' };
const corrupted: ImagePrediction = { ...base, path: 'c/fog/3/n01/a.JPEG', corruption: 'fog', severity: 3, identity: 'n01/a' };
const r: ImagePrediction = { ...base, path: 'imagenet-r/n01/b.jpg', corruption: null, severity: null, identity: 'imagenet-r:n01/b', shift: 'imagenet-r', maskedTop1: 1 };
const v2: ImagePrediction = { ...base, path: 'v2/1/c.jpeg', corruption: null, severity: null, identity: 'imagenet-v2:1/c', shift: 'imagenet-v2' };
const all = [clean, corrupted, r, v2];

describe('inspector images of shift datasets', () => {
  it('are captioned with their dataset, not "clean"', () => {
    expect(imageCaption(r)).toBe('ImageNet-R');
    expect(imageCaption(v2)).toBe('ImageNet-V2');
    expect(imageCaption(clean)).toBe('clean');
    expect(imageCaption(corrupted)).toBe('fog 3');
  });

  it('are filtered by dataset, and are not clean originals', () => {
    expect(all.filter((p) => matchesShow(p, 'clean'))).toEqual([clean]);
    expect(all.filter((p) => matchesShow(p, shiftFilterValue('imagenet-r')))).toEqual([r]);
    expect(all.filter((p) => matchesShow(p, shiftFilterValue('imagenet-v2')))).toEqual([v2]);
    expect(all.filter((p) => matchesShow(p, 'fog'))).toEqual([corrupted]);
    expect(all.filter((p) => matchesShow(p, ''))).toEqual(all);
    expect(all.filter(isCleanOriginal)).toEqual([clean]);
  });

  it('offers each dataset present once, in catalogue order', () => {
    expect(shiftDatasetsOf([v2, r, clean, r])).toEqual([
      { kind: 'imagenet-r', value: 'shift:imagenet-r', title: 'ImageNet-R' },
      { kind: 'imagenet-v2', value: 'shift:imagenet-v2', title: 'ImageNet-V2' },
    ]);
  });

  it('get the clean protocol (resize + centre crop) as in the evaluation; ImageNet-C images the corrupted one', () => {
    expect(imagePreprocessing(r)).toBe('clean');
    expect(imagePreprocessing(v2)).toBe('clean');
    expect(imagePreprocessing(clean)).toBe('clean');
    expect(imagePreprocessing(corrupted)).toBe('corrupted');
    // The evaluation's cells (CellSpec) go through the same decision.
    expect(imagePreprocessing({ corruption: null, shift: 'imagenet-sketch' })).toBe('clean');
    expect(imagePreprocessing({ corruption: 'glass_blur' })).toBe('corrupted');
  });
});
